"""Retention of the snapshots a Storage Gateway schedule takes: find them, check what must not be
deleted (locks, sharing), delete the rest. The rules themselves are pure
(``inputs.retention``); this module only asks EC2 and deletes.

How a schedule's snapshots are found: the schedule resource, when ``retention`` is set, adds the
tag ``sg-snapshot-provider:schedule`` = the volume ARN to the schedule, and Storage Gateway
gives every snapshot its schedule takes the schedule's tags (UpdateSnapshotSchedule: "A list
of up to 50 tags that can be assigned to a snapshot"). So the candidates are the caller's own
snapshots carrying that tag; a snapshot without it (taken by hand, by another tool, or by the
schedule before retention was set) is never a candidate. If Storage Gateway did not copy the
tag, retention would find nothing and delete nothing: it fails safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import AwsOperationError
from ...inputs.retention import SCHEDULE_TAG, Candidate, RetentionRules, Verdicts, prune_verdicts
from ..errors import error_code, translate
from ..retry import RetryPolicy, call_with_retries, to_stderr
from .delete import delete_snapshot
from .find import FILTER_VALUES_MAX, describe_snapshots_by_filter

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: Error codes that mean "this endpoint has no snapshot locks" (an older partition, an
#: emulator): then no snapshot can be locked, and EC2 would refuse to delete one anyway.
LOCKS_NOT_SUPPORTED_CODES: Final = frozenset(
    {"InvalidAction", "UnsupportedOperation", "NotImplemented"}
)


@dataclass(frozen=True)
class PruneResult:
    """What a prune did: deleted (oldest first), failed (ID → the error, in one sentence),
    and why each other snapshot stayed."""

    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    kept: dict[str, str] = field(default_factory=dict)


def schedule_snapshots(client: EC2Client, volume_arn: str, policy: RetryPolicy) -> list[Candidate]:
    """The caller's snapshots that carry the schedule tag of ``volume_arn`` (one
    DescribeSnapshots, all pages)."""
    try:
        found = describe_snapshots_by_filter(
            client,
            [{"Name": f"tag:{SCHEDULE_TAG}", "Values": [volume_arn]}],
            policy,
            owned_by_caller=True,
        )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "listing the snapshots of the schedule", volume_arn, "ec2:DescribeSnapshots"
        ) from err
    # In UTC: the daily, weekly and monthly rules count UTC calendar days.
    return [
        Candidate(
            info.snapshot_id.lower(),
            info.start_time.astimezone(UTC) if info.start_time else None,
            dict(info.tags),
            info.state,
        )
        for info in found
    ]


def locked_snapshot_ids(client: EC2Client, ids: Sequence[str], policy: RetryPolicy) -> set[str]:
    """The IDs among ``ids`` that are locked (DescribeLockedSnapshots, 200 IDs a request).
    An endpoint without snapshot locks answers that nothing is locked; any other error is
    raised, and the caller deletes nothing."""
    locked: set[str] = set()
    for start in range(0, len(ids), FILTER_VALUES_MAX):
        chunk = list(ids[start : start + FILTER_VALUES_MAX])
        try:
            answer = call_with_retries(
                lambda chunk=chunk: client.describe_locked_snapshots(SnapshotIds=chunk),  # type: ignore[misc]
                policy,
            )
        except ClientError as err:
            if error_code(err) in LOCKS_NOT_SUPPORTED_CODES:
                to_stderr(
                    "note: this EC2 endpoint has no snapshot locks (DescribeLockedSnapshots: "
                    f"{error_code(err)}); retention goes on, and EC2 refuses to delete a locked "
                    "snapshot itself"
                )
                return set()
            raise translate(
                err, "checking snapshot locks", ", ".join(chunk), "ec2:DescribeLockedSnapshots"
            ) from err
        except BotoCoreError as err:
            raise translate(
                err, "checking snapshot locks", ", ".join(chunk), "ec2:DescribeLockedSnapshots"
            ) from err
        locked.update(
            str(item["SnapshotId"]).lower()
            for item in answer.get("Snapshots", [])
            if item.get("SnapshotId") and item.get("LockState") != "expired"
        )
    return locked


def shared_snapshot_ids(client: EC2Client, ids: Sequence[str], policy: RetryPolicy) -> set[str]:
    """The IDs among ``ids`` another account (or everyone) may create volumes from: one
    DescribeSnapshotAttribute (createVolumePermission) each."""
    shared: set[str] = set()
    for snapshot_id in ids:
        try:
            answer = call_with_retries(
                lambda sid=snapshot_id: client.describe_snapshot_attribute(  # type: ignore[misc]
                    SnapshotId=sid, Attribute="createVolumePermission"
                ),
                policy,
            )
        except (ClientError, BotoCoreError) as err:
            raise translate(
                err,
                "checking who a snapshot is shared with",
                snapshot_id,
                "ec2:DescribeSnapshotAttribute",
            ) from err
        if answer.get("CreateVolumePermissions"):
            shared.add(snapshot_id)
    return shared


def plan_prune(
    client: EC2Client,
    volume_arn: str,
    rules: RetentionRules,
    now: datetime,
    policy: RetryPolicy,
    *,
    check_locks_and_sharing: bool = True,
) -> Verdicts:
    """What a prune of the schedule's snapshots would delete now. Locks and sharing are asked
    only of the snapshots the rules would delete (none asked when there are none); a preview
    skips them (``check_locks_and_sharing=False``) to stay at one request."""
    candidates = schedule_snapshots(client, volume_arn, policy)
    first = prune_verdicts(candidates, rules, now)
    if not first.delete or not check_locks_and_sharing:
        return first
    locked = locked_snapshot_ids(client, first.delete, policy)
    shared = shared_snapshot_ids(client, [s for s in first.delete if s not in locked], policy)
    return prune_verdicts(candidates, rules, now, locked=locked, shared=shared)


def prune(
    client: EC2Client,
    volume_arn: str,
    rules: RetentionRules,
    now: datetime,
    policy: RetryPolicy,
) -> PruneResult:
    """Delete what :func:`plan_prune` finds, oldest first. A delete that fails is recorded
    and the prune goes on: one stuck snapshot must not keep the rest forever."""
    verdicts = plan_prune(client, volume_arn, rules, now, policy)
    result = PruneResult(kept=dict(verdicts.kept))
    for snapshot_id in verdicts.delete:
        try:
            delete_snapshot(client, snapshot_id, policy)
        except AwsOperationError as err:
            result.failed[snapshot_id] = str(err)
        else:
            result.deleted.append(snapshot_id)
    return result
