"""A series with locked and archived snapshots, against the emulator. Who could be hurt: the
owner of a locked member, which no rotation or destroy may delete before its time, and whose
series must stay true (the locked member kept, not forgotten) when a rotation meets it."""

from __future__ import annotations

from typing import Any

import pytest
from mypy_boto3_ec2 import EC2Client
from pulumi.dynamic import Config, ConfigureRequest

from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.errors import SnapshotSeriesDeleteError
from tests.aws_layer.helpers import operations, snapshot_ids
from tests.conftest import VOLUME_ARN

PROVIDER = "serialized-provider"
DAY = 86400.0
LOCK = {"lock_mode": "compliance", "lock_duration_days": 3}


@pytest.fixture
def provider(emulator: Emulator) -> SnapshotSeriesProvider:
    series = SnapshotSeriesProvider()
    config = {"aws:region": "us-east-1"}
    series.configure(ConfigureRequest(Config(raw_config=config, project_name="test")))
    return series


def checked(provider: SnapshotSeriesProvider, **overrides: Any) -> dict[str, Any]:
    values = {"volume_arn": VOLUME_ARN, "trigger": "1", "keep": 1, **overrides}
    result = provider.check({}, {"__provider": PROVIDER, **values})
    assert result.failures == [], [(f.property, f.reason) for f in result.failures]
    return {**result.inputs, "__provider": PROVIDER}


def rotate(
    provider: SnapshotSeriesProvider,
    series_id: str,
    outs: dict[str, Any],
    trigger: str,
    **extra: Any,
) -> dict[str, Any]:
    result = provider.update(series_id, outs, checked(provider, trigger=trigger, **extra))
    assert result.outs is not None
    return dict(result.outs)


def test_rotation_meets_a_locked_member__keeps_it_and_plans_nothing_until_it_ends(
    provider: SnapshotSeriesProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    created = provider.create(checked(provider, **LOCK))
    series_id, outs = str(created.id), dict(created.outs or {})
    first = outs["latest_snapshot_id"]

    outs = rotate(provider, series_id, outs, "2", **LOCK)

    assert first in outs["snapshot_ids"]  # not forgotten: still a member, beyond keep
    assert set(outs["locked_until"]) == {first}
    assert first in snapshot_ids(ec2)
    assert "UnlockSnapshot" not in operations(emulator)
    # Nothing planned while the lock holds, and no call either.
    assert not provider.diff(series_id, outs, checked(provider, trigger="2", **LOCK)).changes
    emulator.clear_calls()
    outs = rotate(provider, series_id, outs, "3", **LOCK)
    assert operations(emulator).count("DeleteSnapshot") == 1  # the "2" snapshot is locked too
    assert "locked_until" in outs

    # Once the locks end, the rotation deletes them.
    emulator.advance_clock(4 * DAY)
    refreshed = provider.read(series_id, outs).outs
    assert refreshed is not None
    assert "locked_until" not in refreshed
    news = checked(provider, trigger="3", **LOCK)
    assert provider.diff(series_id, refreshed, news).changes
    final = provider.update(series_id, refreshed, news).outs
    assert final is not None
    assert final["snapshot_ids"] == [final["latest_snapshot_id"]]


def test_destroy_of_a_series_with_a_locked_member__deletes_the_rest_and_fails_naming_it(
    provider: SnapshotSeriesProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    created = provider.create(checked(provider, keep=2))
    series_id, outs = str(created.id), dict(created.outs or {})
    outs = rotate(provider, series_id, outs, "2", keep=2, **LOCK)
    locked, unlocked = outs["snapshot_ids"]

    with pytest.raises(SnapshotSeriesDeleteError) as caught:
        provider.delete(series_id, outs)

    assert set(caught.value.remaining) == {locked}
    message = str(caught.value)
    assert f"({locked} in compliance mode until 20" in message
    assert "1 other snapshot(s) were deleted" in message
    assert ". " not in message  # one sentence
    assert snapshot_ids(ec2) == [locked]
    assert "UnlockSnapshot" not in operations(emulator)
    # The engine keeps the old state; a destroy after the lock ends finishes the job.
    emulator.advance_clock(4 * DAY)
    provider.delete(series_id, outs)
    assert snapshot_ids(ec2) == []
    assert unlocked not in snapshot_ids(ec2)


def test_lock_fails_on_a_new_member__deleted_again_and_the_update_fails(
    provider: SnapshotSeriesProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    created = provider.create(checked(provider, keep=2))
    series_id, outs = str(created.id), dict(created.outs or {})
    emulator.inject_fault("LockSnapshot", "UnauthorizedOperation", status=403)

    with pytest.raises(Exception, match="deleted again"):
        provider.update(series_id, outs, checked(provider, trigger="2", keep=2, **LOCK))

    assert snapshot_ids(ec2) == outs["snapshot_ids"]


def test_archive__all_but_the_newest(
    provider: SnapshotSeriesProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    created = provider.create(checked(provider, keep=3, storage_tier="archive"))
    series_id, outs = str(created.id), dict(created.outs or {})
    assert "archived_snapshot_ids" not in outs  # the newest stays standard
    outs = rotate(provider, series_id, outs, "2", keep=3, storage_tier="archive")
    older = outs["snapshot_ids"][1]
    assert outs["archived_snapshot_ids"] == [older]

    emulator.clear_calls()
    outs = rotate(provider, series_id, outs, "3", keep=3, storage_tier="archive")
    assert operations(emulator).count("ModifySnapshotTier") == 1  # only the one just older
    tiers = {
        s["SnapshotId"]: s.get("StorageTier")
        for s in ec2.describe_snapshots(SnapshotIds=outs["snapshot_ids"])["Snapshots"]
    }
    assert tiers[outs["latest_snapshot_id"]] == "standard"
    assert sorted(outs["archived_snapshot_ids"]) == sorted(outs["snapshot_ids"][1:])

    refreshed = provider.read(series_id, outs).outs
    assert refreshed is not None
    assert sorted(refreshed["archived_snapshot_ids"]) == sorted(outs["snapshot_ids"][1:])


def test_no_protection_declared__no_protection_call_and_no_new_outputs(
    provider: SnapshotSeriesProvider, emulator: Emulator
) -> None:
    created = provider.create(checked(provider, keep=1))
    series_id, outs = str(created.id), dict(created.outs or {})
    outs = rotate(provider, series_id, outs, "2")
    refreshed = provider.read(series_id, outs).outs
    assert refreshed is not None
    calls = set(operations(emulator))
    assert not calls & {"LockSnapshot", "DescribeLockedSnapshots", "ModifySnapshotTier"}
    assert not {"locked_until", "archived_snapshot_ids"} & (set(outs) | set(refreshed))
