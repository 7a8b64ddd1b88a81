"""One client-side rate limit per EC2 API and per client, learnt from ``RequestLimitExceeded``.

EC2 throttles each account per Region with a token bucket per API (the EC2 developer guide,
"Request throttling for the Amazon EC2 API"): CreateSnapshot running dry does not slow
DescribeSnapshots. botocore's ``adaptive`` retry mode has the right algorithm (a token bucket
whose rate CUBIC adjusts: cut on a throttled answer, grown back on success; no limit at all
until the first throttled answer), but one bucket per client for every operation, and it only
acts through botocore's own retries, which the provider's clients turn off (``clients``). So
each provider EC2 client gets a :class:`RateLimiter` holding one botocore ``ClientRateLimiter``
per EC2 bucket (per API; DescribeSnapshots with neither filter nor page size apart, as EC2 counts
it), fed from the client's own events. Clients are cached per (service, Region, settings), so
every resource of a plugin acting in one account and Region shares the limiter: a thousand
CreateSnapshot go out as fast as the bucket refills, no faster, and a throttled CreateTags does
not slow the reads.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final

from botocore.retries.adaptive import ClientRateLimiter, RateClocker
from botocore.retries.bucket import Clock, TokenBucket
from botocore.retries.throttling import CubicCalculator

from .errors import is_throttling_code

if TYPE_CHECKING:
    from botocore.client import BaseClient

#: A bucket that answered no RequestLimitExceeded for this long starts over without a limit:
#: EC2's largest documented bucket (100 tokens, 5 per second) refills from empty in 20 s, so
#: by then a burst is welcome again (and a lone throttled answer long ago no longer paces).
QUIET_SECONDS: Final = 20.0
#: Where the bucket of a request is remembered between its two events.
_CONTEXT_KEY: Final = "sg_snapshot_provider_rate_bucket"
_UNFILTERED_ACTIONS: Final = frozenset({"DescribeSnapshots", "DescribeVolumes"})


def bucket_name(operation: str, params: dict[str, Any]) -> str:
    """The EC2 bucket a request draws from: its API, the unfiltered and unpaginated
    DescribeSnapshots apart."""
    if operation in _UNFILTERED_ACTIONS and not (
        params.get("Filters") or "MaxResults" in params or "NextToken" in params
    ):
        return f"{operation} (unfiltered, unpaginated)"
    return operation


class _Flagged:
    """botocore's limiter asks a detector whether a response was throttled: we already know."""

    def is_throttling_error(self, **kwargs: Any) -> bool:
        return bool(kwargs.get("throttled"))


class RateLimiter:
    """botocore's adaptive limiter (token bucket + CUBIC), one per EC2 bucket."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or Clock()
        self._lock = threading.Lock()
        self._limiters: dict[str, ClientRateLimiter] = {}
        self._last_throttled: dict[str, float] = {}
        #: Throttled answers seen, per bucket (for tests and benchmarks).
        self.throttled: dict[str, int] = {}

    def limiter(self, bucket: str) -> ClientRateLimiter:
        with self._lock:
            found = self._limiters.get(bucket)
            last = self._last_throttled.get(bucket)
            if last is not None and self._clock.current_time() - last > QUIET_SECONDS:
                del self._last_throttled[bucket]
                found = None
            if found is None:
                found = ClientRateLimiter(
                    rate_adjustor=CubicCalculator(
                        starting_max_rate=0, start_time=self._clock.current_time()
                    ),
                    rate_clocker=RateClocker(self._clock),
                    token_bucket=TokenBucket(max_rate=1, clock=self._clock),
                    throttling_detector=_Flagged(),
                    clock=self._clock,
                )
                self._limiters[bucket] = found
            return found

    def pacing(self, bucket: str) -> bool:
        """Whether requests of ``bucket`` wait for tokens (after a throttled answer)."""
        return bool(self.limiter(bucket)._enabled)  # type: ignore[attr-defined]

    def before_request(self, bucket: str) -> None:
        """Wait for a token of ``bucket`` (at once until it was first throttled)."""
        self.limiter(bucket).on_sending_request(request=None)

    def after_response(self, bucket: str, *, throttled: bool) -> None:
        limiter = self.limiter(bucket)
        if throttled:
            with self._lock:
                self.throttled[bucket] = self.throttled.get(bucket, 0) + 1
                self._last_throttled[bucket] = self._clock.current_time()
        limiter.on_receiving_response(throttled=throttled)

    # -- botocore events ---------------------------------------------------------------------

    def install(self, client: BaseClient) -> None:
        client.meta.events.register("before-parameter-build.ec2", self._before_request)
        client.meta.events.register("after-call.ec2", self._after_call)

    def _before_request(
        self, *, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        """Fired once per request (the provider's clients never retry by themselves), with
        the API-level parameters."""
        bucket = bucket_name(model.name, params)
        context[_CONTEXT_KEY] = bucket
        self.before_request(bucket)

    def _after_call(self, *, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        bucket = context.get(_CONTEXT_KEY)
        if bucket is None:
            return
        code = (parsed.get("Error") or {}).get("Code")
        self.after_response(bucket, throttled=is_throttling_code(code))


def install_rate_limiter(client: BaseClient) -> RateLimiter:
    """Give an EC2 client its own :class:`RateLimiter` (see the module's docstring)."""
    limiter = RateLimiter()
    limiter.install(client)
    client._sg_rate_limiter = limiter  # type: ignore[attr-defined]
    return limiter


def rate_limiter_of(client: Any) -> RateLimiter | None:
    limiter: RateLimiter | None = getattr(client, "_sg_rate_limiter", None)
    return limiter
