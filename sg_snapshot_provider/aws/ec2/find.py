"""Finders: the snapshot as DescribeSnapshots sees it, by ID, by owner, by filter, by tag."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import ForeignSnapshotError, SnapshotNotFoundError
from ..errors import is_snapshot_not_found, translate
from ..retry import RetryPolicy, call_with_retries
from .visibility import not_visible_yet

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef, SnapshotTypeDef

#: EC2 takes at most 200 values in one filter.
FILTER_VALUES_MAX: Final = 200
#: The largest page DescribeSnapshots answers.
DESCRIBE_PAGE_MAX: Final = 1000


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
    #: ``standard`` or ``archive`` (None when EC2 does not say).
    storage_tier: str | None = None


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
        storage_tier=snapshot.get("StorageTier"),
    )


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
            transient=not_visible_yet(snapshot_id, created_at, policy),
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
