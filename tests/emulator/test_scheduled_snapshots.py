"""The emulator's stand-in for a schedule's hour coming (a control route), and
DescribeLockedSnapshots, which moto does not serve."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator, EmulatorError
from tests.conftest import GATEWAY_ARN, VOLUME_ARN


def test_scheduled_snapshot__described_and_tagged_as_the_schedule(
    emulator: Emulator, sg: Any, ec2: Any
) -> None:
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN,
        StartAt=2,
        RecurrenceInHours=24,
        Description="nightly",
        Tags=[{"Key": "team", "Value": "storage"}],
    )
    snapshot_id = emulator.take_scheduled_snapshot(VOLUME_ARN, "2026-01-02T03:04:05+00:00")
    found = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    assert found["Description"] == "nightly"
    assert found["Tags"] == [{"Key": "team", "Value": "storage"}]
    assert found["VolumeId"] == "vol-ffffffff"
    assert found["StartTime"].isoformat().startswith("2026-01-02T03:04:05")


def test_scheduled_snapshot__needs_a_volume_with_a_schedule(emulator: Emulator, sg: Any) -> None:
    with pytest.raises(EmulatorError, match="no volume with a snapshot schedule"):
        emulator.take_scheduled_snapshot(f"{GATEWAY_ARN}/volume/vol-99999999AA")
    sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)
    with pytest.raises(EmulatorError, match="no volume with a snapshot schedule"):
        emulator.take_scheduled_snapshot(VOLUME_ARN)
    with pytest.raises(EmulatorError, match="UTC offset"):
        emulator.take_scheduled_snapshot(VOLUME_ARN, "2026-01-02T03:04:05")


def test_describe_locked_snapshots__nothing_is_locked(emulator: Emulator, ec2: Any) -> None:
    snapshot_id = emulator.take_scheduled_snapshot(VOLUME_ARN)
    assert ec2.describe_locked_snapshots(SnapshotIds=[snapshot_id])["Snapshots"] == []
    # The reference does not say; the emulator errs on the strict side, as DescribeSnapshots.
    with pytest.raises(ClientError, match=r"InvalidSnapshot\.NotFound"):
        ec2.describe_locked_snapshots(SnapshotIds=["snap-0123456789abcdef0"])
