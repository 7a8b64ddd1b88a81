"""The provider's check/configure/serialization, called the way the plugin calls them."""

from __future__ import annotations

import base64
import json
from typing import Any

import dill
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown as PulumiUnknown
from pulumi.runtime import rpc

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.inputs import create_token_of
from sg_snapshot_provider.settings import Settings

VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def configured(config: dict[str, Any]) -> StorageGatewaySnapshotProvider:
    provider = StorageGatewaySnapshotProvider()
    provider.configure(ConfigureRequest(Config(raw_config=config, project_name="test")))
    return provider


def news(**values: Any) -> dict[str, Any]:
    base = {"__provider": "serialized", "volume_arn": VOLUME_ARN, "description": "nightly"}
    return {**base, **values}


def test_check_normalises_and_computes_tags_all() -> None:
    provider = configured({"aws:defaultTags": json.dumps({"tags": {"owner": "ops", "team": "x"}})})
    result = provider.check({}, news(tags={"team": "storage"}))
    assert result.failures == []
    token = result.inputs.pop("create_token")
    assert create_token_of({"create_token": token}) == token
    assert result.inputs == {
        "volume_arn": VOLUME_ARN,
        "description": "nightly",
        "tags": {"team": "storage"},
        "wait_for_completion": False,
        "completion_timeout_seconds": 3600,
        "triggers": {},
        "tags_all": {"owner": "ops", "team": "storage"},
    }


def test_check_failures_name_properties() -> None:
    result = StorageGatewaySnapshotProvider().check(
        {}, news(description="", tags={"aws:x": "1"}, wait_for_completion=1)
    )
    assert [f.property for f in result.failures] == [
        "description",
        'tags["aws:x"]',
        "wait_for_completion",
    ]
    assert all(f.reason for f in result.failures)


def test_check_passes_unknowns_and_returns_pulumi_unknowns() -> None:
    result = StorageGatewaySnapshotProvider().check(
        {},
        news(
            volume_arn=PulumiUnknown(),
            description=rpc.UNKNOWN,
            tags={"team": PulumiUnknown()},
            triggers={"release": rpc.UNKNOWN},
        ),
    )
    assert result.failures == []
    assert isinstance(result.inputs["volume_arn"], PulumiUnknown)
    assert isinstance(result.inputs["description"], PulumiUnknown)
    assert isinstance(result.inputs["tags"]["team"], PulumiUnknown)
    assert isinstance(result.inputs["tags_all"]["team"], PulumiUnknown)
    assert isinstance(result.inputs["triggers"]["release"], PulumiUnknown)


def test_check_unwraps_secrets() -> None:
    secret = {rpc._special_sig_key: rpc._special_secret_sig, "value": "nightly"}
    result = StorageGatewaySnapshotProvider().check({}, news(description=secret))
    assert result.failures == []
    assert result.inputs["description"] == "nightly"


def test_configure_reads_the_stack_config() -> None:
    provider = configured({"aws:region": "eu-west-1", "aws:maxRetries": "0"})
    assert provider._settings == Settings(region="eu-west-1", max_retries=0)


def test_serialized_provider_is_a_small_reference_without_credentials() -> None:
    provider = configured(
        {"aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": SECRET, "aws:token": "tok-secret"}
    )
    serialized = serialize_provider(provider)
    raw = base64.b64decode(serialized)
    assert len(serialized) < 1024
    for secret in (SECRET, "AKIAEXAMPLE", "tok-secret"):
        assert secret.encode() not in raw
    assert b"sg_snapshot_provider.provider" in raw
    assert serialized == serialize_provider(StorageGatewaySnapshotProvider())
    restored = dill.loads(raw)
    assert isinstance(restored, StorageGatewaySnapshotProvider)
    assert restored._settings == Settings()


def test_check_makes_a_create_token_for_each_new_snapshot() -> None:
    """The token the next create's snapshot carries: new for a create, kept while the old
    inputs describe the same snapshot, new again when a replace key changes."""
    provider = StorageGatewaySnapshotProvider()
    first = provider.check({}, news()).inputs["create_token"]
    assert provider.check({}, news()).inputs["create_token"] != first
    olds = provider.check({}, news()).inputs
    same = provider.check(olds, news(tags={"team": "a"}, wait_for_completion=True)).inputs
    assert same["create_token"] == olds["create_token"]
    for change in ({"description": "other"}, {"triggers": {"release": "2"}}):
        replaced = provider.check(olds, news(**change)).inputs
        assert replaced["create_token"] != olds["create_token"]


def test_check_adds_no_token_to_inputs_written_before_tokens() -> None:
    """State of an earlier release: no create token in its inputs, and none is added while the
    snapshot stays (the engine would otherwise store changed inputs for no change)."""
    provider = StorageGatewaySnapshotProvider()
    olds = {k: v for k, v in provider.check({}, news()).inputs.items() if k != "create_token"}
    assert "create_token" not in provider.check(olds, news()).inputs
    assert "create_token" in provider.check(olds, news(description="new")).inputs


def test_a_token_in_the_programs_inputs_is_not_taken() -> None:
    """Only check makes tokens: a value sent by a program is replaced."""
    provider = StorageGatewaySnapshotProvider()
    token = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert provider.check({}, news(create_token=token)).inputs["create_token"] != token
