"""Exactly-once create and the other reliability promises, step by step through the plugin."""

from __future__ import annotations

import threading
import time

import pytest

from sg_snapshot_harness import Engine, PluginError
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG
from tests.conftest import VOLUME_ARN

INPUTS = {"volume_arn": VOLUME_ARN, "description": "exactly once", "tags": {"team": "storage"}}


def _raw_tags(ec2: Ec2View, snapshot_id: str) -> dict[str, str]:
    snapshot = ec2.snapshot(snapshot_id)
    assert snapshot is not None
    return {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}


def test_happy_path_is_one_call_and_the_token_stays_hidden(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    created = engine.up("snap", INPUTS)

    assert [c.operation for c in emulator.calls()] == ["CreateSnapshot"]
    raw = _raw_tags(ec2, created.id)
    assert set(raw) == {"team", CREATE_TOKEN_TAG}
    assert len(raw[CREATE_TOKEN_TAG]) == 36  # a uuid4
    assert created.outputs["tags_all"] == {"team": "storage"}
    refreshed = engine.refresh("snap")
    assert refreshed.outputs["tags"] == {"team": "storage"}
    assert refreshed.outputs["tags_all"] == {"team": "storage"}
    assert refreshed.diff is not None
    assert refreshed.diff.changes is False
    engine.up("snap", {**INPUTS, "tags": {}})
    assert _raw_tags(ec2, created.id) == {CREATE_TOKEN_TAG: raw[CREATE_TOKEN_TAG]}


def test_every_create_gets_its_own_token(engine: Engine, ec2: Ec2View) -> None:
    first = engine.up("a", INPUTS)
    second = engine.up("b", INPUTS)
    assert _raw_tags(ec2, first.id)[CREATE_TOKEN_TAG] != _raw_tags(ec2, second.id)[CREATE_TOKEN_TAG]


def test_check_rejects_the_token_tag(engine: Engine, emulator: Emulator) -> None:
    outcome = engine.check("snap", {**INPUTS, "tags": {CREATE_TOKEN_TAG: "mine"}})
    assert [f.property for f in outcome.failures] == [f'tags["{CREATE_TOKEN_TAG}"]']
    assert "reserved" in outcome.failures[0].reason
    assert emulator.calls() == []


def test_a_lost_answer_is_adopted_not_repeated(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.inject_fault("CreateSnapshot", "", mode="drop", times=None)
    created = engine.up("snap", INPUTS)

    assert ec2.snapshot_ids() == {created.id}
    operations = [c.operation for c in emulator.calls()]
    assert operations.count("CreateSnapshot") == 1
    assert "DescribeSnapshots" in operations  # looked it up by its token


def test_wait_error_state_deletes_the_snapshot(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.set_pending_seconds(60)

    def break_it() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for snapshot_id in ec2.snapshot_ids():
                emulator.set_snapshot_state(snapshot_id, "error")
                return
            time.sleep(0.05)

    breaker = threading.Thread(target=break_it)
    breaker.start()
    with pytest.raises(PluginError) as caught:
        engine.up("snap", {**INPUTS, "wait_for_completion": True})
    breaker.join()
    assert "creating Storage Gateway snapshot of volume" in caught.value.message
    assert "went to the error state" in caught.value.message
    assert "was deleted again" in caught.value.message
    assert ec2.snapshot_ids() == set()
    assert engine.state("snap") is None


def test_wait_timeout_deletes_the_snapshot(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.set_pending_seconds(60)
    inputs = {**INPUTS, "wait_for_completion": True, "completion_timeout_seconds": 0.3}
    with pytest.raises(PluginError) as caught:
        engine.up("snap", inputs)
    assert "still pending" in caught.value.message
    assert "was deleted again" in caught.value.message
    assert ec2.snapshot_ids() == set()
    assert engine.state("snap") is None


def test_in_use_is_retried_then_a_clear_error_and_state_keeps_it(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    created = engine.up("snap", INPUTS)
    emulator.inject_fault(
        "DeleteSnapshot",
        "InvalidSnapshot.InUse",
        message=f"The snapshot {created.id} is currently in use by ami-0123456789abcdef0",
        times=None,
    )
    emulator.clear_calls()
    with pytest.raises(PluginError) as caught:
        engine.destroy("snap")
    assert caught.value.message.endswith(
        "deregister the AMI (aws ec2 deregister-image) and try again."
    )
    assert f"deleting EBS snapshot {created.id}: InvalidSnapshot.InUse" in caught.value.message
    assert "AMI ami-0123456789abcdef0" in caught.value.message
    assert len(emulator.calls()) >= 2
    assert engine.require_state("snap").id == created.id
    assert ec2.snapshot_ids() == {created.id}
