"""examples/scheduled-volumes, run as `pulumi up` would run it: under Pulumi's mocks, the
program's schedules and snapshot through the real plugin against the emulator, the volumes
listed by the program itself with the stack's `aws:` config."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sg_snapshot_harness import Engine, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.program import run_program
from sg_snapshot_provider import AwsOperationError
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SNAPSHOT_TYPE
from tests.conftest import GATEWAY_ARN, REGION, VOLUME_ARN
from tests.examples.conftest import EXAMPLES

PROGRAM = EXAMPLES / "scheduled-volumes"
VOLUMES = [VOLUME_ARN, f"{GATEWAY_ARN}/volume/vol-2233BBCC", f"{GATEWAY_ARN}/volume/vol-3344CCDD"]
ELSEWHERE = "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-99999999/volume/vol-99999999"


@pytest.fixture
def gateway(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Three volumes on the gateway and one elsewhere; the stack config that reaches the
    emulator only through `aws:endpoints` (boto3's own chain points nowhere)."""
    for arn in VOLUMES[1:]:
        emulator.add_volume(arn)
    emulator.add_volume(ELSEWHERE)
    emulator.clear_calls()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    return {
        "aws:region": REGION,
        "aws:endpoints": json.dumps([{"storagegateway": emulator.url, "ec2": emulator.url}]),
        "gatewayArn": GATEWAY_ARN,
        "startAt": "3",
        "recurrenceInHours": "12",
        "tags": json.dumps({"team": "storage"}),
    }


def schedule(emulator: Emulator, volume_arn: str) -> dict[str, Any] | None:
    client = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    try:
        return dict(client.describe_snapshot_schedule(VolumeARN=volume_arn))
    except ClientError as err:
        if err.response["error"]["errorCode"] != "SnapshotScheduleNotFound":  # type: ignore[typeddict-item]
            raise
        return None


def calls(emulator: Emulator) -> Counter[str]:
    made = Counter(call.operation for call in emulator.calls())
    emulator.clear_calls()
    return made


def test_scheduled_volumes(
    engine: Engine, emulator: Emulator, ec2: Ec2View, gateway: dict[str, str]
) -> None:
    run = run_program(PROGRAM, engine, config=gateway)

    # The program lists the volumes in the preview and again in the update, as under the CLI.
    assert calls(emulator) == {
        "ListVolumes": 2,
        "UpdateSnapshotSchedule": 3,
        "CreateSnapshotFromVolumeRecoveryPoint": 1,
    }
    assert run.outputs["scheduled_volumes"] == sorted(VOLUMES)
    assert run.outputs["snapshot_volume_arn"] == VOLUME_ARN
    types = Counter(resource.type for resource in run.dynamic_resources())
    assert types == {SCHEDULE_TYPE: 3, SNAPSHOT_TYPE: 1}
    for arn in VOLUMES:
        actual = schedule(emulator, arn)
        assert actual is not None
        assert (actual["StartAt"], actual["RecurrenceInHours"]) == (3, 12)
        assert actual["Description"] == "Scheduled snapshot"
        assert {t["Key"]: t["Value"] for t in actual["Tags"]} == {
            "managed-by": "pulumi",
            "team": "storage",
        }
    untouched = schedule(emulator, ELSEWHERE)
    assert untouched is not None
    assert untouched["RecurrenceInHours"] == 24
    snapshot_id = run.outputs["snapshot_id"]
    assert run.outputs["recovery_point_time"]
    assert ec2.snapshot_ids() == {snapshot_id}
    assert ec2.tags(snapshot_id) == {"managed-by": "pulumi", "team": "storage"}
    emulator.clear_calls()

    again = run_program(PROGRAM, engine, config=gateway)
    assert {step.kind for step in again.steps} == {StepKind.SAME}
    assert {step.kind for step in again.preview_steps} == {StepKind.SAME}
    assert calls(emulator) == {"ListVolumes": 2}

    steps = run.destroy()
    assert [step.kind for step in steps] == [StepKind.DELETE] * 4
    assert calls(emulator) == {
        "DeleteSnapshotSchedule": 3,
        "DescribeSnapshots": 1,  # whether another resource adopted it
        "DeleteSnapshot": 1,
    }
    assert all(schedule(emulator, arn) is None for arn in VOLUMES)
    assert ec2.snapshot_ids() == set()


def test_scheduled_volumes__plain_snapshot_of_the_volume_named(
    engine: Engine, emulator: Emulator, gateway: dict[str, str]
) -> None:
    config = {**gateway, "snapshotVolumeArn": VOLUMES[2], "fromRecoveryPoint": "false"}

    run = run_program(PROGRAM, engine, config=config)

    assert run.outputs["snapshot_volume_arn"] == VOLUMES[2]
    assert calls(emulator)["CreateSnapshot"] == 1
    run.destroy()


def test_scheduled_volumes__bad_recurrence_fails_before_any_schedule(
    engine: Engine, emulator: Emulator, gateway: dict[str, str]
) -> None:
    with pytest.raises(Exception, match="recurrence_in_hours must be one of 1, 2, 4, 8, 12 or 24"):
        run_program(PROGRAM, engine, config={**gateway, "recurrenceInHours": "6"})

    assert "UpdateSnapshotSchedule" not in calls(emulator)
    run = run_program(PROGRAM, engine, config=gateway)
    run.destroy()


def test_scheduled_volumes__unknown_gateway(
    engine: Engine, emulator: Emulator, gateway: dict[str, str]
) -> None:
    unknown = "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-DEADBEEF"

    with pytest.raises(AwsOperationError) as caught:
        run_program(PROGRAM, engine, config={**gateway, "gatewayArn": unknown})

    assert str(caught.value).startswith(
        f"listing the volumes of gateway {unknown}: GatewayNotFound"
    )
    assert calls(emulator) == {"ListVolumes": 1}
