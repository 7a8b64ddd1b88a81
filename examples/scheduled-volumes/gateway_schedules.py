"""``GatewaySnapshotSchedules``: the same snapshot schedule on every volume of a gateway, as one
component resource."""

import os
from collections.abc import Mapping

import pulumi

from sg_snapshot_provider import VolumeSnapshotSchedule
from sg_snapshot_provider.aws.clients import storagegateway_client
from sg_snapshot_provider.aws.retry import RetryPolicy
from sg_snapshot_provider.aws.volumes import list_volume_arns
from sg_snapshot_provider.settings import settings_from_namespace


def gateway_volume_arns(gateway_arn: str) -> list[str]:
    """Every volume of the gateway, asked of Storage Gateway (``ListVolumes``, every page) when
    the program runs. The connection comes from the stack's ``aws:`` config (``aws:profile``,
    ``aws:accessKey``, ``aws:endpoints``…) through the provider's own settings, so the program
    lists the volumes of the account the provider deploys to; the region is the gateway's."""
    settings = settings_from_namespace(pulumi.Config("aws").get, os.environ)
    client = storagegateway_client(gateway_arn.split(":")[3], settings)
    return list_volume_arns(client, gateway_arn, RetryPolicy.of(settings))


def volume_id(volume_arn: str) -> str:
    """``vol-1122AABB`` from ``arn:…:gateway/sgw-…/volume/vol-1122AABB``."""
    return volume_arn.rsplit("/", 1)[-1]


class GatewaySnapshotSchedules(pulumi.ComponentResource):
    """A ``VolumeSnapshotSchedule`` for every volume of ``gateway_arn``: a snapshot every
    ``recurrence_in_hours`` hours from ``start_at`` o'clock (gateway time), with ``tags``.

    ``volume_arns`` lists the volumes it schedules. A volume added to the gateway gets its
    schedule on the next ``pulumi up``; a volume removed leaves the program, and ``pulumi up``
    deletes its resource (Storage Gateway has then forgotten the schedule with the volume).
    """

    volume_arns: pulumi.Output[list[str]]
    schedules: dict[str, VolumeSnapshotSchedule]

    def __init__(
        self,
        name: str,
        *,
        gateway_arn: str,
        start_at: int,
        recurrence_in_hours: int,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("examples:storagegateway:GatewaySnapshotSchedules", name, None, opts)
        self.schedules = {
            arn: VolumeSnapshotSchedule(
                f"{name}-{volume_id(arn)}",
                volume_arn=arn,
                start_at=start_at,
                recurrence_in_hours=recurrence_in_hours,
                description=description,
                tags=dict(tags or {}),
                opts=pulumi.ResourceOptions(parent=self),
            )
            for arn in gateway_volume_arns(gateway_arn)
        }
        self.volume_arns = pulumi.Output.from_input(sorted(self.schedules))
        self.register_outputs({"volume_arns": self.volume_arns})
