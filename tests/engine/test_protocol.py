"""What the engine sees of the provider through the plugin: check failures, outputs, errors,
preview and concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sg_snapshot_harness import (
    UNKNOWN,
    CheckFailedError,
    Engine,
    PluginError,
    PluginProcess,
    StepKind,
)
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import ACCOUNT_ID, GATEWAY_ARN, REGION, VOLUME_ARN

BASE: dict[str, Any] = {"volume_arn": VOLUME_ARN, "description": "nightly root volume"}

#: Every input echoed plus these, on create (the EC2-only ones come with a wait/read).
CREATE_OUTPUT_KEYS = {
    "volume_arn",
    "description",
    "tags",
    "wait_for_completion",
    "completion_timeout_seconds",
    "triggers",
    "snapshot_id",
    "arn",
    "region",
    "account_id",
    "gateway_arn",
    "volume_id",
    "tags_all",
    "state",
}
EC2_OUTPUT_KEYS = {"progress", "start_time", "volume_size_gib", "encrypted", "owner_id"}


@pytest.mark.parametrize(
    ("changes", "bad_property"),
    [
        pytest.param({"description": ""}, "description", id="empty-description"),
        pytest.param({"description": "d" * 256}, "description", id="long-description"),
        pytest.param(
            {"volume_arn": "arn:aws:ec2:us-east-1:1:volume/vol-1"}, "volume_arn", id="not-a-volume"
        ),
        pytest.param({"tags": {"aws:reserved": "x"}}, "tags", id="reserved-tag-key"),
        pytest.param(
            {"completion_timeout_seconds": -5}, "completion_timeout_seconds", id="negative-timeout"
        ),
    ],
)
def test_check_rejects_bad_inputs_without_calling_aws(
    changes: dict[str, Any],
    bad_property: str,
    engine: Engine,
    emulator: Emulator,
    plugin: PluginProcess,
) -> None:
    with pytest.raises(CheckFailedError) as failed:
        engine.up("bad", {**BASE, **changes})
    assert any(name.startswith(bad_property) for name in failed.value.properties), failed.value
    assert emulator.calls() == []
    assert plugin.calls() == ["Check"]
    assert engine.state("bad") is None


def test_create_outputs_describe_the_snapshot(engine: Engine, ec2: Ec2View) -> None:
    step = engine.up("snap", {**BASE, "tags": {"team": "storage"}})
    outputs = step.outputs
    assert set(outputs) >= CREATE_OUTPUT_KEYS
    assert step.id == outputs["snapshot_id"]
    assert outputs["arn"] == f"arn:aws:ec2:{REGION}::snapshot/{step.id}"
    assert (outputs["region"], outputs["account_id"]) == (REGION, ACCOUNT_ID)
    assert (outputs["gateway_arn"], outputs["volume_id"]) == (GATEWAY_ARN, "vol-1122AABB")
    assert outputs["tags_all"] == {"team": "storage"}
    snapshot = ec2.snapshot(step.id)
    assert snapshot is not None
    assert snapshot["Description"] == BASE["description"]


def test_waiting_and_refresh_fill_in_what_only_ec2_knows(engine: Engine) -> None:
    created = engine.up("snap", {**BASE, "wait_for_completion": True})
    assert created.outputs["state"] == "completed"
    assert set(created.outputs) >= EC2_OUTPUT_KEYS
    refreshed = engine.refresh("snap")
    assert set(refreshed.outputs) >= EC2_OUTPUT_KEYS
    assert refreshed.outputs["progress"] == "100%"


def test_preview_never_creates(engine: Engine, emulator: Emulator, plugin: PluginProcess) -> None:
    planned = engine.preview("snap", {**BASE, "description": UNKNOWN, "tags": {"a": UNKNOWN}})
    assert (planned.kind, planned.preview) == (StepKind.CREATE, True)
    assert plugin.calls() == ["Check"]
    assert emulator.calls() == []


def test_an_aws_error_reaches_the_user_as_one_clear_message(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.inject_fault("CreateSnapshot", "VolumeNotFound")
    with pytest.raises(PluginError) as failed:
        engine.up("snap", BASE)
    message = failed.value.message
    assert "VolumeNotFound" in message
    assert "vol-1122AABB" in message
    assert engine.state("snap") is None
    assert ec2.snapshot_ids() == set()


def test_refresh_says_whether_the_next_up_has_work(engine: Engine, ec2: Ec2View) -> None:
    created = engine.up("snap", {**BASE, "tags": {"team": "storage"}})
    in_sync = engine.refresh("snap")
    assert in_sync.diff is not None
    assert in_sync.diff.changes is False
    ec2.set_tags_out_of_band(created.id, {"team": "someone-else"})
    drifted = engine.refresh("snap")
    assert drifted.diff is not None
    assert drifted.diff.changes is True
    assert drifted.diff.replaces == ()
    assert drifted.outputs["tags"] == {"team": "someone-else"}


def test_a_failed_wait_leaves_no_snapshot_behind(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.set_pending_seconds(60)
    inputs = {**BASE, "wait_for_completion": True, "completion_timeout_seconds": 1}
    with pytest.raises(PluginError) as failed:
        engine.up("snap", inputs)
    operations = [call.operation for call in emulator.calls()]
    assert operations[0] == "CreateSnapshot"
    assert operations[-1] == "DeleteSnapshot"
    assert "deleted again" in failed.value.message
    assert engine.state("snap") is None
    assert ec2.snapshot_ids() == set()


def test_eight_snapshots_in_flight(engine: Engine, ec2: Ec2View) -> None:
    names = [f"snap-{i}" for i in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda n: engine.up(n, {**BASE, "tags": {"n": n}}), names))
        assert ec2.snapshot_ids() == {step.id for step in created}
        retagged = list(
            pool.map(lambda n: engine.up(n, {**BASE, "tags": {"n": n, "x": "1"}}), names)
        )
        list(pool.map(engine.destroy, names))
    assert {step.kind for step in retagged} == {StepKind.UPDATE}
    assert len({step.id for step in created}) == len(names)
    assert ec2.snapshot_ids() == set()
