"""A Pulumi dynamic provider for AWS Storage Gateway volume snapshots, snapshot schedules and
snapshot series."""

from .errors import (
    AccountNotAllowedError,
    AwsOperationError,
    ConfigurationError,
    SnapshotCreateError,
    SnapshotFailedError,
    SnapshotInUseError,
    SnapshotNotFoundError,
    SnapshotProviderError,
    SnapshotScheduleNotFoundError,
    SnapshotSeriesDeleteError,
    SnapshotTimeoutError,
    SnapshotWaitError,
)
from .provider import StorageGatewaySnapshotProvider
from .providers.schedule import VolumeSnapshotScheduleProvider
from .providers.series import SnapshotSeriesProvider
from .resources import SnapshotSeries, StorageGatewaySnapshot, VolumeSnapshotSchedule

__all__ = [
    "AccountNotAllowedError",
    "AwsOperationError",
    "ConfigurationError",
    "SnapshotCreateError",
    "SnapshotFailedError",
    "SnapshotInUseError",
    "SnapshotNotFoundError",
    "SnapshotProviderError",
    "SnapshotScheduleNotFoundError",
    "SnapshotSeries",
    "SnapshotSeriesDeleteError",
    "SnapshotSeriesProvider",
    "SnapshotTimeoutError",
    "SnapshotWaitError",
    "StorageGatewaySnapshot",
    "StorageGatewaySnapshotProvider",
    "VolumeSnapshotSchedule",
    "VolumeSnapshotScheduleProvider",
]
