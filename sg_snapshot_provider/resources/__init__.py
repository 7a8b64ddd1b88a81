"""The typed resources users declare in their Pulumi programs, one module per resource.

Resource classes are never pickled (state names a resource by its type token, set by the
``module=``/``name=`` class arguments), so they may move freely; their providers may not (see
``providers``)."""

from .schedule import VolumeSnapshotSchedule
from .series import SnapshotSeries
from .snapshot import StorageGatewaySnapshot

__all__ = ["SnapshotSeries", "StorageGatewaySnapshot", "VolumeSnapshotSchedule"]
