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
not slow the reads. Two departures from botocore, each said where it is made: the rate is cut
once per overload, from the rate measured over the last second; and at most IN_FLIGHT_MAX
requests of one API are in flight at once, which bounds the throttled answers of the first
burst (before the limiter has learnt anything).
"""

from __future__ import annotations

import threading
from collections import deque
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
#: The send rate measured when a bucket is first throttled: responses over this window.
RATE_WINDOW_SECONDS: Final = 1.0
#: At most this many requests of one EC2 bucket in flight at once. A bucket that runs dry
#: throttles every request then in flight, before any answer can teach the limiter: 64 deletes
#: at once made up to 64 throttled answers (10-28% of a small destroy); 8 make at most 8. It is
#: a bound on concurrency, not on rate: 8 requests at EC2's round trip (0.1-0.3 s) are 25-80
#: per second, 5-15 times the default refills (5-10 per second), so an account with raised
#: limits still goes well past the default numbers from its first request; through the
#: emulator it did not slow the unthrottled runs at all (docs/scale.md).
IN_FLIGHT_MAX: Final = 8
#: A request waits at most this long for a place in flight, then goes anyway: a place lost
#: to an error between two of botocore's events slows requests down, never blocks them.
IN_FLIGHT_WAIT_SECONDS: Final = 60.0
#: Where the bucket of a request, when it was sent and whether it holds a place in flight are
#: remembered between its events.
_CONTEXT_KEY: Final = "sg_snapshot_provider_rate_bucket"
_SENT_KEY: Final = "sg_snapshot_provider_rate_sent"
_PLACE_KEY: Final = "sg_snapshot_provider_rate_place"
#: A rate measured over less than this (the first responses of a client) counts as over this.
MIN_SPAN_SECONDS: Final = 0.1
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


class WindowRateClocker(RateClocker):
    """The response rate over the last RATE_WINDOW_SECONDS, measured at every response.

    botocore's clocker updates its rate only when a half-second slot ends; a burst throttled
    within its first slot therefore measures 0, and the first cut set the limit to botocore's
    floor (0.5 per second): a destroy of 500 snapshots sent a handful of deletes for seconds
    while EC2's bucket refilled unused. Counting the responses of the last window instead, the
    first cut starts from the rate the burst was actually sent at."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._window_clock = clock
        self._window_lock = threading.Lock()
        self._times: deque[float] = deque()
        self._started = clock.current_time()
        self._rate = 0.0

    def record(self, amount: int = 1) -> float:
        with self._window_lock:
            now = self._window_clock.current_time()
            self._times.extend([now] * amount)
            while self._times and self._times[0] <= now - RATE_WINDOW_SECONDS:
                self._times.popleft()
            span = min(RATE_WINDOW_SECONDS, max(now - self._started, MIN_SPAN_SECONDS))
            self._rate = len(self._times) / span
            return self._rate

    @property
    def measured_rate(self) -> float:
        return self._rate


class RateLimiter:
    """botocore's adaptive limiter (token bucket + CUBIC), one per EC2 bucket.

    One overload is one cut: the answers to requests sent before the last cut (in flight when
    it was made) are counted but do not cut again. botocore cuts on every throttled answer, so
    64 deletes in flight when a bucket ran dry cut the rate 0.7**64-fold, to its floor."""

    def __init__(
        self, clock: Clock | None = None, *, in_flight_max: int | None = IN_FLIGHT_MAX
    ) -> None:
        self._clock = clock or Clock()
        #: None: no bound on the requests in flight.
        self._in_flight_max = in_flight_max
        self._lock = threading.Lock()
        self._limiters: dict[str, ClientRateLimiter] = {}
        self._last_throttled: dict[str, float] = {}
        #: When each bucket's rate was last cut.
        self._last_cut: dict[str, float] = {}
        self._places: dict[str, threading.BoundedSemaphore] = {}
        #: Requests holding a place in flight, per bucket (for tests).
        self.in_flight: dict[str, int] = {}
        #: Throttled answers seen, per bucket (for tests and benchmarks).
        self.throttled: dict[str, int] = {}

    def limiter(self, bucket: str) -> ClientRateLimiter:
        with self._lock:
            found = self._limiters.get(bucket)
            last = self._last_throttled.get(bucket)
            if last is not None and self._clock.current_time() - last > QUIET_SECONDS:
                del self._last_throttled[bucket]
                self._last_cut.pop(bucket, None)
                found = None
            if found is None:
                found = ClientRateLimiter(
                    rate_adjustor=CubicCalculator(
                        starting_max_rate=0, start_time=self._clock.current_time()
                    ),
                    rate_clocker=WindowRateClocker(self._clock),
                    token_bucket=TokenBucket(max_rate=1, clock=self._clock),
                    throttling_detector=_Flagged(),
                    clock=self._clock,
                )
                self._limiters[bucket] = found
            return found

    def pacing(self, bucket: str) -> bool:
        """Whether requests of ``bucket`` wait for tokens (after a throttled answer)."""
        return bool(self.limiter(bucket)._enabled)  # type: ignore[attr-defined]

    def enter(self, bucket: str, timeout: float = IN_FLIGHT_WAIT_SECONDS) -> bool:
        """Wait for one of the IN_FLIGHT_MAX places of ``bucket``; False when none came free
        within ``timeout`` (the request then goes without one) or there is no bound."""
        if self._in_flight_max is None:
            return False
        with self._lock:
            places = self._places.setdefault(
                bucket, threading.BoundedSemaphore(self._in_flight_max)
            )
        if not places.acquire(timeout=timeout):
            return False
        with self._lock:
            self.in_flight[bucket] = self.in_flight.get(bucket, 0) + 1
        return True

    def leave(self, bucket: str) -> None:
        """Give back the place :meth:`enter` gave."""
        with self._lock:
            self.in_flight[bucket] -= 1
        self._places[bucket].release()

    def before_request(self, bucket: str) -> float:
        """Wait for a token of ``bucket`` (at once until it was first throttled); the time the
        request goes."""
        self.limiter(bucket).on_sending_request(request=None)
        return self._clock.current_time()

    def after_response(self, bucket: str, *, throttled: bool, sent_at: float | None = None) -> None:
        """Learn from an answer; ``sent_at`` (from :meth:`before_request`) tells a throttled
        answer to a request sent before the last cut, which does not cut again."""
        limiter = self.limiter(bucket)
        if throttled:
            with self._lock:
                now = self._clock.current_time()
                self.throttled[bucket] = self.throttled.get(bucket, 0) + 1
                self._last_throttled[bucket] = now
                cut = self._last_cut.get(bucket)
                if sent_at is not None and cut is not None and sent_at <= cut:
                    return  # the overload the last cut answered
                self._last_cut[bucket] = now
        limiter.on_receiving_response(throttled=throttled)

    # -- botocore events ---------------------------------------------------------------------

    def install(self, client: BaseClient) -> None:
        service = client.meta.service_model.service_id.hyphenize()  # "ec2", "storage-gateway"
        client.meta.events.register(f"before-parameter-build.{service}", self._name_bucket)
        client.meta.events.register(f"before-call.{service}", self._before_call)
        client.meta.events.register(f"after-call.{service}", self._after_call)
        client.meta.events.register(f"after-call-error.{service}", self._after_call_error)

    def _name_bucket(
        self, *, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
    ) -> None:
        """The bucket, from the API-level parameters (the only event that has them)."""
        context[_CONTEXT_KEY] = bucket_name(model.name, params)

    def _before_call(self, *, context: dict[str, Any], **_: Any) -> None:
        """Fired once per request (the provider's clients never retry by themselves), right
        before it is sent: a place in flight, then a token."""
        bucket = context.get(_CONTEXT_KEY)
        if bucket is None:
            return
        context[_PLACE_KEY] = self.enter(bucket)
        context[_SENT_KEY] = self.before_request(bucket)

    def _give_back_place(self, context: dict[str, Any]) -> None:
        if context.pop(_PLACE_KEY, False):
            self.leave(context[_CONTEXT_KEY])

    def _after_call_error(self, *, context: dict[str, Any], **_: Any) -> None:
        """No answer (a connection error): only the place is given back."""
        self._give_back_place(context)

    def _after_call(self, *, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        bucket = context.get(_CONTEXT_KEY)
        if bucket is None:
            return
        self._give_back_place(context)
        code = (parsed.get("Error") or {}).get("Code")
        self.after_response(
            bucket, throttled=is_throttling_code(code), sent_at=context.get(_SENT_KEY)
        )


def install_rate_limiter(client: BaseClient) -> RateLimiter:
    """Give an EC2 or Storage Gateway client its own :class:`RateLimiter` (see the module's
    docstring). Storage Gateway's throttling (``ThrottlingException``) paces its own API the
    same way, without the bound on requests in flight: its limits are not published, and its
    CreateSnapshot is the create of every resource (nothing here measured a reason to bound
    it)."""
    service = client.meta.service_model.service_id.hyphenize()
    limiter = RateLimiter(in_flight_max=IN_FLIGHT_MAX if service == "ec2" else None)
    limiter.install(client)
    client._sg_rate_limiter = limiter  # type: ignore[attr-defined]
    return limiter


def rate_limiter_of(client: Any) -> RateLimiter | None:
    limiter: RateLimiter | None = getattr(client, "_sg_rate_limiter", None)
    return limiter
