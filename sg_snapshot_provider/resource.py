"""``sg_snapshot_provider.resource``, where programs import ``StorageGatewaySnapshot`` from:
kept as an alias of ``resources``, which holds every typed resource (one module each)."""

from .resources.schedule import VolumeSnapshotSchedule
from .resources.snapshot import StorageGatewaySnapshot

__all__ = ["StorageGatewaySnapshot", "VolumeSnapshotSchedule"]
