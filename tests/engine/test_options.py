"""What the engine does around the provider, through the real plugin: replace ordering, resource
options where the engine applies them, preview in its own plugin, refresh. Each test asserts the
AWS calls made (the emulator's log) and what EC2 holds afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sg_snapshot_harness import (
    Engine,
    Options,
    PluginError,
    PluginProcess,
    ProtectedError,
    StepKind,
)
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT, VOLUME_ARN
from tests.engine.conftest import STACK_CONFIG

BASE: dict[str, Any] = {"volume_arn": VOLUME_ARN, "description": "options", "tags": {"a": "1"}}


def aws_calls(emulator: Emulator) -> list[str]:
    return [call.operation for call in emulator.calls()]


@pytest.fixture
def created(engine: Engine, emulator: Emulator) -> str:
    snapshot_id = engine.up("snap", BASE).id
    emulator.clear_calls()
    return snapshot_id


# --- replace ordering -------------------------------------------------------------------------


def test_replace__the_old_snapshot_is_deleted_after_every_other_step(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    deployment = engine.deploy(
        {"snap": {**BASE, "description": "replaced"}, "other": {**BASE, "description": "new"}},
        parallel=1,
    )
    assert deployment.steps["snap"].kind is StepKind.REPLACE
    assert aws_calls(emulator) == ["CreateSnapshot", "CreateSnapshot", "DeleteSnapshot"]
    assert created not in ec2.snapshot_ids()
    assert ec2.snapshot_ids() == {deployment.steps["snap"].id, deployment.steps["other"].id}


def test_replace__a_failed_delete_stays_pending_and_the_next_up_retries_it(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    emulator.inject_fault("DeleteSnapshot", "UnauthorizedOperation", status=403, times=None)
    with pytest.raises(PluginError, match="UnauthorizedOperation"):
        engine.up("snap", {**BASE, "description": "replaced"})
    new_id = engine.require_state("snap").id
    assert new_id != created
    assert [old.id for old in engine.pending_deletes()] == [created]  # never lost
    assert ec2.snapshot_ids() == {created, new_id}

    emulator.clear_faults()
    emulator.clear_calls()
    again = engine.up("snap", {**BASE, "description": "replaced"})
    assert (again.kind, again.id) == (StepKind.SAME, new_id)
    assert aws_calls(emulator) == ["DeleteSnapshot"]
    assert engine.pending_deletes() == []
    assert ec2.snapshot_ids() == {new_id}


def test_delete_before_replace__deletes_first(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    step = engine.up(
        "snap", {**BASE, "description": "replaced"}, Options(delete_before_replace=True)
    )
    assert step.kind is StepKind.REPLACE
    assert aws_calls(emulator) == ["DeleteSnapshot", "CreateSnapshot"]
    assert ec2.snapshot_ids() == {step.id}


def test_a_resource_left_out_of_the_program_is_deleted_at_the_end(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    deployment = engine.deploy({"other": {**BASE, "description": "new"}})
    assert aws_calls(emulator) == ["CreateSnapshot", "DeleteSnapshot"]
    assert deployment.steps["snap"].kind is StepKind.DELETE
    assert ec2.snapshot_ids() == {deployment.steps["other"].id}


# --- ignore_changes -------------------------------------------------------------------------


def test_ignore_changes_tags__a_tag_added_out_of_band_stays(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    ec2.set_tags_out_of_band(created, {"manual": "yes"})
    refreshed = engine.refresh("snap")
    assert refreshed.outputs["tags"] == {"a": "1", "manual": "yes"}
    emulator.clear_calls()
    step = engine.up("snap", BASE, Options(ignore_changes=("tags",)))
    assert step.kind is StepKind.SAME
    assert aws_calls(emulator) == []
    assert ec2.tags(created) == {"a": "1", "manual": "yes"}


def test_without_ignore_changes_the_out_of_band_tag_is_removed(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    ec2.set_tags_out_of_band(created, {"manual": "yes"})
    engine.refresh("snap")
    emulator.clear_calls()
    assert engine.up("snap", BASE).kind is StepKind.UPDATE
    assert aws_calls(emulator) == ["DeleteTags"]
    assert ec2.tags(created) == {"a": "1"}


def test_ignore_changes_tags__new_tags_in_the_program_change_nothing(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    step = engine.up("snap", {**BASE, "tags": {"b": "2"}}, Options(ignore_changes=("tags",)))
    assert step.kind is StepKind.SAME
    assert aws_calls(emulator) == []
    assert ec2.tags(created) == {"a": "1"}


def test_ignore_changes_description__keeps_the_snapshot(
    engine: Engine, emulator: Emulator, ec2: Ec2View, created: str
) -> None:
    step = engine.up(
        "snap", {**BASE, "description": "edited"}, Options(ignore_changes=("description",))
    )
    assert (step.kind, step.id) == (StepKind.SAME, created)
    assert aws_calls(emulator) == []


# --- retain_on_delete, protect, replace_on_changes, custom_timeouts --------------------------


def test_retain_on_delete__a_replace_keeps_the_old_snapshot_in_ec2_and_out_of_state(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    keep = Options(retain_on_delete=True)
    first = engine.up("snap", {**BASE, "triggers": {"release": "1"}}, keep)
    second = engine.up("snap", {**BASE, "triggers": {"release": "2"}}, keep)
    assert second.kind is StepKind.REPLACE
    assert "DeleteSnapshot" not in aws_calls(emulator)
    assert ec2.snapshot_ids() == {first.id, second.id}
    assert engine.names() == ["snap"]
    assert engine.require_state("snap").id == second.id
    assert engine.pending_deletes() == []


def test_protect__refuses_destroy_and_replace_before_any_call(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    protected = Options(protect=True)
    snapshot_id = engine.up("snap", BASE, protected).id
    emulator.clear_calls()
    with pytest.raises(ProtectedError):
        engine.destroy("snap")
    with pytest.raises(ProtectedError):
        engine.up("snap", {**BASE, "description": "replaced"}, protected)
    assert aws_calls(emulator) == []
    assert ec2.snapshot_ids() == {snapshot_id}


def test_replace_on_changes__does_nothing_through_the_dynamic_plugin(
    engine: Engine, emulator: Emulator, created: str
) -> None:
    """The plugin's Diff answers "some changes" with no changed keys, so the engine has no key
    to apply replace_on_changes to: a tag change stays an update (use ``triggers`` instead)."""
    step = engine.up("snap", {**BASE, "tags": {"b": "2"}}, Options(replace_on_changes=("tags",)))
    assert (step.kind, step.id) == (StepKind.UPDATE, created)
    assert "CreateSnapshot" not in aws_calls(emulator)


def test_custom_timeouts__never_reach_the_provider(engine: Engine, emulator: Emulator) -> None:
    """The engine sends a 0.2 s create timeout; the wait goes on until the snapshot completes
    (bound it with completion_timeout_seconds instead)."""
    emulator.set_pending_seconds(1)
    step = engine.up(
        "snap",
        {**BASE, "wait_for_completion": True},
        Options(custom_timeouts={"create": "0.2s"}),
    )
    assert step.outputs["state"] == "completed"


# --- preview and refresh ------------------------------------------------------------------------


@pytest.fixture
def preview_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    try:
        process.configure(STACK_CONFIG)
        yield process
    finally:
        process.cleanup()


def test_preview__in_its_own_plugin_only_check_and_diff(
    engine: Engine, emulator: Emulator, preview_plugin: PluginProcess, created: str
) -> None:
    engine.plugin.clear_calls()
    previewing = engine.for_preview(preview_plugin)
    assert previewing.preview("snap", {**BASE, "description": "x"}).kind is StepKind.REPLACE
    assert previewing.preview("new", BASE).kind is StepKind.CREATE
    # The replace is checked twice (the second time with no old inputs), as in an up.
    assert preview_plugin.calls() == ["Configure", "Check", "Diff", "Check", "Check"]
    assert engine.plugin.calls() == []
    assert aws_calls(emulator) == []
    assert engine.require_state("snap").id == created
    assert engine.state("new") is None


def test_refresh__outputs_replaced_inputs_follow_what_read_returns(
    engine: Engine, ec2: Ec2View, created: str
) -> None:
    before = engine.require_state("snap")
    ec2.set_tags_out_of_band(created, {"manual": "yes"})
    engine.refresh("snap")
    after = engine.require_state("snap")
    assert after.outputs["tags_all"] == {"a": "1", "manual": "yes"}
    # The provider returns inputs: the stored inputs carry the tags EC2 has.
    assert after.inputs["tags"] == {"a": "1", "manual": "yes"}
    assert after.inputs["description"] == before.inputs["description"]
