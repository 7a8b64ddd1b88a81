"""A failed update leaves AWS as the state says, through the real plugin.

The dynamic-provider plugin cannot return outputs from a failing update: the engine keeps the
*old* outputs. Whatever the update wrote before it failed must therefore be put back, or the
provider's idea of the tags (or the schedule) no longer matches AWS, and reverting the program
would preview as "same" while AWS keeps the new values.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from sg_snapshot_harness import Engine, PluginError, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import DUMMY_AWS_ENVIRONMENT
from sg_snapshot_provider import SnapshotSeriesProvider, VolumeSnapshotScheduleProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SERIES_TYPE
from tests.conftest import REGION, VOLUME_ARN

OLD_TAGS = {"keep": "1", "drop": "2"}
NEW_TAGS = {"keep": "1", "add": "3"}


def operations(emulator: Emulator) -> list[str]:
    return [call.operation for call in emulator.calls()]


def test_series__a_rotation_whose_create_fails_puts_the_older_snapshots_tags_back(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    series = Engine(engine.plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)
    base = {"volume_arn": VOLUME_ARN, "keep": 3}
    series.up("s", {**base, "trigger": "1", "tags": OLD_TAGS})
    held = series.up("s", {**base, "trigger": "2", "tags": OLD_TAGS}).outputs["snapshot_ids"]
    emulator.inject_fault("CreateSnapshot", "InvalidGatewayRequestException", times=None)

    with pytest.raises(PluginError) as failed:
        series.up("s", {**base, "trigger": "3", "tags": NEW_TAGS})
    assert "InvalidGatewayRequestException" in failed.value.message
    emulator.clear_faults()

    # The engine kept the old outputs: EC2 holds what they say.
    assert series.require_state("s").outputs["snapshot_ids"] == held
    assert [ec2.tags(sid) for sid in held] == [OLD_TAGS, OLD_TAGS]
    emulator.clear_calls()
    reverted = series.up("s", {**base, "trigger": "2", "tags": OLD_TAGS})
    assert reverted.kind is StepKind.SAME
    assert operations(emulator) == []
    # And the program that failed, run again, does it all.
    done = series.up("s", {**base, "trigger": "3", "tags": NEW_TAGS})
    assert [ec2.tags(sid) for sid in done.outputs["snapshot_ids"]] == [NEW_TAGS] * 3


def test_snapshot__an_update_whose_wait_fails_changes_no_tag(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    inputs = {"volume_arn": VOLUME_ARN, "description": "d"}
    made = engine.up("snap", {**inputs, "tags": OLD_TAGS})
    emulator.set_snapshot_state(made.id, "error")

    with pytest.raises(PluginError) as failed:
        engine.up("snap", {**inputs, "tags": NEW_TAGS, "wait_for_completion": True})
    assert made.id in failed.value.message
    assert ec2.tags(made.id) == OLD_TAGS

    reverted = engine.up("snap", {**inputs, "tags": OLD_TAGS})
    assert reverted.kind is StepKind.SAME
    assert ec2.tags(made.id) == OLD_TAGS


def test_snapshot__a_tag_update_failing_half_way_puts_the_old_tags_back(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    inputs = {"volume_arn": VOLUME_ARN, "description": "d"}
    made = engine.up("snap", {**inputs, "tags": OLD_TAGS})
    emulator.inject_fault("CreateTags", "UnauthorizedOperation", status=403)
    emulator.clear_calls()

    with pytest.raises(PluginError) as failed:
        engine.up("snap", {**inputs, "tags": NEW_TAGS})
    assert "UnauthorizedOperation" in failed.value.message
    # DeleteTags removed "drop", CreateTags was refused; then "drop" is put back.
    assert operations(emulator) == ["DeleteTags", "CreateTags", "DeleteTags", "CreateTags"]
    assert ec2.tags(made.id) == OLD_TAGS
    assert engine.up("snap", {**inputs, "tags": OLD_TAGS}).kind is StepKind.SAME


def test_schedule__an_update_that_failed_after_it_was_done_puts_the_old_schedule_back(
    engine: Engine, emulator: Emulator
) -> None:
    schedules = Engine(engine.plugin, VolumeSnapshotScheduleProvider(), type_token=SCHEDULE_TYPE)
    base: dict[str, Any] = {"volume_arn": VOLUME_ARN, "recurrence_in_hours": 24}
    schedules.up("nightly", {**base, "start_at": 2, "tags": OLD_TAGS})
    # Every attempt the provider makes (aws:maxRetries 3: 4) is done, then answered 500.
    emulator.inject_fault(
        "UpdateSnapshotSchedule", "InternalServerError", status=500, mode="after", times=4
    )

    with pytest.raises(PluginError) as failed:
        schedules.up("nightly", {**base, "start_at": 5, "tags": NEW_TAGS})
    assert "InternalServerError" in failed.value.message
    emulator.clear_faults()

    sg = boto3.client(
        "storagegateway",
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id=DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
    )
    actual = sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)
    assert (actual["StartAt"], {t["Key"]: t["Value"] for t in actual["Tags"]}) == (2, OLD_TAGS)
    assert schedules.up("nightly", {**base, "start_at": 2, "tags": OLD_TAGS}).kind is StepKind.SAME
