"""Code of the program uses the stack's identity too: examples/every-volume lists the gateway's
volumes with sg_snapshot_provider.program, which reads pulumi.Config("aws") through settings/,
so a stack with aws:assumeRoles lists (and snapshots) the volumes of the role's account."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pulumi
import pytest

from sg_snapshot_harness import Engine
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_harness.program import run_program
from sg_snapshot_provider import StorageGatewaySnapshotProvider, aws
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.program import (
    gateway_volume_arns,
    program_client,
    settings_from_pulumi_config,
)
from sg_snapshot_provider.settings import AssumeRole
from tests.accounts import (
    BASE_ACCOUNT,
    ROLE_ACCOUNT,
    by_operation,
    resource_calls,
    role_arn,
    snapshot_ids_in,
)
from tests.conftest import PLUGIN_TIMINGS, REGION, REPO_ROOT
from tests.examples.conftest import EXAMPLES

GATEWAY = f"arn:aws:storagegateway:{REGION}:{ROLE_ACCOUNT}:gateway/sgw-22AB22CD"
VOLUMES = [f"{GATEWAY}/volume/vol-{n}" for n in ("0000000A", "0000000B")]
STACK_CONFIG = {
    "aws:region": REGION,
    "aws:assumeRoles": json.dumps([{"roleArn": role_arn(ROLE_ACCOUNT), "sessionName": "up"}]),
}


@pytest.fixture
def role_volumes(emulator: Emulator) -> Iterator[None]:
    for arn in VOLUMES:
        emulator.add_volume(arn)
    emulator.clear_calls()
    aws.clear_client_cache()  # the emulator forgot the keys of earlier tests' roles
    yield
    aws.clear_client_cache()
    pulumi.runtime.set_all_config({}, [])


def test_every_volume__lists_and_snapshots_as_the_assumed_role(
    emulator: Emulator, role_volumes: None
) -> None:
    plugin = start_plugin(emulator.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    try:
        plugin.configure(STACK_CONFIG)
        engine = Engine(plugin, StorageGatewaySnapshotProvider())
        run = run_program(
            EXAMPLES / "every-volume", engine, config={"gatewayArn": GATEWAY, **STACK_CONFIG}
        )
        snapshot_ids = run.outputs["snapshot_ids"]
        assert sorted(snapshot_ids) == ["vol-0000000A", "vol-0000000B"]
        calls = emulator.calls()
        assert snapshot_ids_in(emulator, ROLE_ACCOUNT) == set(snapshot_ids.values())
        run.destroy()
    finally:
        plugin.cleanup()

    (listed,) = by_operation(calls, "ListVolumes")
    assert listed.account == ROLE_ACCOUNT
    # One AssumeRole in the program's process, one in the plugin's.
    assert [call.account for call in by_operation(calls, "AssumeRole")] == [BASE_ACCOUNT] * 2
    assert {call.account for call in resource_calls(calls)} == {ROLE_ACCOUNT}


def test_settings_from_pulumi_config__reads_the_aws_namespace(role_volumes: None) -> None:
    pulumi.runtime.set_all_config({**STACK_CONFIG, "aws:maxRetries": "4", "proj:x": "y"}, [])
    settings = settings_from_pulumi_config(environ={})
    assert settings.region == REGION
    assert settings.assume_roles == (AssumeRole(role_arn(ROLE_ACCOUNT), "up"),)
    assert settings.max_attempts == 5


def test_program_helpers__same_identity_and_botocore_retries(
    emulator: Emulator, role_volumes: None
) -> None:
    pulumi.runtime.set_all_config({**STACK_CONFIG, "aws:maxRetries": "4"}, [])

    assert sorted(gateway_volume_arns(GATEWAY)) == VOLUMES
    client = program_client("storagegateway")
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert [g["GatewayARN"] for g in client.list_gateways()["Gateways"]] == [GATEWAY]

    calls = emulator.calls()
    assert len(by_operation(calls, "AssumeRole")) == 1
    assert [call.account for call in resource_calls(calls)] == [ROLE_ACCOUNT] * 2
