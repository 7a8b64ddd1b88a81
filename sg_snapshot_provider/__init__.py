"""A Pulumi dynamic provider for AWS Storage Gateway volume snapshots and snapshot schedules."""

from .errors import (
    AwsOperationError,
    ConfigurationError,
    SnapshotCreateError,
    SnapshotFailedError,
    SnapshotInUseError,
    SnapshotNotFoundError,
    SnapshotProviderError,
    SnapshotScheduleNotFoundError,
    SnapshotTimeoutError,
    SnapshotWaitError,
)
from .provider import StorageGatewaySnapshotProvider
from .providers.schedule import VolumeSnapshotScheduleProvider
from .resource import StorageGatewaySnapshot
from .resources import VolumeSnapshotSchedule

__all__ = [
    "AwsOperationError",
    "ConfigurationError",
    "SnapshotCreateError",
    "SnapshotFailedError",
    "SnapshotInUseError",
    "SnapshotNotFoundError",
    "SnapshotProviderError",
    "SnapshotScheduleNotFoundError",
    "SnapshotTimeoutError",
    "SnapshotWaitError",
    "StorageGatewaySnapshot",
    "StorageGatewaySnapshotProvider",
    "VolumeSnapshotSchedule",
    "VolumeSnapshotScheduleProvider",
]
