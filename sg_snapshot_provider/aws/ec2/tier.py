"""The archive tier: ModifySnapshotTier (archive), RestoreSnapshotTier (back to standard, for
good or for some days), DescribeSnapshotTierStatus (where a restore stands).

Archiving is asynchronous: EC2 answers at once and the tier moves within hours; a restore can
take up to 72 hours. The calls here start them and never wait for them (a refresh reads where
they stand).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import translate
from ..retry import RetryPolicy, call_with_retries

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: A DescribeSnapshotTierStatus filter takes up to 200 values, as DescribeSnapshots'.
TIER_FILTER_VALUES_MAX: Final = 200
#: The tiering operations that move a snapshot to the standard tier for good.
PERMANENT_RESTORE: Final = ("permanent-restore-in-progress", "permanent-restore-completed")
#: The tiering operations after which a snapshot belongs to the archive tier.
TO_ARCHIVE: Final = ("archival-in-progress", "temporary-restore")


@dataclass(frozen=True)
class TierInfo:
    """A snapshot's tier as DescribeSnapshotTierStatus describes it."""

    snapshot_id: str
    storage_tier: str
    last_operation: str | None = None
    restore_expiry_time: datetime | None = None

    @property
    def target_tier(self) -> str:
        """The tier the snapshot is in or on its way to (the change was made; EC2 takes its
        time): an archived snapshot whose permanent restore is under way counts as standard; a
        standard one being archived, or only restored for some days, counts as archived."""
        operation = self.last_operation or ""
        if self.storage_tier == "archive" and operation in PERMANENT_RESTORE:
            return "standard"
        if self.storage_tier == "standard" and operation.startswith(TO_ARCHIVE):
            return "archive"
        return self.storage_tier


def archive_snapshot(client: EC2Client, snapshot_id: str, policy: RetryPolicy) -> None:
    """ModifySnapshotTier to ``archive`` (the snapshot must be completed: the caller waits)."""
    try:
        call_with_retries(
            lambda: client.modify_snapshot_tier(SnapshotId=snapshot_id, StorageTier="archive"),
            policy,
        )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "archiving EBS snapshot", snapshot_id, "ec2:ModifySnapshotTier"
        ) from err


def restore_snapshot(
    client: EC2Client, snapshot_id: str, policy: RetryPolicy, *, days: int | None = None
) -> None:
    """RestoreSnapshotTier: for ``days`` (a temporary restore; EC2 re-archives it afterwards),
    or, without ``days``, permanently back to the standard tier."""
    request: dict[str, Any] = {"SnapshotId": snapshot_id}
    if days is None:
        request["PermanentRestore"] = True
    else:
        request["TemporaryRestoreDays"] = days
    try:
        call_with_retries(lambda: client.restore_snapshot_tier(**request), policy)
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "restoring archived EBS snapshot", snapshot_id, "ec2:RestoreSnapshotTier"
        ) from err


def describe_tiers(
    client: EC2Client, snapshot_ids: Sequence[str], policy: RetryPolicy
) -> dict[str, TierInfo]:
    """The tier status of these snapshots, by ID (missing ones are left out), all pages."""
    ids = [snapshot_id.lower() for snapshot_id in snapshot_ids]
    found: dict[str, TierInfo] = {}
    for start in range(0, len(ids), TIER_FILTER_VALUES_MAX):
        chunk = ids[start : start + TIER_FILTER_VALUES_MAX]
        token: str | None = None
        while True:
            request: dict[str, Any] = {"Filters": [{"Name": "snapshot-id", "Values": chunk}]}
            if token:
                request["NextToken"] = token
            try:
                answer = call_with_retries(
                    lambda request=request: client.describe_snapshot_tier_status(**request),  # type: ignore[misc]
                    policy,
                )
            except (ClientError, BotoCoreError) as err:
                raise translate(
                    err,
                    "reading the storage tier of EBS snapshots",
                    ", ".join(chunk),
                    "ec2:DescribeSnapshotTierStatus",
                ) from err
            for item in answer.get("SnapshotTierStatuses", []):
                info = TierInfo(
                    str(item.get("SnapshotId", "")).lower(),
                    str(item.get("StorageTier", "standard")),
                    item.get("LastTieringOperationStatus"),
                    item.get("RestoreExpiryTime"),
                )
                found[info.snapshot_id] = info
            token = answer.get("NextToken")
            if not token:
                break
    return found
