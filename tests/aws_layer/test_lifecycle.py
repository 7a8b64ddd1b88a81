"""The provider against the emulator, call by call, counting AWS requests (the
table of calls per engine call in docs/snapshot.md)."""

from __future__ import annotations

from typing import Any

import pytest
from mypy_boto3_ec2 import EC2Client

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.aws_layer.conftest import DEFAULT_TAGS
from tests.aws_layer.helpers import PROVIDER, checked, ec2_tags, inputs, operations, snapshot_ids
from tests.conftest import ACCOUNT_ID, GATEWAY_ARN, REGION

INPUT_KEYS = (
    "volume_arn",
    "description",
    "tags",
    "wait_for_completion",
    "completion_timeout_seconds",
    "triggers",
)


def test_check__makes_no_aws_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    result = provider.check({}, inputs())
    assert result.failures == []
    assert result.inputs["tags_all"] == {**DEFAULT_TAGS, "team": "storage", "app": "files"}
    assert emulator.calls() == []


def test_create__basic(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    props = checked(provider, triggers={"release": "2026.11"})
    emulator.clear_calls()

    result = provider.create(props)

    assert operations(emulator) == ["CreateSnapshot"]
    outs = result.outs
    assert outs is not None
    assert result.id == outs["snapshot_id"]
    assert result.id.startswith("snap-")
    for key in INPUT_KEYS:
        assert outs[key] == props[key], key
    assert outs["region"] == REGION  # from the volume ARN, not aws:region (eu-west-1)
    assert outs["account_id"] == ACCOUNT_ID
    assert outs["gateway_arn"] == GATEWAY_ARN
    assert outs["volume_id"] == "vol-1122AABB"
    assert outs["arn"] == f"arn:aws:ec2:{REGION}::snapshot/{result.id}"
    assert outs["state"] == "pending"
    assert outs["tags_all"] == {"owner": "ops", "team": "storage", "app": "files"}
    assert "__provider" not in outs
    # The snapshot is a real EBS snapshot in the volume's region, tagged with tags_all.
    assert snapshot_ids(ec2) == [result.id]
    assert ec2_tags(ec2, result.id) == {"owner": "ops", "team": "storage", "app": "files"}


def test_create__without_tags(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    props = checked(provider, tags=None)
    result = provider.create(props)
    assert result.outs is not None
    assert result.outs["tags"] == {}
    assert ec2_tags(ec2, result.id) == DEFAULT_TAGS


def test_diff__no_change_makes_no_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    props = checked(provider)
    outs = provider.create(props).outs
    assert outs is not None
    emulator.clear_calls()
    result = provider.diff("snap-x", {**outs, "__provider": PROVIDER}, props)
    assert result.changes is False
    assert emulator.calls() == []


def _create(
    provider: StorageGatewaySnapshotProvider, **overrides: object
) -> tuple[str, dict[str, Any]]:
    result = provider.create(checked(provider, **overrides))
    assert result.outs is not None
    return result.id, {**result.outs, "__provider": PROVIDER}


def test_update__tags_one_delete_and_one_create(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider, tags={"keep": "1", "change": "1", "drop": "1"})
    news = checked(provider, tags={"keep": "1", "change": "2", "add": "3"})
    assert provider.diff(snapshot_id, olds, news).replaces == []
    emulator.clear_calls()

    outs = provider.update(snapshot_id, olds, news).outs

    assert operations(emulator) == ["DeleteTags", "CreateTags"]
    assert ec2_tags(ec2, snapshot_id) == {**DEFAULT_TAGS, "keep": "1", "change": "2", "add": "3"}
    assert outs is not None
    assert outs["tags"] == {"keep": "1", "change": "2", "add": "3"}
    assert outs["tags_all"] == ec2_tags(ec2, snapshot_id)
    # Full merged outputs: computed keys survive the update.
    for key in ("snapshot_id", "arn", "region", "account_id", "gateway_arn", "volume_id", "state"):
        assert outs[key] == olds[key], key


def test_update__added_tag_only_creates(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider, tags={"a": "1"})
    emulator.clear_calls()
    provider.update(snapshot_id, olds, checked(provider, tags={"a": "1", "b": "2"}))
    assert operations(emulator) == ["CreateTags"]
    assert ec2_tags(ec2, snapshot_id) == {**DEFAULT_TAGS, "a": "1", "b": "2"}


def test_update__removed_tag_only_deletes_that_key(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider, tags={"a": "1", "b": "2"})
    emulator.clear_calls()
    provider.update(snapshot_id, olds, checked(provider, tags={"a": "1"}))
    assert operations(emulator) == ["DeleteTags"]
    assert ec2_tags(ec2, snapshot_id) == {**DEFAULT_TAGS, "a": "1"}


def test_update__timeout_only_makes_no_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    snapshot_id, olds = _create(provider)
    news = checked(provider, completion_timeout_seconds=60)
    assert provider.diff(snapshot_id, olds, news).changes is True
    emulator.clear_calls()
    outs = provider.update(snapshot_id, olds, news).outs
    assert emulator.calls() == []
    assert outs is not None
    assert outs["completion_timeout_seconds"] == 60


def test_update__wait_when_asked_and_not_completed(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    emulator.set_pending_seconds(0.5)
    snapshot_id, olds = _create(provider)
    assert olds["state"] == "pending"
    outs = provider.update(snapshot_id, olds, checked(provider, wait_for_completion=True)).outs
    assert outs is not None
    assert outs["state"] == "completed"
    assert outs["progress"] == "100%"


def test_read__reports_tag_drift_and_next_diff_wants_an_update(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider)
    ec2.create_tags(Resources=[snapshot_id], Tags=[{"Key": "oob", "Value": "1"}])
    emulator.clear_calls()

    result = provider.read(snapshot_id, olds)

    assert operations(emulator) == ["DescribeSnapshots"]
    assert result.id == snapshot_id
    outs = result.outs
    assert outs is not None
    assert outs["tags"] == {"team": "storage", "app": "files", "oob": "1"}
    assert outs["tags_all"] == {**DEFAULT_TAGS, "team": "storage", "app": "files", "oob": "1"}
    assert outs["state"] == "completed"
    assert outs["description"] == "nightly snapshot"
    assert outs["owner_id"] == ACCOUNT_ID
    assert outs["volume_size_gib"] == 1
    assert outs["encrypted"] is False
    assert outs["start_time"].startswith("20")
    diff = provider.diff(snapshot_id, {**outs, "__provider": PROVIDER}, checked(provider))
    assert diff.changes is True
    assert diff.replaces == []
    # And the update puts things back with a single DeleteTags.
    emulator.clear_calls()
    provider.update(snapshot_id, {**outs, "__provider": PROVIDER}, checked(provider))
    assert operations(emulator) == ["DeleteTags"]
    assert "oob" not in ec2_tags(ec2, snapshot_id)


def test_read__no_drift_then_no_diff(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    snapshot_id, olds = _create(provider)
    outs = provider.read(snapshot_id, olds).outs
    assert outs is not None
    assert (
        provider.diff(snapshot_id, {**outs, "__provider": PROVIDER}, checked(provider)).changes
        is False
    )


def _made_long_ago(olds: dict[str, Any]) -> dict[str, Any]:
    """The outputs as they are once the snapshot is older than EC2's visibility window."""
    return {**olds, "created_at": "2026-01-01T00:00:00+00:00"}


def test_read__disappears(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    emulator.clear_calls()
    result = provider.read(snapshot_id, _made_long_ago(olds))
    assert (result.id, result.outs) == (None, {})
    assert operations(emulator) == ["DescribeSnapshots"]


def test_read__disappears_within_the_visibility_window_is_believed_only_after_it(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    emulator.clear_calls()
    result = provider.read(snapshot_id, olds)
    assert (result.id, result.outs) == (None, {})
    assert set(operations(emulator)) == {"DescribeSnapshots"}
    assert len(operations(emulator)) >= 2  # NotFound was retried before it was believed


def test_read__state_from_before_created_at_believes_not_found_at_once(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    emulator.clear_calls()
    old_state = {k: v for k, v in olds.items() if k != "created_at"}
    assert provider.read(snapshot_id, old_state).id is None
    assert operations(emulator) == ["DescribeSnapshots"]


def test_read__by_id_only_uses_the_configured_region(
    emulator: Emulator, provider: StorageGatewaySnapshotProvider
) -> None:
    # An import (`.get(name, id)`) carries no volume ARN: the provider falls back on aws:region.
    snapshot_id, _ = _create(provider)
    from tests.aws_layer.conftest import configure

    importer = configure({"aws:region": REGION})
    result = importer.read(snapshot_id.upper(), {"__provider": PROVIDER})
    assert result.id == snapshot_id
    assert result.outs is not None
    assert result.outs["region"] == REGION
    assert result.outs["description"] == "nightly snapshot"


def test_read__throttled_raises_never_drops(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator
) -> None:
    snapshot_id, olds = _create(provider)
    emulator.inject_fault("DescribeSnapshots", "RequestLimitExceeded", status=503, times=None)
    emulator.clear_calls()
    with pytest.raises(Exception, match="RequestLimitExceeded") as caught:
        provider.read(snapshot_id, olds)
    assert snapshot_id in str(caught.value)
    # aws:maxRetries = 1: botocore retried once, then the error surfaced.
    assert operations(emulator) == ["DescribeSnapshots", "DescribeSnapshots"]


def test_delete__one_call(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider)
    emulator.clear_calls()
    provider.delete(snapshot_id, olds)
    assert operations(emulator) == ["DeleteSnapshot"]
    assert snapshot_ids(ec2) == []


def test_delete__already_gone_is_success(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    snapshot_id, olds = _create(provider)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    emulator.clear_calls()
    provider.delete(snapshot_id, _made_long_ago(olds))
    assert operations(emulator) == ["DeleteSnapshot"]


def test_replace__create_new_then_delete_old(
    provider: StorageGatewaySnapshotProvider, emulator: Emulator, ec2: EC2Client
) -> None:
    old_id, olds = _create(provider)
    news = checked(provider, description="weekly snapshot")
    assert provider.diff(old_id, olds, news).replaces == ["description"]
    emulator.clear_calls()
    new_id = provider.create(news).id
    provider.delete(old_id, olds)
    assert operations(emulator) == ["CreateSnapshot", "DeleteSnapshot"]
    assert snapshot_ids(ec2) == [new_id]
