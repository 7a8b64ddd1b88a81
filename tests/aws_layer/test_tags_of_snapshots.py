"""aws.ec2.update_tags_of_snapshots: the same tag changes on several snapshots, one DeleteTags
and one CreateTags in all (EC2's ``Resources`` is a list), against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mypy_boto3_ec2 import EC2Client

from sg_snapshot_provider import AwsOperationError, aws
from sg_snapshot_provider.aws.ec2 import update_tags_of_snapshots
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import TagChanges
from sg_snapshot_provider.settings import Settings
from tests.aws_layer.conftest import POLICY
from tests.aws_layer.helpers import ec2_tags, operations
from tests.conftest import REGION, VOLUME_ARN


def _snapshots(emulator: Emulator, count: int, tags: dict[str, str]) -> list[str]:
    client = aws.storagegateway_client(REGION, Settings())
    ids = [
        aws.create_snapshot(client, VOLUME_ARN, f"test {n}", tags, POLICY).snapshot_id
        for n in range(count)
    ]
    emulator.clear_calls()
    return ids


def test_one_call_per_operation_for_every_snapshot(emulator: Emulator, ec2: EC2Client) -> None:
    ids = _snapshots(emulator, 3, {"a": "1", "b": "2"})
    changes = TagChanges(to_delete=("a",), to_set={"b": "20", "c": "3"})

    update_tags_of_snapshots(aws.ec2_client(REGION, Settings()), ids, changes, POLICY)

    assert operations(emulator) == ["DeleteTags", "CreateTags"]
    for snapshot_id in ids:
        assert ec2_tags(ec2, snapshot_id) == {"b": "20", "c": "3"}


def test_no_change_or_no_snapshot_makes_no_call(emulator: Emulator) -> None:
    ids = _snapshots(emulator, 2, {})
    client = aws.ec2_client(REGION, Settings())
    update_tags_of_snapshots(client, ids, TagChanges(), POLICY)
    update_tags_of_snapshots(client, [], TagChanges(to_set={"a": "1"}), POLICY)
    assert emulator.calls() == []


def test_a_missing_snapshot_fails_the_call_for_all(emulator: Emulator, ec2: EC2Client) -> None:
    ids = _snapshots(emulator, 2, {"a": "1"})
    ec2.delete_snapshot(SnapshotId=ids[1])
    emulator.clear_calls()

    with pytest.raises(AwsOperationError) as caught:
        update_tags_of_snapshots(
            aws.ec2_client(REGION, Settings()), ids, TagChanges(to_set={"a": "2"}), POLICY
        )

    assert caught.value.code == "InvalidSnapshot.NotFound"
    assert operations(emulator) == ["CreateTags"]  # made long ago: not found is believed
    assert ec2_tags(ec2, ids[0]) == {"a": "1"}  # EC2 refused the whole call


def test_a_young_snapshot_not_visible_yet_is_waited_for(emulator: Emulator, ec2: EC2Client) -> None:
    old = _snapshots(emulator, 1, {})
    emulator.set_visibility_lag(0.3)
    young = _snapshots(emulator, 1, {})

    update_tags_of_snapshots(
        aws.ec2_client(REGION, Settings()),
        young + old,
        TagChanges(to_set={"a": "1"}),
        POLICY,
        created_at=datetime.now(UTC),
    )

    calls = operations(emulator)
    assert set(calls) == {"CreateTags"}
    assert len(calls) >= 2  # refused while the young one was hidden, then done for both
    for snapshot_id in young + old:
        assert ec2_tags(ec2, snapshot_id) == {"a": "1"}
