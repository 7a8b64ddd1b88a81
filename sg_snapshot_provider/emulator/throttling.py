"""EC2's request throttling: token buckets per account, Region and API, answering
``RequestLimitExceeded`` once a bucket is empty.

Source: the Amazon EC2 developer guide, "Request throttling for the Amazon EC2 API"
(https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). EC2 throttles each
account per Region with the token bucket algorithm: each API is evaluated on its own (a request
takes one token from that API's bucket; other APIs are not affected), a bucket refills at a set
rate up to its capacity, and an empty bucket answers ``RequestLimitExceeded``. The sizes below
are the guide's "request token bucket sizes and refill rates", capacity / refill per second:

* non-mutating actions (``Describe*``, ``Get*``, ``List*``…): 100 / 20;
* unfiltered and unpaginated non-mutating actions (``DescribeSnapshots`` with neither a filter
  nor a page size, among others): 50 / 10, a bucket of their own;
* mutating actions, by default: 50 / 5;
* ``CreateSnapshot``, ``DeleteSnapshot``, ``ModifySnapshotAttribute``: 100 / 5;
* ``CreateTags``, ``DeleteTags``: 100 / 10.

A throttled request takes no token. The answer is EC2's XML error shape with HTTP 503, as EC2
answers it (botocore's standard and adaptive retry modes list ``RequestLimitExceeded`` among
their throttling error codes). Storage Gateway is not throttled here.

Two knobs make the model usable on one machine: ``scale`` multiplies every capacity and refill
rate (0.1: buckets ten times smaller), ``speedup`` multiplies the refill rates alone (time runs
faster for the buckets: a test of minutes in seconds). ``background`` is the share of every
refill that other clients of the same account spend (0.5: half of it), so the stack under test
gets the rest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

THROTTLED_CODE: Final = "RequestLimitExceeded"
THROTTLED_MESSAGE: Final = "Request limit exceeded."
THROTTLED_STATUS: Final = 503


@dataclass(frozen=True)
class BucketSize:
    capacity: float
    refill_per_second: float


NON_MUTATING: Final = BucketSize(100, 20)
UNFILTERED_UNPAGINATED: Final = BucketSize(50, 10)
MUTATING: Final = BucketSize(50, 5)
#: Actions the guide sizes on their own.
ACTION_SIZES: Final[Mapping[str, BucketSize]] = {
    "CreateSnapshot": BucketSize(100, 5),
    "DeleteSnapshot": BucketSize(100, 5),
    "ModifySnapshotAttribute": BucketSize(100, 5),
    "CreateTags": BucketSize(100, 10),
    "DeleteTags": BucketSize(100, 10),
}
#: The actions the guide lists as having an unfiltered-and-unpaginated bucket that this
#: emulator serves (the snapshot and volume ones).
UNFILTERED_ACTIONS: Final = frozenset({"DescribeSnapshots", "DescribeVolumes"})
_NON_MUTATING_PREFIXES: Final = ("Describe", "Get", "List", "Search")
#: A request is paginated when it asks for a page size or the next page, filtered when it
#: names a filter (``Filter.N``); IDs alone (``SnapshotId.N``) leave it unfiltered.
_PAGINATION_PARAMETERS: Final = ("MaxResults", "NextToken")


def bucket_of(action: str, params: Mapping[str, str]) -> tuple[str, BucketSize]:
    """The bucket an EC2 request takes its token from: its name and documented size."""
    if action in ACTION_SIZES:
        return action, ACTION_SIZES[action]
    if action.startswith(_NON_MUTATING_PREFIXES):
        if action in UNFILTERED_ACTIONS and _unfiltered_unpaginated(params):
            return f"{action} (unfiltered, unpaginated)", UNFILTERED_UNPAGINATED
        return action, NON_MUTATING
    return action, MUTATING


def _unfiltered_unpaginated(params: Mapping[str, str]) -> bool:
    return not any(key.startswith("Filter.") or key in _PAGINATION_PARAMETERS for key in params)


@dataclass(frozen=True)
class BucketOptions:
    """How the documented buckets are applied (see the module's docstring)."""

    scale: float = 1.0
    speedup: float = 1.0
    background: float = 0.0

    def __post_init__(self) -> None:
        if self.scale <= 0 or self.speedup <= 0:
            raise ValueError("scale and speedup must be more than 0")
        if not 0 <= self.background < 1:
            raise ValueError("background must be at least 0 and less than 1")

    def capacity(self, size: BucketSize) -> float:
        return size.capacity * self.scale

    def refill(self, size: BucketSize) -> float:
        """Tokens per second the stack under test gets back."""
        return size.refill_per_second * self.scale * self.speedup * (1 - self.background)

    def to_json(self) -> dict[str, float]:
        return {"scale": self.scale, "speedup": self.speedup, "background": self.background}

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> BucketOptions:
        values: dict[str, float] = {}
        for name in ("scale", "speedup", "background"):
            value = payload.get(name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            values[name] = float(value)
        return cls(**values)


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class TokenBuckets:
    """Every bucket of every account and Region, filled as time passes (``clock``: seconds)."""

    options: BucketOptions = field(default_factory=BucketOptions)
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[tuple[str, str, str], _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, account: str, region: str, action: str, params: Mapping[str, str]) -> bool:
        """Take one token for this request: False when its bucket is empty (throttled)."""
        name, size = bucket_of(action, params)
        capacity, refill = self.options.capacity(size), self.options.refill(size)
        now = self.clock()
        with self._lock:
            bucket = self._buckets.setdefault((account, region, name), _Bucket(capacity, now))
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * refill)
            bucket.updated = now
            if bucket.tokens < 1:
                return False
            bucket.tokens -= 1
            return True

    def tokens(self, account: str, region: str, action: str, params: Mapping[str, str]) -> float:
        """Tokens left in the bucket of such a request now (a full bucket when unused)."""
        name, size = bucket_of(action, params)
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get((account, region, name))
            if bucket is None:
                return self.options.capacity(size)
            refilled = bucket.tokens + (now - bucket.updated) * self.options.refill(size)
            return min(self.options.capacity(size), refilled)


def throttled(
    buckets: TokenBuckets | None, account: str, region: str, params: Mapping[str, str]
) -> bool:
    """The hook the server calls for every EC2 request: whether to answer it
    ``RequestLimitExceeded`` (never without buckets)."""
    if buckets is None:
        return False
    return not buckets.take(account, region, params.get("Action", ""), params)
