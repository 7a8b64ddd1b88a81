"""EC2's eventual consistency on demand: a new snapshot is not visible by its ID for a while."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Call, Emulator, EmulatorError
from tests.conftest import VOLUME_ARN
from tests.emulator.conftest import error_code, error_message, make_client

#: Long enough that no test outlives it: hidden snapshots stay hidden for the whole test.
LONG_LAG_SECONDS = 600.0
#: Short enough to wait out: for the tests that watch a snapshot appear.
SHORT_LAG_SECONDS = 1.0
POLL_LIMIT_SECONDS = 15.0


@pytest.fixture
def lagging(emulator: Emulator) -> Emulator:
    """The session's emulator with a lag no test outlives (its reset restores no lag)."""
    emulator.set_visibility_lag(LONG_LAG_SECONDS)
    return emulator


def take_snapshot(sg: Any, **tags: str) -> str:
    answer = sg.create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription="young",
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )
    return str(answer["SnapshotId"])


def not_found(call: Any, **params: Any) -> str:
    """The message of the InvalidSnapshot.NotFound the call must answer."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    assert error_code(caught.value) == "InvalidSnapshot.NotFound"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error_message(caught.value)


def owned(ec2: Any) -> dict[str, dict[str, Any]]:
    """Every snapshot of the account by owner listing (not lagged), by ID."""
    return {s["SnapshotId"]: s for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}


def tags_of(snapshot: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in snapshot.get("Tags", [])}


def test_describe_snapshots__young_snapshot_not_found_by_id(lagging, sg, ec2):
    snapshot_id = take_snapshot(sg)

    message = not_found(ec2.describe_snapshots, SnapshotIds=[snapshot_id])

    assert message == f"The snapshot '{snapshot_id}' does not exist."


def test_describe_snapshots__one_young_id_fails_the_whole_call(emulator, sg, ec2):
    old = take_snapshot(sg)
    emulator.set_visibility_lag(LONG_LAG_SECONDS)
    young = take_snapshot(sg)

    message = not_found(ec2.describe_snapshots, SnapshotIds=[old, young])

    assert young in message
    assert ec2.describe_snapshots(SnapshotIds=[old])["Snapshots"][0]["SnapshotId"] == old


def test_describe_snapshots__snapshot_id_filter_leaves_young_ones_out(emulator, sg, ec2):
    old = take_snapshot(sg)
    emulator.set_visibility_lag(LONG_LAG_SECONDS)
    young = take_snapshot(sg)

    found = ec2.describe_snapshots(Filters=[{"Name": "snapshot-id", "Values": [old, young]}])

    assert [s["SnapshotId"] for s in found["Snapshots"]] == [old]
    assert set(owned(ec2)) == {old, young}  # still there, only not visible by ID


def test_describe_snapshots__owner_and_tag_listing_not_lagged(lagging, sg, ec2):
    snapshot_id = take_snapshot(sg, token="t-1")

    by_tag = ec2.describe_snapshots(Filters=[{"Name": "tag:token", "Values": ["t-1"]}])

    assert [s["SnapshotId"] for s in by_tag["Snapshots"]] == [snapshot_id]
    assert set(owned(ec2)) == {snapshot_id}


def test_delete_snapshot__young_snapshot_not_found_and_kept(lagging, sg, ec2):
    snapshot_id = take_snapshot(sg)

    message = not_found(ec2.delete_snapshot, SnapshotId=snapshot_id)

    assert message == f"The snapshot '{snapshot_id}' does not exist."
    assert set(owned(ec2)) == {snapshot_id}


def test_create_tags__young_snapshot_not_found_and_untouched(lagging, sg, ec2):
    snapshot_id = take_snapshot(sg, keep="yes")

    not_found(ec2.create_tags, Resources=[snapshot_id], Tags=[{"Key": "new", "Value": "1"}])

    assert tags_of(owned(ec2)[snapshot_id]) == {"keep": "yes"}


def test_delete_tags__young_snapshot_not_found_and_untouched(lagging, sg, ec2):
    snapshot_id = take_snapshot(sg, keep="yes")

    not_found(ec2.delete_tags, Resources=[snapshot_id], Tags=[{"Key": "keep"}])
    not_found(ec2.delete_tags, Resources=[snapshot_id])

    assert tags_of(owned(ec2)[snapshot_id]) == {"keep": "yes"}


def test_create_snapshot_from_volume_recovery_point__young_snapshot_lagged(lagging, sg, ec2):
    snapshot_id = sg.create_snapshot_from_volume_recovery_point(
        VolumeARN=VOLUME_ARN, SnapshotDescription="rp"
    )["SnapshotId"]

    not_found(ec2.describe_snapshots, SnapshotIds=[snapshot_id])


def test_ec2_create_snapshot__young_snapshot_lagged(lagging, ec2):
    volume_id = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")["VolumeId"]

    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]

    not_found(ec2.describe_snapshots, SnapshotIds=[snapshot_id])


def test_ec2_copy_snapshot__young_copy_lagged(emulator, sg, ec2):
    source = take_snapshot(sg)
    emulator.set_visibility_lag(LONG_LAG_SECONDS)

    copy = ec2.copy_snapshot(SourceSnapshotId=source, SourceRegion="us-east-1")["SnapshotId"]

    not_found(ec2.describe_snapshots, SnapshotIds=[copy])
    assert ec2.describe_snapshots(SnapshotIds=[source])["Snapshots"]


def test_set_visibility_lag__only_new_snapshots(emulator, sg, ec2):
    emulator.set_visibility_lag(LONG_LAG_SECONDS)
    young = take_snapshot(sg)
    emulator.set_visibility_lag(0)

    visible = take_snapshot(sg)

    assert ec2.describe_snapshots(SnapshotIds=[visible])["Snapshots"]
    not_found(ec2.describe_snapshots, SnapshotIds=[young])


def test_set_visibility_lag__negative(emulator):
    with pytest.raises(EmulatorError, match="must not be negative"):
        emulator.set_visibility_lag(-1)


def test_describe_snapshots__visible_once_the_lag_is_over(emulator, sg, ec2):
    emulator.set_visibility_lag(SHORT_LAG_SECONDS)
    started = time.monotonic()
    snapshot_id = take_snapshot(sg)
    emulator.clear_calls()

    asked: list[tuple[float, str]] = []  # (when, what EC2 answered)
    deadline = started + POLL_LIMIT_SECONDS
    while (not asked or asked[-1][1] != "found") and time.monotonic() < deadline:
        when = time.monotonic()
        try:
            ec2.describe_snapshots(SnapshotIds=[snapshot_id])
            asked.append((when, "found"))
        except ClientError as error:
            asked.append((when, error_code(error)))
            time.sleep(0.05)

    # Made after `started`, the snapshot is hidden at least until started + lag, then visible.
    assert asked[-1][1] == "found", f"{snapshot_id} never became visible"
    assert asked[-1][0] >= started + SHORT_LAG_SECONDS
    assert {what for when, what in asked[:-1]} <= {"InvalidSnapshot.NotFound"}
    early = [what for when, what in asked if when < started + SHORT_LAG_SECONDS]
    assert set(early) <= {"InvalidSnapshot.NotFound"}
    calls = emulator.calls()
    assert calls[-1] == Call("ec2", "DescribeSnapshots", 200)
    assert calls[:-1] == [Call("ec2", "DescribeSnapshots", 400)] * (len(asked) - 1)


def test_reset__restores_the_lag_the_emulator_started_with():
    with Emulator(visibility_lag_seconds=LONG_LAG_SECONDS) as emulator:
        emulator.add_volume(VOLUME_ARN)
        sg, ec2 = make_client("storagegateway", emulator), make_client("ec2", emulator)
        emulator.set_visibility_lag(0)
        assert ec2.describe_snapshots(SnapshotIds=[take_snapshot(sg)])["Snapshots"]

        emulator.reset()

        emulator.add_volume(VOLUME_ARN)
        not_found(ec2.describe_snapshots, SnapshotIds=[take_snapshot(sg)])
