"""The example programs, run as `pulumi up` would run them (under mocks; our snapshots go through
the real plugin to the emulator, pulumi-aws resources are mocked), then destroyed."""

from __future__ import annotations

import json

from sg_snapshot_harness import Engine, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.program import read_project_name, run_program
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import GATEWAY_ARN, REPO_ROOT, VOLUME_ARN
from tests.examples.conftest import EXAMPLES


def test_quickstart_shares_the_root_project_name() -> None:
    """pulumi.Config() reads `<project>:volumeArn`: both projects must use one namespace."""
    assert read_project_name(REPO_ROOT) == read_project_name(EXAMPLES / "quickstart")


def test_quickstart(engine: Engine, ec2: Ec2View) -> None:
    config = {
        "volumeArn": VOLUME_ARN,
        "description": "Before the upgrade",
        "tags": json.dumps({"team": "storage"}),
    }
    run = run_program(EXAMPLES / "quickstart", engine, config=config)
    assert [step.kind for step in run.preview_steps] == [StepKind.CREATE]  # previewed first

    snapshot_id = run.outputs["snapshot_id"]
    assert run.outputs == {
        "snapshot_id": snapshot_id,
        "snapshot_arn": f"arn:aws:ec2:us-east-1::snapshot/{snapshot_id}",
        "volume_arn": VOLUME_ARN,
    }
    snapshot = ec2.snapshot(snapshot_id)
    assert snapshot is not None
    assert snapshot["Description"] == "Before the upgrade"
    assert ec2.tags(snapshot_id) == {"team": "storage"}

    again = run_program(EXAMPLES / "quickstart", engine, config=config)
    assert [step.kind for step in again.preview_steps] == [StepKind.SAME]
    assert [step.kind for step in again.steps] == [StepKind.SAME]

    assert [step.kind for step in run.destroy()] == [StepKind.DELETE]
    assert ec2.snapshot_ids() == set()


def test_quickstart_without_optional_config(engine: Engine, ec2: Ec2View) -> None:
    run = run_program(EXAMPLES / "quickstart", engine, config={"volumeArn": VOLUME_ARN})
    assert ec2.tags(run.outputs["snapshot_id"]) == {}
    run.destroy()


def test_restore_volume(engine: Engine, ec2: Ec2View) -> None:
    config = {"volumeArn": VOLUME_ARN, "gatewayNetworkInterface": "10.0.0.12"}
    run = run_program(EXAMPLES / "restore-volume", engine, config=config)

    snapshot_id = run.outputs["snapshot_id"]
    snapshot = ec2.snapshot(snapshot_id)
    assert snapshot is not None
    assert snapshot["State"] == "completed"
    assert run.outputs["snapshot_state"] == "completed"
    assert ec2.tags(snapshot_id) == {"purpose": "restore"}
    mocked = {resource.name: resource for resource in run.resources if not resource.dynamic}
    ebs, gateway_volume = mocked["restored-ebs"], mocked["restored-gateway-volume"]
    assert ebs.outputs["snapshotId"] == snapshot_id
    assert gateway_volume.outputs["snapshotId"] == snapshot_id
    assert gateway_volume.outputs["gatewayArn"] == GATEWAY_ARN
    assert gateway_volume.outputs["volumeSizeInBytes"] == 1024**3
    assert run.outputs["ebs_volume_id"] == "restored-ebs-id"

    run.destroy()
    assert ec2.snapshot_ids() == set()


def test_every_volume(engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
    volume_ids = ["vol-1122AABB", "vol-2233BBCC", "vol-3344CCDD"]
    for extra in volume_ids[1:]:
        emulator.add_volume(f"{GATEWAY_ARN}/volume/{extra}")
    emulator.add_volume(
        "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-99999999/volume/vol-99999999"
    )

    run = run_program(
        EXAMPLES / "every-volume",
        engine,
        config={"gatewayArn": GATEWAY_ARN, "tags": json.dumps({"team": "storage"})},
    )

    snapshot_ids = run.outputs["snapshot_ids"]
    assert sorted(snapshot_ids) == volume_ids
    assert ec2.snapshot_ids() == set(snapshot_ids.values())
    for snapshot_id in snapshot_ids.values():
        assert ec2.tags(snapshot_id) == {"schedule": "nightly", "team": "storage"}
    states = {step.name: step.outputs["volume_arn"] for step in run.steps}
    assert states == {f"nightly-{v}": f"{GATEWAY_ARN}/volume/{v}" for v in volume_ids}

    assert len(run.destroy()) == len(volume_ids)
    assert ec2.snapshot_ids() == set()
