"""The emulator's handle: request log, reset, seeding, attach, and the CLI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Call, Emulator, EmulatorError
from tests.conftest import GATEWAY_ARN, VOLUME_ARN
from tests.emulator.conftest import make_client

CLI_START_LIMIT_SECONDS = 60.0
CLI_STOP_LIMIT_SECONDS = 10.0


def test_calls__logs_aws_requests_in_order(emulator: Emulator, sg, ec2):
    snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]
    ec2.describe_snapshots(SnapshotIds=[snapshot_id])
    with pytest.raises(ClientError):
        ec2.delete_snapshot(SnapshotId="snap-00000000000000000")
    emulator.add_volume(f"{GATEWAY_ARN}/volume/vol-00000002")  # control requests: not logged

    assert emulator.calls() == [
        Call("storagegateway", "CreateSnapshot", 200),
        Call("ec2", "DescribeSnapshots", 200),
        Call("ec2", "DeleteSnapshot", 400),
    ]
    emulator.clear_calls()
    assert emulator.calls() == []


def test_reset__forgets_everything(emulator: Emulator, sg, ec2):
    snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]
    emulator.inject_fault("ListGateways", "ThrottlingException", times=None)
    emulator.set_pending_seconds(600)

    emulator.reset()

    assert emulator.calls() == []
    assert sg.list_gateways()["Gateways"] == []  # no fault any more, no gateway either
    with pytest.raises(ClientError) as caught:
        ec2.describe_snapshots(SnapshotIds=[snapshot_id])
    assert caught.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    emulator.add_volume(VOLUME_ARN)
    new_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[new_id])["Snapshots"]
    assert snapshot["State"] == "completed"  # pending seconds are back to the start value


def test_add_volume__bad_arn(emulator: Emulator):
    with pytest.raises(EmulatorError, match="not a volume ARN"):
        emulator.add_volume(f"{GATEWAY_ARN}/disk/vol-1")


def test_add_gateway__bad_type(emulator: Emulator):
    with pytest.raises(EmulatorError, match="gateway_type must be one of"):
        emulator.add_gateway(GATEWAY_ARN, "FLOPPY")


def test_attach__drives_the_same_emulator(emulator: Emulator, sg):
    attached = Emulator.attach(emulator.url)

    attached.inject_fault("CreateSnapshot", "VolumeNotReady")

    with pytest.raises(ClientError):
        sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")
    assert attached.calls() == emulator.calls() == [Call("storagegateway", "CreateSnapshot", 400)]
    attached.stop()  # does not own the emulator: it keeps serving
    assert sg.list_gateways()["Gateways"]


def test_attach__nothing_there():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(EmulatorError, match="no emulator answers"):
        Emulator.attach(f"http://127.0.0.1:{port}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli__serves_and_stops_on_sigterm():
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sg_snapshot_provider.emulator",
            "--port",
            str(port),
            "--volume",
            VOLUME_ARN,
            "--pending-seconds",
            "600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        url = f"http://127.0.0.1:{port}"
        assert url in line

        emulator = Emulator.attach(url)
        sg = make_client("storagegateway", emulator)
        snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")[
            "SnapshotId"
        ]
        (snapshot,) = make_client("ec2", emulator).describe_snapshots(SnapshotIds=[snapshot_id])[
            "Snapshots"
        ]
        assert snapshot["State"] == "pending"

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=CLI_STOP_LIMIT_SECONDS) == 0
        assert time.monotonic() - started < CLI_STOP_LIMIT_SECONDS
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_control__unknown_route(emulator: Emulator):
    with pytest.raises(EmulatorError, match="404 no control route GET /_emulator/nothing"):
        emulator._request("GET", "nothing")
