"""The archive tier and the lock of a series' snapshots, for the series' provider.

* Lock: each snapshot the series takes is locked right after it is made
  (``lock_duration_days`` from its completion); a lock that fails deletes that snapshot again.
  A change of the lock inputs applies to the snapshots taken from then on: the older ones keep
  the lock they got (a compliance lock could not be shortened anyway).
* Rotation: a member beyond ``keep`` whose lock holds is not deleted; it stays in the series
  (``locked_until`` says until when) and plans nothing until its lock ends, when the next update
  deletes it. The provider never unlocks a member.
* Archive: ``storage_tier="archive"`` archives every completed member but the newest (the one a
  quick restore needs); ``"standard"`` restores the archived ones permanently. A tier change that
  fails is a warning: the member keeps its tier, and the next update tries again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from .. import aws
from ..aws.ec2 import SnapshotInfo, archive_snapshot, describe_locks, restore_snapshot
from ..aws.retry import to_stderr
from ..errors import AwsOperationError, SnapshotLockedError
from ..inputs.protection import (
    ARCHIVE,
    ARCHIVED_SNAPSHOT_IDS,
    LOCKED_UNTIL,
    STANDARD,
    Protection,
    moment_text,
    still_locked,
)
from ..inputs.series import Member
from .protection import protect_or_roll_back

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

Describe = Callable[[Sequence[Member]], dict[str, SnapshotInfo]]


def lock_new_member(
    ec2: EC2Client,
    volume_arn: str,
    created: aws.CreatedSnapshot,
    protection: Protection,
    policy: aws.RetryPolicy,
) -> None:
    """Lock the series' new snapshot (deleted again if that fails); nothing when no lock is
    declared. The newest member is never archived."""
    if protection.lock is not None:
        lock_only = replace(protection, storage_tier=None)
        protect_or_roll_back(ec2, volume_arn, created, lock_only, policy)


def locked_members(outputs: Mapping[str, Any]) -> dict[str, str]:
    """Member ID → when its lock ends, for the members whose lock still held at the last
    step (as the outputs record them)."""
    return {sid: moment_text(end) for sid, end in still_locked(outputs, datetime.now(UTC)).items()}


def record_locked(member: Member, err: SnapshotLockedError, locked: dict[str, str]) -> str:
    """Record a member a rotation met locked; the warning to print."""
    far = "9999-12-31T23:59:59Z"
    locked[member.snapshot_id] = moment_text(err.expires_on) if err.expires_on else far
    until = locked[member.snapshot_id] if err.expires_on else "its lock ends"
    return (
        f"note: snapshot {member.snapshot_id} is beyond keep but locked in {err.mode} mode until "
        f"{until}; it stays in the series (locked_until) and is deleted by the first update "
        "after that"
    )


def refresh_locked(
    ec2: EC2Client, members: Sequence[Member], outputs: Mapping[str, Any], policy: aws.RetryPolicy
) -> dict[str, str]:
    """``locked_until`` as EC2 now has it, for the members it named (one call, none when it
    named none): a lock removed or ended out of band drops out, one extended shows its end."""
    recorded = outputs.get(LOCKED_UNTIL)
    held = {m.snapshot_id for m in members}
    ids = [sid for sid in recorded if sid in held] if isinstance(recorded, Mapping) else []
    if not ids:
        return {}
    locks = describe_locks(ec2, ids, policy)
    return {
        sid: moment_text(lock.expires_on) if lock.expires_on else "9999-12-31T23:59:59Z"
        for sid, lock in locks.items()
        if lock.holds
    }


def archived_members(outputs: Mapping[str, Any]) -> set[str]:
    archived = outputs.get(ARCHIVED_SNAPSHOT_IDS)
    return {str(sid) for sid in archived} if isinstance(archived, list) else set()


def change_tiers(
    ec2: EC2Client,
    members: Sequence[Member],
    archived: set[str],
    protection: Protection,
    describe: Describe,
    policy: aws.RetryPolicy,
) -> set[str]:
    """Archive the completed members but the newest (``archive``) or restore the archived ones
    for good (``standard``); returns the members archived now. One DescribeSnapshots for the
    members to archive, one call per member to change."""
    tier = protection.storage_tier
    if tier == STANDARD:
        for sid in sorted(archived & {m.snapshot_id for m in members}):
            if _tier_call(partial(restore_snapshot, ec2, sid, policy), sid):
                archived = archived - {sid}
        return archived
    if tier != ARCHIVE:
        return archived
    candidates = [m for m in members[1:] if m.snapshot_id not in archived]
    if not candidates:
        return archived
    seen = describe(candidates)
    for member in candidates:
        info = seen.get(member.snapshot_id)
        if info is None or info.state != "completed":
            continue  # not completed yet: a later update archives it
        sid = member.snapshot_id
        if _tier_call(partial(archive_snapshot, ec2, sid, policy), sid):
            archived = archived | {sid}
    return archived


def _tier_call(call: Callable[[], object], snapshot_id: str) -> bool:
    try:
        call()
    except AwsOperationError as err:
        to_stderr(
            f"warning: changing the storage tier of the series' snapshot {snapshot_id} failed: "
            f"{err} It keeps its tier; the next `pulumi up` tries again."
        )
        return False
    return True


def protection_outputs(
    members: Sequence[Member], locked: Mapping[str, str], archived: set[str]
) -> dict[str, Any]:
    """The series' protection outputs, only when there is something to say (a series that
    declares nothing keeps the outputs it had)."""
    held = {m.snapshot_id for m in members}
    outs: dict[str, Any] = {}
    locked_now = {sid: end for sid, end in locked.items() if sid in held}
    if locked_now:
        outs[LOCKED_UNTIL] = locked_now
    archived_now = [m.snapshot_id for m in members if m.snapshot_id in archived]
    if archived_now:
        outs[ARCHIVED_SNAPSHOT_IDS] = archived_now
    return outs
