"""The AWS layer: clients, error reading, the retry loop, and the snapshot's Storage Gateway and
EC2 calls. Knows nothing of Pulumi."""

from .clients import (
    clear_client_cache,
    ec2_client,
    session,
    storagegateway_client,
)
from .ec2 import (
    SnapshotInfo,
    delete_snapshot,
    describe_snapshots_by_filter,
    describe_snapshots_by_id,
    find_own_snapshot,
    find_snapshot_by_id,
    read_snapshot,
    update_snapshot_tags,
    visibility_seconds_left,
    wait_for_snapshot_completed,
)
from .errors import (
    error_code,
    is_access_denied,
    is_gateway_transient,
    is_snapshot_in_use,
    is_snapshot_not_found,
    is_throttling,
    translate,
)
from .retry import RetryPolicy
from .storagegateway import CreatedSnapshot, create_snapshot, new_create_token

__all__ = [
    "CreatedSnapshot",
    "RetryPolicy",
    "SnapshotInfo",
    "clear_client_cache",
    "create_snapshot",
    "delete_snapshot",
    "describe_snapshots_by_filter",
    "describe_snapshots_by_id",
    "ec2_client",
    "error_code",
    "find_own_snapshot",
    "find_snapshot_by_id",
    "is_access_denied",
    "is_gateway_transient",
    "is_snapshot_in_use",
    "is_snapshot_not_found",
    "is_throttling",
    "new_create_token",
    "read_snapshot",
    "session",
    "storagegateway_client",
    "translate",
    "update_snapshot_tags",
    "visibility_seconds_left",
    "wait_for_snapshot_completed",
]
