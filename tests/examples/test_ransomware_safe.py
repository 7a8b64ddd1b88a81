"""examples/ransomware-safe against the emulator, as a user runs it: two ``pulumi up`` (a new
night and a new month each), then a ``pulumi destroy`` before the locks end, and another after.

Both series go through the real plugin; the pulumi-aws Recycle Bin rule is mocked (its provider
plugin cannot run here), so the test makes, with boto3 against the emulator, the calls the rule
makes (terraform-provider-aws ``internal/service/rbin/rule.go``: CreateRule with the program's
values, GetRule until ``available``; DeleteRule, then GetRule until not found, on destroy).

Who could be hurt, checked first: the locked snapshots a destroy meets (never unlocked, never
deleted, still in the state); the backup account (shared the nightly snapshots only, never an
archived one); days pass on the emulator's clock, never slept.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sg_snapshot_harness import Engine, PluginError, PluginProcess, StepKind
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_harness.program import ProgramRun, run_program
from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import PLUGIN_TIMINGS, REGION, REPO_ROOT, VOLUME_ARN
from tests.examples.conftest import EXAMPLES

PROGRAM = EXAMPLES / "ransomware-safe"
BACKUP_ACCOUNT = "210987654321"
DAY = 86400.0
LOCK_DAYS = 7  # the example's default


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


def config(night: str, month: str) -> dict[str, str]:
    """The stack config of the example's README (its defaults otherwise)."""
    return {
        "volumeArn": VOLUME_ARN,
        "night": night,
        "month": month,
        "backupAccountId": BACKUP_ACCOUNT,
    }


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


def locks(ec2: Any) -> dict[str, dict[str, Any]]:
    """Every snapshot lock EC2 holds, by snapshot ID."""
    answer = ec2.describe_locked_snapshots()
    return {lock["SnapshotId"]: lock for lock in answer["Snapshots"]}


def shared_with(ec2: Any, snapshot_id: str) -> list[dict[str, str]]:
    answer = ec2.describe_snapshot_attribute(
        SnapshotId=snapshot_id, Attribute="createVolumePermission"
    )
    permissions: list[dict[str, str]] = answer["CreateVolumePermissions"]
    return permissions


def tiers(ec2: Any, snapshot_ids: list[str]) -> dict[str, str]:
    answer = ec2.describe_snapshots(SnapshotIds=snapshot_ids)
    return {s["SnapshotId"]: s.get("StorageTier", "standard") for s in answer["Snapshots"]}


def own_snapshot_ids(ec2: Any) -> set[str]:
    return {s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}


def test_ransomware_safe__locked_and_shared_apart_from_archived(
    series_engine: Engine, preview_plugin: PluginProcess, emulator: Emulator
) -> None:
    ec2, rbin = client(emulator, "ec2"), client(emulator, "rbin")
    first = run_program(
        PROGRAM, series_engine, config=config("1", "2026-11"), preview_plugin=preview_plugin
    )
    assert [step.kind for step in first.preview_steps] == [StepKind.CREATE, StepKind.CREATE]
    assert [step.kind for step in first.steps] == [StepKind.CREATE, StepKind.CREATE]
    identifier = create_rule(rbin, rule_inputs(first))

    second = run_program(
        PROGRAM, series_engine, config=config("2", "2026-12"), preview_plugin=preview_plugin
    )
    assert [step.kind for step in second.steps] == [StepKind.UPDATE, StepKind.UPDATE]
    nightly = second.outputs["nightly_snapshot_ids"]
    monthly = second.outputs["monthly_snapshot_ids"]
    assert (len(nightly), len(monthly)) == (2, 2)
    assert own_snapshot_ids(ec2) == set(nightly) | set(monthly)

    # The same night and month again: nothing to do, no AWS call.
    emulator.clear_calls()
    again = run_program(
        PROGRAM, series_engine, config=config("2", "2026-12"), preview_plugin=preview_plugin
    )
    assert [step.kind for step in again.steps] == [StepKind.SAME, StepKind.SAME]
    assert emulator.calls() == []

    # The nightly series: every snapshot locked for the declared days, restore-tested, shared.
    held = locks(ec2)
    assert set(held) == set(nightly)  # the monthly series declares no lock
    for snapshot_id in nightly:
        assert held[snapshot_id]["LockState"] == "compliance"
        assert held[snapshot_id]["LockDuration"] == LOCK_DAYS
        assert shared_with(ec2, snapshot_id) == [{"UserId": BACKUP_ACCOUNT}]
    assert second.outputs["shared_with"] == [BACKUP_ACCOUNT]
    check = second.outputs["last_restore_check"]
    assert (check["snapshot_id"], check["result"]) == (nightly[0], "passed")
    assert ec2.describe_volumes()["Volumes"] == []  # the restore test's volume is gone

    # The monthly series: all but the newest archived, none shared with anyone.
    assert tiers(ec2, nightly) == dict.fromkeys(nightly, "standard")
    assert tiers(ec2, monthly) == {monthly[0]: "standard", monthly[1]: "archive"}
    assert second.outputs["monthly_archived_snapshot_ids"] == [monthly[1]]
    for snapshot_id in monthly:
        assert shared_with(ec2, snapshot_id) == []

    # The Recycle Bin rule retains every snapshot of both series (their tag).
    inputs = rule_inputs(second)
    assert (inputs["resourceType"], inputs["retentionPeriod"]["retentionPeriodValue"]) == (
        "EBS_SNAPSHOT",
        14,
    )
    (rule,) = rbin.list_rules(ResourceType="EBS_SNAPSHOT")["Rules"]
    assert rule["Identifier"] == identifier
    assert rbin.get_rule(Identifier=identifier)["ResourceTags"] == [
        {"ResourceTagKey": "backup", "ResourceTagValue": "ransomware-safe"}
    ]
    for snapshot_id in nightly + monthly:
        (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        assert {"Key": "backup", "Value": "ransomware-safe"} in snapshot["Tags"]

    # A destroy before the locks end (each series' delete step; the two do not depend on each
    # other, so `pulumi destroy` runs them in no set order): the monthly series goes, the
    # nightly one fails in one sentence naming the lock's end, and stays in the state with its
    # snapshots, still locked and shared.
    assert series_engine.destroy("monthly").kind is StepKind.DELETE
    with pytest.raises(PluginError) as refused:
        series_engine.destroy("nightly")
    message = refused.value.message
    ends = {held[sid]["LockExpiresOn"] for sid in nightly}
    assert any(end.isoformat() in message for end in ends), message
    assert "compliance" in message
    assert ". " not in message.rstrip("."), message  # one sentence
    assert series_engine.state("monthly") is None
    kept = series_engine.require_state("nightly")
    assert kept.outputs["snapshot_ids"] == nightly
    assert own_snapshot_ids(ec2) == set(nightly)
    assert set(locks(ec2)) == set(nightly)
    assert all(shared_with(ec2, sid) == [{"UserId": BACKUP_ACCOUNT}] for sid in nightly)

    # Once the locks end, the same destroy finishes the job; then the rule goes.
    emulator.advance_clock((LOCK_DAYS + 1) * DAY)
    assert series_engine.destroy("nightly").kind is StepKind.DELETE
    assert own_snapshot_ids(ec2) == set()
    rbin.delete_rule(Identifier=identifier)
    with pytest.raises(ClientError):
        rbin.get_rule(Identifier=identifier)


def test_ransomware_safe__lock_ends_computed_from_the_stack_config(
    series_engine: Engine, preview_plugin: PluginProcess, emulator: Emulator
) -> None:
    """``lockMode``/``lockDays`` from the stack config reach EC2 (governance for a trial)."""
    ec2 = client(emulator, "ec2")
    run = run_program(
        PROGRAM,
        series_engine,
        config={**config("1", "2026-11"), "lockMode": "governance", "lockDays": "2"},
        preview_plugin=preview_plugin,
    )
    (snapshot_id,) = run.outputs["nightly_snapshot_ids"]
    lock = locks(ec2)[snapshot_id]
    assert (lock["LockState"], lock["LockDuration"]) == ("governance", 2)
    assert isinstance(lock["LockExpiresOn"], datetime)
    with pytest.raises(PluginError):
        series_engine.destroy("nightly")
    assert own_snapshot_ids(ec2) == {snapshot_id} | set(run.outputs["monthly_snapshot_ids"])
    emulator.advance_clock(3 * DAY)
    run.destroy()
    assert own_snapshot_ids(ec2) == set()
