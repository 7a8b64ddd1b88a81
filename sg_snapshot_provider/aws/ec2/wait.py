"""Waiting for completion: one shared poller per client, so a stack of many waits costs one
DescribeSnapshots per interval."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import SnapshotFailedError, SnapshotTimeoutError
from ..errors import translate
from ..retry import RetryPolicy, to_stderr
from .find import FILTER_VALUES_MAX, SnapshotInfo, describe_snapshots_by_filter
from .visibility import visibility_seconds_left

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef

#: Polls grow with the time waited: a snapshot completing after T seconds is noticed by about
#: T * (1 + POLL_GROWTH), within the interval bounds of Timings.
POLL_GROWTH: Final = 0.2


def wait_for_snapshot_completed(
    client: EC2Client,
    snapshot_id: str,
    timeout_seconds: float,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
    report: Callable[[str], None] = to_stderr,
) -> SnapshotInfo:
    """Wait until the snapshot is ``completed``, with typed failures for the ``error`` state
    (:class:`SnapshotFailedError`) and for the bound (:class:`SnapshotTimeoutError`).

    boto3's ``snapshot_completed`` waiter polls one snapshot per waiter and cannot report
    progress; here every snapshot waited for through the same client shares one poller
    (:class:`SnapshotPoller`), so a stack of 64 waits costs one DescribeSnapshots per interval.
    """
    return _poller_for(client, policy).wait(
        snapshot_id.lower(), timeout_seconds, created_at=created_at, report=report
    )


_pollers_lock = threading.Lock()
_pollers: weakref.WeakKeyDictionary[Any, SnapshotPoller] = weakref.WeakKeyDictionary()


def _poller_for(client: EC2Client, policy: RetryPolicy) -> SnapshotPoller:
    """One poller per client, hence per region and credentials (clients are cached so)."""
    with _pollers_lock:
        poller = _pollers.get(client)
        if poller is None:
            poller = SnapshotPoller(client, policy)
            _pollers[client] = poller
        return poller


@dataclass(eq=False)
class _Waiter:
    """One snapshot being waited for, and what the poller last learnt of it."""

    snapshot_id: str
    registered: float
    rounds: int = 0
    info: SnapshotInfo | None = None
    error: ClientError | BotoCoreError | None = None


class SnapshotPoller:
    """Polls EC2 for every snapshot waited for through one client, with one DescribeSnapshots
    per interval (``snapshot-id`` filter, up to EC2's filter and page limits), and wakes each
    waiter with its own result.

    The interval adapts: a fifth of the time the youngest waiter has waited, between
    ``poll_initial_seconds`` and ``poll_interval_seconds``, so a snapshot that completes after
    20 s is noticed within about 4 s, one that takes an hour costs a poll per 15 s. A new
    waiter brings the next poll forward. Throttling backs the one poll off, for everyone. The
    polling thread ends when nobody waits.
    """

    def __init__(self, client: EC2Client, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy
        self._changed = threading.Condition()
        self._waiters: list[_Waiter] = []
        self._thread: threading.Thread | None = None
        self._next_poll = 0.0

    def wait(
        self,
        snapshot_id: str,
        timeout_seconds: float,
        *,
        created_at: datetime | None,
        report: Callable[[str], None],
    ) -> SnapshotInfo:
        report(f"waiting for snapshot {snapshot_id} to complete (at most {timeout_seconds:g} s)")
        waiter = self._register(snapshot_id)
        try:
            return self._follow(waiter, time.monotonic() + timeout_seconds, created_at, report)
        finally:
            with self._changed:
                self._waiters.remove(waiter)

    def _register(self, snapshot_id: str) -> _Waiter:
        now = time.monotonic()
        waiter = _Waiter(snapshot_id, now)
        with self._changed:
            self._waiters.append(waiter)
            self._next_poll = min(self._next_poll, now + self._policy.timings.poll_initial_seconds)
            if self._thread is None:
                self._next_poll = now + self._initial_interval()
                self._thread = threading.Thread(
                    target=self._run, name=f"snapshot-poller-{id(self):x}", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()
        return waiter

    def _follow(
        self,
        waiter: _Waiter,
        deadline: float,
        created_at: datetime | None,
        report: Callable[[str], None],
    ) -> SnapshotInfo:
        progress = _ProgressReport(waiter.snapshot_id, self._policy, report)
        seen_rounds = 0
        while True:
            with self._changed:
                self._changed.wait_for(
                    lambda seen=seen_rounds: waiter.rounds > seen,  # type: ignore[misc]
                    timeout=max(0.0, deadline - time.monotonic()),
                )
                seen_rounds, info, error = waiter.rounds, waiter.info, waiter.error
            if error is not None:
                raise translate(
                    error, "waiting for EBS snapshot", waiter.snapshot_id, "ec2:DescribeSnapshots"
                ) from error
            if info is not None and info.state == "completed":
                report(f"snapshot {info.snapshot_id} completed ({info.progress or '100%'})")
                return info
            if info is not None and info.state == "error":
                detail = f": {info.state_message}" if info.state_message else ""
                raise SnapshotFailedError(
                    info.snapshot_id,
                    f"it went to the error state{detail}",
                    info.state,
                    info.progress,
                )
            if (
                info is None
                and seen_rounds
                and not visibility_seconds_left(created_at, self._policy)
            ):
                raise SnapshotFailedError(
                    waiter.snapshot_id,
                    "EC2 does not show it (deleted while being taken, or never visible within "
                    f"the {self._policy.timings.visibility_window_seconds:g} s visibility window)",
                )
            if time.monotonic() >= deadline:
                state = info.state if info else "not visible yet"
                progress_text = info.progress if info and info.progress else "0%"
                raise SnapshotTimeoutError(
                    waiter.snapshot_id,
                    f"still {state} at {progress_text} after {deadline - waiter.registered:g} s; "
                    "raise completion_timeout_seconds or set wait_for_completion to false",
                    info.state if info else None,
                    info.progress if info else None,
                )
            if info is not None:
                progress.maybe_report(info)

    # -- the polling thread --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._waiters and time.monotonic() < self._next_poll:
                    self._changed.wait(timeout=self._next_poll - time.monotonic())
                if not self._waiters:
                    self._thread = None
                    return
                polled = list(self._waiters)
            results, error = self._poll({w.snapshot_id for w in polled})
            with self._changed:
                for waiter in polled:
                    waiter.rounds += 1
                    waiter.error = error
                    waiter.info = results.get(waiter.snapshot_id)
                self._next_poll = time.monotonic() + self._interval()
                self._changed.notify_all()

    def _poll(
        self, snapshot_ids: set[str]
    ) -> tuple[dict[str, SnapshotInfo], ClientError | BotoCoreError | None]:
        ordered = sorted(snapshot_ids)
        found: dict[str, SnapshotInfo] = {}
        try:
            for start in range(0, len(ordered), FILTER_VALUES_MAX):
                chunk = ordered[start : start + FILTER_VALUES_MAX]
                filters: list[FilterTypeDef] = [{"Name": "snapshot-id", "Values": chunk}]
                for info in describe_snapshots_by_filter(self._client, filters, self._policy):
                    found[info.snapshot_id.lower()] = info
        except (ClientError, BotoCoreError) as err:
            return {}, err
        return found, None

    def _initial_interval(self) -> float:
        timings = self._policy.timings
        return min(timings.poll_initial_seconds, timings.poll_interval_seconds)

    def _interval(self) -> float:
        """Caller holds the lock."""
        timings = self._policy.timings
        if not self._waiters:
            return self._initial_interval()
        youngest = max(w.registered for w in self._waiters)
        waited = time.monotonic() - youngest
        return min(
            timings.poll_interval_seconds, max(self._initial_interval(), POLL_GROWTH * waited)
        )


class _ProgressReport:
    """Progress lines for one snapshot: on every change, and now and then when nothing moves."""

    def __init__(
        self, snapshot_id: str, policy: RetryPolicy, report: Callable[[str], None]
    ) -> None:
        self._snapshot_id = snapshot_id
        self._every = policy.timings.progress_every_seconds
        self._report = report
        self._last: tuple[str, str | None] | None = None
        self._last_at = 0.0

    def maybe_report(self, info: SnapshotInfo) -> None:
        now = time.monotonic()
        current = (info.state, info.progress)
        if current != self._last or now - self._last_at >= self._every:
            self._report(f"snapshot {self._snapshot_id} is {info.state} ({info.progress or '0%'})")
            self._last, self._last_at = current, now
