"""The identity keys of the stack config through the real plugin, configured as the engine
configures it (structured values as JSON text, booleans as strings): an assumed role (and a
chain of two, and a CI's web identity, and a profile from shared files) is used for every call
of create, update, refresh and destroy; a forbidden or not-allowed account fails every operation
with one sentence; aws:ignoreTags; unknown aws: keys are named once on stderr.

Each test starts its own plugin: the emulator forgets the keys STS issued when it is reset
between tests, so a plugin must not carry credentials from one test into the next."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from sg_snapshot_harness import Engine, PluginError, PluginProcess, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider import StorageGatewaySnapshotProvider, VolumeSnapshotScheduleProvider
from sg_snapshot_provider.emulator import Call, Emulator
from tests.accounts import (
    BASE_ACCOUNT,
    OTHER_ACCOUNT,
    ROLE_ACCOUNT,
    by_operation,
    resource_calls,
    role_arn,
    snapshot_ids_in,
    volume_arn_in,
)
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT, VOLUME_ARN

Start = Callable[[Mapping[str, str]], Engine]


@pytest.fixture
def start(emulator: Emulator) -> Iterator[Start]:
    """Start a plugin configured with ``aws:region`` and the given keys; an engine over it."""
    started: list[PluginProcess] = []

    def start_with(config: Mapping[str, str]) -> Engine:
        plugin = start_plugin(emulator.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
        started.append(plugin)
        plugin.configure({"aws:region": "us-east-1", **config})
        return Engine(plugin, StorageGatewaySnapshotProvider())

    yield start_with
    for plugin in started:
        plugin.cleanup()


def roles(*arns: str, **fields: Any) -> dict[str, str]:
    return {"aws:assumeRoles": json.dumps([{"roleArn": arn, **fields} for arn in arns])}


def lifecycle(engine: Engine, emulator: Emulator, volume_arn: str) -> tuple[str, list[Call]]:
    """Create, update the tags, refresh, destroy: the snapshot ID and the calls they made (not
    the test's own looks). The snapshot is in the volume's account, and only there."""
    inputs = {"volume_arn": volume_arn, "description": "as the role", "tags": {"team": "a"}}
    created = engine.up("snap", inputs)
    assert created.kind is StepKind.CREATE
    assert engine.up("snap", {**inputs, "tags": {"team": "b"}}).kind is StepKind.UPDATE
    assert engine.refresh("snap").outputs["tags"] == {"team": "b"}
    calls = emulator.calls()
    snapshot_id = str(created.id)
    holders = [
        a for a in (BASE_ACCOUNT, ROLE_ACCOUNT, OTHER_ACCOUNT) if snapshot_ids_in(emulator, a)
    ]
    assert holders == [volume_arn.split(":")[4]]  # in the volume's account, and only there
    emulator.clear_calls()
    engine.destroy("snap")
    calls += emulator.calls()
    assert snapshot_ids_in(emulator, holders[0]) == set()
    return snapshot_id, calls


def test_assumed_role__every_call_of_a_lifecycle_runs_in_the_roles_account(
    start: Start, emulator: Emulator
) -> None:
    volume_arn = volume_arn_in(ROLE_ACCOUNT)
    emulator.add_volume(volume_arn)
    emulator.clear_calls()
    engine = start(
        {
            **roles(
                role_arn(ROLE_ACCOUNT), sessionName="pulumi", externalId="ext-1", duration="1h"
            ),
            "aws:maxRetries": "2",
            "aws:useDualstackEndpoint": "false",
            "aws:skipRequestingAccountId": "true",
        }
    )

    _, calls = lifecycle(engine, emulator, volume_arn)

    assert [call.account for call in by_operation(calls, "AssumeRole")] == [BASE_ACCOUNT]
    assert {call.account for call in resource_calls(calls)} == {ROLE_ACCOUNT}
    assert by_operation(calls, "CreateSnapshot", "CreateTags", "DeleteSnapshot")


def test_assumed_role__a_volume_of_the_base_account_is_not_found(
    start: Start, emulator: Emulator
) -> None:
    """The emulator scopes volumes by account, as AWS does: the role sees only its own."""
    engine = start(roles(role_arn(ROLE_ACCOUNT)))
    with pytest.raises(PluginError) as caught:
        engine.up("snap", {"volume_arn": VOLUME_ARN, "description": "elsewhere"})
    assert "VolumeNotFound" in caught.value.message
    assert {call.account for call in resource_calls(emulator.calls())} == {ROLE_ACCOUNT}


def test_role_chain__the_second_role_is_assumed_with_the_first(
    start: Start, emulator: Emulator
) -> None:
    volume_arn = volume_arn_in(OTHER_ACCOUNT)
    emulator.add_volume(volume_arn)
    emulator.clear_calls()
    engine = start(roles(role_arn(ROLE_ACCOUNT, "hop"), role_arn(OTHER_ACCOUNT)))

    _, calls = lifecycle(engine, emulator, volume_arn)

    assert [call.account for call in by_operation(calls, "AssumeRole")] == [
        BASE_ACCOUNT,
        ROLE_ACCOUNT,
    ]
    assert {call.account for call in resource_calls(calls)} == {OTHER_ACCOUNT}


def test_web_identity__from_a_token_file(start: Start, emulator: Emulator, tmp_path: Path) -> None:
    volume_arn = volume_arn_in(ROLE_ACCOUNT)
    emulator.add_volume(volume_arn)
    emulator.clear_calls()
    token_file = tmp_path / "oidc-token"
    token_file.write_text("eyJ.ci.sig")
    web_identity = {
        "roleArn": role_arn(ROLE_ACCOUNT, "ci"),
        "webIdentityTokenFile": str(token_file),
        "sessionName": "ci-run-7",
    }
    engine = start({"aws:assumeRoleWithWebIdentity": json.dumps(web_identity)})

    _, calls = lifecycle(engine, emulator, volume_arn)

    assert len(by_operation(calls, "AssumeRoleWithWebIdentity")) == 1
    assert {call.account for call in resource_calls(calls)} == {ROLE_ACCOUNT}


def test_profile_from_shared_files(start: Start, emulator: Emulator, tmp_path: Path) -> None:
    volume_arn = volume_arn_in(ROLE_ACCOUNT)
    emulator.add_volume(volume_arn)
    emulator.clear_calls()
    config_file = tmp_path / "config"
    config_file.write_text(
        f"[profile deploy]\nrole_arn = {role_arn(ROLE_ACCOUNT)}\nsource_profile = base\n"
    )
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text(
        "[base]\naws_access_key_id = AKIABASEEXAMPLE00002\naws_secret_access_key = b-Zx8Cv6\n"
    )
    engine = start(
        {
            "aws:profile": "deploy",
            "aws:sharedConfigFiles": json.dumps([str(tmp_path / "absent"), str(config_file)]),
            "aws:sharedCredentialsFiles": json.dumps([str(credentials_file)]),
        }
    )

    _, calls = lifecycle(engine, emulator, volume_arn)

    assert len(by_operation(calls, "AssumeRole")) == 1
    assert {call.account for call in resource_calls(calls)} == {ROLE_ACCOUNT}


def test_forbidden_account__every_operation_fails_with_one_sentence(
    start: Start, emulator: Emulator
) -> None:
    engine = start({"aws:forbiddenAccountIds": json.dumps([BASE_ACCOUNT, OTHER_ACCOUNT])})
    inputs = {"volume_arn": VOLUME_ARN, "description": "forbidden"}

    # Check and diff make no AWS call, so a preview is not where it fails.
    assert engine.check("snap", inputs).failures == ()
    for name in ("first", "second"):
        with pytest.raises(PluginError) as refused:
            engine.up(name, inputs)
        # Newer plugins prefix the exception's class, older ones "Exception calling application".
        assert refused.value.message.endswith(
            ": the credentials in use belong "
            f"to AWS account {BASE_ACCOUNT}, which aws:forbiddenAccountIds forbids: the provider "
            "refuses to work in it; use credentials of another account or change "
            "aws:forbiddenAccountIds"
        )

    assert [call.operation for call in emulator.calls()] == ["GetCallerIdentity"]
    assert Ec2View(emulator.url).snapshot_ids() == set()


def test_forbidden_account__of_the_assumed_role(start: Start, emulator: Emulator) -> None:
    engine = start(
        {**roles(role_arn(ROLE_ACCOUNT)), "aws:forbiddenAccountIds": json.dumps([ROLE_ACCOUNT])}
    )
    with pytest.raises(PluginError) as refused:
        engine.up("snap", {"volume_arn": volume_arn_in(ROLE_ACCOUNT), "description": "no"})
    assert f"AWS account {ROLE_ACCOUNT}, which aws:forbiddenAccountIds" in refused.value.message
    assert resource_calls(emulator.calls()) == []


def test_allowed_accounts__a_caller_not_listed_is_refused(start: Start, emulator: Emulator) -> None:
    engine = start({"aws:allowedAccountIds": json.dumps([ROLE_ACCOUNT, OTHER_ACCOUNT])})
    with pytest.raises(PluginError) as refused:
        engine.up("snap", {"volume_arn": VOLUME_ARN, "description": "not allowed"})
    assert refused.value.message.endswith(
        f"the credentials in use belong to AWS account {BASE_ACCOUNT}, which "
        f"aws:allowedAccountIds ({ROLE_ACCOUNT}, {OTHER_ACCOUNT}) does not list: the provider "
        "refuses to work in it; use credentials of an allowed account or add it to "
        "aws:allowedAccountIds"
    )
    assert [call.operation for call in emulator.calls()] == ["GetCallerIdentity"]


def test_allowed_accounts__the_callers_account_works(start: Start, emulator: Emulator) -> None:
    engine = start({"aws:allowedAccountIds": f'["{BASE_ACCOUNT}"]'})
    engine.up("snap", {"volume_arn": VOLUME_ARN, "description": "allowed"})
    engine.destroy("snap")
    calls = emulator.calls()
    assert len(by_operation(calls, "GetCallerIdentity")) == 1
    assert len(resource_calls(calls)) == 2  # CreateSnapshot, DeleteSnapshot


def test_ignore_tags__never_sent_removed_or_reported(
    start: Start, emulator: Emulator, ec2: Ec2View
) -> None:
    engine = start(
        {"aws:ignoreTags": json.dumps({"keys": ["CostCenter"], "keyPrefixes": ["backup:"]})}
    )
    inputs = {
        "volume_arn": VOLUME_ARN,
        "description": "d",
        "tags": {"team": "a", "CostCenter": "1"},
    }

    created = engine.up("snap", inputs)
    snapshot_id = str(created.id)
    assert ec2.tags(snapshot_id) == {"team": "a"}  # the ignored tag is not sent
    assert created.outputs["tags_all"] == {"team": "a"}
    ec2.set_tags_out_of_band(snapshot_id, {"backup:plan": "daily", "CostCenter": "77"})

    refreshed = engine.refresh("snap")
    assert refreshed.outputs["tags"] == {"team": "a", "CostCenter": "1"}
    assert refreshed.outputs["tags_all"] == {"team": "a"}
    assert engine.up("snap", inputs).kind is StepKind.SAME
    changed = {**inputs, "tags": {"team": "b", "CostCenter": "2", "backup:x": "y"}}
    assert engine.up("snap", changed).kind is StepKind.UPDATE
    assert ec2.tags(snapshot_id) == {"team": "b", "backup:plan": "daily", "CostCenter": "77"}
    assert engine.up("snap", {**inputs, "tags": {}}).kind is StepKind.UPDATE
    assert ec2.tags(snapshot_id) == {"backup:plan": "daily", "CostCenter": "77"}
    engine.destroy("snap")


def test_unknown_keys__named_once_on_stderr_never_an_error(
    start: Start, emulator: Emulator
) -> None:
    engine = start(
        {
            "aws:notAKey": "1",
            "aws:sharedCredentialsFile": "/old/v4/key",
            "aws:skipCredentialsValidation": "true",
            "aws:skipMetadataApiCheck": "true",
            "aws:s3UsePathStyle": "true",
            "aws:tokenBucketRateLimiterCapacity": "10000",
            "aws:tagPolicyCompliance": "warning",
            "myproject:anything": "x",
        }
    )
    schedules = Engine(engine.plugin, VolumeSnapshotScheduleProvider())

    engine.up("snap", {"volume_arn": VOLUME_ARN, "description": "d"})
    schedules.check(
        "schedule", {"volume_arn": VOLUME_ARN, "start_at": 1, "recurrence_in_hours": 24}
    )
    engine.destroy("snap")

    stderr = engine.plugin.stderr_text()
    assert stderr.count("aws:notAKey is ignored by sg-snapshot-provider") == 1
    assert stderr.count("aws:sharedCredentialsFile is ignored by sg-snapshot-provider") == 1
    assert "did you mean aws:sharedCredentialsFiles?" in stderr
    for accepted in ("skipCredentialsValidation", "s3UsePathStyle", "tagPolicyCompliance"):
        assert accepted not in stderr
    assert "myproject" not in stderr
