"""The one retry loop every AWS call goes through (botocore's own retries are off: see clients).

Each failure is sorted (errors.classify): throttling and connections never made are retried up
to ``aws:maxRetries``; states that pass (a gateway reconnecting, a snapshot EC2 does not show
yet) are retried within their own time budget (:class:`Transient`); a lost answer is retried
only when the call is idempotent, otherwise the caller looks for what it made first.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from ..settings import DEFAULT_MAX_RETRIES, Settings, Timings
from .errors import FailureKind, classify, error_code, is_gateway_transient, is_throttling

T = TypeVar("T")

DEFAULT_MAX_ATTEMPTS: Final = DEFAULT_MAX_RETRIES + 1
#: Throttled retries back off from this share of the first backoff up to twice it: the rate
#: limiter (ratelimit), not long sleeps, spaces them.
THROTTLED_BACKOFF_FIRST: Final = 0.25
THROTTLED_BACKOFF_MAX: Final = 2


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: requests per call (``aws:maxRetries`` + 1) and the time bounds."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    timings: Timings = field(default_factory=Timings)

    @classmethod
    def of(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.max_attempts, settings.timings)


@dataclass(frozen=True)
class Transient:
    """A failure that passes with time: retried while ``matches`` and for at most ``seconds``
    from the first attempt. ``what`` says in words what is being waited for (progress lines)."""

    matches: Callable[[ClientError], bool]
    seconds: float
    what: str = ""
    #: No longer retried once an attempt may have been carried out (its answer was lost): then
    #: the failure is more likely that attempt's own effect (a delete that found nothing to
    #: delete) than the passing state.
    until_ambiguous: bool = False


def gateway_busy(subject: str, policy: RetryPolicy) -> Transient:
    """A gateway in a passing state (GatewayNotConnected, VolumeNotReady,
    GatewayProxyNetworkConnectionBusy), retried for ``transient_retry_seconds``: the same
    budget for every Storage Gateway call about ``subject`` (a volume ARN)."""
    return Transient(
        is_gateway_transient,
        policy.timings.transient_retry_seconds,
        f"the gateway of {subject} is busy",
    )


def to_stderr(message: str) -> None:
    """The plugin's stderr reaches the Pulumi console as diagnostics."""
    print(message, file=sys.stderr, flush=True)


class Backoff:
    """Exponential backoff with jitter, so that many resources throttled together do not retry
    in lockstep."""

    def __init__(
        self,
        timings: Timings,
        *,
        initial_seconds: float | None = None,
        max_seconds: float | None = None,
    ) -> None:
        self._next = timings.backoff_initial_seconds if initial_seconds is None else initial_seconds
        self._max = timings.backoff_max_seconds if max_seconds is None else max_seconds

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._max)
        return delay / 2 + random.uniform(0, delay / 2)


def call_with_retries(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    transient: Sequence[Transient] = (),
    on_ambiguous: Callable[[], T | None] | None = None,
    report: Callable[[str], None] = to_stderr,
) -> T:
    """Call, retrying with backoff; then the last error propagates.

    Rejected and ambiguous failures are retried until ``policy.max_attempts`` requests were
    sent; a failure that matches a :class:`Transient` until its time budget is spent, and at
    least once (such retries are reported, so that minutes of waiting are visible). With
    ``on_ambiguous`` (a non-idempotent call) an ambiguous failure is never retried blindly:
    after letting a request still in flight land, ``on_ambiguous`` looks for what it made, and
    its answer (when not None) is the result. Without it, the call must be idempotent.
    """
    timings = policy.timings
    started = time.monotonic()
    backoff = Backoff(timings)
    # A throttled request waits for its turn rather than failing: the client's rate limiter
    # (ratelimit) paces the retries, and they do not count against aws:maxRetries while the
    # throttled_retry_seconds budget lasts, so that a big stack slows down instead of failing.
    throttled_backoff = Backoff(
        timings,
        initial_seconds=timings.backoff_initial_seconds * THROTTLED_BACKOFF_FIRST,
        max_seconds=timings.backoff_initial_seconds * THROTTLED_BACKOFF_MAX,
    )
    throttled_since: float | None = None
    attempts = 0
    reported_at: float | None = None
    maybe_done = False
    while True:
        attempts += 1
        try:
            return call()
        except (ClientError, BotoCoreError) as err:
            if isinstance(err, ClientError) and is_throttling(err):
                now = time.monotonic()
                throttled_since = now if throttled_since is None else throttled_since
                if now - throttled_since < timings.throttled_retry_seconds:
                    attempts -= 1
                    time.sleep(throttled_backoff.next_delay())
                    continue
            delay = backoff.next_delay()
            passing = _matching(transient, err, maybe_done)
            if passing is not None and isinstance(err, ClientError):
                now = time.monotonic()
                waited = now - started
                # Retried at least once, even when the first request alone used the budget up
                # (a slow network, a busy machine): a passing state deserves a second look.
                if waited + delay > passing.seconds and attempts >= 2:
                    raise
                # The first retry says so, later ones now and then: minutes of silence would
                # look like a hang, a line per backoff like a flood.
                if reported_at is None or now - reported_at >= timings.progress_every_seconds:
                    report(
                        f"{passing.what or error_code(err)}: retrying for up to "
                        f"{passing.seconds - waited:.0f} s more ({waited:.0f} s so far)"
                    )
                    reported_at = now
            else:
                kind = classify(err)
                if kind is FailureKind.PERMANENT:
                    raise
                maybe_done = maybe_done or kind is FailureKind.AMBIGUOUS
                if kind is FailureKind.AMBIGUOUS and on_ambiguous is not None:
                    time.sleep(max(delay, timings.ambiguous_settle_seconds))
                    found = on_ambiguous()
                    if found is not None:
                        return found
                    if attempts >= policy.max_attempts:
                        raise
                    continue  # nothing was made: a new attempt is safe, and we already waited
                if attempts >= policy.max_attempts:
                    raise
        time.sleep(delay)


def _matching(
    transient: Sequence[Transient], err: ClientError | BotoCoreError, maybe_done: bool
) -> Transient | None:
    if not isinstance(err, ClientError):
        return None
    for state in transient:
        if state.matches(err) and not (maybe_done and state.until_ambiguous):
            return state
    return None
