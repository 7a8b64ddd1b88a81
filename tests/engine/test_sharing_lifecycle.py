"""Sharing (``share_with_account_ids``) and a series' restore test (``verify_restore``) through
the real plugin, step by step, against the emulator, in the tables of test_lifecycle and
test_series_lifecycle: each step's kind, its exact AWS calls, then what EC2 holds. After every
step each snapshot in state is shared with exactly the accounts the state declares (when it
declares any), and the only EBS volume left is the one a ``keep_volume`` check kept.

Who could be hurt, tested first: the accounts a snapshot is shared with (an account added out
of band shows on refresh and the next up removes it; an input removed stops the sharing it had
declared); an encrypted snapshot with the default key is never half shared; a failed restore
test leaves neither volume nor snapshot behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from sg_snapshot_harness import CheckFailedError, Engine, PluginError, PluginProcess, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import REPO_ROOT
from tests.engine import test_lifecycle as single
from tests.engine import test_series_lifecycle as series_table
from tests.engine.conftest import STACK_CONFIG

A, B, C = "111111111111", "222222222222", "333333333333"
SHARE = "share_with_account_ids"
MODIFY = "ec2:ModifySnapshotAttribute"
ATTRIBUTE = "ec2:DescribeSnapshotAttribute"
DESCRIBE = "ec2:DescribeSnapshots"
CREATE_SNAPSHOT = "storagegateway:CreateSnapshot"
DELETE_SNAPSHOT = "ec2:DeleteSnapshot"
CREATE_VOLUME = "ec2:CreateVolume"
DESCRIBE_VOLUMES = "ec2:DescribeVolumes"
DELETE_VOLUME = "ec2:DeleteVolume"
#: A passed restore test: the volume made, seen available (the waiter polls while the volume
#: is ``creating``: its repeats count once, see ``SeriesSharingRunner.calls_of``), deleted,
#: seen gone.
RESTORE = (CREATE_VOLUME, DESCRIBE_VOLUMES, DELETE_VOLUME, DESCRIBE_VOLUMES)
ZONE = {"availability_zone": "us-east-1a"}
KEEP = {"availability_zone": "us-east-1b", "keep_volume": True}


def share(*accounts: Any) -> dict[str, Any]:
    """The ``share_with_account_ids`` input (typed loosely: rows also pass malformed lists)."""
    return {SHARE: list(accounts)}


def shared_with(client: Any, snapshot_id: str) -> set[str]:
    answer = client.describe_snapshot_attribute(
        SnapshotId=snapshot_id, Attribute="createVolumePermission"
    )
    return {p.get("UserId") or p["Group"] for p in answer["CreateVolumePermissions"]}


def volume_ids(client: Any) -> set[str]:
    return {v["VolumeId"] for v in client.describe_volumes()["Volumes"]}


def modify_out_of_band(client: Any, snapshot_id: str, operation: str, account: str) -> None:
    client.modify_snapshot_attribute(
        SnapshotId=snapshot_id,
        Attribute="createVolumePermission",
        OperationType=operation,
        UserIds=[account],
    )


# --- the snapshot ---------------------------------------------------------------------------

up = single.up


def out_of_band(action: str, **values: Any) -> single.Step:
    return single.Step(action, inputs=values)


SNAPSHOT_SCENARIOS: dict[str, list[single.Step]] = {
    "share_update_in_place_only_the_difference": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, **share(A)),
        up(StepKind.SAME, **share(A)),
        up(StepKind.SAME, **share(A, A)),  # repeats and order plan nothing
        # the state knows the snapshot is not encrypted: no read before the add
        up(StepKind.UPDATE, MODIFY, **share(B, A)),
        up(StepKind.UPDATE, MODIFY, **share(B)),
        up(StepKind.UPDATE, MODIFY, MODIFY, **share(A)),
        up(StepKind.UPDATE, MODIFY, **share()),
        up(StepKind.SAME, **share()),
        single.destroy(DELETE_SNAPSHOT),
    ],
    "refresh_shows_an_account_added_out_of_band": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, **share(A)),
        out_of_band("share_out_of_band", account=C),
        single.refresh(StepKind.REFRESH, DESCRIBE, ATTRIBUTE),
        up(StepKind.UPDATE, MODIFY, **share(A)),
        up(StepKind.SAME, **share(A)),
        out_of_band("unshare_out_of_band", account=A),
        single.refresh(StepKind.REFRESH, DESCRIBE, ATTRIBUTE),
        up(StepKind.UPDATE, MODIFY, **share(A)),
    ],
    "a_snapshot_made_public_out_of_band_is_made_private": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, **share(A)),
        out_of_band("make_public_out_of_band"),
        single.refresh(StepKind.REFRESH, DESCRIBE, ATTRIBUTE),
        up(StepKind.UPDATE, MODIFY, **share(A)),
        up(StepKind.SAME, **share(A)),
    ],
    "sharing_added_later_then_removed": [
        single.CREATE,
        # not managed before: what EC2 has is read first, then the snapshot (its key)
        up(StepKind.UPDATE, ATTRIBUTE, DESCRIBE, MODIFY, **share(A, B)),
        # the input removed: the sharing it declared stops, and is no longer managed
        up(StepKind.UPDATE, MODIFY),
        single.refresh(StepKind.REFRESH, DESCRIBE),
        up(StepKind.SAME),
    ],
    "unmanaged_sharing_is_left_alone": [
        single.CREATE,
        out_of_band("share_out_of_band", account=C),
        single.refresh(StepKind.REFRESH, DESCRIBE),
        up(StepKind.SAME),
        # declaring an empty list manages it: the account found is removed
        up(StepKind.UPDATE, ATTRIBUTE, MODIFY, **share()),
    ],
    "bad_account_ids_stop_before_aws": [
        up(CheckFailedError, **share("12345678901")),
        up(CheckFailedError, **share("all")),
        up(CheckFailedError, share_with_account_ids=A),
        up(CheckFailedError, **share(123456789012)),
        single.CREATE,
        up(CheckFailedError, **share("1234567890123")),
        up(StepKind.SAME),
    ],
    "a_failed_share_update_loses_nothing": [
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, **share(A)),
        out_of_band("fault", operation="ModifySnapshotAttribute", code="UnauthorizedOperation"),
        # refused: the state keeps the old list, which is what EC2 still has
        up(PluginError, MODIFY, **share(B)),
        up(StepKind.UPDATE, MODIFY, MODIFY, **share(B)),
        up(StepKind.SAME, **share(B)),
        single.destroy(DELETE_SNAPSHOT),
    ],
    "a_failed_share_deletes_the_new_snapshot": [
        out_of_band("fault", operation="ModifySnapshotAttribute", code="UnauthorizedOperation"),
        up(PluginError, CREATE_SNAPSHOT, DESCRIBE, MODIFY, DELETE_SNAPSHOT, **share(A)),
        up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, **share(A)),
    ],
}


class SharingRunner(single.LifecycleRunner):
    def __init__(self, engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
        super().__init__(engine, emulator, ec2)
        client = ec2.client
        self.actions.update(
            {
                "share_out_of_band": lambda step: modify_out_of_band(
                    client, self._current_id(), "add", (step.inputs or {})["account"]
                ),
                "unshare_out_of_band": lambda step: modify_out_of_band(
                    client, self._current_id(), "remove", (step.inputs or {})["account"]
                ),
                "fault": lambda step: emulator.inject_fault(status=403, **(step.inputs or {})),
                "make_public_out_of_band": lambda _: client.modify_snapshot_attribute(
                    SnapshotId=self._current_id(),
                    Attribute="createVolumePermission",
                    OperationType="add",
                    GroupNames=["all"],
                ),
            }
        )

    def check(self, where: str, step: single.Step) -> None:  # type: ignore[override]
        super().check(where, step)
        state = self.engine.state(single.NAME)
        if state is not None and SHARE in state.outputs and step.action == "up":
            declared = set(state.outputs[SHARE])
            assert shared_with(self.ec2.client, state.id) == declared, where


@pytest.mark.parametrize("steps", list(SNAPSHOT_SCENARIOS.values()), ids=list(SNAPSHOT_SCENARIOS))
def test_snapshot_sharing(
    steps: list[single.Step], engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    SharingRunner(engine, emulator, ec2).play_all(steps)


def test_the_default_ebs_key_is_refused_before_any_share(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    """An encrypted snapshot made with EBS's default key (adopted here: the emulator's gateway
    volumes are not KMS-encrypted) is refused with one sentence naming the input, before any
    ModifySnapshotAttribute; nothing is written to it."""
    volume = ec2.client.create_volume(AvailabilityZone="us-east-1a", Size=1, Encrypted=True)
    snapshot_id = ec2.client.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"]
    ec2.client.delete_volume(VolumeId=volume["VolumeId"])
    emulator.clear_calls()

    with pytest.raises(PluginError) as caught:
        engine.up(
            single.NAME,
            {"volume_arn": single.BASE["volume_arn"], "adopt_snapshot_id": snapshot_id, SHARE: [A]},
        )

    message = str(caught.value)
    assert f"{SHARE}: snapshot {snapshot_id} is encrypted with the default AWS managed key" in (
        message
    )
    calls = [f"{c.service}:{c.operation}" for c in emulator.calls()]
    assert MODIFY not in calls
    assert "ec2:CreateTags" not in calls
    assert "kms:DescribeKey" in calls
    assert shared_with(ec2.client, snapshot_id) == set()
    assert ec2.tags(snapshot_id) == {}
    assert engine.state(single.NAME) is None


# --- the series -----------------------------------------------------------------------------

s_up = series_table.up


def s_out_of_band(action: str, **values: Any) -> series_table.Step:
    return series_table.Step(action, inputs=values)


def last_check(result: str = "passed") -> Callable[[dict[str, Any]], bool]:
    """``last_restore_check`` names the newest snapshot and the result."""

    def holds(outputs: dict[str, Any]) -> bool:
        check = outputs.get("last_restore_check") or {}
        return check.get("snapshot_id") == outputs["latest_snapshot_id"] and (
            check.get("result") == result
        )

    return holds


SERIES_SCENARIOS: dict[str, list[series_table.Step]] = {
    "series_shares_every_member": [
        s_up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, held=1, **share(A)),
        s_up(StepKind.SAME, held=1, **share(A)),
        # a new snapshot is shared with the list
        s_up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, held=2, trigger="2", **share(A)),
        # a new list applies to every current snapshot: one read (the keys), one add each
        s_up(StepKind.UPDATE, DESCRIBE, MODIFY, MODIFY, held=2, trigger="2", **share(A, B)),
        # removing costs no read
        s_up(StepKind.UPDATE, MODIFY, MODIFY, held=2, trigger="2", **share(B)),
        s_out_of_band("share_out_of_band", position=1, account=C),
        series_table.refresh(StepKind.REFRESH, DESCRIBE, ATTRIBUTE, ATTRIBUTE, held=2),
        s_up(StepKind.UPDATE, MODIFY, MODIFY, held=2, trigger="2", **share(B)),
        s_up(StepKind.SAME, held=2, trigger="2", **share(B)),
        # rotation deletes the oldest shared member: the series declared its sharing
        s_up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, held=3, trigger="3", **share(B)),
        s_up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            MODIFY,
            DESCRIBE,
            DELETE_SNAPSHOT,
            held=3,
            trigger="4",
            **share(B),
        ),
        series_table.destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "a_failed_share_deletes_the_new_member": [
        s_up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, held=1, **share(A)),
        s_out_of_band(
            "fault", operation="ModifySnapshotAttribute", code="UnauthorizedOperation", status=403
        ),
        # the new snapshot is deleted again: the series holds what it held, still shared
        s_up(
            PluginError,
            CREATE_SNAPSHOT,
            DESCRIBE,
            MODIFY,
            DELETE_SNAPSHOT,
            held=1,
            trigger="2",
            **share(A),
        ),
        s_up(StepKind.UPDATE, CREATE_SNAPSHOT, DESCRIBE, MODIFY, held=2, trigger="2", **share(A)),
        series_table.destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "a_changed_restore_test_is_recorded_and_tests_nothing": [
        s_up(StepKind.CREATE, CREATE_SNAPSHOT, DESCRIBE, *RESTORE, held=1, verify_restore=ZONE),
        s_up(StepKind.UPDATE, held=1, verify_restore="us-east-1b"),
        s_up(StepKind.SAME, held=1, verify_restore="us-east-1b"),
        series_table.destroy(DESCRIBE, DELETE_SNAPSHOT),
    ],
    "series_sharing_and_archive_stop_before_aws": [
        s_up(CheckFailedError, storage_tier="archive", **share(A)),
        series_table.CREATE,
        s_up(CheckFailedError, storage_tier="archive", **share(A)),
        s_up(StepKind.SAME, held=1),
    ],
    "series_sharing_stops_when_the_input_goes": [
        series_table.CREATE,
        series_table.up(StepKind.UPDATE, CREATE_SNAPSHOT, held=2, trigger="2"),
        s_up(
            StepKind.UPDATE,
            ATTRIBUTE,
            ATTRIBUTE,
            DESCRIBE,
            MODIFY,
            MODIFY,
            held=2,
            trigger="2",
            **share(A),
        ),
        s_up(StepKind.UPDATE, MODIFY, MODIFY, held=2, trigger="2"),
        s_up(StepKind.SAME, held=2, trigger="2"),
    ],
    "restore_test_of_each_new_snapshot": [
        s_up(
            StepKind.CREATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            *RESTORE,
            held=1,
            verify_restore=ZONE,
        ),
        s_up(StepKind.SAME, held=1, verify_restore=ZONE),
        s_up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            *RESTORE,
            held=2,
            trigger="2",
            verify_restore=ZONE,
        ),
        # sharing declared: the older snapshots first (what they have is read, then their
        # keys), then the new one, tested before it is shared
        s_up(
            StepKind.UPDATE,
            ATTRIBUTE,
            ATTRIBUTE,
            DESCRIBE,
            MODIFY,
            MODIFY,
            CREATE_SNAPSHOT,
            DESCRIBE,
            *RESTORE,
            MODIFY,
            held=3,
            trigger="3",
            verify_restore=ZONE,
            **share(A),
        ),
        # no longer asked: recorded, nothing tested
        s_up(StepKind.UPDATE, held=3, trigger="3", **share(A)),
        series_table.destroy(DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT, DELETE_SNAPSHOT),
    ],
    "a_failed_restore_test_leaves_nothing_behind": [
        s_up(
            StepKind.CREATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            *RESTORE,
            held=1,
            verify_restore=ZONE,
        ),
        s_out_of_band("fault", operation="CreateVolume", code="UnauthorizedOperation", status=403),
        # the new snapshot is deleted again: the series holds what it held
        s_up(
            PluginError,
            CREATE_SNAPSHOT,
            DESCRIBE,
            CREATE_VOLUME,
            DELETE_SNAPSHOT,
            held=1,
            trigger="2",
            verify_restore=ZONE,
        ),
        s_up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            *RESTORE,
            held=2,
            trigger="2",
            verify_restore=ZONE,
        ),
    ],
    "keep_volume_keeps_the_latest_only": [
        s_up(
            StepKind.CREATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            CREATE_VOLUME,
            DESCRIBE_VOLUMES,
            held=1,
            verify_restore=KEEP,
        ),
        # the newer test's volume replaces the older one
        s_up(
            StepKind.UPDATE,
            CREATE_SNAPSHOT,
            DESCRIBE,
            CREATE_VOLUME,
            DESCRIBE_VOLUMES,
            DELETE_VOLUME,
            DESCRIBE_VOLUMES,
            held=2,
            trigger="2",
            verify_restore=KEEP,
        ),
        # the destroy deletes it with the snapshots
        series_table.destroy(
            DELETE_VOLUME, DESCRIBE_VOLUMES, DESCRIBE, DELETE_SNAPSHOT, DELETE_SNAPSHOT
        ),
    ],
    "bad_restore_tests_stop_before_aws": [
        s_up(CheckFailedError, verify_restore={"availability_zone": "eu-west-1a"}),
        s_up(CheckFailedError, verify_restore={"keep_volume": False}),
        s_up(CheckFailedError, verify_restore={**ZONE, "keep_volume": "no"}),
        s_up(CheckFailedError, verify_restore={**ZONE, "size": 8}),
        s_up(CheckFailedError, verify_restore=["us-east-1a"]),
        s_up(CheckFailedError, verify_restore="eu-west-1a"),
        series_table.CREATE,
        s_up(CheckFailedError, verify_restore={"availability_zone": "us-east-1"}),
        s_up(StepKind.SAME, held=1),
    ],
}


class SeriesSharingRunner(series_table.SeriesRunner):
    def __init__(self, engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
        super().__init__(engine, emulator, ec2)
        client = ec2.client
        self.actions.update(
            {
                "share_out_of_band": lambda step: modify_out_of_band(
                    client, self._at(step), "add", (step.inputs or {})["account"]
                ),
            }
        )

    def calls_of(self, step: series_table.Step) -> list[str]:  # type: ignore[override]
        """The calls, a volume waiter's repeated polls counted once (how many depends on how
        long the emulator keeps the new volume ``creating``: a timing, never counted)."""
        calls = super().calls_of(step)
        return [
            call
            for index, call in enumerate(calls)
            if not (call == DESCRIBE_VOLUMES and index and calls[index - 1] == DESCRIBE_VOLUMES)
        ]

    def check(self, where: str, step: series_table.Step) -> None:  # type: ignore[override]
        super().check(where, step)
        if step.action == "preview":
            return
        state = self.engine.state(series_table.NAME)
        outputs = state.outputs if state is not None else {}
        if SHARE in outputs and step.action == "up":
            for snapshot_id in outputs["snapshot_ids"]:
                assert shared_with(self.ec2.client, snapshot_id) == set(outputs[SHARE]), where
        check = outputs.get("last_restore_check") or {}
        kept = {check["volume_id"]} if "volume_id" in check else set()
        assert volume_ids(self.ec2.client) == kept, f"{where}: volumes left"
        if step.action == "up" and isinstance(step.expect, StepKind) and CREATE_VOLUME in step.aws:
            assert last_check()(outputs), where


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=series_table.TIMINGS)
    try:
        process.configure(STACK_CONFIG)
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def series(plugin: PluginProcess, emulator: Emulator) -> Engine:
    plugin.clear_calls()
    return Engine(plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)


@pytest.mark.parametrize("steps", list(SERIES_SCENARIOS.values()), ids=list(SERIES_SCENARIOS))
def test_series_sharing_and_restore(
    steps: list[series_table.Step], series: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    SeriesSharingRunner(series, emulator, ec2).play_all(steps)


def test_the_check_failure_names_the_property(series: Engine) -> None:
    with pytest.raises(CheckFailedError) as caught:
        series.up(series_table.NAME, {**series_table.BASE, SHARE: ["123"]})
    assert f'{SHARE}["0"]' in str(caught.value)
    assert "12 digits" in str(caught.value)


def test_a_volume_made_by_hand_outlives_the_restore_tests_and_the_destroy(
    series: Engine, ec2: Ec2View
) -> None:
    """Who could be hurt: the owner of another volume in the test's zone. The restore test
    deletes only the volume it made (its restore-test tag), kept or not, never another."""
    theirs = ec2.client.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    made = series.up(series_table.NAME, {**series_table.BASE, "verify_restore": ZONE})
    assert made.outputs["last_restore_check"]["result"] == "passed"
    assert volume_ids(ec2.client) == {theirs}
    kept = series.up(
        series_table.NAME, {**series_table.BASE, "trigger": "2", "verify_restore": KEEP}
    )
    kept_volume = kept.outputs["last_restore_check"]["volume_id"]
    assert volume_ids(ec2.client) == {theirs, kept_volume}
    series.destroy(series_table.NAME)
    assert volume_ids(ec2.client) == {theirs}
    assert ec2.snapshot_ids() == set()
