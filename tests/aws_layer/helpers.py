"""Small helpers shared by the AWS-level tests."""

from __future__ import annotations

from typing import Any

from mypy_boto3_ec2 import EC2Client

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG, without_provider_tags
from tests.conftest import VOLUME_ARN

PROVIDER = "serialized-provider"


def inputs(**overrides: Any) -> dict[str, Any]:
    """Program inputs as the engine hands them to check (None = left out)."""
    values: dict[str, Any] = {
        "__provider": PROVIDER,
        "volume_arn": VOLUME_ARN,
        "description": "nightly snapshot",
        "tags": {"team": "storage", "app": "files"},
    }
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def checked(provider: StorageGatewaySnapshotProvider, **overrides: Any) -> dict[str, Any]:
    """Inputs after check, as the engine passes them on to create/diff/update."""
    result = provider.check({}, inputs(**overrides))
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return {**result.inputs, "__provider": PROVIDER}


def operations(emulator: Emulator) -> list[str]:
    return [call.operation for call in emulator.calls()]


def ec2_tags(ec2: EC2Client, snapshot_id: str) -> dict[str, str]:
    """The snapshot's tags without the provider's create token (every snapshot has one)."""
    snapshot = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    tags = {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}
    assert CREATE_TOKEN_TAG in tags
    return without_provider_tags(tags)


def snapshot_ids(ec2: EC2Client) -> list[str]:
    return [s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]]
