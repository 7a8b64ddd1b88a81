"""Credentials from the environment and from stack config never show up anywhere: not in the
serialized provider, not in outputs, not on the plugin's stderr, not in an error message."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.testing import Engine, PluginError, PluginProcess
from sg_snapshot_provider.testing.ec2 import Ec2View
from sg_snapshot_provider.testing.plugin import plugin_environment
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
SECRETS = [*ENV_SECRETS.values(), *CONFIG_SECRETS.values()]


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
