"""Fault injection, seen from a boto3 client with retries disabled."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

from sg_snapshot_provider.emulator import Call, Emulator, EmulatorError
from tests.conftest import VOLUME_ARN
from tests.emulator.conftest import NO_RETRIES, gateway_error_code, make_client


def wait_for_logged_calls(emulator: Emulator, operation: str, count: int = 1) -> None:
    """A delayed request still runs after its client gave up: wait for it, so that it cannot
    leak into the next test."""
    deadline = time.monotonic() + 15.0
    while time.monotonic() < deadline:
        if sum(call.operation == operation for call in emulator.calls()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{operation} was never answered")


def snapshot_count(ec2) -> int:
    return len(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"])


def create(sg):
    return sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")


def test_inject_fault__reject_gateway_code(emulator: Emulator, sg, ec2):
    emulator.inject_fault("CreateSnapshot", "VolumeNotReady", message="volume is bootstrapping")

    with pytest.raises(ClientError) as caught:
        create(sg)

    response = caught.value.response
    assert response["Error"]["Code"] == "InvalidGatewayRequestException"
    assert gateway_error_code(caught.value) == "VolumeNotReady"
    assert response["Error"]["Message"] == "volume is bootstrapping"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert snapshot_count(ec2) == 0
    assert emulator.calls()[0] == Call("storagegateway", "CreateSnapshot", 400)
    assert len(emulator.calls()) == 2  # no retry: the failed call, then DescribeSnapshots


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("InternalServerError", 500),
        ("ServiceUnavailableError", 503),
        ("AccessDeniedException", 403),
    ],
)
def test_inject_fault__reject_exception_type(emulator: Emulator, sg, code, status):
    emulator.inject_fault("CreateSnapshot", code, status=status)

    with pytest.raises(ClientError) as caught:
        create(sg)

    assert caught.value.response["Error"]["Code"] == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert "error" not in caught.value.response


def test_inject_fault__after_executes(emulator: Emulator, sg, ec2):
    emulator.inject_fault("CreateSnapshot", "InternalServerError", status=500, mode="after")

    with pytest.raises(ClientError):
        create(sg)

    assert snapshot_count(ec2) == 1


def test_inject_fault__delay(emulator: Emulator, ec2):
    emulator.inject_fault("CreateSnapshot", "", mode="delay", delay_seconds=1.5)
    impatient = make_client("storagegateway", emulator, NO_RETRIES.merge(Config(read_timeout=0.5)))

    with pytest.raises(ReadTimeoutError):
        create(impatient)

    # Other requests are not held up by the sleeping one; the delayed one then runs as well.
    assert create(make_client("storagegateway", emulator))["SnapshotId"]
    wait_for_logged_calls(emulator, "CreateSnapshot", count=2)
    assert emulator.calls() == [Call("storagegateway", "CreateSnapshot", 200)] * 2
    assert snapshot_count(ec2) == 2


def test_inject_fault__drop(emulator: Emulator, sg, ec2):
    emulator.inject_fault("CreateSnapshot", "", mode="drop")

    with pytest.raises(ConnectionClosedError):
        create(sg)

    assert snapshot_count(ec2) == 1
    assert Call("storagegateway", "CreateSnapshot", 0) in emulator.calls()
    assert create(sg)["SnapshotId"]  # the server survived


def test_inject_fault__times(emulator: Emulator, sg):
    emulator.inject_fault("CreateSnapshot", "GatewayProxyNetworkConnectionBusy", times=2)

    for _ in range(2):
        with pytest.raises(ClientError):
            create(sg)
    assert create(sg)["SnapshotId"]


def test_inject_fault__always_until_cleared(emulator: Emulator, sg):
    emulator.inject_fault("CreateSnapshot", "ThrottlingException", times=None)

    for _ in range(3):
        with pytest.raises(ClientError):
            create(sg)
    emulator.clear_faults()
    assert create(sg)["SnapshotId"]


def test_inject_fault__other_operations_untouched(emulator: Emulator, sg):
    emulator.inject_fault("ListVolumes", "ThrottlingException")

    assert create(sg)["SnapshotId"]
    with pytest.raises(ClientError):
        sg.list_volumes()


def test_inject_fault__ec2_reject(emulator: Emulator, sg, ec2):
    snapshot_id = create(sg)["SnapshotId"]
    emulator.inject_fault("DeleteSnapshot", "InvalidSnapshot.InUse", message="in use by ami-1")

    with pytest.raises(ClientError) as caught:
        ec2.delete_snapshot(SnapshotId=snapshot_id)

    assert caught.value.response["Error"]["Code"] == "InvalidSnapshot.InUse"
    assert caught.value.response["Error"]["Message"] == "in use by ami-1"
    assert snapshot_count(ec2) == 1


def test_inject_fault__ec2_after(emulator: Emulator, sg, ec2):
    snapshot_id = create(sg)["SnapshotId"]
    emulator.inject_fault("DeleteSnapshot", "RequestLimitExceeded", status=503, mode="after")

    with pytest.raises(ClientError) as caught:
        ec2.delete_snapshot(SnapshotId=snapshot_id)

    assert caught.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert snapshot_count(ec2) == 0


def test_inject_fault__ec2_drop(emulator: Emulator, sg, ec2):
    snapshot_id = create(sg)["SnapshotId"]
    emulator.inject_fault("DeleteSnapshot", "", mode="drop")

    with pytest.raises(ConnectionClosedError):
        ec2.delete_snapshot(SnapshotId=snapshot_id)

    assert snapshot_count(ec2) == 0


def test_inject_fault__ec2_delay(emulator: Emulator):
    emulator.inject_fault("DescribeSnapshots", "", mode="delay", delay_seconds=1.5)
    impatient = make_client("ec2", emulator, NO_RETRIES.merge(Config(read_timeout=0.5)))

    with pytest.raises(ReadTimeoutError):
        impatient.describe_snapshots(OwnerIds=["self"])

    wait_for_logged_calls(emulator, "DescribeSnapshots")


def test_inject_fault__ec2_times_then_success(emulator: Emulator, ec2):
    emulator.inject_fault("DescribeSnapshots", "RequestLimitExceeded", times=2)

    for _ in range(2):
        with pytest.raises(ClientError):
            ec2.describe_snapshots(OwnerIds=["self"])
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_inject_fault__bad_mode(emulator: Emulator):
    with pytest.raises(EmulatorError, match="mode must be one of"):
        emulator.inject_fault("CreateSnapshot", "X", mode="explode")


@pytest.mark.parametrize(
    ("operation", "closest"),
    [
        ("CreateSnapshotz", "CreateSnapshot"),
        ("UpdateSnapshotSchedules", "UpdateSnapshotSchedule"),
        ("DescribeSnapshot", "DescribeSnapshots"),
        ("ListVolume", "ListVolumes"),
        ("createSnapshot", "CreateSnapshot"),
    ],
)
def test_inject_fault__unknown_operation(emulator: Emulator, sg, operation, closest):
    with pytest.raises(EmulatorError) as caught:
        emulator.inject_fault(operation, "ThrottlingException")

    message = str(caught.value)
    assert f"unknown operation {operation!r}" in message
    assert f"did you mean {closest!r}?" in message
    assert create(sg)["SnapshotId"]  # nothing was injected


def test_inject_fault__nothing_close(emulator: Emulator):
    with pytest.raises(EmulatorError, match="unknown operation 'Zz'") as caught:
        emulator.inject_fault("Zz", "ThrottlingException")

    assert "did you mean" not in str(caught.value)


@pytest.mark.parametrize(
    # CreateSnapshots is EC2's own (snapshots of an instance's volumes), so it may be faulted.
    "operation",
    ["DeleteSnapshotSchedule", "DescribeGatewayInformation", "CreateSnapshots"],
)
def test_inject_fault__any_operation_of_the_models(emulator: Emulator, operation):
    emulator.inject_fault(operation, "ThrottlingException")

    assert emulator.calls() == []
