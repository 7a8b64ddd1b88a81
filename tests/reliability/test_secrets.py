"""Credentials from the environment and from stack config never show up anywhere: not in the
serialized provider, not in outputs, not on the plugin's stderr, not in an error message. The
same for what the identity keys hold (a web identity token, an external ID, a proxy password)
and for the temporary credentials STS hands out for them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from sg_snapshot_harness import Engine, PluginError, PluginProcess
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import plugin_environment
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.accounts import OTHER_ACCOUNT, ROLE_ACCOUNT, role_arn, snapshot_ids_in, volume_arn_in
from tests.conftest import GATEWAY_ARN, REPO_ROOT, VOLUME_ARN

ENV_SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAENVSECRET7777777",
    "AWS_SECRET_ACCESS_KEY": "env-secret-Zq9wXv2Lm4Np6Rt8",
    "AWS_SESSION_TOKEN": "env-session-token-Hh3Jj5Kk7",
}
CONFIG_SECRETS = {
    "aws:accessKey": "AKIACFGSECRET8888888",
    "aws:secretKey": "cfg-secret-Yy1Uu3Ii5Oo7",
    "aws:token": "cfg-session-token-Pp2Aa4Ss6",
}
WEB_IDENTITY_TOKEN = "eyJhbGciOiJSUzI1NiJ9.oidc-secret-Kk2Ll4Mm6.sig"
EXTERNAL_ID = "external-id-secret-Nn8Bb0Vv2"
PROXY_PASSWORD = "proxy-secret-Gg7Ff5Dd3"
#: Identity config as the engine sends it: a CI's web identity, a role on top with an external
#: ID, and a proxy (with a password) that the emulator's address is exempt from.
ROLE_CONFIG = {
    "aws:region": "us-east-1",
    "aws:assumeRoleWithWebIdentity": json.dumps(
        {"roleArn": role_arn(ROLE_ACCOUNT, "ci"), "webIdentityToken": WEB_IDENTITY_TOKEN}
    ),
    "aws:assumeRoles": json.dumps(
        [{"roleArn": role_arn(OTHER_ACCOUNT), "externalId": EXTERNAL_ID, "sessionName": "deploy"}]
    ),
    "aws:httpProxy": f"http://deployer:{PROXY_PASSWORD}@127.0.0.1:9",
    "aws:noProxy": "127.0.0.1",
    "aws:forbiddenAccountIds": json.dumps([ROLE_ACCOUNT]),
}
#: How every session token moto's STS issues begins (its secret keys are random).
MOTO_SESSION_TOKEN_PREFIX = "FQoGZXIvYXdzE"
SECRETS = [
    *ENV_SECRETS.values(),
    *CONFIG_SECRETS.values(),
    WEB_IDENTITY_TOKEN,
    EXTERNAL_ID,
    PROXY_PASSWORD,
    MOTO_SESSION_TOKEN_PREFIX,
]


@pytest.fixture(scope="module")
def secret_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = PluginProcess(plugin_environment(emulator_server.url, ENV_SECRETS), cwd=REPO_ROOT)
    process.start()
    try:
        process.configure({"aws:region": "us-east-1", **CONFIG_SECRETS})
        yield process
    finally:
        process.cleanup()


def _assert_clean(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a credential leaked into {where}"


def test_no_credential_anywhere(secret_plugin: PluginProcess, emulator: Emulator) -> None:
    engine = Engine(secret_plugin, StorageGatewaySnapshotProvider())
    inputs = {"volume_arn": VOLUME_ARN, "description": "secret", "tags": {"a": "1"}}
    created = engine.up("snap", inputs)
    updated = engine.up("snap", {**inputs, "tags": {"b": "2"}})
    refreshed = engine.refresh("snap")
    other_volume = f"{GATEWAY_ARN}/volume/vol-99999999"
    with pytest.raises(PluginError) as caught:  # an error, with the whole traceback
        engine.up("missing", {**inputs, "volume_arn": other_volume})
    emulator.inject_fault("DeleteSnapshot", "UnauthorizedOperation", status=403, times=None)
    with pytest.raises(PluginError) as denied:
        engine.destroy("snap")
    emulator.clear_faults()
    engine.destroy("snap")

    assert "VolumeNotFound" in caught.value.message
    assert "UnauthorizedOperation" in denied.value.message
    assert Ec2View(emulator.url).snapshot_ids() == set()
    serialized = engine.serialized_provider
    _assert_clean(serialized, "the serialized provider")
    _assert_clean(base64.b64decode(serialized).decode("latin-1"), "the pickled provider")
    for step in (created, updated, refreshed):
        _assert_clean(repr(step.outputs) + repr(step.inputs), "outputs")
    _assert_clean(caught.value.details + denied.value.details, "an error message")
    _assert_clean(secret_plugin.stderr_text() + secret_plugin.stdout_text(), "the plugin output")


@pytest.fixture(scope="module")
def role_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = PluginProcess(plugin_environment(emulator_server.url), cwd=REPO_ROOT)
    process.start()
    try:
        process.configure(ROLE_CONFIG)
        yield process
    finally:
        process.cleanup()


def test_no_identity_secret_anywhere(role_plugin: PluginProcess, emulator: Emulator) -> None:
    volume_arn = volume_arn_in(OTHER_ACCOUNT)
    emulator.add_volume(volume_arn)
    engine = Engine(role_plugin, StorageGatewaySnapshotProvider())
    inputs = {"volume_arn": volume_arn, "description": "secret", "tags": {"a": "1"}}
    created = engine.up("snap", inputs)
    assert snapshot_ids_in(emulator, OTHER_ACCOUNT) == {created.id}
    updated = engine.up("snap", {**inputs, "tags": {"b": "2"}})
    refreshed = engine.refresh("snap")
    with pytest.raises(PluginError) as caught:
        engine.up("missing", {**inputs, "volume_arn": VOLUME_ARN})  # the base account's
    engine.destroy("snap")

    assert "VolumeNotFound" in caught.value.message
    calls = emulator.calls()
    assert [c.operation for c in calls if c.service == "sts"] == [
        "AssumeRoleWithWebIdentity",
        "AssumeRole",
        "GetCallerIdentity",
    ]
    serialized = engine.serialized_provider
    _assert_clean(serialized, "the serialized provider")
    _assert_clean(base64.b64decode(serialized).decode("latin-1"), "the pickled provider")
    for step in (created, updated, refreshed):
        _assert_clean(repr(step.outputs) + repr(step.inputs), "outputs")
    _assert_clean(json.dumps(engine.export()), "the stack's state")
    _assert_clean(caught.value.details, "an error message")
    _assert_clean(role_plugin.stderr_text() + role_plugin.stdout_text(), "the plugin output")


def test_a_bad_identity_config_does_not_repeat_its_secrets(emulator_server: Emulator) -> None:
    process = PluginProcess(plugin_environment(emulator_server.url), cwd=REPO_ROOT)
    process.start()
    try:
        process.configure(
            {
                "aws:assumeRoles": json.dumps(
                    [{"roleArn": role_arn(ROLE_ACCOUNT), "externalId": f"!{EXTERNAL_ID}"}]
                ),
                "aws:httpProxy": f"socks5://deployer:{PROXY_PASSWORD}@proxy:1080",
            }
        )
        engine = Engine(process, StorageGatewaySnapshotProvider())
        with pytest.raises(PluginError) as caught:
            engine.up("snap", {"volume_arn": VOLUME_ARN, "description": "d"})
        assert "invalid configuration aws:" in caught.value.message
        _assert_clean(caught.value.details, "a configuration error")
        _assert_clean(process.stderr_text() + process.stdout_text(), "the plugin output")
    finally:
        process.cleanup()
