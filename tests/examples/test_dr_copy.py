"""examples/dr-copy end to end against the emulator: a SnapshotSeries in the volume's region, the
newest snapshot copied to a second region with pulumi-aws.

The program runs as ``pulumi up`` runs it: previewed first in its own plugin, then applied; the
series goes through the real plugin to the emulator, while the pulumi-aws resources (the DR
region's ``aws.Provider`` and ``aws.ebs.SnapshotCopy``) are mocked, because the pulumi-aws
provider plugin cannot run here. So that the test still shows the copy would succeed, it then
makes, with boto3 against the emulator's EC2 in the DR region, the calls ``SnapshotCopy`` makes —
as terraform-provider-aws (which pulumi-aws wraps) makes them in
``internal/service/ec2/ebs_snapshot_copy.go``: CopySnapshot with the source region and ID, the
description and the tags (TagSpecifications) the program passed, then DescribeSnapshots until
the copy is ``completed``; DeleteSnapshot on destroy — and checks the copy is in that region.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sg_snapshot_harness import Engine, PluginProcess, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_harness.program import ProgramRun, run_program
from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import PLUGIN_TIMINGS, REGION, REPO_ROOT, VOLUME_ARN
from tests.examples.conftest import EXAMPLES

PROGRAM = EXAMPLES / "dr-copy"
DR_REGION = "us-west-2"


@pytest.fixture(scope="module")
def preview_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    try:
        process.configure({"aws:region": REGION})
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def series_engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    plugin.clear_calls()
    return Engine(plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)


def config(emulator: Emulator, release: str) -> dict[str, str]:
    """The stack config of the example's README for the emulator."""
    return {
        "volumeArn": VOLUME_ARN,
        "release": release,
        "keep": "2",
        "drRegion": DR_REGION,
        "aws:region": REGION,
        "aws:accessKey": "testing",
        "aws:secretKey": "testing",
        "aws:skipCredentialsValidation": "true",
        "aws:skipRequestingAccountId": "true",
        "aws:endpoints": json.dumps([{"ec2": emulator.url, "storagegateway": emulator.url}]),
    }


def declared(run: ProgramRun, name: str) -> dict[str, Any]:
    """The inputs the program gave a mocked (pulumi-aws) resource."""
    (resource,) = [r for r in run.resources if r.name == name and not r.dynamic]
    return resource.outputs


def dr_ec2(provider_inputs: dict[str, Any]) -> Any:
    """An EC2 client configured as the program's DR provider is."""
    (endpoints,) = json.loads(provider_inputs["endpoints"])
    return boto3.client(
        "ec2",
        region_name=provider_inputs["region"],
        endpoint_url=endpoints["ec2"],
        aws_access_key_id=provider_inputs["accessKey"],
        aws_secret_access_key=provider_inputs["secretKey"],
    )


def copy_snapshot(ec2: Any, inputs: dict[str, Any]) -> str:
    """``aws.ebs.SnapshotCopy``'s create and wait, with the values the program passed."""
    copy_id = str(
        ec2.copy_snapshot(
            SourceRegion=inputs["sourceRegion"],
            SourceSnapshotId=inputs["sourceSnapshotId"],
            Description=inputs["description"],
            TagSpecifications=[
                {
                    "ResourceType": "snapshot",
                    "Tags": [{"Key": k, "Value": v} for k, v in inputs["tags"].items()],
                }
            ],
        )["SnapshotId"]
    )
    ec2.get_waiter("snapshot_completed").wait(
        SnapshotIds=[copy_id], WaiterConfig={"Delay": 0, "MaxAttempts": 10}
    )
    return copy_id


def test_dr_copy__preview_up_and_the_copy_lands_in_the_dr_region(
    series_engine: Engine, preview_plugin: PluginProcess, emulator: Emulator, ec2: Ec2View
) -> None:
    first = run_program(
        PROGRAM, series_engine, config=config(emulator, "1"), preview_plugin=preview_plugin
    )
    assert [step.kind for step in first.preview_steps] == [StepKind.CREATE]
    assert [step.kind for step in first.steps] == [StepKind.CREATE]
    latest = first.outputs["latest_snapshot_id"]
    assert first.outputs["snapshot_ids"] == [latest]
    assert first.outputs["dr_region"] == DR_REGION

    provider = declared(first, "dr")
    assert provider["region"] == DR_REGION
    # A provider's inputs travel as text, structured ones as JSON (its config, as the engine
    # hands it to the provider plugin).
    assert provider["skipCredentialsValidation"] == "true"
    copy_inputs = declared(first, "dr-copy")
    assert copy_inputs["sourceSnapshotId"] == latest
    assert copy_inputs["sourceRegion"] == REGION
    assert copy_inputs["tags"] == {"purpose": "dr", "release": "1", "source-snapshot": latest}

    dr = dr_ec2(provider)
    copy_id = copy_snapshot(dr, copy_inputs)
    (copied,) = dr.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"]
    assert copied["State"] == "completed"
    assert copied["Description"] == f"DR copy of {latest} (1)"
    assert ec2.snapshot_ids() == {latest}  # the copy is not in the volume's region
    assert copy_id not in ec2.snapshot_ids()

    # A new release: the series rotates in place, the copy follows the newest snapshot.
    emulator.clear_calls()
    second = run_program(
        PROGRAM, series_engine, config=config(emulator, "2"), preview_plugin=preview_plugin
    )
    assert [step.kind for step in second.preview_steps] == [StepKind.UPDATE]
    assert [step.kind for step in second.steps] == [StepKind.UPDATE]
    assert second.steps[0].id == first.steps[0].id
    newest = second.outputs["latest_snapshot_id"]
    assert second.outputs["snapshot_ids"] == [newest, latest]
    sg_and_ec2 = [(c.service, c.operation) for c in emulator.calls()]
    assert sg_and_ec2 == [("storagegateway", "CreateSnapshot"), ("ec2", "DescribeSnapshots")]

    new_copy = copy_snapshot(dr, declared(second, "dr-copy"))
    dr.delete_snapshot(SnapshotId=copy_id)  # the replaced copy goes once the new one exists
    dr_ids = {s["SnapshotId"] for s in dr.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    assert dr_ids == {new_copy}

    # pulumi destroy: the copy first (it depends on the series), then the series.
    dr.delete_snapshot(SnapshotId=new_copy)
    assert [step.kind for step in second.destroy()] == [StepKind.DELETE]
    assert ec2.snapshot_ids() == set()
