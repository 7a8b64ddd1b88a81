"""The snapshot schedule's whole lifecycle through the real plugin, step by step, against the
emulator.

Each scenario is a list of steps: an engine operation (up, preview, refresh, destroy) or a
change made behind the provider's back. For every engine step the table says what kind of step
it must be and exactly which AWS requests it may make, in order; after it, the schedule Storage
Gateway holds must be the one the engine's state describes (or none once the resource is gone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

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
from sg_snapshot_harness.scenarios import ScenarioRunner
from sg_snapshot_provider import VolumeSnapshotScheduleProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE
from tests.conftest import GATEWAY_ARN, REGION, VOLUME_ARN

NAME = "nightly"
STORED_GATEWAY_ARN = "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-99887766"
STORED_VOLUME_ARN = f"{STORED_GATEWAY_ARN}/volume/vol-55667788"
OTHER_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-3344CCDD"
BASE: dict[str, Any] = {"volume_arn": VOLUME_ARN, "start_at": 2, "recurrence_in_hours": 24}

UPDATE = "storagegateway:UpdateSnapshotSchedule"
DESCRIBE = "storagegateway:DescribeSnapshotSchedule"
DELETE = "storagegateway:DeleteSnapshotSchedule"


@dataclass(frozen=True)
class Step:
    """One row: ``action`` with ``inputs``; ``expect`` is a step kind, an exception class, or
    None for out-of-band actions (which are not checked)."""

    action: str
    inputs: dict[str, Any] | None = None
    expect: StepKind | type[Exception] | None = None
    aws: tuple[str, ...] = ()
    options: Options | None = None


def up(expect: StepKind | type[Exception], *aws: str, **changes: Any) -> Step:
    return Step("up", {**BASE, **changes}, expect, aws)


def up_ignoring(ignored: tuple[str, ...], expect: StepKind, *aws: str, **changes: Any) -> Step:
    return Step("up", {**BASE, **changes}, expect, aws, Options(ignore_changes=ignored))


def preview(expect: StepKind, **changes: Any) -> Step:
    return Step("preview", {**BASE, **changes}, expect)


def refresh(expect: StepKind, *aws: str) -> Step:
    return Step("refresh", expect=expect, aws=aws)


def destroy(*aws: str) -> Step:
    return Step("destroy", expect=StepKind.DELETE, aws=aws)


def out_of_band(action: str, **values: Any) -> Step:
    return Step(action, inputs=values)


CREATE = up(StepKind.CREATE, UPDATE)
DESTROY = destroy(DELETE)
DESTROY_AGAIN = Step("destroy_again", expect=StepKind.DELETE, aws=(DELETE,))
DELETE_VOLUME = out_of_band("delete_volume")
DELETE_SCHEDULE = out_of_band("delete_schedule")

SCENARIOS: dict[str, list[Step]] = {
    "basic": [
        CREATE,
        up(StepKind.SAME),
        DESTROY,
    ],
    "each_update_in_place": [
        up(StepKind.CREATE, UPDATE, description="nightly", tags={"team": "storage"}),
        up(StepKind.UPDATE, UPDATE, start_at=3, description="nightly", tags={"team": "storage"}),
        up(
            StepKind.UPDATE,
            UPDATE,
            start_at=3,
            recurrence_in_hours=12,
            description="nightly",
            tags={"team": "storage"},
        ),
        up(
            StepKind.UPDATE,
            UPDATE,
            start_at=3,
            recurrence_in_hours=12,
            description="twice a day",
            tags={"team": "storage"},
        ),
        up(
            StepKind.UPDATE,
            UPDATE,
            start_at=3,
            recurrence_in_hours=12,
            description="twice a day",
            tags={"team": "storage", "env": "prod"},
        ),
        up(
            StepKind.UPDATE,
            UPDATE,
            start_at=3,
            recurrence_in_hours=12,
            description="twice a day",
        ),
        up(StepKind.SAME, start_at=3, recurrence_in_hours=12, description="twice a day"),
        DESTROY,
    ],
    "numbers_as_the_wire_sends_them": [
        up(StepKind.CREATE, UPDATE, start_at=2.0, recurrence_in_hours=24.0),
        up(StepKind.SAME),
    ],
    "new_volume_replaces": [
        CREATE,
        # create-before-delete: the new volume's schedule is set before the old one goes
        up(StepKind.REPLACE, UPDATE, DELETE, volume_arn=OTHER_VOLUME_ARN),
        destroy(DELETE),
    ],
    "drift": [
        up(StepKind.CREATE, UPDATE, tags={"team": "storage"}),
        out_of_band("update_schedule", StartAt=5, RecurrenceInHours=4, Description="by hand"),
        refresh(StepKind.REFRESH, DESCRIBE),
        up(StepKind.UPDATE, UPDATE, tags={"team": "storage"}),
        up(StepKind.SAME, tags={"team": "storage"}),
    ],
    "drift_kept_by_ignore_changes": [
        CREATE,
        out_of_band("update_schedule", StartAt=5, RecurrenceInHours=24),
        refresh(StepKind.REFRESH, DESCRIBE),
        up_ignoring(("start_at",), StepKind.SAME),
    ],
    "refresh_learns_the_gateways_time_zone": [
        out_of_band("set_timezone", timezone="GMT-5:00"),
        CREATE,
        refresh(StepKind.REFRESH, DESCRIBE),
        up(StepKind.UPDATE, UPDATE, start_at=6),
    ],
    "disappearing_volume": [
        CREATE,
        DELETE_VOLUME,
        refresh(StepKind.DROP, DESCRIBE),
        up(PluginError, UPDATE),
    ],
    "schedule_deleted_out_of_band": [
        CREATE,
        DELETE_SCHEDULE,
        refresh(StepKind.DROP, DESCRIBE),
        CREATE,
    ],
    "destroy_twice": [
        CREATE,
        DESTROY,
        DESTROY_AGAIN,
    ],
    "destroy_after_the_volume_went": [
        CREATE,
        DELETE_VOLUME,
        DESTROY,
    ],
    "stored_volume_keeps_its_schedule": [
        out_of_band("add_stored_volume"),
        up(StepKind.CREATE, UPDATE, volume_arn=STORED_VOLUME_ARN, start_at=4),
        destroy(DELETE),
    ],
    "gateway_reconnecting_is_retried": [
        CREATE,
        out_of_band("fault", operation="UpdateSnapshotSchedule", code="GatewayNotConnected"),
        up(StepKind.UPDATE, UPDATE, UPDATE, start_at=7),
        out_of_band("fault", operation="DescribeSnapshotSchedule", code="VolumeNotReady"),
        refresh(StepKind.REFRESH, DESCRIBE, DESCRIBE),
    ],
    "refresh_fails_on_other_errors": [
        CREATE,
        out_of_band("fault", operation="DescribeSnapshotSchedule", code="InvalidParameters"),
        Step("refresh", expect=PluginError, aws=(DESCRIBE,)),
        up(StepKind.SAME),
    ],
    "preview_with_unknowns": [
        preview(StepKind.CREATE, volume_arn=UNKNOWN, start_at=UNKNOWN, tags=UNKNOWN),
        CREATE,
        preview(StepKind.UPDATE, start_at=UNKNOWN),
        preview(StepKind.UPDATE, tags={"team": UNKNOWN}),
        preview(StepKind.REPLACE, volume_arn=UNKNOWN),
        preview(StepKind.SAME),
        up(StepKind.SAME),
    ],
    "check_failure_stops_before_aws": [
        up(CheckFailedError, recurrence_in_hours=3),
        CREATE,
        up(CheckFailedError, start_at=2.5),
        up(CheckFailedError, start_at=True),
        up(CheckFailedError, start_at=24),
        up(CheckFailedError, description=""),
        up(CheckFailedError, tags={"aws:reserved": "x"}),
        up(StepKind.SAME),
    ],
}


class ScheduleRunner(ScenarioRunner):
    """Plays steps against one engine and checks each against the table and Storage Gateway."""

    def __init__(self, engine: Engine, emulator: Emulator) -> None:
        self.engine = engine
        super().__init__(emulator)
        self.sg = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
        self.last_state: ResourceState | None = None
        self.actions: dict[str, Callable[[Step], Any]] = {
            "up": lambda step: engine.up(NAME, step.inputs or {}, step.options),
            "preview": lambda step: engine.preview(NAME, step.inputs or {}),
            "refresh": lambda _: engine.refresh(NAME),
            "destroy": lambda _: engine.destroy(NAME),
            "destroy_again": self._destroy_again,
            "update_schedule": lambda step: self.sg.update_snapshot_schedule(
                VolumeARN=self._current_id(), **(step.inputs or {})
            ),
            "delete_schedule": lambda _: self.sg.delete_snapshot_schedule(
                VolumeARN=self._current_id()
            ),
            "delete_volume": lambda _: self.sg.delete_volume(VolumeARN=self._current_id()),
            "set_timezone": lambda step: emulator.add_gateway(GATEWAY_ARN, **(step.inputs or {})),
            "add_stored_volume": lambda _: self._add_stored_volume(),
            "fault": lambda step: emulator.inject_fault(**(step.inputs or {})),
        }

    def check(self, where: str, step: Step) -> None:  # type: ignore[override]
        """Storage Gateway holds the schedule the state describes (read after the step's calls
        were counted)."""
        state = self.engine.state(NAME)
        if state is not None:
            self.last_state = state
        if state is None or step.action == "preview":
            return
        outputs = state.outputs
        actual = self.schedule(state.id)
        assert actual is not None, where
        assert actual["StartAt"] == outputs["start_at"], where
        assert actual["RecurrenceInHours"] == outputs["recurrence_in_hours"], where
        assert {t["Key"]: t["Value"] for t in actual["Tags"]} == outputs["tags_all"], where
        assert actual.get("Description") == outputs.get("description"), where
        assert outputs["region"] == REGION, where
        assert outputs["gateway_arn"] == state.id.split("/volume/")[0], where

    def schedule(self, volume_arn: str) -> dict[str, Any] | None:
        try:
            return dict(self.sg.describe_snapshot_schedule(VolumeARN=volume_arn))
        except ClientError as err:
            if err.response.get("error", {}).get("errorCode") in (  # type: ignore[attr-defined]
                "VolumeNotFound",
                "SnapshotScheduleNotFound",
            ):
                return None
            raise

    def _current_id(self) -> str:
        return self.engine.require_state(NAME).id

    def _destroy_again(self, _: Step) -> Any:
        assert self.last_state is not None, "destroy_again needs an earlier state"
        self.engine.adopt(self.last_state)
        return self.engine.destroy(NAME)

    def _add_stored_volume(self) -> None:
        self.emulator.add_gateway(STORED_GATEWAY_ARN, "STORED")
        self.emulator.add_volume(STORED_VOLUME_ARN)


@pytest.fixture
def schedule_engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    emulator.add_volume(OTHER_VOLUME_ARN)
    emulator.clear_calls()
    return Engine(plugin, VolumeSnapshotScheduleProvider(), type_token=SCHEDULE_TYPE)


@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_schedule_lifecycle(steps: list[Step], schedule_engine: Engine, emulator: Emulator) -> None:
    runner = ScheduleRunner(schedule_engine, emulator)
    runner.play_all(steps)


# --- what the table cannot say in a row -----------------------------------------------------


def test_create_then_refresh__outputs(schedule_engine: Engine, emulator: Emulator) -> None:
    emulator.add_gateway(GATEWAY_ARN, timezone="GMT-5:00")
    inputs = {**BASE, "description": "nightly", "tags": {"team": "storage"}}

    created = schedule_engine.up(NAME, inputs)
    refreshed = schedule_engine.refresh(NAME)

    expected = {
        "volume_arn": VOLUME_ARN,
        "start_at": 2,
        "recurrence_in_hours": 24,
        "description": "nightly",
        "tags": {"team": "storage"},
        "tags_all": {"team": "storage"},
        "gateway_arn": GATEWAY_ARN,
        "region": REGION,
    }
    assert created.id == VOLUME_ARN
    # UpdateSnapshotSchedule does not say the time zone: create leaves it unknown.
    assert created.outputs == expected
    assert refreshed.outputs == {**expected, "timezone": "GMT-5:00"}
    assert refreshed.diff is not None
    assert refreshed.diff.changes is False


def test_refresh_after_drift__stores_the_inputs_aws_has(
    schedule_engine: Engine, emulator: Emulator
) -> None:
    schedule_engine.up(NAME, {**BASE, "tags": {"team": "storage"}})
    sg = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN, StartAt=5, RecurrenceInHours=24, Tags=[{"Key": "x", "Value": "y"}]
    )

    refreshed = schedule_engine.refresh(NAME)

    assert refreshed.diff is not None
    assert refreshed.diff.changes is True  # the drift is shown
    state = schedule_engine.require_state(NAME)
    public = {k: v for k, v in state.inputs.items() if k != "__provider"}
    assert public == {
        "volume_arn": VOLUME_ARN,
        "start_at": 5,
        "recurrence_in_hours": 24,
        "tags": {"x": "y"},
        "tags_all": {"x": "y"},
    }


def test_disappearing_volume__up_names_the_volume(
    schedule_engine: Engine, emulator: Emulator
) -> None:
    schedule_engine.up(NAME, BASE)
    boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url).delete_volume(
        VolumeARN=VOLUME_ARN
    )
    assert schedule_engine.refresh(NAME).kind is StepKind.DROP

    with pytest.raises(PluginError) as caught:
        schedule_engine.up(NAME, BASE)

    message = caught.value.message
    assert f"updating the snapshot schedule of volume {VOLUME_ARN}: VolumeNotFound" in message
    assert "Check that the volume ARN is right" in message


def test_stored_volume__destroy_says_the_schedule_stays(
    schedule_engine: Engine, emulator: Emulator, plugin: PluginProcess
) -> None:
    emulator.add_gateway(STORED_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN)
    schedule_engine.up(NAME, {**BASE, "volume_arn": STORED_VOLUME_ARN})

    schedule_engine.destroy(NAME)

    assert schedule_engine.state(NAME) is None
    sg = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    assert sg.describe_snapshot_schedule(VolumeARN=STORED_VOLUME_ARN)["StartAt"] == 2
    assert f"warning: {STORED_VOLUME_ARN} is a stored volume" in plugin.stderr_text()


def test_check_failure__names_the_property_and_the_values(schedule_engine: Engine) -> None:
    with pytest.raises(CheckFailedError) as caught:
        schedule_engine.up(NAME, {**BASE, "recurrence_in_hours": 6, "start_at": 30})

    assert caught.value.properties == ["start_at", "recurrence_in_hours"]
    reasons = [failure.reason for failure in caught.value.failures]
    assert reasons[0] == (
        "start_at must be a whole hour from 0 to 23 (in the gateway's time zone); got 30"
    )
    assert reasons[1].startswith("recurrence_in_hours must be one of 1, 2, 4, 8, 12 or 24")
