"""The EBS snapshot through EC2, one module per job, as terraform-provider-aws splits a service:

- ``find.py``: the finders (by ID, the caller's own, by filter, by tag) and :class:`SnapshotInfo`;
- ``tags.py``: re-tagging one snapshot or many;
- ``delete.py``: DeleteSnapshot;
- ``batch.py``: reads of many threads batched into one DescribeSnapshots;
- ``wait.py``: waiting for completion through one shared poller per client;
- ``locks.py``: snapshot lock (lock, unlock, describe; what a delete that meets a lock means);
- ``tier.py``: the archive tier (archive, restore, tier status);
- ``visibility.py``: EC2's eventual consistency, which every call above allows for;
- ``retention.py``: the snapshots a volume's schedule took, pruned by ``inputs.retention``'s
  rules (import it from its module: it is not re-exported).

The names are re-exported here: import them from ``sg_snapshot_provider.aws.ec2``. A test that
replaces a module attribute patches the module that reads it (``ec2.wait.FILTER_VALUES_MAX``), not
this re-export.
"""

from .batch import BatchedReader, describe_snapshots_by_id, read_snapshot
from .delete import delete_snapshot
from .find import (
    DESCRIBE_PAGE_MAX,
    FILTER_VALUES_MAX,
    SnapshotInfo,
    describe_snapshots_by_filter,
    find_own_snapshot,
    find_snapshot_by_id,
    snapshot_ids_tagged,
    snapshot_info,
)
from .locks import LockInfo, LockRead, describe_locks, lock_snapshot, read_locks, unlock_snapshot
from .tags import TAG_RESOURCES_MAX, update_snapshot_tags, update_tags_of_snapshots
from .tier import TierInfo, archive_snapshot, describe_tiers, restore_snapshot
from .visibility import visibility_seconds_left
from .wait import POLL_GROWTH, SnapshotPoller, wait_for_snapshot_completed

__all__ = [
    "DESCRIBE_PAGE_MAX",
    "FILTER_VALUES_MAX",
    "POLL_GROWTH",
    "TAG_RESOURCES_MAX",
    "BatchedReader",
    "LockInfo",
    "LockRead",
    "SnapshotInfo",
    "SnapshotPoller",
    "TierInfo",
    "archive_snapshot",
    "delete_snapshot",
    "describe_locks",
    "describe_snapshots_by_filter",
    "describe_snapshots_by_id",
    "describe_tiers",
    "find_own_snapshot",
    "find_snapshot_by_id",
    "lock_snapshot",
    "read_locks",
    "read_snapshot",
    "restore_snapshot",
    "snapshot_ids_tagged",
    "snapshot_info",
    "unlock_snapshot",
    "update_snapshot_tags",
    "update_tags_of_snapshots",
    "visibility_seconds_left",
    "wait_for_snapshot_completed",
]
