"""The series provider against the emulator with ``aws:ignoreTags``: a tag someone else puts on
the series' snapshots (a backup tool) is never reported, diffed or removed, as pulumi-aws
treats ignored tags."""

from __future__ import annotations

import json
from typing import Any

from mypy_boto3_ec2 import EC2Client
from pulumi.dynamic import Config, ConfigureRequest

from sg_snapshot_provider import SnapshotSeriesProvider
from sg_snapshot_provider.emulator import Emulator
from tests.aws_layer.helpers import ec2_tags, operations
from tests.conftest import VOLUME_ARN

PROVIDER = "serialized-provider"


def configured() -> SnapshotSeriesProvider:
    provider = SnapshotSeriesProvider()
    ignore = {"keys": ["CostCenter"], "keyPrefixes": ["backup:"]}
    config = {"aws:region": "us-east-1", "aws:ignoreTags": json.dumps(ignore)}
    provider.configure(ConfigureRequest(Config(raw_config=config, project_name="test")))
    return provider


def checked(provider: SnapshotSeriesProvider, **overrides: Any) -> dict[str, Any]:
    values = {"volume_arn": VOLUME_ARN, "trigger": "1", "keep": 2, **overrides}
    result = provider.check({}, {"__provider": PROVIDER, **values})
    assert result.failures == []
    return {**result.inputs, "__provider": PROVIDER}


def test_ignored_tags_are_never_sent_reported_diffed_or_removed(
    emulator: Emulator, ec2: EC2Client
) -> None:
    provider = configured()
    news = checked(provider, tags={"team": "storage", "CostCenter": "42"})
    assert news["tags_all"] == {"team": "storage"}

    created = provider.create(news)
    assert created.outs is not None
    outs = {**created.outs, "__provider": PROVIDER}
    (snapshot_id,) = outs["snapshot_ids"]
    assert ec2_tags(ec2, snapshot_id) == {"team": "storage"}  # CostCenter never sent

    ec2.create_tags(Resources=[snapshot_id], Tags=[{"Key": "backup:plan", "Value": "daily"}])
    emulator.clear_calls()

    read = provider.read(created.id, outs)
    assert read.outs is not None
    assert read.outs["tags_all"] == {"team": "storage"}
    assert provider.diff(created.id, {**read.outs, "__provider": PROVIDER}, news).changes is False

    retag = checked(provider, tags={"env": "prod", "CostCenter": "43"})
    assert provider.diff(created.id, outs, retag).changes is True
    provider.update(created.id, outs, retag)

    assert operations(emulator) == ["DescribeSnapshots", "DeleteTags", "CreateTags"]
    assert ec2_tags(ec2, snapshot_id) == {"env": "prod", "backup:plan": "daily"}
