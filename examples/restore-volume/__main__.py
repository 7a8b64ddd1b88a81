"""Restore a Storage Gateway volume from a snapshot this stack takes.

The snapshot waits until it is completed (a pending snapshot cannot be restored), then feeds two
pulumi-aws resources: an EBS volume in an availability zone, and a new cached iSCSI volume on the
same gateway.
"""

import pulumi
import pulumi_aws as aws

from sg_snapshot_provider import StorageGatewaySnapshot

BYTES_PER_GIB = 1024**3

config = pulumi.Config()
volume_arn = config.require("volumeArn")
availability_zone = config.get("availabilityZone") or "us-east-1a"
# The IPv4 address of the gateway's network interface that serves the new iSCSI target.
gateway_network_interface = config.require("gatewayNetworkInterface")
target_name = config.get("targetName") or "restored-volume"

snapshot = StorageGatewaySnapshot(
    "restore-source",
    volume_arn=volume_arn,
    description="Source of the restored volumes",
    wait_for_completion=True,
    completion_timeout_seconds=2 * 3600,
    tags={"purpose": "restore"},
)

ebs_volume = aws.ebs.Volume(
    "restored-ebs",
    availability_zone=availability_zone,
    snapshot_id=snapshot.snapshot_id,
    type="gp3",
    tags={"restored-from": volume_arn},
)

gateway_volume = aws.storagegateway.CachesIscsiVolume(
    "restored-gateway-volume",
    gateway_arn=snapshot.gateway_arn,
    snapshot_id=snapshot.snapshot_id,
    network_interface_id=gateway_network_interface,
    target_name=target_name,
    volume_size_in_bytes=snapshot.volume_size_gib.apply(lambda gib: int(gib or 1) * BYTES_PER_GIB),
)

pulumi.export("snapshot_id", snapshot.snapshot_id)
pulumi.export("snapshot_state", snapshot.state)
pulumi.export("ebs_volume_id", ebs_volume.id)
pulumi.export("gateway_volume_target", gateway_volume.target_name)
