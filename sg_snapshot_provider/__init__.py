"""A Pulumi dynamic provider for AWS Storage Gateway volume snapshots."""

from .errors import (
    AwsOperationError,
    ConfigurationError,
    SnapshotCreateError,
    SnapshotFailedError,
    SnapshotInUseError,
    SnapshotNotFoundError,
    SnapshotProviderError,
    SnapshotTimeoutError,
    SnapshotWaitError,
)
from .provider import StorageGatewaySnapshotProvider
from .resource import StorageGatewaySnapshot

__all__ = [
    "AwsOperationError",
    "ConfigurationError",
    "SnapshotCreateError",
    "SnapshotFailedError",
    "SnapshotInUseError",
    "SnapshotNotFoundError",
    "SnapshotProviderError",
    "SnapshotTimeoutError",
    "SnapshotWaitError",
    "StorageGatewaySnapshot",
    "StorageGatewaySnapshotProvider",
]
