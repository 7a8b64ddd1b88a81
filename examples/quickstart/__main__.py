"""Quickstart: take one snapshot of a Storage Gateway volume and export its ID.

pulumi config set volumeArn <the ARN of a cached or stored gateway volume>
pulumi config set description "Before the 2026.11 upgrade"        # optional
pulumi config set --path 'tags.team' storage                       # optional
pulumi up
"""

import pulumi

from sg_snapshot_provider import StorageGatewaySnapshot

DEFAULT_DESCRIPTION = "Snapshot taken by Pulumi (sg-snapshot-provider quickstart)"

config = pulumi.Config()

snapshot = StorageGatewaySnapshot(
    "quickstart",
    volume_arn=config.require("volumeArn"),
    description=config.get("description") or DEFAULT_DESCRIPTION,
    tags=config.get_object("tags") or {},
)

pulumi.export("snapshot_id", snapshot.snapshot_id)
pulumi.export("snapshot_arn", snapshot.arn)
pulumi.export("volume_arn", snapshot.volume_arn)
