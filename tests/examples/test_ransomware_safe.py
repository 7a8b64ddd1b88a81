"""examples/ransomware-safe against the emulator: the series (restore-tested, shared) goes
through the real plugin; the pulumi-aws Recycle Bin rule is mocked (its provider plugin cannot
run here), so the test then makes, with boto3 against the emulator, the calls the rule makes
(terraform-provider-aws ``internal/service/rbin/rule.go``: CreateRule with the program's
values, GetRule until ``available``; DeleteRule, then GetRule until not found, on destroy)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sg_snapshot_harness import Engine, PluginProcess, StepKind
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_harness.program import ProgramRun, run_program
from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import PLUGIN_TIMINGS, REGION, REPO_ROOT, VOLUME_ARN
from tests.examples.conftest import EXAMPLES

PROGRAM = EXAMPLES / "ransomware-safe"
BACKUP_ACCOUNT = "210987654321"


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


def config(night: str) -> dict[str, str]:
    return {"volumeArn": VOLUME_ARN, "night": night, "backupAccountId": BACKUP_ACCOUNT}


def client(emulator: Emulator, service: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def rule_inputs(run: ProgramRun) -> dict[str, Any]:
    (rule,) = [r for r in run.resources if r.name == "deleted-snapshots" and not r.dynamic]
    return rule.outputs


def create_rule(rbin: Any, inputs: dict[str, Any]) -> str:
    """``aws.rbin.Rule``'s create, with the values the program passed."""
    period = inputs["retentionPeriod"]
    identifier = str(
        rbin.create_rule(
            ResourceType=inputs["resourceType"],
            Description=inputs["description"],
            RetentionPeriod={
                "RetentionPeriodValue": int(period["retentionPeriodValue"]),
                "RetentionPeriodUnit": period["retentionPeriodUnit"],
            },
            ResourceTags=[
                {"ResourceTagKey": t["resourceTagKey"], "ResourceTagValue": t["resourceTagValue"]}
                for t in inputs["resourceTags"]
            ],
        )["Identifier"]
    )
    assert rbin.get_rule(Identifier=identifier)["Status"] == "available"
    return identifier


def test_ransomware_safe(
    series_engine: Engine, preview_plugin: PluginProcess, emulator: Emulator
) -> None:
    ec2, rbin = client(emulator, "ec2"), client(emulator, "rbin")
    first = run_program(PROGRAM, series_engine, config=config("1"), preview_plugin=preview_plugin)
    assert [step.kind for step in first.steps] == [StepKind.CREATE]
    latest = first.outputs["snapshot_ids"][0]
    assert first.outputs["shared_with"] == [BACKUP_ACCOUNT]
    check = first.outputs["last_restore_check"]
    assert check["snapshot_id"] == latest
    assert check["result"] == "passed"
    assert ec2.describe_volumes()["Volumes"] == []  # the test's volume is gone

    permissions = ec2.describe_snapshot_attribute(
        SnapshotId=latest, Attribute="createVolumePermission"
    )["CreateVolumePermissions"]
    assert permissions == [{"UserId": BACKUP_ACCOUNT}]

    inputs = rule_inputs(first)
    assert inputs["resourceType"] == "EBS_SNAPSHOT"
    assert inputs["resourceTags"] == [
        {"resourceTagKey": "backup", "resourceTagValue": "ransomware-safe"}
    ]
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[latest])["Snapshots"]
    tags = {t["Key"]: t["Value"] for t in snapshot["Tags"]}
    assert tags["backup"] == "ransomware-safe"  # the rule retains the series' snapshots
    identifier = create_rule(rbin, inputs)

    second = run_program(PROGRAM, series_engine, config=config("2"), preview_plugin=preview_plugin)
    assert [step.kind for step in second.steps] == [StepKind.UPDATE]
    newest = second.outputs["snapshot_ids"][0]
    assert second.outputs["snapshot_ids"] == [newest, latest]
    assert second.outputs["last_restore_check"]["snapshot_id"] == newest

    assert [step.kind for step in second.destroy()] == [StepKind.DELETE]
    rbin.delete_rule(Identifier=identifier)
    with pytest.raises(ClientError):
        rbin.get_rule(Identifier=identifier)
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
