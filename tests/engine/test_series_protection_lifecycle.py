"""A series with locked and archived snapshots through the real plugin (the table of
``test_series_lifecycle``): a rotation that meets a locked snapshot keeps it, plans nothing and
calls nothing for it until its lock ends, then deletes it; a destroy deletes the rest and keeps
the series in the state with the locked one; archiving spares the newest snapshot."""

from __future__ import annotations

from typing import Any

import pytest

from sg_snapshot_harness import CheckFailedError, Engine, PluginError, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider.emulator import Emulator
from tests.engine.test_series_lifecycle import (
    CREATE_SNAPSHOT,
    DELETE_SNAPSHOT,
    DESCRIBE,
    SeriesRunner,
    Step,
    destroy,
    out_of_band,
    plugin,  # noqa: F401 (the module's plugin fixture, with that module's timings)
    refresh,
    series,  # noqa: F401 (the engine of a series)
    up,
)

LOCK = "ec2:LockSnapshot"
RESTORE_TIER = "ec2:RestoreSnapshotTier"
DESCRIBE_LOCKED = "ec2:DescribeLockedSnapshots"
MODIFY_TIER = "ec2:ModifySnapshotTier"
DAY = 86400.0
LOCKED: dict[str, Any] = {"keep": 1, "lock_mode": "compliance", "lock_duration_days": 2}
ARCHIVED: dict[str, Any] = {"keep": 3, "storage_tier": "archive"}

SCENARIOS: dict[str, list[Step]] = {
    "rotation_meets_a_locked_snapshot": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, held=1, **LOCKED),
        up(StepKind.SAME, **LOCKED),
        # The older snapshot is beyond keep but locked: kept, its lock's end recorded.
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            LOCK,
            DESCRIBE,
            DELETE_SNAPSHOT,
            DESCRIBE_LOCKED,
            held=2,
            trigger="2",
            **LOCKED,
        ),
        up(StepKind.SAME, held=2, trigger="2", **LOCKED),  # nothing planned while it holds
        # Another rotation calls nothing for the member known to be locked.
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            LOCK,
            DESCRIBE,
            DELETE_SNAPSHOT,
            DESCRIBE_LOCKED,
            held=3,
            trigger="3",
            **LOCKED,
        ),
        Step(
            "destroy",
            expect=PluginError,
            aws=(DESCRIBE, *(DELETE_SNAPSHOT, DESCRIBE_LOCKED) * 3),
            held=3,
        ),
        out_of_band("advance", seconds=3 * DAY),
        refresh(StepKind.REFRESH, DESCRIBE, DESCRIBE_LOCKED, held=3),
        up(
            StepKind.UPDATE,
            DESCRIBE,
            DELETE_SNAPSHOT,
            DELETE_SNAPSHOT,
            held=1,
            trigger="3",
            **LOCKED,
        ),
        destroy(DESCRIBE, DELETE_SNAPSHOT),
    ],
    "archive_all_but_the_newest": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, **ARCHIVED),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, held=2, trigger="2", **ARCHIVED
        ),
        up(StepKind.SAME, held=2, trigger="2", **ARCHIVED),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, held=3, trigger="3", **ARCHIVED
        ),
        destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "standard_restores_the_archived_in_place": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, **ARCHIVED),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, held=2, trigger="2", **ARCHIVED
        ),
        out_of_band("archived", count=1),
        # no new snapshot: one permanent restore of the archived member
        up(StepKind.UPDATE, RESTORE_TIER, held=2, trigger="2", keep=3, storage_tier="standard"),
        out_of_band("archived", count=0),
        up(StepKind.SAME, held=2, trigger="2", keep=3, storage_tier="standard"),
        destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "a_member_restored_out_of_band_shows_on_refresh_and_the_next_trigger_archives_it": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, **ARCHIVED),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, held=2, trigger="2", **ARCHIVED
        ),
        out_of_band("restore_out_of_band", position=1),
        refresh(StepKind.REFRESH, DESCRIBE, held=2),
        out_of_band("archived", count=0),
        # the same inputs plan nothing (no call); the next trigger archives it with the other
        up(StepKind.SAME, held=2, trigger="2", **ARCHIVED),
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            MODIFY_TIER,
            MODIFY_TIER,
            held=3,
            trigger="3",
            **ARCHIVED,
        ),
        out_of_band("archived", count=2),
        destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "a_refused_archive_is_a_warning_and_the_member_stays_standard": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, **ARCHIVED),
        out_of_band("fault", operation="ModifySnapshotTier", code="IncorrectState", status=400),
        up(
            StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY_TIER, held=2, trigger="2", **ARCHIVED
        ),
        # the next trigger archives both older members
        up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            MODIFY_TIER,
            MODIFY_TIER,
            held=3,
            trigger="3",
            **ARCHIVED,
        ),
        destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "a_lock_that_fails_deletes_the_new_member": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, held=1, **LOCKED),
        out_of_band("fault", operation="LockSnapshot", code="UnauthorizedOperation", status=403),
        # the series holds what it held; the snapshot it could not lock is gone
        up(
            PluginError,
            CREATE_SNAPSHOT,
            LOCK,
            DELETE_SNAPSHOT,
            held=1,
            trigger="2",
            **LOCKED,
        ),
        up(StepKind.SAME, held=1, **LOCKED),
        out_of_band("advance", seconds=3 * DAY),
        destroy(DESCRIBE, DELETE_SNAPSHOT),
    ],
    "a_lock_change_applies_to_the_next_snapshots_without_a_call": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, LOCK, held=1, **LOCKED),
        up(StepKind.UPDATE, held=1, **{**LOCKED, "lock_duration_days": 3}),
        up(StepKind.SAME, held=1, **{**LOCKED, "lock_duration_days": 3}),
        out_of_band("advance", seconds=3 * DAY),
        destroy(DESCRIBE, DELETE_SNAPSHOT),
    ],
    "bad_series_protection_stops_before_aws": [
        up(CheckFailedError, keep=1, lock_mode="governance"),  # no duration
        # one date for every snapshot would leave the later ones unlockable once it passed
        up(
            CheckFailedError,
            keep=1,
            lock_mode="governance",
            lock_expiration_date="2099-01-01T00:00:00Z",
        ),
        up(CheckFailedError, keep=1, storage_tier="archive", restore_tier_days=2),
        up(CheckFailedError, **ARCHIVED, share_with_account_ids=["111111111111"]),
        up(StepKind.CREATE, CREATE_SNAPSHOT, held=1, keep=1),
        up(CheckFailedError, keep=1, storage_tier="glacier"),
        up(StepKind.SAME, held=1, keep=1),
        destroy(DESCRIBE, DELETE_SNAPSHOT),
    ],
}


class ProtectionRunner(SeriesRunner):
    def __init__(self, engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
        super().__init__(engine, emulator, ec2)
        self.actions["advance"] = lambda step: emulator.advance_clock(
            (step.inputs or {})["seconds"]
        )
        self.actions["restore_out_of_band"] = lambda step: ec2.client.restore_snapshot_tier(
            SnapshotId=self._at(step), PermanentRestore=True
        )
        self.actions["archived"] = self._archived

    def _archived(self, step: Step) -> None:
        """The state and EC2 agree on how many members are archived, and it is ``count``."""
        outputs = self.engine.require_state("nightly-root").outputs
        recorded = outputs.get("archived_snapshot_ids") or []
        answer = self.ec2.client.describe_snapshots(SnapshotIds=outputs["snapshot_ids"])
        in_ec2 = [s["SnapshotId"] for s in answer["Snapshots"] if s.get("StorageTier") == "archive"]
        assert sorted(recorded) == sorted(in_ec2), (recorded, in_ec2)
        assert len(recorded) == (step.inputs or {})["count"], recorded


@pytest.mark.parametrize("steps", list(SCENARIOS.values()), ids=list(SCENARIOS))
def test_series_protection_lifecycle(
    steps: list[Step],
    series: Engine,  # noqa: F811
    emulator: Emulator,
    ec2: Ec2View,
) -> None:
    ProtectionRunner(series, emulator, ec2).play_all(steps)
