"""Only the top-level ``__provider`` is the engine's: a key of that name inside ``tags`` or
``triggers`` is the user's and behaves like any other, through the real plugin."""

from __future__ import annotations

from typing import Any

from sg_snapshot_harness import Engine, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import VOLUME_ARN

KEY = "__provider"


def snapshot(**extra: Any) -> dict[str, Any]:
    return {"volume_arn": VOLUME_ARN, "description": "provider key", **extra}


def test_a_trigger_named_provider_replaces_when_it_changes(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    first = engine.up("snap", snapshot(triggers={KEY: "1"}))
    assert first.outputs["triggers"] == {KEY: "1"}
    assert engine.up("snap", snapshot(triggers={KEY: "1"})).kind is StepKind.SAME

    emulator.clear_calls()
    second = engine.up("snap", snapshot(triggers={KEY: "2"}))
    assert second.kind is StepKind.REPLACE
    assert [c.operation for c in emulator.calls()] == ["CreateSnapshot", "DeleteSnapshot"]
    assert ec2.snapshot_ids() == {second.id}


def test_a_tag_named_provider_is_kept_on_the_snapshot_and_updated(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    made = engine.up("snap", snapshot(tags={KEY: "a", "team": "x"}))
    assert ec2.tags(made.id) == {KEY: "a", "team": "x"}
    assert made.outputs["tags"] == {KEY: "a", "team": "x"}
    assert made.outputs["tags_all"] == {KEY: "a", "team": "x"}

    emulator.clear_calls()
    updated = engine.up("snap", snapshot(tags={KEY: "b", "team": "x"}))
    assert updated.kind is StepKind.UPDATE
    assert [c.operation for c in emulator.calls()] == ["CreateTags"]
    assert ec2.tags(made.id) == {KEY: "b", "team": "x"}

    assert engine.refresh("snap").outputs["tags"] == {KEY: "b", "team": "x"}


def test_a_series_tag_named_provider_is_kept(engine: Engine, ec2: Ec2View) -> None:
    series = Engine(engine.plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)
    made = series.up(
        "series", {"volume_arn": VOLUME_ARN, "trigger": "1", "keep": 2, "tags": {KEY: "a"}}
    )
    assert ec2.tags(made.outputs["latest_snapshot_id"]) == {KEY: "a"}
    assert made.outputs["tags_all"] == {KEY: "a"}
