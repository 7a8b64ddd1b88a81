"""The path every stack's state pickles the snapshot's provider by
(``sg_snapshot_provider.provider.StorageGatewaySnapshotProvider``): keep this module and this
name. The provider itself lives in ``providers.snapshot``, beside the others."""

from .providers.snapshot import StorageGatewaySnapshotProvider

__all__ = ["StorageGatewaySnapshotProvider"]
