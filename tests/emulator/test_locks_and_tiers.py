"""Snapshot lock (served by the emulator alone) and the archive tier (moto, with EC2's state
rules added): who could be hurt is the owner of a locked snapshot, so the refusals come first.
Time is the emulator's clock, advanced through the control API: days are counted, never slept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator
from tests.emulator.conftest import error_code
from tests.emulator.test_ec2_snapshots import take_snapshot

DAY = 86400.0
HOUR = 3600.0


def refused(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return error_code(caught.value)


def lock_state(ec2: Any, snapshot_id: str) -> str | None:
    found = ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return str(found[0]["LockState"]) if found else None


# --- nothing deletes or unlocks a locked snapshot before its time ----------------------------


@pytest.mark.parametrize("mode", ["governance", "compliance"])
def test_delete_of_a_locked_snapshot__refused_until_the_lock_expires(
    emulator: Emulator, sg: Any, ec2: Any, mode: str
) -> None:
    snapshot_id = take_snapshot(sg)
    ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode=mode, LockDuration=2)

    assert refused(ec2.delete_snapshot, SnapshotId=snapshot_id) == "IncorrectState"
    emulator.advance_clock(DAY)
    assert refused(ec2.delete_snapshot, SnapshotId=snapshot_id) == "IncorrectState"
    assert ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]

    emulator.advance_clock(DAY + 1)
    assert lock_state(ec2, snapshot_id) == "expired"
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert refused(ec2.describe_snapshots, SnapshotIds=[snapshot_id]) == "InvalidSnapshot.NotFound"


def test_compliance_after_cool_off__cannot_be_unlocked_shortened_or_weakened(
    emulator: Emulator, sg: Any, ec2: Any
) -> None:
    snapshot_id = take_snapshot(sg)
    ec2.lock_snapshot(
        SnapshotId=snapshot_id, LockMode="compliance", LockDuration=30, CoolOffPeriod=1
    )
    assert lock_state(ec2, snapshot_id) == "compliance-cooloff"
    emulator.advance_clock(HOUR + 1)
    assert lock_state(ec2, snapshot_id) == "compliance"

    assert refused(ec2.unlock_snapshot, SnapshotId=snapshot_id) == "IncorrectState"
    assert (
        refused(ec2.lock_snapshot, SnapshotId=snapshot_id, LockMode="compliance", LockDuration=1)
        == "IncorrectState"
    )
    assert (
        refused(ec2.lock_snapshot, SnapshotId=snapshot_id, LockMode="governance", LockDuration=60)
        == "IncorrectState"
    )
    assert refused(ec2.delete_snapshot, SnapshotId=snapshot_id) == "IncorrectState"
    # Lengthening is the one change allowed.
    ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="compliance", LockDuration=60)
    (info,) = ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert info["LockDuration"] == 60
    assert info["LockState"] == "compliance"


def test_cool_off_and_governance__can_be_unlocked(emulator: Emulator, sg: Any, ec2: Any) -> None:
    cooling = take_snapshot(sg)
    governed = take_snapshot(sg)
    ec2.lock_snapshot(SnapshotId=cooling, LockMode="compliance", LockDuration=5, CoolOffPeriod=72)
    ec2.lock_snapshot(SnapshotId=governed, LockMode="governance", LockDuration=5)
    emulator.advance_clock(71 * HOUR)

    ec2.unlock_snapshot(SnapshotId=cooling)
    ec2.unlock_snapshot(SnapshotId=governed)

    assert lock_state(ec2, cooling) is None
    assert lock_state(ec2, governed) is None
    ec2.delete_snapshot(SnapshotId=cooling)
    assert refused(ec2.unlock_snapshot, SnapshotId=governed) == "IncorrectState"  # not locked


def test_pending_snapshot__lock_duration_starts_at_completion(
    emulator: Emulator, sg: Any, ec2: Any
) -> None:
    emulator.set_pending_seconds(3600)
    snapshot_id = take_snapshot(sg)
    ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", LockDuration=1)
    (pending,) = ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert "LockExpiresOn" not in pending
    assert "LockDurationStartTime" not in pending
    assert refused(ec2.delete_snapshot, SnapshotId=snapshot_id) == "IncorrectState"

    emulator.advance_clock(2 * DAY)  # still pending: the duration has not started
    emulator.set_snapshot_state(snapshot_id, "completed")
    assert lock_state(ec2, snapshot_id) == "governance"


# --- the requests EC2 refuses ----------------------------------------------------------------


def test_lock_snapshot__refuses_what_the_model_forbids(
    sg: Any, ec2: Any, ec2_unchecked: Any
) -> None:
    snapshot_id = take_snapshot(sg)
    future = datetime.now(UTC) + timedelta(days=3)
    cases: dict[str, dict[str, Any]] = {
        "both": dict(LockMode="governance", LockDuration=1, ExpirationDate=future),
        "neither": dict(LockMode="governance"),
        "cool_off_in_governance": dict(LockMode="governance", LockDuration=1, CoolOffPeriod=1),
        "past": dict(LockMode="governance", ExpirationDate=datetime.now(UTC) - timedelta(days=1)),
    }
    codes = {
        name: refused(ec2.lock_snapshot, SnapshotId=snapshot_id, **p) for name, p in cases.items()
    }
    assert codes == {
        "both": "InvalidParameterCombination",
        "neither": "InvalidParameterCombination",
        "cool_off_in_governance": "InvalidParameterCombination",
        "past": "InvalidParameterValue",
    }
    unchecked = {
        "mode": dict(LockMode="forever", LockDuration=1),
        "days": dict(LockMode="governance", LockDuration=36501),
        "cool_off": dict(LockMode="compliance", LockDuration=1, CoolOffPeriod=73),
    }
    for params in unchecked.values():
        assert refused(ec2_unchecked.lock_snapshot, SnapshotId=snapshot_id, **params) == (
            "InvalidParameterValue"
        )
    assert lock_state(ec2, snapshot_id) is None


def test_describe_locked_snapshots__filters_and_pages(
    emulator: Emulator, sg: Any, ec2: Any
) -> None:
    ids = [take_snapshot(sg) for _ in range(6)]
    for snapshot_id in ids[:5]:
        ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", LockDuration=1)
    ec2.lock_snapshot(SnapshotId=ids[5], LockMode="compliance", LockDuration=9)
    emulator.advance_clock(DAY + 1)

    def states(*values: str) -> set[str]:
        filters = [{"Name": "lock-state", "Values": list(values)}]
        return {
            s["SnapshotId"] for s in ec2.describe_locked_snapshots(Filters=filters)["Snapshots"]
        }

    assert states("expired") == set(ids[:5])
    assert states("compliance") == {ids[5]}
    first = ec2.describe_locked_snapshots(MaxResults=5)
    second = ec2.describe_locked_snapshots(MaxResults=5, NextToken=first["NextToken"])
    assert len(first["Snapshots"]) == 5
    assert len(second["Snapshots"]) == 1
    assert "NextToken" not in second


# --- the archive tier ------------------------------------------------------------------------


def test_modify_snapshot_tier__only_a_completed_standard_snapshot(
    emulator: Emulator, sg: Any, ec2: Any
) -> None:
    emulator.set_pending_seconds(3600)
    snapshot_id = take_snapshot(sg)
    tier = {"SnapshotId": snapshot_id, "StorageTier": "archive"}
    assert refused(ec2.modify_snapshot_tier, **tier) == "IncorrectState"  # moto archives it

    emulator.set_snapshot_state(snapshot_id, "completed")
    ec2.modify_snapshot_tier(**tier)
    assert refused(ec2.modify_snapshot_tier, **tier) == "IncorrectState"
    (status,) = ec2.describe_snapshot_tier_status(
        Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}]
    )["SnapshotTierStatuses"]
    assert status["StorageTier"] == "archive"
    assert status["LastTieringOperationStatus"] == "archival-completed"


def test_restore_snapshot_tier__only_an_archived_snapshot_one_way(sg: Any, ec2: Any) -> None:
    snapshot_id = take_snapshot(sg)
    assert refused(ec2.restore_snapshot_tier, SnapshotId=snapshot_id, PermanentRestore=True) == (
        "IncorrectState"
    )
    ec2.modify_snapshot_tier(SnapshotId=snapshot_id, StorageTier="archive")
    assert (
        refused(ec2.restore_snapshot_tier, SnapshotId=snapshot_id) == "InvalidParameterCombination"
    )
    assert (
        refused(
            ec2.restore_snapshot_tier,
            SnapshotId=snapshot_id,
            TemporaryRestoreDays=2,
            PermanentRestore=True,
        )
        == "InvalidParameterCombination"
    )
    ec2.restore_snapshot_tier(SnapshotId=snapshot_id, PermanentRestore=True)
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert snapshot["StorageTier"] == "standard"
