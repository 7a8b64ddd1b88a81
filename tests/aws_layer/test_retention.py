"""``aws.ec2.retention`` against the emulator: each snapshot a prune must never delete survives
one (tested first), then what it deletes, how many requests it makes, and its failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from mypy_boto3_ec2 import EC2Client

from sg_snapshot_provider.aws.ec2.retention import plan_prune, prune
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.errors import AwsOperationError
from sg_snapshot_provider.inputs.retention import SCHEDULE_TAG, RetentionRules
from sg_snapshot_provider.inputs.tags import OWNER_TAG
from tests.aws_layer.conftest import POLICY
from tests.conftest import GATEWAY_ARN, REGION, VOLUME_ARN

OTHER_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-3344CCDD"
ONLY_NEWEST = RetentionRules(keep=1)


def now() -> datetime:
    return datetime.now(UTC)


def ago(days: float) -> str:
    return (now() - timedelta(days=days)).isoformat()


@pytest.fixture
def sg(emulator: Emulator) -> Any:
    client = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    for arn in (VOLUME_ARN, OTHER_VOLUME_ARN):
        emulator.add_volume(arn)
        # What the schedule resource sends when retention is set: the marker tag.
        client.update_snapshot_schedule(
            VolumeARN=arn,
            StartAt=2,
            RecurrenceInHours=24,
            Description="nightly",
            Tags=[{"Key": SCHEDULE_TAG, "Value": arn}],
        )
    emulator.clear_calls()
    return client


@pytest.fixture
def client(emulator: Emulator) -> EC2Client:
    return boto3.client("ec2", region_name=REGION, endpoint_url=emulator.url)


def scheduled(emulator: Emulator, days_old: float, volume_arn: str = VOLUME_ARN) -> str:
    return emulator.take_scheduled_snapshot(volume_arn, ago(days_old))


def exists(client: EC2Client, snapshot_id: str) -> bool:
    found = client.describe_snapshots(
        Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}], OwnerIds=["self"]
    )
    return bool(found["Snapshots"])


# --- never deleted --------------------------------------------------------------------------


def test_a_snapshot_made_by_hand_survives(sg: Any, emulator: Emulator, client: EC2Client) -> None:
    newest = scheduled(emulator, 0)
    by_hand = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="nightly")
    result = prune(client, VOLUME_ARN, ONLY_NEWEST, now() + timedelta(days=9), POLICY)
    assert result.deleted == []
    assert exists(client, by_hand["SnapshotId"].lower())
    assert exists(client, newest)


def test_a_snapshot_a_resource_holds_survives(
    sg: Any, emulator: Emulator, client: EC2Client
) -> None:
    scheduled(emulator, 0)
    adopted = scheduled(emulator, 30)
    # What adopting it (StorageGatewaySnapshot adopt_snapshot_id) leaves: the owner tag.
    client.create_tags(Resources=[adopted], Tags=[{"Key": OWNER_TAG, "Value": "p/s/r"}])
    result = prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY)
    assert result.deleted == []
    assert "held by a resource" in result.kept[adopted]
    assert exists(client, adopted)


def test_a_shared_snapshot_survives(sg: Any, emulator: Emulator, client: EC2Client) -> None:
    scheduled(emulator, 0)
    shared = scheduled(emulator, 30)
    client.modify_snapshot_attribute(
        SnapshotId=shared,
        Attribute="createVolumePermission",
        OperationType="add",
        UserIds=["111122223333"],
    )
    result = prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY)
    assert result.deleted == []
    assert exists(client, shared)


def test_a_locked_snapshot_survives() -> None:
    """The emulator cannot lock a snapshot (moto has no LockSnapshot), so EC2's answers are
    stubbed: a DeleteSnapshot would be an unexpected call and fail the test."""
    client = boto3.client("ec2", region_name=REGION, endpoint_url="http://127.0.0.1:9")
    newest, locked = "snap-0000000000000000a", "snap-0000000000000000b"
    tags = [{"Key": SCHEDULE_TAG, "Value": VOLUME_ARN}]

    def snapshot(sid: str, days_old: float) -> dict[str, Any]:
        started = now() - timedelta(days=days_old)
        return {"SnapshotId": sid, "State": "completed", "StartTime": started, "Tags": tags}

    with Stubber(client) as stub:
        stub.add_response(
            "describe_snapshots", {"Snapshots": [snapshot(newest, 0), snapshot(locked, 30)]}
        )
        stub.add_response(
            "describe_locked_snapshots",
            {"Snapshots": [{"SnapshotId": locked, "LockState": "governance"}]},
            {"SnapshotIds": [locked]},
        )
        result = prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY)
        stub.assert_no_pending_responses()
    assert result.deleted == []
    assert result.kept[locked] == "locked"


def test_another_volumes_snapshots_survive(sg: Any, emulator: Emulator, client: EC2Client) -> None:
    scheduled(emulator, 0)
    others = [scheduled(emulator, age, OTHER_VOLUME_ARN) for age in (10, 20)]
    result = prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY)
    assert result.deleted == []
    assert all(exists(client, sid) for sid in others)


def test_snapshots_the_rules_keep_survive(sg: Any, emulator: Emulator, client: EC2Client) -> None:
    young = [scheduled(emulator, age) for age in (0, 1, 2)]
    old = [scheduled(emulator, age) for age in (10, 20)]
    result = prune(client, VOLUME_ARN, RetentionRules(keep_days=7), now(), POLICY)
    assert result.deleted == [old[1], old[0]]  # oldest first
    assert all(exists(client, sid) for sid in young)
    assert not any(exists(client, sid) for sid in old)


# --- requests and failures ------------------------------------------------------------------


def test_nothing_to_delete__one_request(sg: Any, emulator: Emulator, client: EC2Client) -> None:
    scheduled(emulator, 0)
    emulator.clear_calls()
    assert prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY).deleted == []
    assert [c.operation for c in emulator.calls()] == ["DescribeSnapshots"]


def test_a_prune__requests(sg: Any, emulator: Emulator, client: EC2Client) -> None:
    scheduled(emulator, 0)
    scheduled(emulator, 5)
    scheduled(emulator, 6)
    emulator.clear_calls()
    assert len(prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY).deleted) == 2
    assert [c.operation for c in emulator.calls()] == [
        "DescribeSnapshots",
        "DescribeLockedSnapshots",
        "DescribeSnapshotAttribute",
        "DescribeSnapshotAttribute",
        "DeleteSnapshot",
        "DeleteSnapshot",
    ]


def test_a_preview_plan__one_request_and_nothing_deleted(
    sg: Any, emulator: Emulator, client: EC2Client
) -> None:
    scheduled(emulator, 0)
    old = scheduled(emulator, 5)
    emulator.clear_calls()
    plan = plan_prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY, check_locks_and_sharing=False)
    assert plan.delete == [old]
    assert [c.operation for c in emulator.calls()] == ["DescribeSnapshots"]
    assert exists(client, old)


def test_an_endpoint_without_locks__prune_goes_on(
    sg: Any, emulator: Emulator, client: EC2Client, capfd: pytest.CaptureFixture[str]
) -> None:
    scheduled(emulator, 0)
    old = scheduled(emulator, 5)
    emulator.inject_fault("DescribeLockedSnapshots", "UnsupportedOperation")
    assert prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY).deleted == [old]
    assert "has no snapshot locks" in capfd.readouterr().err


def test_locks_that_cannot_be_checked__nothing_deleted(
    sg: Any, emulator: Emulator, client: EC2Client
) -> None:
    scheduled(emulator, 0)
    old = scheduled(emulator, 5)
    emulator.inject_fault("DescribeLockedSnapshots", "UnauthorizedOperation", status=403)
    with pytest.raises(AwsOperationError) as caught:
        prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY)
    assert "checking snapshot locks" in str(caught.value)
    assert exists(client, old)


def test_a_delete_failing_mid_prune__the_rest_go_and_the_next_prune_resumes(
    sg: Any, emulator: Emulator, client: EC2Client
) -> None:
    scheduled(emulator, 0)
    older, old = scheduled(emulator, 9), scheduled(emulator, 5)
    emulator.inject_fault("DeleteSnapshot", "UnauthorizedOperation", status=403)
    first = prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY)
    assert first.deleted == [old]
    assert list(first.failed) == [older]
    assert exists(client, older)
    second = prune(client, VOLUME_ARN, ONLY_NEWEST, now(), POLICY)
    assert (second.deleted, second.failed) == ([older], {})
