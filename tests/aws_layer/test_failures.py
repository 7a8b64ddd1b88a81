"""Failure scenarios: waits, roll-back of a failed create, AWS errors, retries, secrets."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator

import pytest
from mypy_boto3_ec2 import EC2Client
from pulumi.dynamic.dynamic import serialize_provider

from sg_snapshot_provider import (
    AwsOperationError,
    SnapshotCreateError,
    SnapshotFailedError,
    SnapshotInUseError,
    SnapshotTimeoutError,
    StorageGatewaySnapshotProvider,
)
from sg_snapshot_provider.emulator import Emulator
from tests.aws_layer.conftest import configure
from tests.aws_layer.helpers import checked, operations, snapshot_ids
from tests.conftest import ACCOUNT_ID, REGION, VOLUME_ARN

OTHER_GATEWAY = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-99999999"
OTHER_VOLUME = f"{OTHER_GATEWAY}/volume/vol-99999999"


# --- waiting --------------------------------------------------------------------------------


def test_create__waits_for_completion_and_reports_progress(
    provider: StorageGatewaySnapshotProvider,
    emulator: Emulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    emulator.set_pending_seconds(60)
    completes_after_a_poll(emulator)
    result = provider.create(checked(provider, wait_for_completion=True))
    outs = result.outs
    assert outs is not None
    assert outs["state"] == "completed"
    assert outs["progress"] == "100%"
    assert outs["volume_size_gib"] == 1
    assert outs["owner_id"] == ACCOUNT_ID
    assert outs["encrypted"] is False
    assert "start_time" in outs
    calls = operations(emulator)
    assert calls[0] == "CreateSnapshot"
    assert set(calls[1:]) == {"DescribeSnapshots"}
    assert len(calls) >= 3  # a poll saw it pending, a later one completed
    err = capsys.readouterr().err
    assert f"snapshot {result.id} is pending" in err
    assert f"snapshot {result.id} completed" in err


def completes_after_a_poll(emulator: Emulator) -> None:
    """Complete the first new snapshot once a DescribeSnapshots has answered (and so seen it
    pending): the wait must poll again, whatever the machine's speed."""

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            calls = emulator.calls()
            if any(c.operation == "DescribeSnapshots" and c.status == 200 for c in calls):
                for snapshot_id in _new_snapshots(emulator):
                    emulator.set_snapshot_state(snapshot_id, "completed")
                return
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()


def _new_snapshots(emulator: Emulator) -> list[str]:
    from sg_snapshot_harness.ec2 import Ec2View

    return sorted(Ec2View(emulator.url).snapshot_ids())


@pytest.fixture
def fail_new_snapshots(emulator: Emulator, ec2: EC2Client) -> Iterator[None]:
    """Puts every snapshot that appears into the ``error`` state, from a helper thread."""
    emulator.set_pending_seconds(60)
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for snapshot_id in snapshot_ids(ec2):
                emulator.set_snapshot_state(snapshot_id, "error")
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=5)


@pytest.mark.usefixtures("fail_new_snapshots")
def test_create__error_state_deletes_the_snapshot(
    provider: StorageGatewaySnapshotProvider, ec2: EC2Client
) -> None:
    with pytest.raises(SnapshotCreateError) as caught:
        provider.create(checked(provider, wait_for_completion=True, completion_timeout_seconds=30))
    error = caught.value
    assert isinstance(error.cause, SnapshotFailedError)
    assert error.cleanup_error is None
    assert snapshot_ids(ec2) == []
    message = str(error)
    assert error.snapshot_id in message
    assert VOLUME_ARN in message
    assert "error state" in message
    assert "deleted again" in message


def test_create__timeout_deletes_the_snapshot(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    emulator.set_pending_seconds(60)
    with pytest.raises(SnapshotCreateError) as caught:
        provider.create(checked(provider, wait_for_completion=True, completion_timeout_seconds=0.3))
    assert isinstance(caught.value.cause, SnapshotTimeoutError)
    assert caught.value.cause.last_state == "pending"
    assert snapshot_ids(ec2) == []
    message = str(caught.value)
    assert caught.value.snapshot_id in message
    assert "still pending" in message
    assert "completion_timeout_seconds" in message


def test_create__failed_clean_up_says_so(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    emulator.set_pending_seconds(60)
    emulator.inject_fault("DeleteSnapshot", "UnauthorizedOperation", status=403, times=None)
    with pytest.raises(SnapshotCreateError) as caught:
        provider.create(checked(provider, wait_for_completion=True, completion_timeout_seconds=0.3))
    assert caught.value.cleanup_error is not None
    message = str(caught.value)
    assert "UnauthorizedOperation" in message
    assert f"delete-snapshot --snapshot-id {caught.value.snapshot_id}" in message
    assert snapshot_ids(ec2) == [caught.value.snapshot_id]


# --- CreateSnapshot errors --------------------------------------------------------------


def test_create__unknown_volume_fails_fast(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    with pytest.raises(AwsOperationError) as caught:
        provider.create(checked(provider, volume_arn=OTHER_VOLUME))
    message = str(caught.value)
    assert message.startswith(f"creating Storage Gateway snapshot of volume {OTHER_VOLUME}: ")
    assert "VolumeNotFound" in message
    assert "Check that the volume ARN is right" in message
    assert operations(emulator) == ["CreateSnapshot"]


def test_create__gateway_not_connected_is_retried_then_fails(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    emulator.add_gateway(OTHER_GATEWAY, connected=False)
    emulator.add_volume(OTHER_VOLUME)
    emulator.clear_calls()
    with pytest.raises(AwsOperationError) as caught:
        provider.create(checked(provider, volume_arn=OTHER_VOLUME))
    assert caught.value.code == "GatewayNotConnected"
    assert OTHER_VOLUME in str(caught.value)
    assert "gateway stayed disconnected" in str(caught.value)
    assert len(operations(emulator)) >= 2  # retried within the (fast) bound
    assert snapshot_ids(ec2) == []


@pytest.mark.parametrize("code", ["GatewayNotConnected", "VolumeNotReady"])
def test_create__transient_gateway_state_then_success(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, code: str
) -> None:
    emulator.inject_fault("CreateSnapshot", code, times=2)
    result = provider.create(checked(provider))
    assert result.id.startswith("snap-")
    assert operations(emulator) == ["CreateSnapshot"] * 3


def test_create__access_denied_fails_fast(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    emulator.inject_fault("CreateSnapshot", "AccessDeniedException")
    with pytest.raises(AwsOperationError) as caught:
        provider.create(checked(provider))
    message = str(caught.value)
    assert VOLUME_ARN in message
    assert "AccessDeniedException" in message
    assert "storagegateway:CreateSnapshot" in message
    assert message.count(". ") <= 2  # one sentence plus the hint
    assert operations(emulator) == ["CreateSnapshot"]


def test_create__throttling_is_retried(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    emulator.inject_fault("CreateSnapshot", "ThrottlingException", times=1)
    assert provider.create(checked(provider)).id.startswith("snap-")
    assert operations(emulator) == ["CreateSnapshot", "CreateSnapshot"]


# --- DeleteSnapshot errors -----------------------------------------------------------------


def test_delete__in_use_is_retried_then_names_the_ami(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    result = provider.create(checked(provider))
    ami = "ami-0123456789abcdef0"
    emulator.inject_fault(
        "DeleteSnapshot",
        "InvalidSnapshot.InUse",
        message=f"The snapshot {result.id} is currently in use by {ami}",
        times=None,
    )
    emulator.clear_calls()
    with pytest.raises(SnapshotInUseError) as caught:
        provider.delete(result.id, result.outs or {})
    message = str(caught.value)
    assert message.startswith(f"deleting EBS snapshot {result.id}: InvalidSnapshot.InUse: ")
    assert f"AMI {ami}" in message
    assert "deregister" in message
    assert len(operations(emulator)) >= 2
    assert set(operations(emulator)) == {"DeleteSnapshot"}
    assert snapshot_ids(ec2) == [result.id]


def test_delete__in_use_for_a_moment_then_deleted(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    result = provider.create(checked(provider))
    emulator.inject_fault("DeleteSnapshot", "InvalidSnapshot.InUse", times=1)
    emulator.clear_calls()
    provider.delete(result.id, result.outs or {})
    assert operations(emulator) == ["DeleteSnapshot", "DeleteSnapshot"]
    assert snapshot_ids(ec2) == []


# --- credentials never reach state ----------------------------------------------------------

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_serialized_provider_holds_no_credential(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET + "ENV")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-session-token")
    provider = configure(
        {"aws:accessKey": "testing", "aws:secretKey": SECRET, "aws:token": "cfg-token"}
    )
    # Make the provider build (and cache) sessions and clients with those credentials.
    result = provider.create(checked(provider))
    provider.read(result.id, result.outs or {})

    serialized = serialize_provider(provider)
    raw = base64.b64decode(serialized)
    assert len(serialized) < 1024
    for secret in (SECRET, "cfg-token", "env-session-token"):
        assert secret.encode() not in raw
        assert secret not in serialized
    assert serialized == serialize_provider(StorageGatewaySnapshotProvider())
