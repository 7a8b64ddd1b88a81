"""diff_props and the provider's diff: the diff rules, case by case (0 AWS calls)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.output import Unknown as PulumiUnknown
from pulumi.runtime import rpc

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.inputs import UNKNOWN, diff_props

VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
)
INPUTS: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "description": "nightly",
    "tags": {"team": "storage"},
    "wait_for_completion": False,
    "completion_timeout_seconds": 3600,
    "triggers": {"release": "1"},
    "tags_all": {"team": "storage", "owner": "ops"},
}
OUTPUTS: dict[str, Any] = {
    **INPUTS,
    "__provider": "serialized-provider",
    "snapshot_id": "snap-0123456789abcdef0",
    "arn": "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
    "region": "us-east-1",
    "account_id": "111122223333",
    "gateway_arn": VOLUME_ARN.split("/volume/")[0],
    "volume_id": "vol-1122AABB",
    "state": "completed",
    "progress": "100%",
    "start_time": "2026-01-01T00:00:00+00:00",
}


def news(**changes: Any) -> dict[str, Any]:
    return {**INPUTS, "__provider": "serialized-provider", **changes}


def test_no_change_means_no_changes() -> None:
    result = diff_props(OUTPUTS, news())
    assert (result.changes, result.replaces, result.updates) == (False, [], [])


def test_provider_key_alone_is_never_a_change() -> None:
    assert not diff_props(OUTPUTS, news(__provider="another-serialization")).changes
    olds = {k: v for k, v in OUTPUTS.items() if k != "__provider"}
    assert not diff_props(olds, news()).changes


def test_output_only_keys_are_ignored() -> None:
    # New inputs never carry output-only keys; the old outputs do.
    olds = {**OUTPUTS, "state": "pending", "progress": "3%", "owner_id": "1"}
    assert not diff_props(olds, news()).changes


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("volume_arn", VOLUME_ARN.replace("vol-1122AABB", "vol-3344CCDD")),
        ("description", "weekly"),
        ("triggers", {"release": "2"}),
        ("triggers", {}),
    ],
)
def test_replace_keys(key: str, value: Any) -> None:
    result = diff_props(OUTPUTS, news(**{key: value}))
    assert result.replaces == [key]
    assert result.changes


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("tags", {"team": "backup"}),
        ("wait_for_completion", True),
        ("completion_timeout_seconds", 60),
    ],
)
def test_update_keys(key: str, value: Any) -> None:
    result = diff_props(OUTPUTS, news(**{key: value}))
    assert result.replaces == []
    assert result.updates == [key]


def test_tags_all_change_alone_is_an_update() -> None:
    # A change of aws:defaultTags changes only tags_all.
    result = diff_props(OUTPUTS, news(tags_all={"team": "storage", "owner": "platform"}))
    assert (result.replaces, result.updates) == ([], ["tags_all"])


def test_tag_drift_seen_by_read_wants_an_update() -> None:
    drifted = {**OUTPUTS, "tags": {"team": "storage", "oob": "1"}}
    drifted["tags_all"] = {**OUTPUTS["tags_all"], "oob": "1"}
    assert diff_props(drifted, news()).updates == ["tags", "tags_all"]


def test_wire_floats_equal_ints() -> None:
    assert not diff_props({**OUTPUTS, "completion_timeout_seconds": 3600.0}, news()).changes


def test_missing_keys_compare_as_their_defaults() -> None:
    olds = {"volume_arn": VOLUME_ARN, "description": "nightly"}
    new: dict[str, Any] = {"volume_arn": VOLUME_ARN, "description": "nightly", "tags": {}}
    new["triggers"] = {}
    new |= {"wait_for_completion": False, "completion_timeout_seconds": 3600, "tags_all": {}}
    assert not diff_props(olds, new).changes


@pytest.mark.parametrize("key", ["volume_arn", "description", "triggers"])
def test_unknown_replace_key_means_replace(key: str) -> None:
    assert diff_props(OUTPUTS, news(**{key: UNKNOWN})).replaces == [key]


def test_nested_unknown_replace_key_means_replace() -> None:
    assert diff_props(OUTPUTS, news(triggers={"release": UNKNOWN})).replaces == ["triggers"]


def test_unknown_update_key_means_update() -> None:
    result = diff_props(OUTPUTS, news(tags={"team": UNKNOWN}, tags_all=UNKNOWN))
    assert (result.replaces, result.updates) == ([], ["tags", "tags_all"])


# --- through the provider (how the plugin calls it) -----------------------------------------


def test_provider_diff_no_change() -> None:
    result = StorageGatewaySnapshotProvider().diff("snap-1", OUTPUTS, news())
    assert result.changes is False
    assert result.replaces == []


def test_provider_diff_replace_on_pulumi_unknown() -> None:
    provider = StorageGatewaySnapshotProvider()
    result = provider.diff("snap-1", OUTPUTS, news(description=PulumiUnknown()))
    assert result.changes is True
    assert result.replaces == ["description"]
    result = provider.diff("snap-1", OUTPUTS, news(triggers={"release": rpc.UNKNOWN}))
    assert result.replaces == ["triggers"]


def test_provider_diff_update_only() -> None:
    result = StorageGatewaySnapshotProvider().diff("snap-1", OUTPUTS, news(tags={}))
    assert result.changes is True
    assert result.replaces == []


def test_provider_diff_with_unknown_provider_key() -> None:
    result = StorageGatewaySnapshotProvider().diff("snap-1", OUTPUTS, news(__provider=rpc.UNKNOWN))
    assert result.changes is False


def test_from_recovery_point_and_adopt_snapshot_id_replace() -> None:
    assert diff_props(OUTPUTS, {**INPUTS, "from_recovery_point": True}).replaces == [
        "from_recovery_point"
    ]
    adopted = {**OUTPUTS, "adopt_snapshot_id": "snap-0123456789abcdef0"}
    news = {**INPUTS, "adopt_snapshot_id": "snap-fedcba9876543210f"}
    assert diff_props(adopted, news).replaces == ["adopt_snapshot_id"]


def test_state_from_before_the_new_inputs_plans_no_change() -> None:
    """Old outputs have neither key; the checked inputs of the same program leave both out."""
    assert diff_props(OUTPUTS, {**INPUTS, "stack_resource": "p/s/r"}).changes is False


def test_an_adopted_snapshot_without_a_declared_description_keeps_ec2s() -> None:
    adopted = {**OUTPUTS, "adopt_snapshot_id": "snap-0123456789abcdef0"}
    news = {k: v for k, v in INPUTS.items() if k != "description"}
    news["adopt_snapshot_id"] = "snap-0123456789abcdef0"
    assert diff_props(adopted, news).changes is False
