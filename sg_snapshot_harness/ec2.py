"""A look at EC2 from outside the provider: what snapshots really exist, with which tags.

Tests and the demo use it to check each engine step against the (emulated) AWS account. It talks
to the endpoint it is given with the emulator's dummy credentials, never to a real account.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from sg_snapshot_provider.inputs import without_provider_tags

from .plugin import DUMMY_AWS_ENVIRONMENT

#: EC2's answer when a snapshot ID does not exist (any more).
SNAPSHOT_NOT_FOUND = "InvalidSnapshot.NotFound"


class Ec2View:
    """Reads (and, for out-of-band changes, writes) snapshots at an EC2 endpoint."""

    def __init__(self, endpoint_url: str, region: str = "us-east-1") -> None:
        self.client: Any = boto3.client(
            "ec2",
            region_name=region,
            endpoint_url=endpoint_url,
            aws_access_key_id=DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=DUMMY_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        )

    def snapshot(self, snapshot_id: str) -> dict[str, Any] | None:
        """The snapshot as DescribeSnapshots shows it, or None when it does not exist."""
        try:
            found = self.client.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == SNAPSHOT_NOT_FOUND:
                return None
            raise
        return dict(found[0]) if found else None

    def exists(self, snapshot_id: str) -> bool:
        """Whether the snapshot exists."""
        return self.snapshot(snapshot_id) is not None

    def tags(self, snapshot_id: str) -> dict[str, str]:
        """The snapshot's tags as a dict, without the provider's own (create token, owner);
        KeyError when it does not exist."""
        snapshot = self.snapshot(snapshot_id)
        if snapshot is None:
            raise KeyError(f"{snapshot_id} does not exist")
        return without_provider_tags({tag["Key"]: tag["Value"] for tag in snapshot.get("Tags", [])})

    def snapshot_ids(self) -> set[str]:
        """Every snapshot the account owns in this region."""
        pages = self.client.get_paginator("describe_snapshots").paginate(OwnerIds=["self"])
        return {snap["SnapshotId"] for page in pages for snap in page["Snapshots"]}

    def set_tags_out_of_band(self, snapshot_id: str, tags: dict[str, str]) -> None:
        """Change tags behind the provider's back (drift)."""
        self.client.create_tags(
            Resources=[snapshot_id], Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
        )

    def delete_out_of_band(self, snapshot_id: str) -> None:
        """Delete a snapshot behind the provider's back (the *disappears* scenario)."""
        self.client.delete_snapshot(SnapshotId=snapshot_id)
