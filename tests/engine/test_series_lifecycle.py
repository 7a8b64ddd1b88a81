"""The snapshot series' whole lifecycle through the real plugin, step by step, against the
emulator.

Each scenario is a list of steps: an engine operation (up, preview, refresh, destroy) or
something done behind the provider's back (a snapshot deleted or tagged out of band, a fault, a
visibility lag). For every engine step the table says what kind of step it must be, exactly
which AWS requests it may make, in order, and how many snapshots the series then holds. After
each step the snapshots in EC2 are exactly those the state's ``snapshot_ids`` names (nothing
leaked, nothing forgotten), newest first, each with the expected tags; a step that takes a
snapshot puts it first and keeps the older ones in order; a step that deletes removes the
oldest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from typing import Any

import pytest

from sg_snapshot_harness import (
    UNKNOWN,
    CheckFailedError,
    Engine,
    Options,
    PluginError,
    PluginProcess,
    ResourceState,
    StepKind,
)
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_harness.scenarios import ScenarioRunner
from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import OWNER_TAG
from sg_snapshot_provider.orphans import read_export
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import (
    GATEWAY_ARN,
    PLUGIN_TIMINGS,
    REPO_ROOT,
    VISIBILITY_WINDOW_SECONDS,
    VOLUME_ARN,
)
from tests.engine.conftest import STACK_CONFIG

NAME = "nightly-root"
OTHER_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-3344CCDD"
OWNER = f"sg-snapshot-provider/test/{NAME}"
BASE: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "trigger": "1",
    "keep": 3,
    "stack_resource": OWNER,
}

CREATE_SNAPSHOT = "storagegateway:CreateSnapshot"
DESCRIBE = "ec2:DescribeSnapshots"
CREATE_TAGS = "ec2:CreateTags"
DELETE_TAGS = "ec2:DeleteTags"
DELETE_SNAPSHOT = "ec2:DeleteSnapshot"

TIMINGS = {**PLUGIN_TIMINGS, "ambiguous_settle_seconds": 0.2}
#: A delete EC2 refuses for good (no retry): the "old delete failed" fault.
DENIED: dict[str, Any] = {
    "operation": "DeleteSnapshot",
    "code": "UnauthorizedOperation",
    "status": 403,
}


@dataclass(frozen=True)
class Step:
    """One row. ``expect`` is a step kind, an exception class, or None for out-of-band actions
    (not checked). ``held``: how many snapshots the series holds after it. ``tags``: the tags
    every snapshot (and ``tags_all``) then has. ``lagged``: EC2's visibility lag makes some
    requests repeat, so consecutive repeats count once. ``stale_ok``: the step failed half-way
    through a destroy, so the state may name snapshots already gone (never the reverse)."""

    action: str
    inputs: dict[str, Any] | None = None
    expect: StepKind | type[Exception] | None = None
    aws: tuple[str, ...] = ()
    held: int | None = None
    tags: dict[str, str] | None = None
    lagged: bool = False
    stale_ok: bool = False


def up(
    expect: StepKind | type[Exception],
    *aws: str,
    held: int | None = None,
    lagged: bool = False,
    **changes: Any,
) -> Step:
    """After a successful up every snapshot has exactly the declared tags (no default tags)."""
    tags = changes.get("tags", {}) if isinstance(expect, StepKind) else None
    return Step("up", {**BASE, **changes}, expect, aws, held, tags, lagged)


def preview(expect: StepKind, **changes: Any) -> Step:
    return Step("preview", {**BASE, **changes}, expect)


def refresh(expect: StepKind, *aws: str, held: int | None = None) -> Step:
    return Step("refresh", expect=expect, aws=aws, held=held)


def destroy(*aws: str, lagged: bool = False) -> Step:
    return Step("destroy", expect=StepKind.DELETE, aws=aws, held=0, lagged=lagged)


def out_of_band(action: str, **values: Any) -> Step:
    return Step(action, inputs=values)


def triggers(first: int, last: int, *, held_from: int = 1, **changes: Any) -> list[Step]:
    """Ups with triggers first..last, each taking one snapshot (none deleted: keep allows)."""
    return [
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=held_from + n, trigger=str(t), **changes)
        for n, t in enumerate(range(first, last + 1))
    ]


CREATE = up(StepKind.CREATE, CREATE_SNAPSHOT, held=1)
#: Three snapshots (triggers 1, 2, 3) in a series that keeps 3.
THREE = [CREATE, *triggers(2, 3, held_from=2)]
OUTWAIT_VISIBILITY_WINDOW = out_of_band("outwait_visibility_window")

SCENARIOS: dict[str, list[Step]] = {
    "basic": [
        CREATE,
        up(StepKind.SAME, held=1),
        *triggers(2, 3, held_from=2),
        # keep 3: the fourth snapshot is taken, then the oldest goes
        up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=3, trigger="4"),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=3, trigger="5"),
        up(StepKind.SAME, held=3, trigger="5"),
        destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "keep_one": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, keep=1),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=1, keep=1, trigger="2"
        ),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=1, keep=1, trigger="3"
        ),
        destroy(DESCRIBE, DELETE_SNAPSHOT),
    ],
    "lowering_keep_deletes_the_oldest": [
        *THREE,
        up(
            StepKind.UPDATE, DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, held=1, trigger="3", keep=1
        ),
        up(StepKind.SAME, held=1, trigger="3", keep=1),
        # a new trigger and a lower keep at once: take, then delete down to keep
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=2, trigger="4", keep=2),
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            DELETE_SNAPSHOT,
            DELETE_SNAPSHOT,
            held=1,
            trigger="5",
            keep=1,
        ),
    ],
    "raising_keep_deletes_nothing": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, keep=2),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=2, keep=2, trigger="2"),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=2, keep=2, trigger="3"
        ),
        up(StepKind.UPDATE, held=2, keep=4, trigger="3"),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=3, keep=4, trigger="4"),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=4, keep=4, trigger="5"),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=4, keep=4, trigger="6"
        ),
    ],
    "retag_every_snapshot_with_one_call_each": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, tags={"team": "storage"}),
        *triggers(2, 3, held_from=2, tags={"team": "storage"}),
        up(StepKind.UPDATE, CREATE_TAGS, held=3, trigger="3", tags={"team": "storage", "env": "1"}),
        up(StepKind.SAME, held=3, trigger="3", tags={"team": "storage", "env": "1"}),
        up(StepKind.UPDATE, DELETE_TAGS, held=3, trigger="3", tags={"env": "1"}),
        up(StepKind.UPDATE, DELETE_TAGS, CREATE_TAGS, held=3, trigger="3", tags={"tier": "gold"}),
        # new tags and a new trigger: the older ones re-tagged, the new one made with them
        up(
            StepKind.UPDATE,
            DELETE_TAGS,
            CREATE_TAGS,
            CREATE_SNAPSHOT,
            DESCRIBE,
            DELETE_SNAPSHOT,
            held=3,
            trigger="4",
            tags={"team": "db"},
        ),
        up(StepKind.UPDATE, DELETE_TAGS, held=3, trigger="4"),
    ],
    "description_applies_to_new_snapshots": [
        CREATE,
        up(StepKind.UPDATE, held=1, description="Root volume"),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=2, description="Root volume", trigger="2"),
        up(StepKind.SAME, held=2, description="Root volume", trigger="2"),
    ],
    "numbers_as_the_wire_sends_them": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, trigger=7.0, keep=2.0),
        up(StepKind.SAME, held=1, trigger=7, keep=2),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=2, trigger=8, keep=2),
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            DELETE_SNAPSHOT,
            held=2,
            trigger=True,
            keep=2,
        ),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=2, trigger=1, keep=2),
    ],
    "wait_for_completion": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, held=1, wait_for_completion=True),
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            held=2,
            wait_for_completion=True,
            trigger="2",
        ),
        up(StepKind.UPDATE, held=2, wait_for_completion=False, trigger="2"),
    ],
    "a_failed_wait_deletes_the_new_snapshot_only": [
        *THREE,
        out_of_band(
            "fault", operation="DescribeSnapshots", code="UnauthorizedOperation", status=403
        ),
        up(
            PluginError,
            CREATE_SNAPSHOT,
            DESCRIBE,
            DELETE_SNAPSHOT,
            held=3,
            trigger="4",
            wait_for_completion=True,
        ),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=3, trigger="4"),
    ],
    "a_lost_create_answer_takes_no_second_snapshot": [
        *THREE,
        # the gateway makes the snapshot, the answer is lost: looked up by its create token
        # (and once more for a late duplicate), never sent again
        out_of_band("fault", operation="CreateSnapshot", code="", mode="drop"),
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            DESCRIBE,
            DESCRIBE,
            DELETE_SNAPSHOT,
            held=3,
            trigger="4",
        ),
    ],
    "a_failed_old_delete_loses_nothing": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, keep=1),
        out_of_band("fault", **DENIED),
        # the new snapshot exists, the old one could not go: both stay in the series
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=2, keep=1, trigger="2"
        ),
        preview(StepKind.UPDATE, keep=1, trigger="2"),
        # same inputs: the overdue delete is retried
        up(StepKind.UPDATE, DESCRIBE, DELETE_SNAPSHOT, held=1, keep=1, trigger="2"),
        up(StepKind.SAME, held=1, keep=1, trigger="2"),
    ],
    "a_failed_old_delete_then_destroy": [
        *THREE,
        out_of_band("fault", **DENIED),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, DELETE_SNAPSHOT, held=4, trigger="4"),
        out_of_band("fault", **DENIED),
        # the next rotation deletes the overdue one and the one now beyond keep; one fails
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            DELETE_SNAPSHOT,
            DELETE_SNAPSHOT,
            held=4,
            trigger="5",
        ),
        destroy(DESCRIBE, *[DELETE_SNAPSHOT] * 4),
    ],
    "a_failed_destroy_keeps_the_series": [
        *THREE,
        OUTWAIT_VISIBILITY_WINDOW,
        out_of_band("fault", **DENIED),
        Step(
            "destroy",
            expect=PluginError,
            aws=(DESCRIBE, *(DELETE_SNAPSHOT,) * 3),
            held=3,
            stale_ok=True,
        ),
        # the two deleted ones count as deleted: "not found" after the visibility window
        destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "refresh_after_an_out_of_band_delete": [
        *THREE,
        OUTWAIT_VISIBILITY_WINDOW,
        out_of_band("delete_out_of_band", position=1),
        refresh(StepKind.REFRESH, DESCRIBE, held=2),
        up(StepKind.SAME, held=2, trigger="3"),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=3, trigger="4"),
    ],
    "every_snapshot_deleted_out_of_band": [
        *THREE,
        OUTWAIT_VISIBILITY_WINDOW,
        out_of_band("delete_out_of_band", position=0),
        out_of_band("delete_out_of_band", position=1),
        out_of_band("delete_out_of_band", position=2),
        refresh(StepKind.DROP, DESCRIBE),
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, trigger="3"),
    ],
    "retag_after_an_out_of_band_delete": [
        *THREE,
        OUTWAIT_VISIBILITY_WINDOW,
        out_of_band("delete_out_of_band", position=2),
        # EC2 refuses the whole CreateTags; the ones it shows are re-tagged, the gone one leaves
        up(
            StepKind.UPDATE,
            CREATE_TAGS,
            DESCRIBE,
            CREATE_TAGS,
            held=2,
            trigger="3",
            tags={"a": "b"},
        ),
    ],
    "drift_on_one_snapshot": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, tags={"team": "storage"}),
        *triggers(2, 3, held_from=2, tags={"team": "storage"}),
        out_of_band("tag_out_of_band", position=1, extra="manual", team="someone-else"),
        refresh(StepKind.REFRESH, DESCRIBE, held=3),
        up(
            StepKind.UPDATE,
            DELETE_TAGS,
            CREATE_TAGS,
            held=3,
            trigger="3",
            tags={"team": "storage"},
        ),
        up(StepKind.SAME, held=3, trigger="3", tags={"team": "storage"}),
    ],
    "new_volume_replaces": [
        *THREE,
        # create-before-delete: the new series' snapshot exists before the old series goes
        up(
            StepKind.REPLACE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            *[DELETE_SNAPSHOT] * 3,
            held=1,
            trigger="3",
            volume_arn=OTHER_VOLUME_ARN,
        ),
        destroy(DESCRIBE, DELETE_SNAPSHOT),
    ],
    "visibility_lag_right_after_a_trigger_change": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, keep=2),
        out_of_band("visibility_lag", seconds=VISIBILITY_WINDOW_SECONDS * 0.6),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=2, keep=2, trigger="2"),
        # the new snapshot is not visible yet: a refresh keeps it
        refresh(StepKind.REFRESH, DESCRIBE, held=2),
        # re-tagging waits for it, then tags both with one call
        up(StepKind.UPDATE, CREATE_TAGS, held=2, lagged=True, keep=2, trigger="2", tags={"a": "b"}),
    ],
    "visibility_lag_then_lower_keep_and_destroy": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, keep=2),
        out_of_band("visibility_lag", seconds=VISIBILITY_WINDOW_SECONDS * 0.6),
        up(StepKind.UPDATE, CREATE_SNAPSHOT, held=2, keep=2, trigger="2"),
        # the old one is visible: deleted at once; the new one stays
        up(StepKind.UPDATE, DESCRIBE, DELETE_SNAPSHOT, held=1, keep=1, trigger="2"),
        # the new one is deleted once EC2 shows it
        destroy(DESCRIBE, DELETE_SNAPSHOT, lagged=True),
    ],
    "destroy_twice": [
        *THREE,
        OUTWAIT_VISIBILITY_WINDOW,
        destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
        Step(
            "destroy_again",
            expect=StepKind.DELETE,
            aws=(DESCRIBE, *(DELETE_SNAPSHOT,) * 3),
            held=0,
        ),
    ],
    "preview_with_unknowns": [
        preview(StepKind.CREATE, volume_arn=UNKNOWN, trigger=UNKNOWN, tags=UNKNOWN),
        CREATE,
        preview(StepKind.UPDATE, trigger=UNKNOWN),
        preview(StepKind.UPDATE, keep=UNKNOWN),
        preview(StepKind.UPDATE, tags={"team": UNKNOWN}),
        preview(StepKind.UPDATE, description=UNKNOWN),
        preview(StepKind.REPLACE, volume_arn=UNKNOWN),
        preview(StepKind.SAME),
        up(StepKind.SAME, held=1),
    ],
    "check_failures_stop_before_aws": [
        up(CheckFailedError, keep=0),
        CREATE,
        up(CheckFailedError, keep=1.5),
        up(CheckFailedError, keep=True),
        up(CheckFailedError, keep="3"),
        up(CheckFailedError, trigger=None),
        up(CheckFailedError, trigger={"release": "1"}),
        up(CheckFailedError, description="x" * 252),
        up(CheckFailedError, tags={"aws:team": "x"}),
        up(StepKind.SAME, held=1),
    ],
}


class SeriesRunner(ScenarioRunner):
    """Plays steps against one engine and checks each against the table and EC2."""

    def __init__(self, engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
        self.engine = engine
        super().__init__(emulator)
        self.ec2 = ec2
        self.held: list[str] = []
        self.last_state: ResourceState | None = None
        self.actions: dict[str, Callable[[Step], Any]] = {
            "up": lambda step: engine.up(NAME, step.inputs or {}),
            "preview": lambda step: engine.preview(NAME, step.inputs or {}),
            "refresh": lambda _: engine.refresh(NAME),
            "destroy": lambda _: engine.destroy(NAME),
            "destroy_again": self._destroy_again,
            "fault": lambda step: emulator.inject_fault(**(step.inputs or {})),
            "visibility_lag": lambda step: emulator.set_visibility_lag(
                (step.inputs or {})["seconds"]
            ),
            "delete_out_of_band": lambda step: ec2.delete_out_of_band(self._at(step)),
            "tag_out_of_band": lambda step: ec2.set_tags_out_of_band(
                self._at(step),
                {k: v for k, v in (step.inputs or {}).items() if k != "position"},
            ),
            "outwait_visibility_window": lambda _: time.sleep(VISIBILITY_WINDOW_SECONDS + 0.2),
        }

    def calls_of(self, step: Step) -> list[str]:  # type: ignore[override]
        calls = self.aws_calls()
        if step.lagged:  # a retry while EC2 hides the snapshot counts once
            calls = [call for call, _ in groupby(calls)]
        return calls

    def check(self, where: str, step: Step) -> None:  # type: ignore[override]
        if step.action == "preview":
            return  # a preview changes nothing
        state = self.engine.state(NAME)
        outputs = state.outputs if state is not None else {}
        if state is not None:
            self.last_state = state
        ids: list[str] = list(outputs.get("snapshot_ids", []))
        in_ec2 = self.ec2_tags()
        assert set(in_ec2) <= set(ids), f"{where}: leaked {set(in_ec2) - set(ids)}"
        if not step.stale_ok:
            assert set(ids) <= set(in_ec2), f"{where}: state names gone {set(ids) - set(in_ec2)}"
        if step.held is not None:
            assert len(ids) == step.held, where
        if ids:
            assert outputs["latest_snapshot_id"] == ids[0], where
            assert sorted(outputs["snapshot_created_at"]) == sorted(ids), where
            self.check_order(where, step, ids)
        if ids and step.tags is not None:
            for snapshot_id in ids:
                assert in_ec2[snapshot_id] == step.tags, f"{where}: {snapshot_id}"
            assert outputs["tags_all"] == step.tags, where
        self.held = ids

    def check_order(self, where: str, step: Step, ids: list[str]) -> None:
        """A new snapshot comes first and the older ones keep their order; deletes remove the
        oldest (a failed delete keeps its snapshot at its place)."""
        old = self.held
        if step.action != "up" or not old or isinstance(step.expect, type):
            return
        if step.expect is StepKind.REPLACE:
            assert not set(ids) & set(old), where
            return
        newer = ids[1:] if CREATE_SNAPSHOT in step.aws else ids
        if CREATE_SNAPSHOT in step.aws:
            assert ids[0] not in old, where
        assert [i for i in old if i in newer] == newer, where

    def ec2_tags(self) -> dict[str, dict[str, str]]:
        """Every snapshot of the account, by ID, with its user tags (listed by owner, which
        EC2's visibility lag does not hide). Every snapshot in state carries the owner tag."""
        found: dict[str, dict[str, str]] = {}
        for page in self.ec2.client.get_paginator("describe_snapshots").paginate(OwnerIds=["self"]):
            for snapshot in page["Snapshots"]:
                tags = {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}
                assert tags.get(OWNER_TAG) == OWNER
                found[snapshot["SnapshotId"]] = {
                    k: v for k, v in tags.items() if not k.startswith("sg-snapshot-provider:")
                }
        return found

    def _at(self, step: Step) -> str:
        ids = self.engine.require_state(NAME).outputs["snapshot_ids"]
        return str(ids[(step.inputs or {})["position"]])

    def _destroy_again(self, _: Step) -> Any:
        assert self.last_state is not None, "destroy_again needs an earlier state"
        self.engine.adopt(self.last_state)
        return self.engine.destroy(NAME)


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The engine tests' plugin, with a short wait before looking up a snapshot whose
    CreateSnapshot answer was lost."""
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=TIMINGS)
    try:
        process.configure(STACK_CONFIG)
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def series(plugin: PluginProcess, emulator: Emulator) -> Engine:
    plugin.clear_calls()
    emulator.add_volume(OTHER_VOLUME_ARN)
    emulator.clear_calls()
    return Engine(plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)


@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_series_lifecycle(
    steps: list[Step], series: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    runner = SeriesRunner(series, emulator, ec2)
    runner.play_all(steps)


def test_a_failed_old_delete_is_a_warning_and_the_snapshot_stays_held(
    series: Engine, plugin: PluginProcess, emulator: Emulator, ec2: Ec2View
) -> None:
    """The update succeeds (failing it would make the engine forget the new snapshot), says on
    stderr which snapshot could not be deleted, and the state holds it: `orphans` finds no
    leftover, and the next up deletes it."""
    first = series.up(NAME, {**BASE, "keep": 1})
    emulator.inject_fault(**DENIED)
    mark = plugin.stderr_mark()

    second = series.up(NAME, {**BASE, "keep": 1, "trigger": "2"})

    old = first.outputs["latest_snapshot_id"]
    assert second.outputs["snapshot_ids"] == [second.outputs["latest_snapshot_id"], old]
    warning = plugin.stderr_text(since=mark)
    assert f"deleting the older snapshot {old} failed" in warning
    assert "UnauthorizedOperation" in warning
    held = read_export(series.export()).held_ids
    assert held == set(second.outputs["snapshot_ids"]) == ec2.snapshot_ids()

    again = series.up(NAME, {**BASE, "keep": 1, "trigger": "2"})
    assert again.kind is StepKind.UPDATE
    assert again.outputs["snapshot_ids"] == [second.outputs["latest_snapshot_id"]]
    assert ec2.snapshot_ids() == {second.outputs["latest_snapshot_id"]}


def test_snapshots_are_described_with_the_trigger(series: Engine, ec2: Ec2View) -> None:
    first = series.up(NAME, {**BASE, "trigger": 2026.11})
    second = series.up(NAME, {**BASE, "trigger": True, "description": "Root volume"})

    described = {
        snapshot_id: (ec2.snapshot(snapshot_id) or {}).get("Description")
        for snapshot_id in second.outputs["snapshot_ids"]
    }
    assert described == {
        first.outputs["latest_snapshot_id"]: "Snapshot series (2026.11)",
        second.outputs["latest_snapshot_id"]: "Root volume (true)",
    }
    assert second.id == first.id
    assert first.id.startswith("series-")


def test_retain_on_delete_keeps_every_snapshot(
    series: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    """The engine applies retain_on_delete: the provider is not called, EC2 keeps them all."""
    retained = Options(retain_on_delete=True)
    series.up(NAME, BASE, retained)
    held = series.up(NAME, {**BASE, "trigger": "2"}, retained).outputs["snapshot_ids"]
    emulator.clear_calls()

    assert series.destroy(NAME).kind is StepKind.DELETE

    assert emulator.calls() == []
    assert series.names() == []
    assert ec2.snapshot_ids() == set(held)
