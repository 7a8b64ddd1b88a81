"""``sg_snapshot_provider.resource``, the module programs imported ``StorageGatewaySnapshot``
and ``VolumeSnapshotSchedule`` from before ``resources/`` held the typed resources (one module
each): kept so that those imports go on working, and offering those two classes only. Import
``SnapshotSeries`` (and the others) from ``sg_snapshot_provider`` or
``sg_snapshot_provider.resources``."""

from .resources.schedule import VolumeSnapshotSchedule
from .resources.snapshot import StorageGatewaySnapshot

__all__ = ["StorageGatewaySnapshot", "VolumeSnapshotSchedule"]
