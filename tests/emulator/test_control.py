"""The emulator's handle: request log, reset, seeding, attach, the child process, and the CLI."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Call, Emulator, EmulatorError
from tests.conftest import GATEWAY_ARN, REPO_ROOT, VOLUME_ARN
from tests.emulator.conftest import error_code, gateway_error_code, make_client

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


@contextmanager
def cli(*arguments: str) -> Iterator[subprocess.Popen[str]]:
    """``python -m sg_snapshot_provider.emulator ARGUMENTS``, killed at the end if still up."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sg_snapshot_provider.emulator", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_cli__serves_and_stops_on_sigterm():
    port = free_port()
    with cli("--port", str(port), "--volume", VOLUME_ARN, "--pending-seconds", "600") as process:
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

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=CLI_STOP_LIMIT_SECONDS) == 0


def test_cli__visibility_lag_flag():
    with cli("--port", "0", "--volume", VOLUME_ARN, "--visibility-lag-seconds", "600") as process:
        line = process.stdout.readline() if process.stdout else ""
        emulator = Emulator.attach(line.split()[-1])
        sg, ec2 = make_client("storagegateway", emulator), make_client("ec2", emulator)
        snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")[
            "SnapshotId"
        ]

        with pytest.raises(ClientError) as caught:
            ec2.describe_snapshots(SnapshotIds=[snapshot_id])

        assert error_code(caught.value) == "InvalidSnapshot.NotFound"


@pytest.mark.parametrize(
    "volume", ["not-an-arn", f"{GATEWAY_ARN}/disk/vol-1122AABB", f"{GATEWAY_ARN}/volume/vol-1"]
)
def test_cli__bad_volume_is_a_plain_sentence(volume):
    with cli("--port", "0", "--volume", volume) as process:
        _, stderr = process.communicate(timeout=CLI_START_LIMIT_SECONDS)

    assert process.returncode == 1
    assert stderr.startswith(f"emulator: cannot start: --volume {volume}: ")
    assert "is not a volume ARN" in stderr
    assert "/_emulator" not in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("flag", ["--pending-seconds", "--visibility-lag-seconds"])
def test_cli__negative_seconds(flag):
    with cli("--port", "0", flag, "-1") as process:
        _, stderr = process.communicate(timeout=CLI_START_LIMIT_SECONDS)

    assert process.returncode == 2
    assert "must not be negative" in stderr


def run_python(
    code: str, timeout: float = CLI_START_LIMIT_SECONDS
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        check=False,
    )


def test_cli__extra_not_installed():
    ran = run_python(
        """
        import sys
        sys.modules["moto"] = None  # as if the [emulator] extra were not installed
        from sg_snapshot_provider.emulator.__main__ import main
        sys.exit(main(["--port", "0"]))
        """
    )

    assert ran.returncode == 1
    assert "pip install 'sg-snapshot-provider[emulator]'" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_start__extra_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "moto", None)

    with pytest.raises(EmulatorError, match=r"pip install 'sg-snapshot-provider\[emulator\]'"):
        Emulator().start()


def test_import__leaves_the_environment_alone():
    ran = run_python(
        """
        import json, os
        before = dict(os.environ)
        import sg_snapshot_provider.emulator
        import sg_snapshot_provider.emulator.server
        changed = {k for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)}
        print(json.dumps(sorted(changed)))
        """
    )

    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout) == []


def test_emulators__two_share_no_state(emulator: Emulator, sg, ec2):
    snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]

    with Emulator() as other:
        other.add_volume(VOLUME_ARN)
        other_ec2 = make_client("ec2", other)
        other_sg = make_client("storagegateway", other)

        assert other_ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
        with pytest.raises(ClientError) as caught:
            other_ec2.describe_snapshots(SnapshotIds=[snapshot_id])
        assert error_code(caught.value) == "InvalidSnapshot.NotFound"
        other_id = other_sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="o")[
            "SnapshotId"
        ]
        other.inject_fault("DescribeSnapshots", "RequestLimitExceeded", times=None)

        mine = ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]  # no fault here
        assert [snapshot["SnapshotId"] for snapshot in mine] == [snapshot_id]
        assert other_id != snapshot_id
        assert [c.operation for c in emulator.calls()] == ["CreateSnapshot", "DescribeSnapshots"]


def test_stop__the_child_is_gone(emulator: Emulator):
    started = Emulator().start()
    url = started.url

    started.stop()

    with pytest.raises(EmulatorError, match="no emulator answers"):
        Emulator.attach(url)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead, only not reaped yet
        return stat.read().split(") ", 1)[1][0] != "Z"


def test_start__the_child_dies_with_its_parent():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, time
                from sg_snapshot_provider.emulator import Emulator
                emulator = Emulator().start()
                print(emulator._child.process.pid, emulator.url, flush=True)
                time.sleep(600)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        pid_text, url = (parent.stdout.readline() if parent.stdout else "").split()
        assert Emulator.attach(url).calls() == []

        parent.kill()  # no stop(), no atexit: the parent just vanishes
        parent.wait()

        deadline = time.monotonic() + CLI_STOP_LIMIT_SECONDS
        while process_alive(int(pid_text)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not process_alive(int(pid_text))
        with pytest.raises(EmulatorError, match="no emulator answers"):
            Emulator.attach(url)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_emulator__arguments_reach_the_child():
    with Emulator(pending_seconds=600, volumes=[VOLUME_ARN]) as emulator:
        sg, ec2 = make_client("storagegateway", emulator), make_client("ec2", emulator)
        snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")[
            "SnapshotId"
        ]

        (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        assert snapshot["State"] == "pending"
        assert emulator.url == f"http://127.0.0.1:{emulator.port}"


def test_reset__forgets_the_start_seeds_too_and_the_docs_say_so():
    # reset() gives an empty account, the volumes seeded at start included (the test suite
    # relies on it); a user who seeded with --volume must read that before calling it.
    with Emulator(volumes=[VOLUME_ARN]) as emulator:
        sg = make_client("storagegateway", emulator)
        emulator.reset()
        with pytest.raises(ClientError) as caught:
            sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")
        assert error_code(caught.value) == "InvalidGatewayRequestException"
        assert gateway_error_code(caught.value) == "VolumeNotFound"
        emulator.add_volume(VOLUME_ARN)
        assert sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]

    page = (REPO_ROOT / "docs" / "emulator.md").read_text()
    section = page[page.index("## `reset()` forgets the seeds too") :]
    assert "`--volume`" in section
    assert "add_volume" in section


def test_control__unknown_route(emulator: Emulator):
    with pytest.raises(EmulatorError, match="404 no control route GET /_emulator/nothing"):
        emulator._request("GET", "nothing")
