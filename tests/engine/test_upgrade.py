"""Upgrade safety: state written by an earlier release must keep working with this code.

tests/data/golden_* hold the serialized provider and a snapshot's state as stacks hold them
today, golden_schedule_* the same for a snapshot schedule and golden_series_* for a snapshot
series (made by scripts/make_golden_state.py). The plugin must deserialize that provider string
and, with that state, read, re-tag and delete a snapshot. If this fails, the change breaks
existing stacks: fix the code; regenerate the files only for an intended state-format change.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import boto3
import dill
import pytest
from botocore.exceptions import ClientError

from sg_snapshot_harness import (
    PROVIDER_KEY,
    Engine,
    PluginProcess,
    ResourceState,
    StepKind,
)
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider import (
    SnapshotSeriesProvider,
    StorageGatewaySnapshotProvider,
    VolumeSnapshotScheduleProvider,
)
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SERIES_TYPE, SNAPSHOT_TYPE
from tests.conftest import REGION

DATA = Path(__file__).parents[1] / "data"
GOLDEN_PROVIDER = (DATA / "golden_provider.txt").read_text().strip()


def golden_bag(file_name: str, old_id: str, new_id: str) -> dict[str, Any]:
    """A golden property bag with the snapshot ID replaced and the golden provider added."""
    text = (DATA / file_name).read_text().replace(old_id, new_id)
    return {**json.loads(text), PROVIDER_KEY: GOLDEN_PROVIDER}


def take_snapshot_behind_the_provider(
    emulator: Emulator, volume_arn: str, tags: dict[str, str]
) -> str:
    """A snapshot like the one the golden state describes, made without the provider."""
    client = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    answer = client.create_snapshot(
        VolumeARN=volume_arn,
        SnapshotDescription="golden snapshot",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return str(answer["SnapshotId"]).lower()


@pytest.fixture
def golden_state(emulator: Emulator) -> ResourceState:
    outputs = json.loads((DATA / "golden_outputs.json").read_text())
    old_id = outputs["snapshot_id"]
    new_id = take_snapshot_behind_the_provider(emulator, outputs["volume_arn"], outputs["tags_all"])
    emulator.clear_calls()
    return ResourceState(
        name="golden",
        type=SNAPSHOT_TYPE,
        id=new_id,
        inputs=golden_bag("golden_inputs.json", old_id, new_id),
        outputs=golden_bag("golden_outputs.json", old_id, new_id),
    )


def test_golden_provider_is_the_current_class() -> None:
    provider = dill.loads(base64.b64decode(GOLDEN_PROVIDER))
    assert isinstance(provider, StorageGatewaySnapshotProvider)


def test_golden_state_reads_retags_and_deletes(
    plugin: PluginProcess, golden_state: ResourceState, ec2: Ec2View
) -> None:
    engine = Engine(plugin, GOLDEN_PROVIDER)
    engine.adopt(golden_state)
    inputs = {key: value for key, value in golden_state.inputs.items() if key != "tags_all"}

    assert engine.refresh("golden").kind is StepKind.REFRESH
    assert engine.up("golden", inputs).kind is StepKind.SAME

    retagged = engine.up("golden", {**inputs, "tags": {"team": "storage", "reviewed": "yes"}})
    assert (retagged.kind, retagged.id) == (StepKind.UPDATE, golden_state.id)
    assert ec2.tags(golden_state.id) == {"team": "storage", "reviewed": "yes"}

    assert engine.destroy("golden").kind is StepKind.DELETE
    assert ec2.snapshot_ids() == set()


# --- the snapshot schedule ------------------------------------------------------------------

GOLDEN_SCHEDULE_PROVIDER = (DATA / "golden_schedule_provider.txt").read_text().strip()


def golden_schedule_bag(file_name: str) -> dict[str, Any]:
    return {**json.loads((DATA / file_name).read_text()), PROVIDER_KEY: GOLDEN_SCHEDULE_PROVIDER}


@pytest.fixture
def golden_schedule(emulator: Emulator) -> ResourceState:
    """The golden schedule's state, and the same schedule set on the emulator behind the
    provider's back (in the gateway's time zone the state recorded)."""
    outputs = golden_schedule_bag("golden_schedule_outputs.json")
    volume_arn = outputs["volume_arn"]
    emulator.add_gateway(outputs["gateway_arn"], timezone=outputs["timezone"])
    client = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    client.update_snapshot_schedule(
        VolumeARN=volume_arn,
        StartAt=int(outputs["start_at"]),
        RecurrenceInHours=int(outputs["recurrence_in_hours"]),
        Description=outputs["description"],
        Tags=[{"Key": k, "Value": v} for k, v in outputs["tags_all"].items()],
    )
    emulator.clear_calls()
    return ResourceState(
        name="golden-schedule",
        type=SCHEDULE_TYPE,
        id=volume_arn,
        inputs=golden_schedule_bag("golden_schedule_inputs.json"),
        outputs=outputs,
    )


def aws_calls(emulator: Emulator) -> list[str]:
    calls = [call.operation for call in emulator.calls()]
    emulator.clear_calls()
    return calls


def test_golden_schedule_provider_is_the_current_class() -> None:
    provider = dill.loads(base64.b64decode(GOLDEN_SCHEDULE_PROVIDER))
    assert isinstance(provider, VolumeSnapshotScheduleProvider)


def test_golden_schedule_refreshes_updates_and_deletes(
    plugin: PluginProcess, golden_schedule: ResourceState, emulator: Emulator
) -> None:
    engine = Engine(plugin, GOLDEN_SCHEDULE_PROVIDER, type_token=SCHEDULE_TYPE)
    engine.adopt(golden_schedule)
    inputs = {
        key: value
        for key, value in golden_schedule.inputs.items()
        if key not in ("tags_all", PROVIDER_KEY)
    }

    refreshed = engine.refresh("golden-schedule")
    assert refreshed.kind is StepKind.REFRESH
    assert refreshed.diff is not None
    assert refreshed.diff.changes is False
    assert aws_calls(emulator) == ["DescribeSnapshotSchedule"]

    assert engine.preview("golden-schedule", inputs).kind is StepKind.SAME
    assert engine.up("golden-schedule", inputs).kind is StepKind.SAME
    assert aws_calls(emulator) == []

    updated = engine.up("golden-schedule", {**inputs, "start_at": 4})
    assert (updated.kind, updated.id) == (StepKind.UPDATE, golden_schedule.id)
    assert updated.outputs["timezone"] == golden_schedule.outputs["timezone"]
    assert aws_calls(emulator) == ["UpdateSnapshotSchedule"]
    client = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    assert client.describe_snapshot_schedule(VolumeARN=golden_schedule.id)["StartAt"] == 4
    emulator.clear_calls()

    assert engine.destroy("golden-schedule").kind is StepKind.DELETE
    assert aws_calls(emulator) == ["DeleteSnapshotSchedule"]
    with pytest.raises(ClientError) as caught:
        client.describe_snapshot_schedule(VolumeARN=golden_schedule.id)
    assert caught.value.response["error"]["errorCode"] == "SnapshotScheduleNotFound"  # type: ignore[typeddict-item]


# --- the snapshot series --------------------------------------------------------------------

GOLDEN_SERIES_PROVIDER = (DATA / "golden_series_provider.txt").read_text().strip()


@pytest.fixture
def golden_series(emulator: Emulator) -> ResourceState:
    """The golden series' state, with a snapshot made behind the provider for each one it
    holds (their IDs replace the golden ones, oldest first as they were made)."""
    outputs = json.loads((DATA / "golden_series_outputs.json").read_text())
    text_in = (DATA / "golden_series_inputs.json").read_text()
    text_out = (DATA / "golden_series_outputs.json").read_text()
    for old_id in reversed(outputs["snapshot_ids"]):
        new_id = take_snapshot_behind_the_provider(
            emulator, outputs["volume_arn"], outputs["tags_all"]
        )
        text_in, text_out = text_in.replace(old_id, new_id), text_out.replace(old_id, new_id)
    emulator.clear_calls()
    series_id = "series-00000000-0000-4000-8000-000000000000"
    return ResourceState(
        name="golden-series",
        type=SERIES_TYPE,
        id=series_id,
        inputs={**json.loads(text_in), PROVIDER_KEY: GOLDEN_SERIES_PROVIDER},
        outputs={**json.loads(text_out), PROVIDER_KEY: GOLDEN_SERIES_PROVIDER},
    )


def test_golden_series_provider_is_the_current_class() -> None:
    provider = dill.loads(base64.b64decode(GOLDEN_SERIES_PROVIDER))
    assert isinstance(provider, SnapshotSeriesProvider)


def test_golden_series_refreshes_rotates_retags_and_deletes(
    plugin: PluginProcess, golden_series: ResourceState, emulator: Emulator, ec2: Ec2View
) -> None:
    engine = Engine(plugin, GOLDEN_SERIES_PROVIDER, type_token=SERIES_TYPE)
    engine.adopt(golden_series)
    held = golden_series.outputs["snapshot_ids"]
    inputs = {
        key: value
        for key, value in golden_series.inputs.items()
        if key not in ("tags_all", PROVIDER_KEY)
    }

    refreshed = engine.refresh("golden-series")
    assert refreshed.kind is StepKind.REFRESH
    assert refreshed.diff is not None
    assert refreshed.diff.changes is False
    assert refreshed.outputs["snapshot_ids"] == held
    assert aws_calls(emulator) == ["DescribeSnapshots"]

    assert engine.preview("golden-series", inputs).kind is StepKind.SAME
    assert engine.up("golden-series", inputs).kind is StepKind.SAME
    assert aws_calls(emulator) == []

    rotated = engine.up("golden-series", {**inputs, "trigger": "4"})
    assert (rotated.kind, rotated.id) == (StepKind.UPDATE, golden_series.id)
    assert aws_calls(emulator) == ["CreateSnapshot", "DescribeSnapshots", "DeleteSnapshot"]
    newest = rotated.outputs["latest_snapshot_id"]
    assert rotated.outputs["snapshot_ids"] == [newest, held[0]]
    assert ec2.snapshot_ids() == {newest, held[0]}
    emulator.clear_calls()

    tags = {"team": "storage", "reviewed": "yes"}
    retagged = engine.up("golden-series", {**inputs, "trigger": "4", "tags": tags})
    assert retagged.kind is StepKind.UPDATE
    assert aws_calls(emulator) == ["DeleteTags", "CreateTags"]
    assert ec2.tags(newest) == ec2.tags(held[0]) == tags
    emulator.clear_calls()

    assert engine.destroy("golden-series").kind is StepKind.DELETE
    assert aws_calls(emulator) == ["DescribeSnapshots", "DeleteSnapshot", "DeleteSnapshot"]
    assert ec2.snapshot_ids() == set()
