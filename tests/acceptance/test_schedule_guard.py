"""Saving and restoring the volume's snapshot schedule (against the emulator)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from sg_snapshot_harness.acceptance.schedule_guard import (
    Schedule,
    hour_away_from_now,
    read_schedule,
    restore_schedule,
)
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REGION, VOLUME_ARN


@pytest.fixture
def sg(emulator: Emulator) -> Any:
    make: Any = boto3.client
    return make("storagegateway", region_name=REGION, endpoint_url=emulator.url)


def test_a_changed_schedule_is_put_back(sg: Any) -> None:
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN,
        StartAt=5,
        RecurrenceInHours=12,
        Description="ours",
        Tags=[{"Key": "team", "Value": "storage"}],
    )
    saved = read_schedule(sg, VOLUME_ARN)
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN, StartAt=17, RecurrenceInHours=24, Description="the lane's"
    )
    assert "restored" in restore_schedule(sg, VOLUME_ARN, saved)
    assert read_schedule(sg, VOLUME_ARN) == saved


def test_a_description_the_volume_did_not_have_is_taken_off(sg: Any) -> None:
    saved = read_schedule(sg, VOLUME_ARN)
    assert saved is not None
    assert saved.description is None
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN, StartAt=3, RecurrenceInHours=24, Description="left by a run"
    )
    restore_schedule(sg, VOLUME_ARN, saved)
    assert read_schedule(sg, VOLUME_ARN) == saved


def test_a_volume_that_had_no_schedule_gets_none_back(sg: Any) -> None:
    sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)
    sg.update_snapshot_schedule(VolumeARN=VOLUME_ARN, StartAt=3, RecurrenceInHours=24)
    restore_schedule(sg, VOLUME_ARN, None)
    assert read_schedule(sg, VOLUME_ARN) is None


def test_an_unchanged_schedule_is_left_alone(sg: Any, emulator: Emulator) -> None:
    saved = read_schedule(sg, VOLUME_ARN)
    emulator.clear_calls()
    assert "as it was" in restore_schedule(sg, VOLUME_ARN, saved)
    assert [call.operation for call in emulator.calls()] == ["DescribeSnapshotSchedule"]


@pytest.mark.parametrize(
    ("zone", "utc_hour", "expected"),
    [("GMT", 10, 22), ("GMT-5:00", 10, 17), ("GMT+5:30", 20, 13), ("GMT+10:00", 23, 21)],
)
def test_the_lane_starts_its_schedule_half_a_day_from_now(
    zone: str, utc_hour: int, expected: int
) -> None:
    schedule = Schedule(0, 24, None, (), zone)
    assert hour_away_from_now(schedule, utc_hour, 12) == expected
