"""Snapshot lock: LockSnapshot, UnlockSnapshot, DescribeLockedSnapshots, and what a refused
delete of a locked snapshot means.

A lock is never removed here on the way to a delete: a delete that meets a lock fails with
:class:`SnapshotLockedError`, naming the lock and when it ends. Only an explicit change of the
declared lock (``lock_mode`` left out) calls UnlockSnapshot, and EC2 itself refuses it for a
compliance lock past its cooling-off period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import AwsOperationError, SnapshotLockedError
from ...inputs.protection import LockSpec, parse_moment
from ..errors import FailureKind, classify, error_code, error_message, is_access_denied, translate
from ..retry import RetryPolicy, call_with_retries

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: DescribeLockedSnapshots takes at most this many results a page (and IDs a call, by the
#: same token as DescribeSnapshots' filters).
LOCKED_IDS_MAX: Final = 200


@dataclass(frozen=True)
class LockInfo:
    """A snapshot's lock as EC2 describes it (``LockedSnapshotsInfo``)."""

    snapshot_id: str
    state: str
    duration_days: int | None = None
    expires_on: datetime | None = None
    duration_start: datetime | None = None
    cool_off_hours: int | None = None
    cool_off_expires_on: datetime | None = None

    @property
    def holds(self) -> bool:
        return self.state != "expired"

    @property
    def mode(self) -> str:
        return "compliance" if self.state.startswith("compliance") else self.state


def lock_info(answer: Any) -> LockInfo:
    return LockInfo(
        snapshot_id=str(answer["SnapshotId"]).lower(),
        state=str(answer.get("LockState", "expired")),
        duration_days=answer.get("LockDuration"),
        expires_on=answer.get("LockExpiresOn"),
        duration_start=answer.get("LockDurationStartTime"),
        cool_off_hours=answer.get("CoolOffPeriod"),
        cool_off_expires_on=answer.get("CoolOffPeriodExpiresOn"),
    )


def lock_snapshot(
    client: EC2Client,
    snapshot_id: str,
    spec: LockSpec,
    policy: RetryPolicy,
    *,
    cool_off_over: bool = False,
) -> LockInfo:
    """LockSnapshot (idempotent: a retry after a lost answer sets the same lock). The
    cooling-off period is left out when ``cool_off_over``: EC2 refuses it then."""
    request: dict[str, Any] = {"SnapshotId": snapshot_id, "LockMode": spec.mode}
    if spec.duration_days is not None:
        request["LockDuration"] = spec.duration_days
    if spec.expiration_date is not None:
        request["ExpirationDate"] = parse_moment(spec.expiration_date)
    if spec.cool_off_hours is not None and spec.mode == "compliance" and not cool_off_over:
        request["CoolOffPeriod"] = spec.cool_off_hours
    try:
        answer = call_with_retries(lambda: client.lock_snapshot(**request), policy)
    except (ClientError, BotoCoreError) as err:
        raise translate(err, "locking EBS snapshot", snapshot_id, "ec2:LockSnapshot") from err
    return lock_info(answer)


def unlock_snapshot(client: EC2Client, snapshot_id: str, policy: RetryPolicy) -> None:
    """UnlockSnapshot: only for an explicit change of the declared lock, never for a delete."""
    try:
        call_with_retries(lambda: client.unlock_snapshot(SnapshotId=snapshot_id), policy)
    except (ClientError, BotoCoreError) as err:
        raise translate(err, "unlocking EBS snapshot", snapshot_id, "ec2:UnlockSnapshot") from err


@dataclass(frozen=True)
class LockRead:
    """What DescribeLockedSnapshots said of some snapshots: the locks it showed (a snapshot
    it knows and left out has no lock), and the IDs it did not know (gone, or not visible
    yet: their lock is unknown, not absent)."""

    locks: dict[str, LockInfo]
    not_found: frozenset[str]


def describe_locks(
    client: EC2Client, snapshot_ids: Sequence[str], policy: RetryPolicy
) -> dict[str, LockInfo]:
    """The locks of these snapshots, by ID (an unlocked snapshot is left out), one call per 200
    IDs. A snapshot EC2 no longer knows fails the call: then each is asked alone, and the
    missing ones are left out (a read handles them)."""
    ids = [snapshot_id.lower() for snapshot_id in snapshot_ids]
    found: dict[str, LockInfo] = {}
    for start in range(0, len(ids), LOCKED_IDS_MAX):
        chunk = ids[start : start + LOCKED_IDS_MAX]
        try:
            found.update(_describe(client, chunk, policy))
        except AwsOperationError as err:
            if err.code != "InvalidSnapshot.NotFound" or len(chunk) == 1:
                raise
            for snapshot_id in chunk:
                try:
                    found.update(_describe(client, [snapshot_id], policy))
                except AwsOperationError as one:
                    if one.code != "InvalidSnapshot.NotFound":
                        raise
    return found


def read_locks(client: EC2Client, snapshot_ids: Sequence[str], policy: RetryPolicy) -> LockRead:
    """The locks of these snapshots and the IDs EC2 did not know, one call per 200 IDs (each
    asked alone when one of a call's is unknown: EC2 then fails the whole call). Unlike
    :func:`describe_locks`, an unknown ID is told apart from an unlocked one."""
    ids = [snapshot_id.lower() for snapshot_id in snapshot_ids]
    found: dict[str, LockInfo] = {}
    missing: set[str] = set()
    for start in range(0, len(ids), LOCKED_IDS_MAX):
        chunk = ids[start : start + LOCKED_IDS_MAX]
        try:
            found.update(_describe(client, chunk, policy))
        except AwsOperationError as err:
            if err.code != "InvalidSnapshot.NotFound":
                raise
            for snapshot_id in chunk:
                try:
                    found.update(_describe(client, [snapshot_id], policy))
                except AwsOperationError as one:
                    if one.code != "InvalidSnapshot.NotFound":
                        raise
                    missing.add(snapshot_id)
    return LockRead(found, frozenset(missing))


def _describe(client: EC2Client, ids: list[str], policy: RetryPolicy) -> dict[str, LockInfo]:
    subject = ", ".join(ids)
    try:
        answer = call_with_retries(
            lambda: client.describe_locked_snapshots(SnapshotIds=ids), policy
        )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "reading the lock of EBS snapshot", subject, "ec2:DescribeLockedSnapshots"
        ) from err
    infos = [lock_info(item) for item in answer.get("Snapshots", [])]
    return {info.snapshot_id: info for info in infos}


def locked_delete_error(
    client: EC2Client, err: ClientError, snapshot_id: str, policy: RetryPolicy
) -> SnapshotLockedError | None:
    """The error to raise when a refused DeleteSnapshot met a lock, else None. EC2's code for
    it is not one the provider relies on: DescribeLockedSnapshots says whether a lock holds.
    Asked only for a permanent refusal that is not about permissions (a lock is neither a
    throttle, a server error nor a missing permission)."""
    if classify(err) is not FailureKind.PERMANENT or is_access_denied(err):
        return None
    try:
        lock = describe_locks(client, [snapshot_id], policy).get(snapshot_id.lower())
    except AwsOperationError:
        return None  # cannot tell: the delete's own error is reported
    if lock is None or not lock.holds:
        return None
    return SnapshotLockedError(
        snapshot_id, lock.mode, lock.expires_on, error_code(err), error_message(err)
    )
