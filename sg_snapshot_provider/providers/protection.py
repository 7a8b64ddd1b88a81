"""The archive tier and the snapshot lock of one snapshot, for the snapshot's provider (the
series takes what it needs): what create, update and read do with ``inputs.protection``.

AWS calls, only when the inputs declare them:

* create: the lock (LockSnapshot) right after CreateSnapshot, or, with ``storage_tier="archive"``,
  after the wait for completion EC2 requires and ModifySnapshotTier. Any of them failing deletes
  the new snapshot again (the lock comes last, so a snapshot that could not be protected is
  never left locked and untracked).
* update: the lock first (LockSnapshot, or UnlockSnapshot when ``lock_mode`` was removed), then
  the tier (ModifySnapshotTier, RestoreSnapshotTier). A failed lock change fails the update with
  nothing else written; a failed tier change is a warning and the outputs keep the tier EC2 has,
  so that the next ``pulumi up`` tries again and the state never claims a tier the snapshot
  lacks.
* read: DescribeLockedSnapshots when a lock is declared; DescribeSnapshotTierStatus only when
  DescribeSnapshots' tier differs from the declared one (a restore under way).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import aws
from ..aws.ec2 import (
    LockInfo,
    archive_snapshot,
    describe_locks,
    describe_tiers,
    lock_snapshot,
    restore_snapshot,
    unlock_snapshot,
)
from ..aws.retry import to_stderr
from ..errors import AwsOperationError
from ..inputs.protection import (
    ARCHIVE,
    COMPLIANCE,
    LOCK_COOL_OFF_EXPIRES_ON,
    LOCK_DURATION_DAYS,
    LOCK_DURATION_START_TIME,
    LOCK_EXPIRATION_DATE,
    LOCK_EXPIRES_ON,
    LOCK_KEYS,
    LOCK_MODE,
    LOCK_OUTPUT_KEYS,
    LOCK_STATE,
    RESTORE_TIER_DAYS,
    STANDARD,
    STORAGE_TIER,
    LockSpec,
    Protection,
    moment_text,
    parse_moment,
)
from .common import roll_back_new_snapshot

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client


def refuse_past_expiration(protection: Protection, now: datetime) -> None:
    """A lock date already past is refused before any call (EC2 would refuse it only after the
    snapshot was made)."""
    lock = protection.lock
    end = parse_moment(lock.expiration_date) if lock else None
    if end is not None and end <= now:
        raise ValueError(
            f"lock_expiration_date: {moment_text(end)} has passed; a lock must end in the future"
        )


def protect_or_roll_back(
    ec2: EC2Client,
    volume_arn: str,
    created: aws.CreatedSnapshot,
    protection: Protection,
    policy: aws.RetryPolicy,
) -> dict[str, Any]:
    """:func:`protect_new_snapshot` for a snapshot just made; if it fails, the snapshot is
    deleted again so that none leaks unprotected and untracked (as a failed wait does)."""
    try:
        return protect_new_snapshot(ec2, created.snapshot_id, protection, policy)
    except AwsOperationError as err:
        raise roll_back_new_snapshot(ec2, volume_arn, created, err, policy) from err


def lock_outputs(lock: LockInfo | None) -> dict[str, Any]:
    """The lock as EC2 described it, as outputs (None: no lock)."""
    if lock is None:
        return dict.fromkeys(LOCK_OUTPUT_KEYS)
    return {
        LOCK_STATE: lock.state,
        LOCK_EXPIRES_ON: _text(lock.expires_on),
        LOCK_COOL_OFF_EXPIRES_ON: _text(lock.cool_off_expires_on),
        LOCK_DURATION_START_TIME: _text(lock.duration_start),
    }


def _text(moment: datetime | None) -> str | None:
    return moment_text(moment) if moment is not None else None


def protect_new_snapshot(
    ec2: EC2Client, snapshot_id: str, protection: Protection, policy: aws.RetryPolicy
) -> dict[str, Any]:
    """Archive (the snapshot is completed: the caller waited), then lock. Raises on failure:
    the caller deletes the snapshot again."""
    if protection.storage_tier == ARCHIVE:
        archive_snapshot(ec2, snapshot_id, policy)
    lock = protection.lock
    if lock is None:
        return {}
    return lock_outputs(lock_snapshot(ec2, snapshot_id, lock, policy))


def change_protection(
    ec2: EC2Client,
    snapshot_id: str,
    old_outs: Mapping[str, Any],
    new: Protection,
    policy: aws.RetryPolicy,
) -> dict[str, Any]:
    """Update: the lock, then the tier. Returns outputs to lay over the new ones."""
    outs = _change_lock(ec2, snapshot_id, old_outs, new, policy)
    outs.update(_change_tier(ec2, snapshot_id, old_outs, new, policy))
    return outs


def _lock_of(props: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(props.get(key) for key in LOCK_KEYS)


def _change_lock(
    ec2: EC2Client,
    snapshot_id: str,
    old_outs: Mapping[str, Any],
    new: Protection,
    policy: aws.RetryPolicy,
) -> dict[str, Any]:
    if _lock_of(old_outs) == _lock_of(new.to_props()):
        return {}
    lock = new.lock
    if lock is not None:
        over = old_outs.get(LOCK_STATE) == COMPLIANCE or _cool_off_over(old_outs)
        return lock_outputs(lock_snapshot(ec2, snapshot_id, lock, policy, cool_off_over=over))
    if old_outs.get(LOCK_STATE) in (None, "expired"):
        return lock_outputs(None)  # nothing holds: nothing to unlock
    # lock_mode was removed from the program: an explicit unlock (governance, or compliance
    # in its cooling-off period; diff refused the rest). Never done on the way to a delete.
    unlock_snapshot(ec2, snapshot_id, policy)
    return lock_outputs(None)


def _cool_off_over(outs: Mapping[str, Any]) -> bool:
    end = parse_moment(outs.get(LOCK_COOL_OFF_EXPIRES_ON))
    return end is not None and end <= datetime.now(UTC)


def _change_tier(
    ec2: EC2Client,
    snapshot_id: str,
    old_outs: Mapping[str, Any],
    new: Protection,
    policy: aws.RetryPolicy,
) -> dict[str, Any]:
    old_tier, new_tier = old_outs.get(STORAGE_TIER) or STANDARD, new.storage_tier
    old_days, new_days = old_outs.get(RESTORE_TIER_DAYS), new.restore_tier_days
    try:
        if new_tier == ARCHIVE and old_tier != ARCHIVE:
            archive_snapshot(ec2, snapshot_id, policy)
        elif new_tier == STANDARD and old_tier == ARCHIVE:
            restore_snapshot(ec2, snapshot_id, policy)
        if new_tier == ARCHIVE and isinstance(new_days, int) and new_days != old_days:
            restore_snapshot(ec2, snapshot_id, policy, days=new_days)
    except AwsOperationError as err:
        to_stderr(
            f"warning: changing the storage tier of EBS snapshot {snapshot_id} failed: {err} "
            "Its state keeps the tier EC2 has; the next `pulumi up` tries again."
        )
        return {STORAGE_TIER: old_outs.get(STORAGE_TIER), RESTORE_TIER_DAYS: old_days}
    return {}


# --- read --------------------------------------------------------------------------------------


def read_protection(
    ec2: EC2Client,
    snapshot_id: str,
    olds: Mapping[str, Any],
    info: aws.SnapshotInfo,
    policy: aws.RetryPolicy,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(outputs, refreshed inputs) of the declared lock and tier as EC2 has them now. A key
    refreshed to None means "not so in EC2": the caller drops it, and the next diff plans the
    change back to the program's value."""
    outs: dict[str, Any] = {}
    inputs: dict[str, Any] = {}
    if olds.get(LOCK_MODE) is not None:
        lock = describe_locks(ec2, [snapshot_id], policy).get(snapshot_id.lower())
        outs.update(lock_outputs(lock))
        inputs.update(_refreshed_lock(olds, lock))
    if olds.get(STORAGE_TIER) is not None and info.storage_tier is not None:
        inputs[STORAGE_TIER] = _refreshed_tier(ec2, snapshot_id, olds, info.storage_tier, policy)
    return outs, inputs


def _refreshed_lock(olds: Mapping[str, Any], lock: LockInfo | None) -> dict[str, Any]:
    """The declared lock as EC2 holds it: removed out of band → no lock; another mode or a
    different end → those values. An expired lock is no drift (its time was served)."""
    if lock is None:
        ended = parse_moment(olds.get(LOCK_EXPIRES_ON))
        if ended is not None and ended <= datetime.now(UTC):
            return {}
        return dict.fromkeys(LOCK_KEYS)
    if not lock.holds:
        return {}
    refreshed: dict[str, Any] = {LOCK_MODE: lock.mode}
    days = olds.get(LOCK_DURATION_DAYS)
    if days is not None and lock.duration_days is not None and lock.duration_days != days:
        refreshed[LOCK_DURATION_DAYS] = lock.duration_days
    date = parse_moment(olds.get(LOCK_EXPIRATION_DATE))
    if date is not None and lock.expires_on is not None and lock.expires_on != date:
        refreshed[LOCK_EXPIRATION_DATE] = moment_text(lock.expires_on)
    return refreshed


def _refreshed_tier(
    ec2: EC2Client,
    snapshot_id: str,
    olds: Mapping[str, Any],
    actual: str,
    policy: aws.RetryPolicy,
) -> str:
    if actual == olds.get(STORAGE_TIER):
        return actual
    status = describe_tiers(ec2, [snapshot_id], policy).get(snapshot_id.lower())
    return status.target_tier if status is not None else actual


def declared_protection(props: Mapping[str, Any]) -> bool:
    """Whether any protection input is declared (else no protection call is ever made)."""
    return any(props.get(key) is not None for key in (STORAGE_TIER, *LOCK_KEYS))


__all__ = [
    "LockSpec",
    "change_protection",
    "declared_protection",
    "lock_outputs",
    "protect_new_snapshot",
    "protect_or_roll_back",
    "read_protection",
    "refuse_past_expiration",
]
