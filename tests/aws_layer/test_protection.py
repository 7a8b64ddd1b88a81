"""The snapshot's archive tier and lock through the provider, against the emulator, counting
AWS requests. Who could be hurt comes first: the owner of a locked snapshot, whom no path may
leave without it before its time (destroy, an update, a refresh), and whose state must stay
true when a step fails half-way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from mypy_boto3_ec2 import EC2Client

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.errors import AwsOperationError, SnapshotCreateError, SnapshotLockedError
from tests.aws_layer.helpers import checked, ec2_tags, operations, snapshot_ids
from tests.conftest import REGION, VOLUME_ARN

DAY = 86400.0
GOVERNANCE = {"lock_mode": "governance", "lock_duration_days": 2}
COMPLIANCE = {"lock_mode": "compliance", "lock_duration_days": 30, "lock_cool_off_hours": 1}
LOCK_CALLS = {"UnlockSnapshot", "DeleteSnapshot"}


def created(provider: StorageGatewaySnapshotProvider, **inputs: Any) -> tuple[str, dict[str, Any]]:
    result = provider.create(checked(provider, **inputs))
    assert result.outs is not None
    return str(result.id), dict(result.outs)


def read(
    provider: StorageGatewaySnapshotProvider, snapshot_id: str, outs: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A refresh's outputs and refreshed inputs."""
    result = provider.read(snapshot_id, outs)
    assert result.outs is not None
    return dict(result.outs), dict(result.inputs or {})


def lock_state(ec2: EC2Client, snapshot_id: str) -> str | None:
    found = ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return str(found[0]["LockState"]) if found else None


# --- no path deletes or unlocks a locked snapshot before its time ----------------------------


@pytest.mark.parametrize("lock", [GOVERNANCE, COMPLIANCE], ids=["governance", "compliance"])
def test_destroy_of_a_locked_snapshot__fails_naming_the_lock_and_unlocks_nothing(
    provider: StorageGatewaySnapshotProvider,
    emulator: Emulator,
    ec2: EC2Client,
    lock: dict[str, Any],
) -> None:
    snapshot_id, outs = created(provider, **lock)
    emulator.clear_calls()

    with pytest.raises(SnapshotLockedError) as caught:
        provider.delete(snapshot_id, outs)

    message = str(caught.value)
    assert f"locked in {lock['lock_mode']} mode until" in message
    assert "never unlocks" in message
    assert "UnlockSnapshot" not in operations(emulator)
    assert snapshot_ids(ec2) == [snapshot_id]  # still there, and still locked
    assert lock_state(ec2, snapshot_id) is not None


def test_destroy_after_the_lock_ended__deletes(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, **GOVERNANCE)
    emulator.advance_clock(2 * DAY + 1)
    provider.delete(snapshot_id, outs)
    assert snapshot_ids(ec2) == []


def test_compliance_past_cool_off__update_refuses_removal_before_any_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, **COMPLIANCE)
    emulator.advance_clock(3600 + 1)
    refreshed, _ = read(provider, snapshot_id, outs)
    assert refreshed["lock_state"] == "compliance"
    emulator.clear_calls()

    for news in (checked(provider), checked(provider, **{**COMPLIANCE, "lock_duration_days": 5})):
        assert provider.diff(snapshot_id, refreshed, news).changes  # said on stderr, planned
        with pytest.raises(ValueError, match="only lets the lock be lengthened"):
            provider.update(snapshot_id, refreshed, news)

    assert emulator.calls() == []
    assert lock_state(ec2, snapshot_id) == "compliance"
    longer = checked(provider, **{**COMPLIANCE, "lock_duration_days": 60})
    assert provider.diff(snapshot_id, refreshed, longer).changes


def test_update_of_tags__never_touches_the_lock(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    snapshot_id, outs = created(provider, **COMPLIANCE)
    emulator.clear_calls()
    provider.update(snapshot_id, outs, checked(provider, tags={"team": "x"}, **COMPLIANCE))
    assert not LOCK_CALLS & set(operations(emulator))
    assert "LockSnapshot" not in operations(emulator)


def test_lock_fails_on_create__snapshot_deleted_nothing_left(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    emulator.inject_fault("LockSnapshot", "UnauthorizedOperation", status=403)

    with pytest.raises(SnapshotCreateError, match="deleted again"):
        provider.create(checked(provider, **GOVERNANCE))

    assert snapshot_ids(ec2) == []


def test_lock_expiration_in_the_past__refused_before_any_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    props = checked(provider, lock_mode="governance", lock_expiration_date=past)
    emulator.clear_calls()
    with pytest.raises(ValueError, match="lock_expiration_date"):
        provider.create(props)
    assert emulator.calls() == []


# --- create, update, read: the calls -----------------------------------------------------------


def test_create_with_a_lock__one_more_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, **COMPLIANCE)
    assert operations(emulator) == ["CreateSnapshot", "LockSnapshot"]
    assert outs["lock_state"] == "compliance-cooloff"
    assert outs["lock_cool_off_expires_on"].endswith("Z")
    assert lock_state(ec2, snapshot_id) == "compliance-cooloff"


def test_create_archived__waits_then_archives(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, storage_tier="archive")
    calls = operations(emulator)
    assert calls[0] == "CreateSnapshot"
    assert calls[-1] == "ModifySnapshotTier"
    assert outs["state"] == "completed"
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert snapshot["StorageTier"] == "archive"


def test_no_protection_declared__read_and_update_make_no_protection_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    snapshot_id, outs = created(provider)
    emulator.clear_calls()
    provider.read(snapshot_id, outs)
    provider.update(snapshot_id, outs, checked(provider, tags={"a": "b"}))
    calls = set(operations(emulator))
    protection_calls = {"DescribeLockedSnapshots", "DescribeSnapshotTierStatus", "LockSnapshot"}
    assert not calls & protection_calls


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, GOVERNANCE, ["LockSnapshot"]),
        (GOVERNANCE, {**GOVERNANCE, "lock_duration_days": 9}, ["LockSnapshot"]),
        (GOVERNANCE, {}, ["UnlockSnapshot"]),
        ({"storage_tier": "standard"}, {"storage_tier": "archive"}, ["ModifySnapshotTier"]),
        ({"storage_tier": "archive"}, {"storage_tier": "standard"}, ["RestoreSnapshotTier"]),
        (
            {"storage_tier": "archive"},
            {"storage_tier": "archive", "restore_tier_days": 3},
            ["RestoreSnapshotTier"],
        ),
    ],
)
def test_update__minimal_calls(
    provider: StorageGatewaySnapshotProvider,
    emulator: Emulator,
    before: dict[str, Any],
    after: dict[str, Any],
    expected: list[str],
) -> None:
    snapshot_id, outs = created(provider, wait_for_completion=True, **before)
    news = checked(provider, wait_for_completion=True, **after)
    emulator.clear_calls()

    result = provider.update(snapshot_id, outs, news)

    assert operations(emulator) == expected
    assert result.outs is not None
    for key, value in after.items():
        assert result.outs[key] == value


def test_tier_change_refused__warns_and_keeps_the_true_tier(
    provider: StorageGatewaySnapshotProvider,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    snapshot_id, outs = created(provider, wait_for_completion=True, storage_tier="standard")
    emulator.inject_fault("ModifySnapshotTier", "IncorrectState")

    result = provider.update(snapshot_id, outs, checked(provider, storage_tier="archive"))

    assert result.outs is not None
    assert result.outs["storage_tier"] == "standard"  # what EC2 has: the next up tries again
    assert "storage tier" in capsys.readouterr().err


# --- refresh: drift ----------------------------------------------------------------------------


def test_refresh__lock_removed_out_of_band_shows_as_drift(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, **GOVERNANCE)
    ec2.unlock_snapshot(SnapshotId=snapshot_id)
    emulator.clear_calls()

    refreshed, inputs = read(provider, snapshot_id, outs)

    assert "lock_mode" not in inputs
    assert "DescribeLockedSnapshots" in operations(emulator)
    assert provider.diff(snapshot_id, refreshed, checked(provider, **GOVERNANCE)).changes


def test_refresh__lock_extended_out_of_band_shows_the_new_length(
    provider: StorageGatewaySnapshotProvider, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, **GOVERNANCE)
    ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", LockDuration=10)
    _, inputs = read(provider, snapshot_id, outs)
    assert inputs["lock_duration_days"] == 10


def test_refresh__expired_lock_is_no_drift(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    snapshot_id, outs = created(provider, **GOVERNANCE)
    emulator.advance_clock(3 * DAY)
    refreshed, _ = read(provider, snapshot_id, outs)
    assert refreshed["lock_state"] == "expired"
    assert not provider.diff(snapshot_id, refreshed, checked(provider, **GOVERNANCE)).changes


def test_refresh__tier_changed_out_of_band_shows_as_drift(
    provider: StorageGatewaySnapshotProvider, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, wait_for_completion=True, storage_tier="standard")
    ec2.modify_snapshot_tier(SnapshotId=snapshot_id, StorageTier="archive")
    refreshed, inputs = read(provider, snapshot_id, outs)
    assert inputs["storage_tier"] == "archive"
    news = checked(provider, wait_for_completion=True, storage_tier="standard")
    diff = provider.diff(snapshot_id, refreshed, news)
    assert diff.changes
    assert not diff.replaces


def test_adopted_snapshot__locked_as_declared(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    sg = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    made = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="made by hand")
    snapshot_id = made["SnapshotId"]
    emulator.clear_calls()

    result = provider.create(
        checked(provider, adopt_snapshot_id=snapshot_id, description=None, **GOVERNANCE)
    )

    assert result.outs is not None
    assert "LockSnapshot" in operations(emulator)
    assert result.outs["lock_state"] == "governance"
    assert lock_state(ec2, snapshot_id) == "governance"


def test_lock_fails_on_update__nothing_else_written(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, outs = created(provider, tags={"team": "storage"})
    before = ec2_tags(ec2, snapshot_id)
    emulator.inject_fault("LockSnapshot", "UnauthorizedOperation", status=403)
    emulator.clear_calls()

    with pytest.raises(AwsOperationError, match="UnauthorizedOperation"):
        provider.update(snapshot_id, outs, checked(provider, tags={"team": "x"}, **GOVERNANCE))

    # The engine keeps the old outputs: EC2 must still match them (no tag written, no lock).
    assert operations(emulator) == ["LockSnapshot"]
    assert ec2_tags(ec2, snapshot_id) == before
    assert lock_state(ec2, snapshot_id) is None
