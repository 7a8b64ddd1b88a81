"""The snapshot's whole lifecycle through the real plugin, step by step, against the emulator.

Each scenario is a list of steps. A step is an engine operation (up, preview, refresh, destroy)
or a change made behind the provider's back. For every engine step the table says what kind of
step it must be and exactly which AWS requests it may make, in order; after it, the snapshots
that exist in EC2 must be exactly the ones in the engine's state (nothing leaked, nothing lost),
with the expected tags.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from sg_snapshot_harness import UNKNOWN, CheckFailedError, Engine, ResourceState, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.scenarios import ScenarioRunner
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import VISIBILITY_WINDOW_SECONDS, VOLUME_ARN

NAME = "nightly-root"
BASE: dict[str, Any] = {"volume_arn": VOLUME_ARN, "description": "nightly root volume"}

CREATE_SNAPSHOT = "storagegateway:CreateSnapshot"
DESCRIBE = "ec2:DescribeSnapshots"
CREATE_TAGS = "ec2:CreateTags"
DELETE_TAGS = "ec2:DeleteTags"
DELETE_SNAPSHOT = "ec2:DeleteSnapshot"


@dataclass(frozen=True)
class Step:
    """One row: ``action`` with ``inputs``; ``expect`` is a step kind, an exception class, or
    None for out-of-band actions (which are not checked)."""

    action: str
    inputs: dict[str, Any] | None = None
    expect: StepKind | type[Exception] | None = None
    aws: tuple[str, ...] = ()
    ec2_tags: dict[str, str] | None = None


def up(expect: StepKind | type[Exception], *aws: str, **changes: Any) -> Step:
    """After a successful up, EC2 has exactly the declared tags (no default tags here)."""
    ec2_tags = changes.get("tags", {}) if isinstance(expect, StepKind) else None
    return Step("up", {**BASE, **changes}, expect, aws, ec2_tags)


def preview(expect: StepKind, **changes: Any) -> Step:
    return Step("preview", {**BASE, **changes}, expect)


def refresh(expect: StepKind, *aws: str) -> Step:
    return Step("refresh", expect=expect, aws=aws)


def destroy(*aws: str) -> Step:
    return Step("destroy", expect=StepKind.DELETE, aws=aws)


DESTROY_AGAIN = Step("destroy_again", expect=StepKind.DELETE, aws=(DELETE_SNAPSHOT,))
DELETE_OUT_OF_BAND = Step("delete_out_of_band")
#: Time passes until EC2 shows every snapshot (the plugin's visibility window ends): from then
#: on "not found" is believed at once.
OUTWAIT_VISIBILITY_WINDOW = Step("outwait_visibility_window")


def tag_out_of_band(**tags: str) -> Step:
    return Step("tag_out_of_band", inputs=dict(tags))


CREATE = up(StepKind.CREATE, CREATE_SNAPSHOT)
CREATE_TAGGED = up(StepKind.CREATE, CREATE_SNAPSHOT, tags={"team": "storage"})

SCENARIOS: dict[str, list[Step]] = {
    "basic": [
        CREATE,
        up(StepKind.SAME),
        destroy(DELETE_SNAPSHOT),
    ],
    "tags": [
        CREATE_TAGGED,
        up(StepKind.UPDATE, CREATE_TAGS, tags={"team": "storage", "env": "prod"}),
        up(StepKind.SAME, tags={"team": "storage", "env": "prod"}),
        up(StepKind.UPDATE, CREATE_TAGS, tags={"team": "storage", "env": "dev"}),
        up(StepKind.UPDATE, DELETE_TAGS, tags={"env": "dev"}),
        up(StepKind.UPDATE, DELETE_TAGS, CREATE_TAGS, tags={"tier": "gold"}),
        up(StepKind.UPDATE, DELETE_TAGS, tags={}),
        destroy(DELETE_SNAPSHOT),
    ],
    "description_replaces": [
        CREATE,
        # create-before-delete: the new snapshot exists before the old one goes
        up(StepKind.REPLACE, CREATE_SNAPSHOT, DELETE_SNAPSHOT, description="after the upgrade"),
        destroy(DELETE_SNAPSHOT),
    ],
    "triggers_replace": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, triggers={"release": "2026.10"}),
        up(StepKind.SAME, triggers={"release": "2026.10"}),
        up(StepKind.REPLACE, CREATE_SNAPSHOT, DELETE_SNAPSHOT, triggers={"release": "2026.11"}),
    ],
    "wait_for_completion": [
        CREATE,
        up(StepKind.UPDATE, DESCRIBE, wait_for_completion=True),
        up(StepKind.SAME, wait_for_completion=True),
        up(StepKind.UPDATE, completion_timeout_seconds=600, wait_for_completion=True),
    ],
    "drift": [
        CREATE_TAGGED,
        tag_out_of_band(team="someone-else", extra="manual"),
        refresh(StepKind.REFRESH, DESCRIBE),
        up(StepKind.UPDATE, DELETE_TAGS, CREATE_TAGS, tags={"team": "storage"}),
        up(StepKind.SAME, tags={"team": "storage"}),
    ],
    "refresh_without_drift": [
        CREATE_TAGGED,
        refresh(StepKind.REFRESH, DESCRIBE),
        up(StepKind.SAME, tags={"team": "storage"}),
    ],
    "disappears": [
        CREATE,
        OUTWAIT_VISIBILITY_WINDOW,
        DELETE_OUT_OF_BAND,
        refresh(StepKind.DROP, DESCRIBE),
        up(StepKind.CREATE, CREATE_SNAPSHOT),
    ],
    "destroy_twice": [
        CREATE,
        OUTWAIT_VISIBILITY_WINDOW,
        destroy(DELETE_SNAPSHOT),
        DESTROY_AGAIN,
    ],
    "preview_with_unknowns": [
        preview(StepKind.CREATE, volume_arn=UNKNOWN, tags=UNKNOWN),
        CREATE,
        preview(StepKind.UPDATE, tags=UNKNOWN),
        preview(StepKind.UPDATE, tags={"team": UNKNOWN}),
        preview(StepKind.REPLACE, description=UNKNOWN),
        preview(StepKind.REPLACE, volume_arn=UNKNOWN),
        preview(StepKind.REPLACE, triggers={"release": UNKNOWN}),
        preview(StepKind.SAME),
        up(StepKind.SAME),
    ],
    "check_failure_stops_before_aws": [
        up(CheckFailedError, description=""),
        CREATE,
        up(CheckFailedError, description="x" * 256),
        up(StepKind.SAME),
    ],
}


class LifecycleRunner(ScenarioRunner):
    """Plays steps against one engine and checks each against the table and EC2."""

    def __init__(self, engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
        self.engine = engine
        super().__init__(emulator)
        self.ec2 = ec2
        self.last_state: ResourceState | None = None
        self.actions: dict[str, Callable[[Step], Any]] = {
            "up": lambda step: engine.up(NAME, step.inputs or {}),
            "preview": lambda step: engine.preview(NAME, step.inputs or {}),
            "refresh": lambda _: engine.refresh(NAME),
            "destroy": lambda _: engine.destroy(NAME),
            "destroy_again": self._destroy_again,
            "tag_out_of_band": lambda step: ec2.set_tags_out_of_band(
                self._current_id(), step.inputs or {}
            ),
            "delete_out_of_band": lambda _: ec2.delete_out_of_band(self._current_id()),
            "outwait_visibility_window": lambda _: time.sleep(VISIBILITY_WINDOW_SECONDS + 0.2),
        }

    def check(self, where: str, step: Step) -> None:  # type: ignore[override]
        state = self.engine.state(NAME)
        if state is not None:
            self.last_state = state
        in_state = {state.id} if state is not None else set()
        assert self.ec2.snapshot_ids() == in_state, where
        if state is not None and step.ec2_tags is not None:
            assert self.ec2.tags(state.id) == step.ec2_tags, where
            assert state.outputs["tags_all"] == step.ec2_tags, where

    def _current_id(self) -> str:
        return self.engine.require_state(NAME).id

    def _destroy_again(self, _: Step) -> Any:
        assert self.last_state is not None, "destroy_again needs an earlier state"
        self.engine.adopt(self.last_state)
        return self.engine.destroy(NAME)


@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_lifecycle(steps: list[Step], engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
    runner = LifecycleRunner(engine, emulator, ec2)
    runner.play_all(steps)
