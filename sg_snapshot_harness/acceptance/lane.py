"""The acceptance lane's scenarios: the lifecycle of each resource, through the real plugin
(driven by the engine harness as ``pulumi up``/``refresh``/``destroy`` drive it), checked
against what AWS (or the emulator) then holds.

Everything a scenario makes carries the run's acceptance tag; whatever a scenario leaves (a
failed step, Ctrl-C) is destroyed, then swept by that tag, and the volume's snapshot schedule
is put back, in ``finally`` (see ``run_lane``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from pulumi.dynamic import ResourceProvider

from sg_snapshot_provider import (
    SnapshotSeriesProvider,
    StorageGatewaySnapshotProvider,
    VolumeSnapshotScheduleProvider,
)
from sg_snapshot_provider.inputs import OWNER_TAG
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SERIES_TYPE, SNAPSHOT_TYPE

from ..engine import Engine, StepKind
from ..plugin import PluginProcess
from .marks import ACCEPTANCE_PROJECT, ACCEPTANCE_TAG, RunMark
from .schedule_guard import Schedule, hour_away_from_now, read_schedule

Say = Callable[[str], None]
#: How long a snapshot of a small test volume may take to complete.
COMPLETION_TIMEOUT_SECONDS = 900


class LaneCheckError(Exception):
    """What AWS holds after a step is not what the step promised."""


@dataclass(frozen=True)
class Outcome:
    scenario: str
    status: str  # "passed", "failed" or "skipped"
    detail: str = ""

    def line(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.status.upper():8} {self.scenario}{detail}"


class Lane:
    """The scenarios of one run, over one plugin; ``on_step`` is called before each step
    (tests use it to fail a run half-way)."""

    def __init__(
        self,
        target: Any,
        mark: RunMark,
        plugin: PluginProcess,
        say: Say,
        saved_schedule: Schedule | None,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        self.target = target
        self.volume_arn: str = target.volume_arn
        self.mark = mark
        self.plugin = plugin
        self.say = say
        self.saved_schedule = saved_schedule
        self.on_step = on_step or (lambda _label: None)
        self.ec2 = target.client("ec2")
        self.sg = target.client("storagegateway")
        self.engines: list[Engine] = []
        #: Every snapshot ID a step reported: swept by ID too (the tag filter may lag).
        self.seen_ids: set[str] = set()

    # -- helpers -----------------------------------------------------------------------------

    def engine(self, provider: ResourceProvider, type_token: str) -> Engine:
        engine = Engine(
            self.plugin,
            provider,
            type_token=type_token,
            project=ACCEPTANCE_PROJECT,
            stack=self.mark.run_id,
        )
        self.engines.append(engine)
        return engine

    def step(self, label: str) -> None:
        self.on_step(label)
        self.say(f"    {label}")

    def tags(self, **extra: str) -> dict[str, str]:
        return {ACCEPTANCE_TAG: self.mark.value, **extra}

    def expect(self, kind: StepKind, got: StepKind, what: str) -> None:
        if got is not kind:
            raise LaneCheckError(f"{what}: expected a {kind.value} step, the engine did {got}")

    def eventually(self, what: str, holds: Callable[[], bool]) -> None:
        """Wait out EC2's eventual consistency: ``holds()`` must become true in time."""
        deadline = time.monotonic() + self.target.visibility_seconds
        delay = 0.1
        while not holds():
            if time.monotonic() > deadline:
                raise LaneCheckError(f"{what} (waited {self.target.visibility_seconds:g} s)")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)

    def described(self, snapshot_id: str) -> dict[str, Any] | None:
        try:
            found = self.ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidSnapshot.NotFound":
                return None
            raise
        return dict(found[0]) if found else None

    def ec2_tags(self, snapshot_id: str) -> dict[str, str]:
        snapshot = self.described(snapshot_id) or {}
        return {tag["Key"]: tag["Value"] for tag in snapshot.get("Tags", [])}

    def has_tags(self, snapshot_id: str, tags: dict[str, str]) -> bool:
        actual = self.ec2_tags(snapshot_id)
        return all(actual.get(key) == value for key, value in tags.items())

    def exists_with(self, snapshot_id: str, tags: dict[str, str]) -> None:
        self.seen_ids.add(snapshot_id)
        self.eventually(
            f"{snapshot_id} should exist in EC2 with the tags {tags}",
            lambda: self.has_tags(snapshot_id, tags),
        )

    def gone(self, snapshot_id: str) -> None:
        self.eventually(
            f"{snapshot_id} should be deleted", lambda: self.described(snapshot_id) is None
        )

    # -- scenarios -------------------------------------------------------------------------------

    def scenarios(self) -> list[tuple[str, Callable[[], str | None]]]:
        """(name, scenario): a scenario returns None, or why it was skipped."""
        return [
            ("snapshot lifecycle", self.snapshot_lifecycle),
            ("adopt", self.adopt),
            ("series rotation", self.series_rotation),
            ("schedule update and restore", self.schedule),
            ("from_recovery_point", self.from_recovery_point),
        ]

    def snapshot_lifecycle(self) -> str | None:
        engine = self.engine(StorageGatewaySnapshotProvider(), SNAPSHOT_TYPE)
        name = "snapshot"
        # Waiting for completion: the provider's poller meets a real upload, and a snapshot
        # is never deleted while still pending.
        base = {
            "volume_arn": self.volume_arn,
            "description": f"acceptance {self.mark.run_id}: snapshot",
            "stack_resource": self.mark.owner(name),
            "wait_for_completion": True,
            "completion_timeout_seconds": COMPLETION_TIMEOUT_SECONDS,
        }
        self.step("create (and wait for completion)")
        created = engine.up(name, {**base, "tags": self.tags(step="create")})
        self.expect(StepKind.CREATE, created.kind, "create")
        if created.outputs.get("state") != "completed":
            raise LaneCheckError(f"waited for {created.id}, but its state is {created.outputs}")
        self.exists_with(created.id, self.tags(step="create"))
        self.step("tag (update in place)")
        tagged = engine.up(name, {**base, "tags": self.tags(step="tagged")})
        self.expect(StepKind.UPDATE, tagged.kind, "tag change")
        if tagged.id != created.id:
            raise LaneCheckError("a tag change replaced the snapshot")
        self.exists_with(created.id, self.tags(step="tagged"))
        self.step("refresh (no drift)")
        refreshed = engine.refresh(name)
        self.expect(StepKind.REFRESH, refreshed.kind, "refresh")
        if refreshed.diff is not None and refreshed.diff.changes:
            raise LaneCheckError(f"refresh found drift: {refreshed.diff}")
        self.step("replace (new description)")
        replaced = engine.up(
            name, {**base, "description": f"{base['description']} v2", "tags": self.tags()}
        )
        self.expect(StepKind.REPLACE, replaced.kind, "description change")
        self.exists_with(replaced.id, self.tags())
        self.gone(created.id)
        self.step("destroy")
        engine.destroy(name)
        self.gone(replaced.id)
        return None

    def adopt(self) -> str | None:
        self.step("a snapshot made outside Pulumi (CreateSnapshot), owned by another name")
        description = f"acceptance {self.mark.run_id}: to adopt"
        # The owner tag it is made with is what a stack that let it go (retain_on_delete)
        # leaves; it also lets a policy that retags only owned snapshots retag this one.
        outside = {**self.tags(step="outside"), OWNER_TAG: self.mark.owner("outside")}
        made = self.sg.create_snapshot(
            VolumeARN=self.volume_arn,
            SnapshotDescription=description,
            Tags=[{"Key": k, "Value": v} for k, v in outside.items()],
        )
        snapshot_id = str(made["SnapshotId"])
        self.exists_with(snapshot_id, outside)
        engine = self.engine(StorageGatewaySnapshotProvider(), SNAPSHOT_TYPE)
        self.step("adopt it (adopt_snapshot_id, adopt_from_owner)")
        adopted = engine.up(
            "adopted",
            {
                "volume_arn": self.volume_arn,
                "description": description,
                "adopt_snapshot_id": snapshot_id,
                "adopt_from_owner": self.mark.owner("outside"),
                "tags": self.tags(step="adopted"),
                "stack_resource": self.mark.owner("adopted"),
            },
        )
        self.expect(StepKind.CREATE, adopted.kind, "adopt")
        if adopted.id != snapshot_id:
            raise LaneCheckError(f"adopting {snapshot_id} made {adopted.id} instead")
        owned = {**self.tags(step="adopted"), OWNER_TAG: self.mark.owner("adopted")}
        self.exists_with(snapshot_id, owned)
        self.step("destroy")
        engine.destroy("adopted")
        self.gone(snapshot_id)
        return None

    def series_rotation(self) -> str | None:
        engine = self.engine(SnapshotSeriesProvider(), SERIES_TYPE)
        name = "series"
        keep = 2
        base = {
            "volume_arn": self.volume_arn,
            "keep": keep,
            "description": f"acceptance {self.mark.run_id}: series",
            "tags": self.tags(),
            "stack_resource": self.mark.owner(name),
        }
        held: list[str] = []
        taken: set[str] = set()
        for trigger in ("1", "2", "3"):
            self.step(f"trigger {trigger}")
            step = engine.up(name, {**base, "trigger": trigger})
            self.expect(
                StepKind.CREATE if trigger == "1" else StepKind.UPDATE, step.kind, "trigger"
            )
            ids = [str(i) for i in step.outputs["snapshot_ids"]]
            self.seen_ids.update(ids)
            taken.update(ids)
            # The new snapshot comes first, the older ones keep their order, the oldest goes.
            if ids[0] in held or ids[1:] != held[: keep - 1]:
                raise LaneCheckError(f"the series went from {held} to {ids}")
            held = ids
        if len(held) != 2:
            raise LaneCheckError(f"keep 2 after three triggers, but the series holds {held}")
        for snapshot_id in held:
            self.exists_with(snapshot_id, self.tags())
        oldest = sorted(taken - set(held))
        for snapshot_id in oldest:
            self.gone(snapshot_id)
        self.step("destroy")
        engine.destroy(name)
        for snapshot_id in held:
            self.gone(snapshot_id)
        return None

    def schedule(self) -> str | None:
        engine = self.engine(VolumeSnapshotScheduleProvider(), SCHEDULE_TYPE)
        saved = self.saved_schedule
        hour = datetime.now(UTC).hour
        tags = dict(saved.tags) if saved is not None else {}
        # Only the hours change: a description cannot be taken off again (UpdateSnapshotSchedule
        # keeps the old one when none is sent), so the volume's own is declared, if any.
        base: dict[str, Any] = {
            "volume_arn": self.volume_arn,
            "recurrence_in_hours": 24,
            "tags": tags,
        }
        if saved is not None and saved.description is not None:
            base["description"] = saved.description
        first, second = hour_away_from_now(saved, hour, 12), hour_away_from_now(saved, hour, 13)
        self.step(f"set the schedule (start {first:02d}:00)")
        engine.up("schedule", {**base, "start_at": first})
        self.schedule_is(first)
        self.step(f"update it (start {second:02d}:00)")
        updated = engine.up("schedule", {**base, "start_at": second})
        self.expect(StepKind.UPDATE, updated.kind, "schedule update")
        self.schedule_is(second)
        self.step("refresh")
        engine.refresh("schedule")
        self.step("destroy (DeleteSnapshotSchedule; the original comes back at the end)")
        engine.destroy("schedule")
        return None

    def schedule_is(self, start_at: int) -> None:
        self.eventually(
            f"the volume's schedule should start at {start_at:02d}:00",
            lambda: getattr(read_schedule(self.sg, self.volume_arn), "start_at", None) == start_at,
        )

    def from_recovery_point(self) -> str | None:
        points = self.sg.list_volume_recovery_points(GatewayARN=self.target.gateway_arn)
        if not any(
            p.get("VolumeARN") == self.volume_arn for p in points["VolumeRecoveryPointInfos"]
        ):
            return "the volume has no recovery point (ListVolumeRecoveryPoints)"
        engine = self.engine(StorageGatewaySnapshotProvider(), SNAPSHOT_TYPE)
        self.step("create from the latest recovery point")
        made = engine.up(
            "recovery-point",
            {
                "volume_arn": self.volume_arn,
                "description": f"acceptance {self.mark.run_id}: recovery point",
                "from_recovery_point": True,
                "tags": self.tags(),
                "stack_resource": self.mark.owner("recovery-point"),
            },
        )
        self.expect(StepKind.CREATE, made.kind, "from_recovery_point")
        if not made.outputs.get("volume_recovery_point_time"):
            raise LaneCheckError("no volume_recovery_point_time output")
        self.exists_with(made.id, self.tags())
        self.step("destroy")
        engine.destroy("recovery-point")
        self.gone(made.id)
        return None

    # -- running and cleaning up -------------------------------------------------------------------

    def play(self, name: str, scenario: Callable[[], str | None]) -> Outcome:
        self.say(f"  {name}")
        try:
            skipped = scenario()
        except Exception as error:  # each failure is reported, the run goes on
            self.say(f"    FAILED: {type(error).__name__}: {error}")
            return Outcome(name, "failed", f"{type(error).__name__}: {error}")
        if skipped is not None:
            self.say(f"    skipped: {skipped}")
            return Outcome(name, "skipped", skipped)
        return Outcome(name, "passed")

    def destroy_left(self) -> list[str]:
        """Destroy whatever the engines still hold (newest first); what failed, in words."""
        problems: list[str] = []
        for engine in reversed(self.engines):
            for name in reversed(engine.names()):
                state = engine.require_state(name)
                members = state.outputs.get("snapshot_ids") or []  # a series' snapshots
                self.seen_ids.update(
                    str(i) for i in [state.id, *members] if str(i).startswith("snap-")
                )
                try:
                    engine.destroy(name)
                    self.say(f"  destroyed {name} ({state.id}), left by a failed step")
                except Exception as error:  # the sweep comes next
                    problems.append(f"destroying {name} failed: {error}")
        return problems


@contextmanager
def sigint_deferred(say: Say) -> Iterator[None]:
    """Ctrl-C during clean-up would leave what clean-up is deleting: say so, and go on."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def refuse(_signum: int, _frame: object) -> None:
        say("  (cleaning up: Ctrl-C ignored until the run's snapshots are gone)")

    previous = signal.signal(signal.SIGINT, refuse)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
