"""The EBS snapshot through EC2: find it, re-tag it, delete it, wait for it.

EC2 is eventually consistent ("Eventual consistency in the Amazon EC2 API"): a snapshot
CreateSnapshot returned a moment ago may answer InvalidSnapshot.NotFound to DescribeSnapshots,
CreateTags, DeleteTags and DeleteSnapshot for a while. Every call here therefore takes the time
the provider made the snapshot (``created_at``, None when unknown or long ago): within
``Timings.visibility_window_seconds`` of it, NotFound means "not visible yet" and is retried;
only after the window is it believed.
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import (
    AwsOperationError,
    ForeignSnapshotError,
    SnapshotFailedError,
    SnapshotInUseError,
    SnapshotNotFoundError,
    SnapshotTimeoutError,
)
from ..inputs import TagChanges
from .errors import (
    FailureKind,
    classify,
    error_code,
    error_message,
    is_snapshot_in_use,
    is_snapshot_not_found,
    translate,
)
from .retry import RetryPolicy, Transient, call_with_retries, to_stderr

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef, SnapshotTypeDef, TagTypeDef

#: EC2 takes at most 200 values in one filter.
FILTER_VALUES_MAX: Final = 200
#: The largest page DescribeSnapshots answers.
DESCRIBE_PAGE_MAX: Final = 1000
#: Polls grow with the time waited: a snapshot completing after T seconds is noticed by about
#: T * (1 + POLL_GROWTH), within the interval bounds of Timings.
POLL_GROWTH: Final = 0.2


@dataclass(frozen=True)
class SnapshotInfo:
    """One EBS snapshot as DescribeSnapshots sees it."""

    snapshot_id: str
    state: str
    progress: str | None = None
    description: str | None = None
    start_time: datetime | None = None
    volume_size_gib: int | None = None
    encrypted: bool | None = None
    kms_key_id: str | None = None
    owner_id: str | None = None
    state_message: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def snapshot_info(snapshot: SnapshotTypeDef) -> SnapshotInfo:
    return SnapshotInfo(
        snapshot_id=snapshot["SnapshotId"],
        state=snapshot.get("State", "pending"),
        progress=snapshot.get("Progress") or None,
        description=snapshot.get("Description"),
        start_time=snapshot.get("StartTime"),
        volume_size_gib=snapshot.get("VolumeSize"),
        encrypted=snapshot.get("Encrypted"),
        kms_key_id=snapshot.get("KmsKeyId") or None,
        owner_id=snapshot.get("OwnerId"),
        state_message=snapshot.get("StateMessage") or None,
        tags={t["Key"]: t["Value"] for t in snapshot.get("Tags", [])},
    )


# --- eventual consistency -------------------------------------------------------------------


def visibility_seconds_left(created_at: datetime | None, policy: RetryPolicy) -> float:
    """How much longer NotFound for a snapshot made at ``created_at`` may mean "not visible
    yet" (0 when it was made long ago, or when that time is unknown)."""
    if created_at is None:
        return 0.0
    age = (datetime.now(UTC) - created_at).total_seconds()
    return max(0.0, policy.timings.visibility_window_seconds - age)


def _not_visible_yet(
    snapshot_id: str, created_at: datetime | None, policy: RetryPolicy
) -> tuple[Transient, ...]:
    """NotFound retried while the window lasts; not after an attempt whose answer was lost
    (NotFound then most likely means that attempt did its work, e.g. deleted the snapshot)."""
    left = visibility_seconds_left(created_at, policy)
    if left <= 0:
        return ()
    what = f"snapshot {snapshot_id} is not visible to EC2 yet (eventual consistency)"
    return (Transient(is_snapshot_not_found, left, what, until_ambiguous=True),)


# --- find -----------------------------------------------------------------------------------


def find_snapshot_by_id(
    client: EC2Client,
    snapshot_id: str,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> SnapshotInfo:
    """Exactly one snapshot, or :class:`SnapshotNotFoundError` (never None)."""
    snapshot_id = snapshot_id.lower()
    operation, action = "reading EBS snapshot", "ec2:DescribeSnapshots"
    try:
        response = call_with_retries(
            lambda: client.describe_snapshots(SnapshotIds=[snapshot_id]),
            policy,
            transient=_not_visible_yet(snapshot_id, created_at, policy),
        )
    except ClientError as err:
        if is_snapshot_not_found(err):
            raise SnapshotNotFoundError(snapshot_id, client.meta.region_name) from err
        raise translate(err, operation, snapshot_id, action) from err
    except BotoCoreError as err:
        raise translate(err, operation, snapshot_id, action) from err
    snapshots = [s for s in response.get("Snapshots", []) if s.get("SnapshotId") == snapshot_id]
    if not snapshots:
        raise SnapshotNotFoundError(snapshot_id, client.meta.region_name)
    return snapshot_info(snapshots[0])


def find_own_snapshot(client: EC2Client, snapshot_id: str, policy: RetryPolicy) -> SnapshotInfo:
    """The caller's own snapshot with this ID: :class:`SnapshotNotFoundError` when EC2 does
    not know it, :class:`ForeignSnapshotError` when another account owns it. One request when
    it is the caller's."""
    snapshot_id = snapshot_id.lower()
    operation, action = "reading EBS snapshot", "ec2:DescribeSnapshots"
    try:
        own = describe_snapshots_by_filter(
            client, [{"Name": "snapshot-id", "Values": [snapshot_id]}], policy, owned_by_caller=True
        )
    except (ClientError, BotoCoreError) as err:
        raise translate(err, operation, snapshot_id, action) from err
    if own:
        return own[0]
    other = find_snapshot_by_id(client, snapshot_id, policy)  # NotFound when nobody has it
    raise ForeignSnapshotError(snapshot_id, client.meta.region_name, other.owner_id or "another")


def describe_snapshots_by_filter(
    client: EC2Client,
    filters: list[FilterTypeDef],
    policy: RetryPolicy,
    *,
    owned_by_caller: bool = False,
) -> list[SnapshotInfo]:
    """Every snapshot the filters match, all pages (only the caller's own with
    ``owned_by_caller``). Unlike ``SnapshotIds``, a filter leaves out what it does not find (a
    snapshot not visible yet) instead of failing the call."""
    found: list[SnapshotInfo] = []
    token: str | None = None
    while True:
        request: dict[str, Any] = {"Filters": filters, "MaxResults": DESCRIBE_PAGE_MAX}
        if owned_by_caller:
            request["OwnerIds"] = ["self"]
        if token:
            request["NextToken"] = token
        response = call_with_retries(
            lambda request=request: client.describe_snapshots(**request),  # type: ignore[misc]
            policy,
        )
        found.extend(snapshot_info(s) for s in response.get("Snapshots", []))
        token = response.get("NextToken")
        if not token:
            return found


def snapshot_ids_tagged(client: EC2Client, key: str, value: str, policy: RetryPolicy) -> list[str]:
    """IDs of the caller's snapshots tagged ``key=value``, oldest first."""
    response = call_with_retries(
        lambda: client.describe_snapshots(
            OwnerIds=["self"], Filters=[{"Name": f"tag:{key}", "Values": [value]}]
        ),
        policy,
    )
    snapshots = sorted(response.get("Snapshots", []), key=lambda s: str(s.get("StartTime")))
    return [s["SnapshotId"].lower() for s in snapshots]


# --- tags -----------------------------------------------------------------------------------


def update_snapshot_tags(
    client: EC2Client,
    snapshot_id: str,
    changes: TagChanges,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> None:
    """At most one DeleteTags (removed keys only: an empty DeleteTags would delete *every* tag)
    and one CreateTags (added or changed); nothing when nothing changed. Both are idempotent,
    so a lost answer is simply retried."""
    update_tags_of_snapshots(client, [snapshot_id], changes, policy, created_at=created_at)


#: CreateTags and DeleteTags take "up to 1000 resource IDs" (botocore's ``Resources``).
TAG_RESOURCES_MAX: Final = 1000


def update_tags_of_snapshots(
    client: EC2Client,
    snapshot_ids: Sequence[str],
    changes: TagChanges,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> None:
    """The same tag changes on several snapshots: one DeleteTags and one CreateTags per 1000
    snapshots (``Resources`` is a list), as :func:`update_snapshot_tags` for one. EC2 refuses
    the whole call when one snapshot does not exist (``InvalidSnapshot.NotFound``, raised as
    :class:`AwsOperationError`); within the visibility window of ``created_at`` (pass the
    youngest snapshot's) that answer is retried as "not visible yet"."""
    ids = [snapshot_id.lower() for snapshot_id in snapshot_ids]
    if changes.empty or not ids:
        return
    subject = ", ".join(ids)
    what = "snapshot" if len(ids) == 1 else "snapshots"
    lag = _not_visible_yet(subject, created_at, policy)
    to_delete: list[TagTypeDef] = [{"Key": k} for k in changes.to_delete]
    to_set: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in changes.to_set.items()]
    chunks = [
        ids[start : start + TAG_RESOURCES_MAX] for start in range(0, len(ids), TAG_RESOURCES_MAX)
    ]
    try:
        for chunk in chunks:
            if to_delete:
                call_with_retries(
                    lambda chunk=chunk: client.delete_tags(  # type: ignore[misc]
                        Resources=chunk, Tags=to_delete
                    ),
                    policy,
                    transient=lag,
                )
            if to_set:
                call_with_retries(
                    lambda chunk=chunk: client.create_tags(  # type: ignore[misc]
                        Resources=chunk, Tags=to_set
                    ),
                    policy,
                    transient=lag,
                )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, f"updating tags of EBS {what}", subject, "ec2:CreateTags and ec2:DeleteTags"
        ) from err


# --- delete ---------------------------------------------------------------------------------

_AMI_RE: Final = re.compile(r"\bami-[0-9a-f]+\b")


def delete_snapshot(
    client: EC2Client,
    snapshot_id: str,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> bool:
    """DeleteSnapshot. True when EC2 confirmed the delete; False when EC2 says the snapshot does
    not exist (a retry after a lost answer sees the first attempt's work that way; a snapshot
    made within the visibility window is retried until the window ends first). While a
    registered AMI uses the snapshot, retries for a bounded time (the AMI may be on its way
    out), then raises :class:`SnapshotInUseError` naming the AMI."""
    snapshot_id = snapshot_id.lower()
    in_use_budget = policy.timings.in_use_retry_seconds
    operation, action = "deleting EBS snapshot", "ec2:DeleteSnapshot"
    in_use = Transient(is_snapshot_in_use, in_use_budget, f"snapshot {snapshot_id} is in use")
    try:
        call_with_retries(
            lambda: client.delete_snapshot(SnapshotId=snapshot_id),
            policy,
            transient=(in_use, *_not_visible_yet(snapshot_id, created_at, policy)),
        )
    except ClientError as err:
        if is_snapshot_not_found(err):
            return False
        if is_snapshot_in_use(err):
            raise _in_use(err, snapshot_id, in_use_budget) from err
        if _gone_after_all(client, err, snapshot_id, policy, created_at):
            return True
        raise translate(err, operation, snapshot_id, action) from err
    except BotoCoreError as err:
        if _gone_after_all(client, err, snapshot_id, policy, created_at):
            return True
        raise translate(err, operation, snapshot_id, action) from err
    return True


def _gone_after_all(
    client: EC2Client,
    err: ClientError | BotoCoreError,
    snapshot_id: str,
    policy: RetryPolicy,
    created_at: datetime | None,
) -> bool:
    """Whether an attempt whose answer was lost deleted the snapshot after all: then the
    delete succeeded, and reporting a failure would leave a snapshot in state that is gone."""
    if classify(err) is not FailureKind.AMBIGUOUS:
        return False
    try:
        find_snapshot_by_id(client, snapshot_id, policy, created_at=created_at)
    except SnapshotNotFoundError:
        return True
    except AwsOperationError:
        return False  # still unknown: report the delete's own error
    return False


def _in_use(err: ClientError, snapshot_id: str, budget: float) -> SnapshotInUseError:
    amis = sorted(set(_AMI_RE.findall(error_message(err))))
    user = f"AMI {', '.join(amis)}" if amis else "a registered AMI"
    return SnapshotInUseError(
        "deleting EBS snapshot",
        snapshot_id,
        error_code(err),
        error_message(err),
        f"It is still used by {user} after {budget:g} s of retries; deregister the AMI "
        "(aws ec2 deregister-image) and try again.",
    )


# --- waiting: one shared poller per client --------------------------------------------------


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
