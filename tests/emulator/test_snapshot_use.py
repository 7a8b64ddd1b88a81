"""Sharing and restoring a snapshot answer as EC2 does where moto alone is laxer: accounts are
12 digits, the default EBS key is never shared, a restore needs a zone of the region and at
least the snapshot's size."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator
from tests.emulator.conftest import error_code, error_message
from tests.emulator.test_ec2_snapshots import take_snapshot

BACKUP_ACCOUNT = "210987654321"


def shared_with(ec2: Any, snapshot_id: str) -> set[str]:
    answer = ec2.describe_snapshot_attribute(
        SnapshotId=snapshot_id, Attribute="createVolumePermission"
    )
    return {p.get("UserId") or p["Group"] for p in answer["CreateVolumePermissions"]}


def share(ec2: Any, snapshot_id: str, operation: str, *accounts: str) -> None:
    ec2.modify_snapshot_attribute(
        SnapshotId=snapshot_id,
        Attribute="createVolumePermission",
        OperationType=operation,
        UserIds=list(accounts),
    )


def encrypted_snapshot(ec2: Any) -> str:
    """A snapshot of a volume EBS encrypted with its default key (no KmsKeyId given)."""
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)
    return str(ec2.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"])


def test_share_and_unshare(sg: Any, ec2: Any) -> None:
    snapshot_id = take_snapshot(sg)
    share(ec2, snapshot_id, "add", BACKUP_ACCOUNT, "111122223333")
    assert shared_with(ec2, snapshot_id) == {BACKUP_ACCOUNT, "111122223333"}
    share(ec2, snapshot_id, "add", BACKUP_ACCOUNT)  # idempotent
    share(ec2, snapshot_id, "remove", "111122223333")
    assert shared_with(ec2, snapshot_id) == {BACKUP_ACCOUNT}


@pytest.mark.parametrize("account", ["12345", "12345678901a", "all"])
def test_share_refuses_a_malformed_account(sg: Any, ec2: Any, account: str) -> None:
    snapshot_id = take_snapshot(sg)
    with pytest.raises(ClientError) as caught:
        share(ec2, snapshot_id, "add", account)
    assert error_code(caught.value) == "InvalidUserID.Malformed"
    assert shared_with(ec2, snapshot_id) == set()


def test_share_refuses_the_default_ebs_key(ec2: Any) -> None:
    snapshot_id = encrypted_snapshot(ec2)
    with pytest.raises(ClientError) as caught:
        share(ec2, snapshot_id, "add", BACKUP_ACCOUNT)
    assert error_code(caught.value) == "OperationNotPermitted"
    assert "EBS default key" in error_message(caught.value)
    assert shared_with(ec2, snapshot_id) == set()


def test_share_of_a_missing_snapshot(ec2: Any) -> None:
    with pytest.raises(ClientError) as caught:
        share(ec2, "snap-0123456789abcdef0", "add", BACKUP_ACCOUNT)
    assert error_code(caught.value) == "InvalidSnapshot.NotFound"


def test_restore_makes_a_volume_of_the_snapshot_size(sg: Any, ec2: Any) -> None:
    snapshot_id = take_snapshot(sg)
    size = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]["VolumeSize"]
    volume = ec2.create_volume(SnapshotId=snapshot_id, AvailabilityZone="us-east-1b")
    assert volume["Size"] == size
    assert volume["SnapshotId"] == snapshot_id
    assert volume["State"] == "creating"  # as EC2 answers: available only later
    ec2.get_waiter("volume_available").wait(
        VolumeIds=[volume["VolumeId"]], WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
    )
    (seen,) = ec2.describe_volumes(VolumeIds=[volume["VolumeId"]])["Volumes"]
    assert seen["State"] == "available"
    ec2.delete_volume(VolumeId=volume["VolumeId"])
    ec2.get_waiter("volume_deleted").wait(
        VolumeIds=[volume["VolumeId"]], WaiterConfig={"Delay": 0.01, "MaxAttempts": 5}
    )


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        ({}, "MissingParameter"),
        ({"AvailabilityZone": "eu-west-1a"}, "InvalidZone.NotFound"),
        ({"AvailabilityZone": "us-east-1a", "Size": 0}, "InvalidParameterValue"),
    ],
)
def test_restore_refuses(sg: Any, ec2_unchecked: Any, request_: dict[str, Any], code: str) -> None:
    snapshot_id = take_snapshot(sg)
    with pytest.raises(ClientError) as caught:
        ec2_unchecked.create_volume(SnapshotId=snapshot_id, **request_)
    assert error_code(caught.value) == code
    assert ec2_unchecked.describe_volumes()["Volumes"] == []


def test_restore_refuses_a_pending_snapshot(sg: Any, ec2: Any, emulator: Emulator) -> None:
    snapshot_id = take_snapshot(sg)
    emulator.set_snapshot_state(snapshot_id, "pending")
    with pytest.raises(ClientError) as caught:
        ec2.create_volume(SnapshotId=snapshot_id, AvailabilityZone="us-east-1a")
    assert error_code(caught.value) == "IncorrectState"
