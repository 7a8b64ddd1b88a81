"""The adopt lookup's branches on a stubbed EC2 client (no network): moto keeps each account's
snapshots apart and cannot show one account another's shared snapshot, so the "foreign" answer
is exercised here."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from sg_snapshot_provider import aws
from sg_snapshot_provider.errors import ForeignSnapshotError, SnapshotNotFoundError

SNAPSHOT = "snap-0123456789abcdef0"
OWN_FILTER = {
    "Filters": [{"Name": "snapshot-id", "Values": [SNAPSHOT]}],
    "MaxResults": 1000,
    "OwnerIds": ["self"],
}


def snapshot(owner: str) -> dict[str, object]:
    return {
        "SnapshotId": SNAPSHOT,
        "OwnerId": owner,
        "State": "completed",
        "Description": "shared with us",
        "StartTime": datetime(2026, 1, 1, tzinfo=UTC),
        "VolumeSize": 1,
    }


@pytest.fixture
def ec2() -> object:
    return boto3.client(
        "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def test_own_snapshot_is_one_request(ec2: object) -> None:
    with Stubber(ec2) as stub:  # type: ignore[arg-type]
        stub.add_response(
            "describe_snapshots", {"Snapshots": [snapshot("111122223333")]}, OWN_FILTER
        )
        info = aws.find_own_snapshot(ec2, SNAPSHOT, aws.RetryPolicy())  # type: ignore[arg-type]
        stub.assert_no_pending_responses()
    assert info.owner_id == "111122223333"


def test_someone_elses_snapshot_is_named_with_its_owner(ec2: object) -> None:
    with Stubber(ec2) as stub:  # type: ignore[arg-type]
        stub.add_response("describe_snapshots", {"Snapshots": []}, OWN_FILTER)
        stub.add_response(
            "describe_snapshots",
            {"Snapshots": [snapshot("999988887777")]},
            {"SnapshotIds": [SNAPSHOT]},
        )
        with pytest.raises(ForeignSnapshotError) as caught:
            aws.find_own_snapshot(ec2, SNAPSHOT, aws.RetryPolicy())  # type: ignore[arg-type]
    assert "belongs to account 999988887777" in str(caught.value)
    assert "copy-snapshot" in str(caught.value)


def test_a_snapshot_nobody_has_is_not_found(ec2: object) -> None:
    with Stubber(ec2) as stub:  # type: ignore[arg-type]
        stub.add_response("describe_snapshots", {"Snapshots": []}, OWN_FILTER)
        stub.add_client_error(
            "describe_snapshots",
            "InvalidSnapshot.NotFound",
            expected_params={"SnapshotIds": [SNAPSHOT]},
        )
        with pytest.raises(SnapshotNotFoundError):
            aws.find_own_snapshot(ec2, SNAPSHOT, aws.RetryPolicy())  # type: ignore[arg-type]
