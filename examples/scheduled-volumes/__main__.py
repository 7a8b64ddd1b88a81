"""A snapshot schedule for every volume of a gateway, and one snapshot of a volume taken now from
its latest recovery point."""

import pulumi
from gateway_schedules import GatewaySnapshotSchedules

from sg_snapshot_provider import StorageGatewaySnapshot

config = pulumi.Config()
tags = {"managed-by": "pulumi", **(config.get_object("tags") or {})}

schedules = GatewaySnapshotSchedules(
    "every-volume",
    gateway_arn=config.require("gatewayArn"),
    start_at=config.get_int("startAt", 2),
    recurrence_in_hours=config.get_int("recurrenceInHours", 24),
    description=config.get("description") or "Scheduled snapshot",
    tags=tags,
)

# One snapshot now, of the volume named in config or else of the gateway's first volume: the
# starting point the schedules build on. Taken from the volume's latest recovery point (cached
# volumes; CreateSnapshotFromVolumeRecoveryPoint), as AWS recommends when the gateway may be
# unreachable; set fromRecoveryPoint to false for a stored volume.
volume_arn = config.get("snapshotVolumeArn") or next(iter(sorted(schedules.schedules)), None)
if volume_arn is not None:
    snapshot = StorageGatewaySnapshot(
        "before-schedules",
        volume_arn=volume_arn,
        description="Taken before the schedules start",
        tags=tags,
        from_recovery_point=config.get_bool("fromRecoveryPoint", True),
    )
    pulumi.export("snapshot_id", snapshot.snapshot_id)
    pulumi.export("snapshot_volume_arn", volume_arn)
    pulumi.export("recovery_point_time", snapshot.volume_recovery_point_time)

pulumi.export("scheduled_volumes", schedules.volume_arns)
