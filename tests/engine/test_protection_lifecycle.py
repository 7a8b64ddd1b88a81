"""The archive tier and the snapshot lock through the real plugin, step by step (the table of
``test_lifecycle``): each input created, left alone (no call), changed in place with the fewest
calls, drifted out of band and refreshed, destroyed; and the locked snapshot a destroy cannot
delete stays both in EC2 and in the state. Days pass on the emulator's clock, never slept."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from sg_snapshot_harness import CheckFailedError, Engine, PluginError, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REGION
from tests.engine.test_lifecycle import (
    BASE,
    CREATE_SNAPSHOT,
    CREATE_TAGS,
    DELETE_SNAPSHOT,
    DESCRIBE,
    LifecycleRunner,
    Step,
    destroy,
    refresh,
    up,
)

LOCK = "ec2:LockSnapshot"
UNLOCK = "ec2:UnlockSnapshot"
DESCRIBE_LOCKED = "ec2:DescribeLockedSnapshots"
MODIFY_TIER = "ec2:ModifySnapshotTier"
RESTORE_TIER = "ec2:RestoreSnapshotTier"
TIER_STATUS = "ec2:DescribeSnapshotTierStatus"
DAY = 86400.0

GOVERNANCE: dict[str, Any] = {"lock_mode": "governance", "lock_duration_days": 2}
COMPLIANCE: dict[str, Any] = {
    "lock_mode": "compliance",
    "lock_duration_days": 3,
    "lock_cool_off_hours": 1,
}
ARCHIVED: dict[str, Any] = {"storage_tier": "archive", "wait_for_completion": True}
STANDARD: dict[str, Any] = {"storage_tier": "standard", "wait_for_completion": True}


def until(days: float) -> dict[str, Any]:
    """A governance lock until ``days`` from now (whole seconds, as the plugin writes them)."""
    moment = datetime.now(UTC).replace(microsecond=0) + timedelta(days=days)
    return {"lock_mode": "governance", "lock_expiration_date": moment.isoformat()}


UNTIL_2, UNTIL_3 = until(2), until(3)


def out_of_band(action: str, **values: Any) -> Step:
    return Step(action, inputs=values)


def fault(operation: str, code: str = "UnauthorizedOperation", status: int = 403) -> Step:
    """The next ``operation`` fails for good (no retry)."""
    return out_of_band("fault", operation=operation, code=code, status=status)


def failing_up(**changes: Any) -> Step:
    """An up the plugin refuses before any AWS call (None: the input left out); the state
    still matches EC2."""
    inputs = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    return Step("up", inputs, PluginError)


LOCKED_DESTROY = Step("destroy", expect=PluginError, aws=(DELETE_SNAPSHOT, DESCRIBE_LOCKED))

SCENARIOS: dict[str, list[Step]] = {
    "governance_lock": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, **GOVERNANCE),
        up(StepKind.SAME, **GOVERNANCE),
        up(StepKind.UPDATE, LOCK, **{**GOVERNANCE, "lock_duration_days": 4}),
        LOCKED_DESTROY,  # no unlock: the destroy fails and the snapshot stays in the state
        out_of_band("unlock"),
        refresh(StepKind.REFRESH, DESCRIBE, DESCRIBE_LOCKED),
        up(StepKind.UPDATE, LOCK, **GOVERNANCE),  # the lock comes back
        up(StepKind.UPDATE, UNLOCK),  # removing lock_mode from the program unlocks
        destroy(DELETE_SNAPSHOT),
    ],
    "compliance_lock": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, **COMPLIANCE),
        out_of_band("advance", seconds=2 * 3600),  # the cooling-off period ends
        refresh(StepKind.REFRESH, DESCRIBE, DESCRIBE_LOCKED),
        failing_up(),  # lock_mode removed: refused by diff, before any call
        failing_up(**{**COMPLIANCE, "lock_duration_days": 1}),  # shortened: refused
        failing_up(**{**COMPLIANCE, "lock_mode": "governance", "lock_cool_off_hours": None}),
        up(StepKind.SAME, **COMPLIANCE),
        up(StepKind.UPDATE, LOCK, **{**COMPLIANCE, "lock_duration_days": 5}),  # lengthened
        LOCKED_DESTROY,
        out_of_band("extend", days=9),
        refresh(StepKind.REFRESH, DESCRIBE, DESCRIBE_LOCKED),
        # Declared 5 days, EC2 holds 9: lengthening it back is all the program may do.
        failing_up(**{**COMPLIANCE, "lock_duration_days": 5}),
        up(StepKind.SAME, **{**COMPLIANCE, "lock_duration_days": 9}),
        out_of_band("advance", seconds=10 * DAY),
        destroy(DELETE_SNAPSHOT),
    ],
    "compliance_lock_changed_and_removed_during_its_cool_off": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, **COMPLIANCE),
        # within the cooling-off period EC2 allows anything: shortened, then removed
        up(StepKind.UPDATE, LOCK, **{**COMPLIANCE, "lock_duration_days": 1}),
        up(StepKind.SAME, **{**COMPLIANCE, "lock_duration_days": 1}),
        up(StepKind.UPDATE, UNLOCK),
        destroy(DELETE_SNAPSHOT),
    ],
    "lock_until_a_date": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, **UNTIL_2),
        up(StepKind.SAME, **UNTIL_2),
        up(StepKind.UPDATE, LOCK, **UNTIL_3),
        LOCKED_DESTROY,
        out_of_band("advance", seconds=3 * DAY + 60),
        refresh(StepKind.REFRESH, DESCRIBE, DESCRIBE_LOCKED),
        up(StepKind.SAME, **UNTIL_3),  # an ended lock is no drift: nothing planned
        destroy(DELETE_SNAPSHOT),
    ],
    "archive_tier": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, **ARCHIVED),
        up(StepKind.SAME, **ARCHIVED),
        up(StepKind.UPDATE, RESTORE_TIER, **{**ARCHIVED, "restore_tier_days": 2}),
        up(StepKind.SAME, **{**ARCHIVED, "restore_tier_days": 2}),
        up(StepKind.UPDATE, RESTORE_TIER, **STANDARD),
        up(StepKind.SAME, **STANDARD),
        out_of_band("archive"),
        refresh(StepKind.REFRESH, DESCRIBE, TIER_STATUS),
        up(StepKind.UPDATE, RESTORE_TIER, **STANDARD),
        destroy(DELETE_SNAPSHOT),
    ],
    # Failures, nothing lost: a create whose lock or archive fails deletes its new snapshot.
    "a_lock_that_fails_at_create_deletes_the_new_snapshot": [
        fault("LockSnapshot"),
        up(PluginError, CREATE_SNAPSHOT, LOCK, DELETE_SNAPSHOT, **GOVERNANCE),
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, **GOVERNANCE),
        up(StepKind.UPDATE, UNLOCK),
        destroy(DELETE_SNAPSHOT),
    ],
    "an_archive_that_fails_at_create_deletes_the_new_snapshot": [
        fault("ModifySnapshotTier"),
        up(PluginError, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, DELETE_SNAPSHOT, **ARCHIVED),
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, **ARCHIVED),
    ],
    "a_lock_change_that_fails_writes_nothing_else": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, **GOVERNANCE),
        fault("LockSnapshot"),
        # the lock comes before the tags: the refused lock leaves the tags as they were
        up(PluginError, LOCK, **{**GOVERNANCE, "lock_duration_days": 4}, tags={"a": "b"}),
        up(
            StepKind.UPDATE,
            LOCK,
            CREATE_TAGS,
            **{**GOVERNANCE, "lock_duration_days": 4},
            tags={"a": "b"},
        ),
        up(StepKind.UPDATE, UNLOCK, tags={"a": "b"}),
        destroy(DELETE_SNAPSHOT),
    ],
    "a_refused_tier_change_is_a_warning_and_the_next_up_retries": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, **STANDARD),
        fault("ModifySnapshotTier", code="IncorrectState", status=400),
        # the update succeeds, the state keeps the tier EC2 has: the next up plans it again
        up(StepKind.UPDATE, MODIFY_TIER, **ARCHIVED),
        up(StepKind.UPDATE, MODIFY_TIER, **ARCHIVED),
        up(StepKind.SAME, **ARCHIVED),
        destroy(DELETE_SNAPSHOT),
    ],
    # Bad input: refused by check, naming the input, before any AWS call.
    "bad_lock_and_tier_inputs_stop_before_aws": [
        up(CheckFailedError, lock_mode="governance"),  # no duration, no date
        up(CheckFailedError, **GOVERNANCE, lock_expiration_date=UNTIL_2["lock_expiration_date"]),
        up(CheckFailedError, **GOVERNANCE, lock_cool_off_hours=1),  # governance: no cool-off
        up(CheckFailedError, **{**COMPLIANCE, "lock_cool_off_hours": 73}),
        # a date already past passes check (a stored date passes with time, and check runs at
        # every up) and is refused by the create, still before any call
        up(PluginError, lock_mode="governance", lock_expiration_date="2020-01-01T00:00:00Z"),
        up(CheckFailedError, lock_mode="forever", lock_duration_days=1),
        up(CheckFailedError, **{**GOVERNANCE, "lock_duration_days": 0}),
        up(CheckFailedError, storage_tier="cold"),
        up(CheckFailedError, restore_tier_days=2),  # without the archive
        up(CheckFailedError, **{**ARCHIVED, "restore_tier_days": 181}),
        # EC2 cannot share an archived snapshot
        up(CheckFailedError, **ARCHIVED, share_with_account_ids=["111111111111"]),
        up(StepKind.CREATE, CREATE_SNAPSHOT),
        up(CheckFailedError, **{**GOVERNANCE, "lock_duration_days": 36501}),
        up(StepKind.SAME),
        destroy(DELETE_SNAPSHOT),
    ],
    "tier_added_to_a_pending_snapshot": [
        up(StepKind.CREATE, CREATE_SNAPSHOT),
        up(StepKind.UPDATE, DESCRIBE, MODIFY_TIER, storage_tier="archive"),
        up(StepKind.SAME, storage_tier="archive"),
        destroy(DELETE_SNAPSHOT),
    ],
}


class ProtectionRunner(LifecycleRunner):
    """The lifecycle runner, with the out-of-band steps of locks and tiers."""

    def __init__(self, engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
        super().__init__(engine, emulator, ec2)
        client = boto3.client("ec2", region_name=REGION, endpoint_url=emulator.url)

        def snapshot_id() -> str:
            return self.engine.require_state("nightly-root").id

        extra: dict[str, Callable[[Step], Any]] = {
            "advance": lambda step: emulator.advance_clock((step.inputs or {})["seconds"]),
            "unlock": lambda _: client.unlock_snapshot(SnapshotId=snapshot_id()),
            "extend": lambda step: client.lock_snapshot(
                SnapshotId=snapshot_id(),
                LockMode="compliance",
                LockDuration=(step.inputs or {})["days"],
            ),
            "archive": lambda _: client.modify_snapshot_tier(
                SnapshotId=snapshot_id(), StorageTier="archive"
            ),
            "fault": lambda step: emulator.inject_fault(**(step.inputs or {})),
        }
        self.actions.update(extra)


@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_protection_lifecycle(
    steps: list[Step], engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    ProtectionRunner(engine, emulator, ec2).play_all(steps)
