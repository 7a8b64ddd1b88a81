"""Stack config reaches the provider through the plugin's Configure, as pulumi-aws users expect:
endpoints from ``aws:endpoints``, default tags from ``aws:defaultTags``, and the region of the
volume winning over ``aws:region``."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sg_snapshot_harness import Engine, PluginProcess, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REPO_ROOT, VOLUME_ARN

DEFAULT_TAGS = {"owner": "platform", "team": "default-team"}


@pytest.fixture(scope="module")
def configured_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """A plugin with no AWS_ENDPOINT_URL at all: only the stack config says where AWS is."""
    process = start_plugin(None, cwd=REPO_ROOT)
    try:
        process.configure(
            {
                "aws:region": "us-west-2",
                "aws:endpoints": json.dumps(
                    [{"storagegateway": emulator_server.url, "ec2": emulator_server.url}]
                ),
                "aws:defaultTags": json.dumps({"tags": DEFAULT_TAGS}),
                "aws:maxRetries": "2",
            }
        )
        yield process
    finally:
        process.cleanup()


def test_endpoints_default_tags_and_volume_region(
    configured_plugin: PluginProcess, emulator: Emulator, ec2: Ec2View
) -> None:
    engine = Engine(configured_plugin, StorageGatewaySnapshotProvider())
    inputs = {"volume_arn": VOLUME_ARN, "description": "configured", "tags": {"team": "storage"}}

    created = engine.up("snap", inputs)

    merged = {"owner": "platform", "team": "storage"}
    assert created.outputs["tags"] == {"team": "storage"}
    assert created.outputs["tags_all"] == merged
    assert created.outputs["region"] == "us-east-1"
    assert ec2.tags(created.id) == merged  # the us-east-1 view: the volume's region won
    assert engine.up("snap", inputs).kind is StepKind.SAME
    assert engine.refresh("snap").outputs["tags"] == {"team": "storage"}
    assert engine.up("snap", inputs).kind is StepKind.SAME
    engine.destroy("snap")
    assert ec2.snapshot_ids() == set()
