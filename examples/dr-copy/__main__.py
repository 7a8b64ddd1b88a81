"""Disaster recovery: a rotating series of snapshots of a gateway volume, the newest one copied to
a second region.

``SnapshotSeries`` takes a snapshot for each new ``release`` and keeps the newest ``keep`` in the
volume's region; ``aws.ebs.SnapshotCopy``, through an ``aws.Provider`` of the DR region, copies
the newest one there. A new release takes a snapshot and rotates the series in place; the copy's
source changes, so pulumi-aws replaces the copy (the new copy is made before the old one is
deleted): the DR region always holds a copy of the newest snapshot.
"""

from typing import Any

import pulumi
import pulumi_aws as aws

from sg_snapshot_provider import SnapshotSeries

config = pulumi.Config()
release = config.require("release")
dr_region = config.get("drRegion") or "us-west-2"

series = SnapshotSeries(
    "volume-history",
    volume_arn=config.require("volumeArn"),
    trigger=release,
    keep=config.get_int("keep", 7),
    description="Before release",
    tags={"purpose": "dr"},
    # EC2 copies only completed snapshots.
    wait_for_completion=True,
    completion_timeout_seconds=2 * 3600,
)

# An explicit provider does not read the stack's `aws:` config, only its own arguments: hand it
# the keys that say which account and endpoint to use, so that it deploys where the stack does
# (and, against the local emulator, reaches the emulator).
AWS_KEYS_FOR_THE_DR_PROVIDER = {
    "profile": "profile",
    "accessKey": "access_key",
    "secretKey": "secret_key",
    "token": "token",
    "skipCredentialsValidation": "skip_credentials_validation",
    "skipRequestingAccountId": "skip_requesting_account_id",
    "skipMetadataApiCheck": "skip_metadata_api_check",
}


def dr_provider_args() -> dict[str, Any]:
    stack_aws = pulumi.Config("aws")
    args: dict[str, Any] = {}
    for key, arg in AWS_KEYS_FOR_THE_DR_PROVIDER.items():
        if arg.startswith("skip_"):
            flag = stack_aws.get_bool(key)
            if flag is not None:
                args[arg] = flag
        elif key in ("secretKey", "token"):
            secret = stack_aws.get_secret(key)
            if secret is not None:
                args[arg] = secret
        else:
            value = stack_aws.get(key)
            if value is not None:
                args[arg] = value
    endpoints = stack_aws.get_object("endpoints")
    if endpoints:
        args["endpoints"] = [aws.ProviderEndpointArgs(**entry) for entry in endpoints]
    return args


dr = aws.Provider("dr", region=dr_region, **dr_provider_args())

copy = aws.ebs.SnapshotCopy(
    "dr-copy",
    source_snapshot_id=series.latest_snapshot_id,
    source_region=series.region,
    description=pulumi.Output.concat("DR copy of ", series.latest_snapshot_id, f" ({release})"),
    tags={"purpose": "dr", "release": release, "source-snapshot": series.latest_snapshot_id},
    opts=pulumi.ResourceOptions(provider=dr),
)

pulumi.export("snapshot_ids", series.snapshot_ids)
pulumi.export("latest_snapshot_id", series.latest_snapshot_id)
pulumi.export("dr_region", dr_region)
pulumi.export("dr_snapshot_id", copy.id)
