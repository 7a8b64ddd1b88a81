"""Retention through the real plugin, step by step, against the emulator: the schedule's
``retention`` (the snapshots the gateway's schedule takes) and the series' ``keep_days``.

Each row says what kind of step it must be, exactly which AWS requests it may make, in order,
and which of the schedule's snapshots (by label) are then left in EC2. Out-of-band rows take
a snapshot as the gateway's schedule would (dated some days back), make one by hand, share
one, or fault a call.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from sg_snapshot_harness import (
    CheckFailedError,
    Engine,
    PluginError,
    PluginProcess,
    ResourceState,
    StepKind,
)
from sg_snapshot_harness.scenarios import ScenarioRunner
from sg_snapshot_provider import SnapshotSeriesProvider, VolumeSnapshotScheduleProvider
from sg_snapshot_provider.emulator import Emulator, EmulatorError
from sg_snapshot_provider.inputs import PROVIDER_KEY
from sg_snapshot_provider.inputs.retention import SCHEDULE_TAG
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SERIES_TYPE
from tests.conftest import GATEWAY_ARN, REGION, VOLUME_ARN
from tests.engine.test_upgrade import (
    GOLDEN_SCHEDULE_PROVIDER,
    GOLDEN_SERIES_PROVIDER,
    golden_schedule,  # noqa: F401 (a fixture: the golden schedule's state)
    golden_series,  # noqa: F401 (a fixture: the golden series' state)
)

NAME = "nightly"
OTHER_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-3344CCDD"
BASE: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "start_at": 2,
    "recurrence_in_hours": 24,
    "description": "nightly",
    "retention": {"keep": 1, "keep_days": 7},
}

SCHEDULE = "storagegateway:UpdateSnapshotSchedule"
DESCRIBE_SCHEDULE = "storagegateway:DescribeSnapshotSchedule"
DELETE_SCHEDULE = "storagegateway:DeleteSnapshotSchedule"
LIST = "ec2:DescribeSnapshots"
LOCKS = "ec2:DescribeLockedSnapshots"
SHARING = "ec2:DescribeSnapshotAttribute"
DELETE = "ec2:DeleteSnapshot"


@dataclass(frozen=True)
class Step:
    """``left``: the labels of the scheduled snapshots EC2 must still hold after the step
    (None: not checked)."""

    action: str
    inputs: dict[str, Any] | None = None
    expect: StepKind | type[Exception] | None = None
    aws: tuple[str, ...] = ()
    left: frozenset[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def up(expect: StepKind | type[Exception], *aws: str, left: str = "", **changes: Any) -> Step:
    return Step("up", {**BASE, **changes}, expect, aws, frozenset(left.split()))


def preview(expect: StepKind, *aws: str, **changes: Any) -> Step:
    return Step("preview", {**BASE, **changes}, expect, aws)


def take(label: str, days_old: float) -> Step:
    """The gateway's schedule takes a snapshot (dated ``days_old`` days back)."""
    return Step("take", extra={"label": label, "days_old": days_old})


def out_of_band(action: str, **values: Any) -> Step:
    return Step(action, extra=values)


CREATE = up(StepKind.CREATE, SCHEDULE, LIST)
OLD_TWO = [take("new", 0), take("a", 8), take("b", 9)]
#: The prune of a and b: the preview's list, then the update's (no UpdateSnapshotSchedule).
PRUNE_TWO = (LIST, LIST, LOCKS, SHARING, SHARING, DELETE, DELETE)

SCENARIOS: dict[str, list[Step]] = {
    "create_then_nothing_changed_makes_no_call": [
        CREATE,
        *OLD_TWO,
        # nothing changed: Pulumi calls no Update, retention waits for a trigger
        up(StepKind.SAME, left="new a b"),
        up(StepKind.UPDATE, *PRUNE_TWO, left="new", retention_trigger="2026-12-03"),
        up(StepKind.SAME, left="new", retention_trigger="2026-12-03"),
    ],
    "never_deleted": [
        CREATE,
        *OLD_TWO,
        out_of_band("by_hand", label="manual"),
        out_of_band("share", label="a"),
        out_of_band("hold", label="b"),
        # a shared and a held one survive; the one made by hand is no candidate at all
        up(StepKind.UPDATE, LIST, LIST, LOCKS, SHARING, left="new a b", retention_trigger="1"),
    ],
    "never_deleted_locked_or_another_volumes": [
        CREATE,
        *OLD_TWO,
        out_of_band("lock", label="a"),
        # old enough, but the schedule of another volume took it (its marker names that volume)
        Step("take_other", extra={"label": "other", "days_old": 9}),
        up(
            StepKind.UPDATE,
            LIST,
            LIST,
            LOCKS,
            SHARING,
            DELETE,
            left="new a other",
            retention_trigger="1",
        ),
        up(StepKind.SAME, left="new a other", retention_trigger="1"),
    ],
    "in_place_change_of_the_rules": [
        CREATE,
        *OLD_TWO,
        up(StepKind.UPDATE, LIST, LIST, left="new a b", retention={"keep": 3}),
        up(
            StepKind.UPDATE, LIST, LIST, LOCKS, SHARING, DELETE, left="new a", retention={"keep": 2}
        ),
    ],
    "schedule_change_prunes_too": [
        CREATE,
        *OLD_TWO,
        up(StepKind.UPDATE, LIST, SCHEDULE, *PRUNE_TWO[1:], left="new", start_at=4),
    ],
    "a_failed_delete_is_retried_by_the_next_up": [
        CREATE,
        *OLD_TWO,
        out_of_band("fault", operation="DeleteSnapshot", code="UnauthorizedOperation"),
        up(StepKind.UPDATE, *PRUNE_TWO, left="new b", retention_trigger="1"),
        # the state says one delete is pending: the same inputs plan an update
        up(StepKind.UPDATE, LIST, LIST, LOCKS, SHARING, DELETE, left="new", retention_trigger="1"),
        up(StepKind.SAME, left="new", retention_trigger="1"),
    ],
    "listing_fails__nothing_deleted_and_the_schedule_put_back": [
        CREATE,
        *OLD_TWO,
        out_of_band("fault", operation="DescribeLockedSnapshots", code="UnauthorizedOperation"),
        up(PluginError, LIST, SCHEDULE, LIST, LOCKS, SCHEDULE, start_at=4),
    ],
    "refresh_keeps_retention_and_hides_the_marker": [
        CREATE,
        Step("refresh", expect=StepKind.REFRESH, aws=(DESCRIBE_SCHEDULE,)),
        up(StepKind.SAME),
    ],
    "refresh_drift": [
        CREATE,
        *OLD_TWO,
        out_of_band("set_schedule", StartAt=5, RecurrenceInHours=24, Description="nightly"),
        # the engine's refresh calls Diff to show drift: that Diff lists too
        Step("refresh", expect=StepKind.REFRESH, aws=(DESCRIBE_SCHEDULE, LIST)),
        # the marker went with the tags: the update sends the schedule and the marker again
        up(StepKind.UPDATE, LIST, SCHEDULE, *PRUNE_TWO[1:], left="new"),
        up(StepKind.SAME, left="new"),
    ],
    "removing_retention_removes_the_marker": [
        CREATE,
        *OLD_TWO,
        up(StepKind.UPDATE, SCHEDULE, left="new a b", retention=None),
        up(StepKind.SAME, left="new a b", retention=None),
    ],
    "destroy_leaves_the_schedules_snapshots": [
        CREATE,
        *OLD_TWO,
        Step(
            "destroy",
            expect=StepKind.DELETE,
            aws=(DELETE_SCHEDULE,),
            left=frozenset(("new", "a", "b")),
        ),
    ],
    "bad_rules_stop_before_aws": [
        up(CheckFailedError, retention={"keep": 0}),
        up(CheckFailedError, retention={"keep_hourly": 3}),
        up(CheckFailedError, retention={}),
        CREATE,
        up(CheckFailedError, retention={"keep_days": 2.5}),
        up(StepKind.SAME),
    ],
}


class RetentionRunner(ScenarioRunner):
    def __init__(self, engine: Engine, emulator: Emulator) -> None:
        super().__init__(emulator)
        self.engine = engine
        self.labels: dict[str, str] = {}
        self.ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=emulator.url)
        self.sg = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
        self.actions = {
            "up": lambda step: engine.up(NAME, _without_none(step.inputs)),
            "preview": lambda step: engine.preview(NAME, _without_none(step.inputs)),
            "refresh": lambda _: engine.refresh(NAME),
            "destroy": lambda _: engine.destroy(NAME),
            "take": self._take,
            "by_hand": self._by_hand,
            "share": lambda step: self.ec2.modify_snapshot_attribute(
                SnapshotId=self.labels[step.extra["label"]],
                Attribute="createVolumePermission",
                OperationType="add",
                UserIds=["111122223333"],
            ),
            "hold": lambda step: self.ec2.create_tags(
                Resources=[self.labels[step.extra["label"]]],
                Tags=[{"Key": "sg-snapshot-provider:owner", "Value": "p/s/adopter"}],
            ),
            "fault": lambda step: emulator.inject_fault(status=403, **step.extra),
            "lock": lambda step: self.ec2.lock_snapshot(
                SnapshotId=self.labels[step.extra["label"]], LockMode="governance", LockDuration=1
            ),
            "take_other": self._take_other,
            "set_schedule": lambda step: self.sg.update_snapshot_schedule(
                VolumeARN=VOLUME_ARN, Tags=[], **step.extra
            ),
        }

    def check(self, where: str, step: Any) -> None:  # type: ignore[override]
        if step.left is None or (step.expect is not None and isinstance(step.expect, type)):
            return
        present = {
            label for label, sid in self.labels.items() if self._exists(sid) and label != "manual"
        }
        assert present == set(step.left), where
        if "manual" in self.labels:
            assert self._exists(self.labels["manual"]), where
        state = self.engine.state(NAME)
        if state is not None and step.action == "up":
            schedule = self.sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)
            tags = {t["Key"]: t["Value"] for t in schedule["Tags"]}
            marked = state.outputs.get("retention") is not None
            assert (tags.get(SCHEDULE_TAG) == VOLUME_ARN) is marked, where
            assert SCHEDULE_TAG not in state.outputs["tags_all"], where

    def _take(self, step: Step) -> None:
        when = datetime.now(UTC) - timedelta(days=step.extra["days_old"])
        self.labels[step.extra["label"]] = self.emulator.take_scheduled_snapshot(
            VOLUME_ARN, when.isoformat()
        )

    def _take_other(self, step: Step) -> None:
        """The schedule of another volume, with retention of its own (its marker), takes a
        snapshot dated ``days_old`` days back."""
        with contextlib.suppress(EmulatorError):  # already seeded (as in the IAM replay)
            self.emulator.add_volume(OTHER_VOLUME_ARN)
        self.sg.update_snapshot_schedule(
            VolumeARN=OTHER_VOLUME_ARN,
            StartAt=2,
            RecurrenceInHours=24,
            Tags=[{"Key": SCHEDULE_TAG, "Value": OTHER_VOLUME_ARN}],
        )
        when = datetime.now(UTC) - timedelta(days=step.extra["days_old"])
        self.labels[step.extra["label"]] = self.emulator.take_scheduled_snapshot(
            OTHER_VOLUME_ARN, when.isoformat()
        )

    def _by_hand(self, step: Step) -> None:
        made = self.sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="nightly")
        self.labels[step.extra["label"]] = made["SnapshotId"].lower()

    def _exists(self, snapshot_id: str) -> bool:
        found = self.ec2.describe_snapshots(
            OwnerIds=["self"], Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}]
        )
        return bool(found["Snapshots"])


def _without_none(inputs: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (inputs or {}).items() if v is not None}


@pytest.fixture
def schedule_engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    return Engine(plugin, VolumeSnapshotScheduleProvider(), type_token=SCHEDULE_TYPE)


@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_schedule_retention(steps: list[Step], schedule_engine: Engine, emulator: Emulator) -> None:
    RetentionRunner(schedule_engine, emulator).play_all(steps)


def test_preview_lists_what_retention_would_delete(
    schedule_engine: Engine, emulator: Emulator, plugin: PluginProcess
) -> None:
    schedule_engine.up(NAME, BASE)
    emulator.take_scheduled_snapshot(VOLUME_ARN)
    old = emulator.take_scheduled_snapshot(
        VOLUME_ARN, (datetime.now(UTC) - timedelta(days=30)).isoformat()
    )
    since = len(plugin.stderr_text())

    planned = schedule_engine.preview(NAME, {**BASE, "retention_trigger": "x"})

    assert planned.kind is StepKind.UPDATE
    assert f"would delete 1 snapshot(s) unless locked or shared: {old}" in plugin.stderr_text(since)
    created = schedule_engine.up(NAME, {**BASE, "retention_trigger": "x"})
    assert created.outputs["last_pruned_snapshot_ids"] == [old]
    assert created.outputs["prune_pending_snapshot_ids"] == []


# --- the series' keep_days ------------------------------------------------------------------

SERIES: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "trigger": "1",
    "keep": 1,
    "keep_days": 30,
    "stack_resource": f"sg-snapshot-provider/test/{NAME}",
}


def _aged(engine: Engine, snapshot_id: str, days: float) -> None:
    """Make the state say the series took ``snapshot_id`` ``days`` days ago."""
    state = engine.require_state(NAME)
    created = dict(state.outputs["snapshot_created_at"])
    created[snapshot_id] = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    engine.adopt(replace(state, outputs={**state.outputs, "snapshot_created_at": created}))


def test_series_keep_days__lifecycle(plugin: PluginProcess, emulator: Emulator) -> None:
    engine = Engine(plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)

    def calls() -> list[str]:
        found = [f"{c.service}:{c.operation}" for c in emulator.calls()]
        emulator.clear_calls()
        return found

    first = engine.up(NAME, SERIES).outputs["latest_snapshot_id"]
    assert calls() == ["storagegateway:CreateSnapshot"]
    # keep 1, but the first is younger than 30 days: both stay
    second = engine.up(NAME, {**SERIES, "trigger": "2"})
    assert second.outputs["snapshot_ids"][1] == first
    assert calls() == ["storagegateway:CreateSnapshot"]
    assert engine.up(NAME, {**SERIES, "trigger": "2"}).kind is StepKind.SAME
    assert calls() == []
    # the first ages past 30 days: the next up (same inputs) plans an update and deletes it;
    # a delete that fails leaves it in the series, and the up after retries it
    _aged(engine, first, 31)
    emulator.inject_fault("DeleteSnapshot", "UnauthorizedOperation", status=403)
    failed = engine.up(NAME, {**SERIES, "trigger": "2"})
    assert (failed.kind, calls()) == (StepKind.UPDATE, [LIST, DELETE])
    assert failed.outputs["snapshot_ids"][1] == first
    pruned = engine.up(NAME, {**SERIES, "trigger": "2"})
    assert (pruned.kind, calls()) == (StepKind.UPDATE, [LIST, DELETE])
    assert pruned.outputs["snapshot_ids"] == [second.outputs["latest_snapshot_id"]]
    # changing keep_days is in place: no new snapshot
    changed = engine.up(NAME, {**SERIES, "trigger": "2", "keep_days": 7})
    assert (changed.kind, calls()) == (StepKind.UPDATE, [])
    with pytest.raises(CheckFailedError) as caught:
        engine.up(NAME, {**SERIES, "trigger": "2", "keep_days": 0})
    assert caught.value.properties == ["keep_days"]
    assert calls() == []
    # a member aged past keep_days but locked is never deleted: kept, its lock's end recorded,
    # nothing planned until a refresh sees the lock gone
    third = engine.up(NAME, {**SERIES, "trigger": "3", "keep_days": 7})
    (newest, older) = third.outputs["snapshot_ids"]
    assert calls() == ["storagegateway:CreateSnapshot"]
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=emulator.url)
    ec2.lock_snapshot(SnapshotId=older, LockMode="governance", LockDuration=1)
    emulator.clear_calls()
    _aged(engine, older, 8)
    kept = engine.up(NAME, {**SERIES, "trigger": "3", "keep_days": 7})
    assert (kept.kind, calls()) == (StepKind.UPDATE, [LIST, DELETE, LOCKS])
    assert kept.outputs["snapshot_ids"] == [newest, older]
    assert older in kept.outputs["locked_until"]
    assert engine.up(NAME, {**SERIES, "trigger": "3", "keep_days": 7}).kind is StepKind.SAME
    assert calls() == []
    emulator.advance_clock(2 * 86400)
    assert engine.refresh(NAME).kind is StepKind.REFRESH
    calls()
    pruned = engine.up(NAME, {**SERIES, "trigger": "3", "keep_days": 7})
    assert (pruned.outputs["snapshot_ids"], calls()) == ([newest], [LIST, DELETE])
    # destroy deletes what the series holds, and nothing else
    engine.destroy(NAME)
    assert calls() == [LIST, DELETE]
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


# --- state written before retention existed -------------------------------------------------


def test_golden_schedule__retention_added_later(
    plugin: PluginProcess,
    golden_schedule: ResourceState,  # noqa: F811 (the imported fixture)
    emulator: Emulator,
) -> None:
    """A schedule an earlier release wrote plans nothing after the upgrade; setting retention
    then is an update in place that sends the marker tag and prunes."""
    engine = Engine(plugin, GOLDEN_SCHEDULE_PROVIDER, type_token=SCHEDULE_TYPE)
    engine.adopt(golden_schedule)
    inputs = {
        k: v for k, v in golden_schedule.inputs.items() if k not in ("tags_all", PROVIDER_KEY)
    }
    assert engine.up("golden-schedule", inputs).kind is StepKind.SAME
    assert emulator.calls() == []

    updated = engine.up("golden-schedule", {**inputs, "retention": {"keep": 2}})

    assert updated.kind is StepKind.UPDATE
    assert [c.operation for c in emulator.calls()] == [
        "DescribeSnapshots",
        "UpdateSnapshotSchedule",
        "DescribeSnapshots",
    ]
    assert updated.outputs["last_pruned_snapshot_ids"] == []
    assert updated.outputs["tags_all"] == golden_schedule.outputs["tags_all"]


def test_golden_series__keep_days_added_later(
    plugin: PluginProcess,
    golden_series: ResourceState,  # noqa: F811 (the imported fixture)
    emulator: Emulator,
) -> None:
    """A series an earlier release wrote plans nothing after the upgrade; adding keep_days is
    an update in place that takes no snapshot (and here deletes none: both are young)."""
    engine = Engine(plugin, GOLDEN_SERIES_PROVIDER, type_token=SERIES_TYPE)
    engine.adopt(golden_series)
    inputs = {k: v for k, v in golden_series.inputs.items() if k not in ("tags_all", PROVIDER_KEY)}
    assert engine.up("golden-series", inputs).kind is StepKind.SAME

    updated = engine.up("golden-series", {**inputs, "keep_days": 30})

    assert updated.kind is StepKind.UPDATE
    assert emulator.calls() == []
    assert updated.outputs["snapshot_ids"] == golden_series.outputs["snapshot_ids"]
