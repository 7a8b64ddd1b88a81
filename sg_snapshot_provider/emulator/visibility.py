"""EC2's eventual consistency for new snapshots, reproducible on demand: the visibility lag.

Real behaviour reproduced, from the EC2 API reference page "Eventual consistency in the Amazon
EC2 API": a resource just created may not be visible to the calls that follow, which then answer
as if it did not exist (``InvalidSnapshot.NotFound``), and it may be missing from describe
results for a while. With a lag of N seconds, each snapshot made by Storage Gateway
(CreateSnapshot, CreateSnapshotFromVolumeRecoveryPoint) or by EC2 itself (CreateSnapshot,
CopySnapshot) is hidden for N seconds from its creation on the emulator's monotonic clock:

* the ID-based EC2 calls (DescribeSnapshots ``SnapshotIds``, DeleteSnapshot, CreateTags and
  DeleteTags on it, RegisterImage block device mappings) answer ``InvalidSnapshot.NotFound`` and
  change nothing;
* DescribeSnapshots with a ``snapshot-id`` filter leaves it out.

Listing by owner or by tag filter is *not* lagged: EC2 documents no such delay for them, and the
provider's exactly-once create looks snapshots up by tag, which must keep working (a deliberate
choice, so that a lag never makes a snapshot disappear from every view at once).

The lag of a snapshot is fixed when it is made (like ``pending_seconds``): changing the lag
affects new snapshots only, so a test can never race its own reconfiguration. The default is 0
(no lag); ``reset`` restores the lag the emulator was started with.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .exceptions import ControlError


class VisibilityLag:
    """When each young snapshot becomes visible. Not thread-safe on its own: the server calls
    it under its lock."""

    def __init__(self, seconds: float = 0.0, clock: Callable[[], float] = time.monotonic) -> None:
        if seconds < 0:
            raise ControlError("the visibility lag must not be negative")
        self.default_seconds = seconds
        self.seconds = seconds
        self._clock = clock
        self._visible_at: dict[str, float] = {}

    def set_seconds(self, seconds: float) -> None:
        if seconds < 0:
            raise ControlError("the visibility lag must not be negative")
        self.seconds = seconds

    def created(self, snapshot_id: str) -> None:
        """A snapshot was just made: hide it for the current lag."""
        if self.seconds > 0:
            self._visible_at[snapshot_id] = self._clock() + self.seconds

    def is_hidden(self, snapshot_id: str) -> bool:
        visible_at = self._visible_at.get(snapshot_id)
        if visible_at is None:
            return False
        if self._clock() >= visible_at:
            del self._visible_at[snapshot_id]
            return False
        return True

    def hidden(self) -> set[str]:
        """Every snapshot still hidden now."""
        return {
            snapshot_id for snapshot_id in list(self._visible_at) if self.is_hidden(snapshot_id)
        }

    def reset(self) -> None:
        self._visible_at.clear()
        self.seconds = self.default_seconds
