"""Storage Gateway snapshots are EBS snapshots: EC2 (moto, same port) lists, re-tags, deletes
them, and sees their state move from pending to completed."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator, EmulatorError
from tests.conftest import VOLUME_ARN

POLL_LIMIT_SECONDS = 15.0


def take_snapshot(sg: Any, **tags: str) -> str:
    answer = sg.create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription="nightly",
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )
    return str(answer["SnapshotId"])


def describe(ec2: Any, snapshot_id: str) -> dict[str, Any]:
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return dict(snapshot)


def ids(snapshots: list[dict[str, Any]]) -> set[str]:
    return {snapshot["SnapshotId"] for snapshot in snapshots}


def test_describe_snapshots__filters(sg, ec2):
    tagged = take_snapshot(sg, team="storage")
    other = take_snapshot(sg, team="compute")

    def matching(name: str, *values: str) -> set[str]:
        filters = [{"Name": name, "Values": list(values)}]
        return ids(ec2.describe_snapshots(Filters=filters)["Snapshots"])

    assert matching("tag:team", "storage") == {tagged}
    assert matching("volume-id", "vol-ffffffff") == {tagged, other}
    assert matching("status", "completed") == {tagged, other}
    assert matching("status", "pending") == set()


def test_create_tags__retags_snapshot(sg, ec2):
    snapshot_id = take_snapshot(sg, keep="yes", drop="yes")

    ec2.create_tags(Resources=[snapshot_id], Tags=[{"Key": "added", "Value": "1"}])
    ec2.delete_tags(Resources=[snapshot_id], Tags=[{"Key": "drop"}])

    tags = {tag["Key"]: tag["Value"] for tag in describe(ec2, snapshot_id)["Tags"]}
    assert tags == {"keep": "yes", "added": "1"}


def test_delete_snapshot__then_not_found(sg, ec2):
    snapshot_id = take_snapshot(sg)

    ec2.delete_snapshot(SnapshotId=snapshot_id)

    with pytest.raises(ClientError) as caught:
        ec2.describe_snapshots(SnapshotIds=[snapshot_id])
    assert caught.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"
    with pytest.raises(ClientError) as caught:
        ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert caught.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"


def test_snapshot_state__pending_then_completed(emulator: Emulator, sg, ec2):
    emulator.set_pending_seconds(1.0)
    snapshot_id = take_snapshot(sg)

    seen = [describe(ec2, snapshot_id)]
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while seen[-1]["State"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
        seen.append(describe(ec2, snapshot_id))

    assert seen[0]["State"] == "pending"
    assert seen[-1]["State"] == "completed"
    assert seen[-1]["Progress"] == "100%"
    progress = [int(snapshot["Progress"].rstrip("%")) for snapshot in seen]
    assert progress == sorted(progress)
    assert all(p < 100 for p, s in zip(progress, seen, strict=True) if s["State"] == "pending")


def test_snapshot_state__pending_seconds_only_affects_new_snapshots(emulator: Emulator, sg, ec2):
    before = take_snapshot(sg)
    emulator.set_pending_seconds(600)

    after = take_snapshot(sg)

    assert describe(ec2, before)["State"] == "completed"
    assert describe(ec2, after)["State"] == "pending"
    assert ids(
        ec2.describe_snapshots(Filters=[{"Name": "status", "Values": ["pending"]}])["Snapshots"]
    ) == {after}


def test_set_snapshot_state__error(emulator: Emulator, sg, ec2):
    snapshot_id = take_snapshot(sg)

    emulator.set_snapshot_state(snapshot_id, "error", progress="42%")

    snapshot = describe(ec2, snapshot_id)
    assert (snapshot["State"], snapshot["Progress"]) == ("error", "42%")


def test_set_snapshot_state__pinned_pending_stays(emulator: Emulator, sg, ec2):
    snapshot_id = take_snapshot(sg)

    emulator.set_snapshot_state(snapshot_id, "pending", progress="10%")

    snapshot = describe(ec2, snapshot_id)
    assert (snapshot["State"], snapshot["Progress"]) == ("pending", "10%")
    emulator.set_snapshot_state(snapshot_id, "completed")
    snapshot = describe(ec2, snapshot_id)
    assert (snapshot["State"], snapshot["Progress"]) == ("completed", "100%")


def test_set_snapshot_state__unknown_snapshot(emulator: Emulator):
    with pytest.raises(EmulatorError, match="snap-00000000000000000"):
        emulator.set_snapshot_state("snap-00000000000000000", "error")


def test_set_snapshot_state__unknown_state(emulator: Emulator, sg):
    snapshot_id = take_snapshot(sg)

    with pytest.raises(EmulatorError, match="state must be one of"):
        emulator.set_snapshot_state(snapshot_id, "exploded")


def test_set_snapshot_state__plain_ec2_snapshot(emulator: Emulator, ec2):
    volume_id = ec2.create_volume(Size=2, AvailabilityZone="us-east-1a")["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]

    emulator.set_snapshot_state(snapshot_id, "recoverable")

    assert describe(ec2, snapshot_id)["State"] == "recoverable"
