"""A history of snapshots: every release takes a new snapshot of the volume, and the snapshots
of earlier releases stay in EC2 (``retain_on_delete``) instead of being deleted by the replace.

The state holds only the latest; the others carry the owner tag
``sg-snapshot-provider:owner = <project>/<stack>/release-snapshot`` and the ``release`` tag,
which is how to list (and one day prune) them.
"""

import pulumi

from sg_snapshot_provider import StorageGatewaySnapshot

config = pulumi.Config()
release = config.require("release")

snapshot = StorageGatewaySnapshot(
    "release-snapshot",
    volume_arn=config.require("volumeArn"),
    description=f"Before release {release}",
    tags={"release": release},
    # A new release is a new description, hence a new snapshot (a replace): keep the old one.
    opts=pulumi.ResourceOptions(retain_on_delete=True),
)

pulumi.export("snapshot_id", snapshot.snapshot_id)
pulumi.export("release", release)
