"""Snapshot every volume of a gateway, with tags common to all of them."""

import pulumi
from gateway_snapshots import GatewaySnapshots

config = pulumi.Config()

all_volumes = GatewaySnapshots(
    "nightly",
    gateway_arn=config.require("gatewayArn"),
    description=config.get("description") or "Nightly snapshot of every gateway volume",
    tags={"schedule": "nightly", **(config.get_object("tags") or {})},
)

pulumi.export("snapshot_ids", all_volumes.snapshot_ids)
