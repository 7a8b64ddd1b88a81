"""``GatewaySnapshots``: one snapshot of every volume of a gateway, as one component resource."""

from collections.abc import Mapping

import pulumi

from sg_snapshot_provider import StorageGatewaySnapshot
from sg_snapshot_provider.program import gateway_volume_arns


def volume_id(volume_arn: str) -> str:
    """``vol-1122AABB`` from ``arn:…:gateway/sgw-…/volume/vol-1122AABB``."""
    return volume_arn.rsplit("/", 1)[-1]


class GatewaySnapshots(pulumi.ComponentResource):
    """Snapshots of every volume of ``gateway_arn``, each tagged with ``tags``.

    ``snapshot_ids`` maps each volume ID (``vol-…``) to its snapshot ID. A volume added to the
    gateway gets a snapshot on the next ``pulumi up``.
    """

    snapshot_ids: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        *,
        gateway_arn: str,
        description: str,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("examples:storagegateway:GatewaySnapshots", name, None, opts)
        snapshots = {
            volume_id(arn): StorageGatewaySnapshot(
                f"{name}-{volume_id(arn)}",
                volume_arn=arn,
                description=description,
                tags=dict(tags or {}),
                opts=pulumi.ResourceOptions(parent=self),
            )
            # Asked when the program runs, in the gateway's region, as the identity the
            # provider deploys with (the stack's aws: config: profile, assumed roles, endpoints).
            for arn in gateway_volume_arns(gateway_arn)
        }
        self.snapshot_ids = pulumi.Output.all(
            **{volume_id: snap.snapshot_id for volume_id, snap in snapshots.items()}
        )
        self.register_outputs({"snapshot_ids": self.snapshot_ids})
