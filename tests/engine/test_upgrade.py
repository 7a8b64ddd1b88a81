"""Upgrade safety: state written by an earlier release must keep working with this code.

tests/data/golden_* hold the serialized provider and a snapshot's state as stacks hold them
today (made by scripts/make_golden_state.py). The plugin must deserialize that provider string
and, with that state, read, re-tag and delete a snapshot. If this fails, the change breaks
existing stacks: fix the code; regenerate the files only for an intended state-format change.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import boto3
import dill
import pytest

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.testing import (
    PROVIDER_KEY,
    SNAPSHOT_TYPE,
    Engine,
    PluginProcess,
    ResourceState,
    StepKind,
)
from sg_snapshot_provider.testing.ec2 import Ec2View
from tests.conftest import REGION

DATA = Path(__file__).parents[1] / "data"
GOLDEN_PROVIDER = (DATA / "golden_provider.txt").read_text().strip()


def golden_bag(file_name: str, old_id: str, new_id: str) -> dict[str, Any]:
    """A golden property bag with the snapshot ID replaced and the golden provider added."""
    text = (DATA / file_name).read_text().replace(old_id, new_id)
    return {**json.loads(text), PROVIDER_KEY: GOLDEN_PROVIDER}


def take_snapshot_behind_the_provider(
    emulator: Emulator, volume_arn: str, tags: dict[str, str]
) -> str:
    """A snapshot like the one the golden state describes, made without the provider."""
    client = boto3.client("storagegateway", region_name=REGION, endpoint_url=emulator.url)
    answer = client.create_snapshot(
        VolumeARN=volume_arn,
        SnapshotDescription="golden snapshot",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return str(answer["SnapshotId"]).lower()


@pytest.fixture
def golden_state(emulator: Emulator) -> ResourceState:
    outputs = json.loads((DATA / "golden_outputs.json").read_text())
    old_id = outputs["snapshot_id"]
    new_id = take_snapshot_behind_the_provider(emulator, outputs["volume_arn"], outputs["tags_all"])
    emulator.clear_calls()
    return ResourceState(
        name="golden",
        type=SNAPSHOT_TYPE,
        id=new_id,
        inputs=golden_bag("golden_inputs.json", old_id, new_id),
        outputs=golden_bag("golden_outputs.json", old_id, new_id),
    )


def test_golden_provider_is_the_current_class() -> None:
    provider = dill.loads(base64.b64decode(GOLDEN_PROVIDER))
    assert isinstance(provider, StorageGatewaySnapshotProvider)


def test_golden_state_reads_retags_and_deletes(
    plugin: PluginProcess, golden_state: ResourceState, ec2: Ec2View
) -> None:
    engine = Engine(plugin, GOLDEN_PROVIDER)
    engine.adopt(golden_state)
    inputs = {key: value for key, value in golden_state.inputs.items() if key != "tags_all"}

    assert engine.refresh("golden").kind is StepKind.REFRESH
    assert engine.up("golden", inputs).kind is StepKind.SAME

    retagged = engine.up("golden", {**inputs, "tags": {"team": "storage", "reviewed": "yes"}})
    assert (retagged.kind, retagged.id) == (StepKind.UPDATE, golden_state.id)
    assert ec2.tags(golden_state.id) == {"team": "storage", "reviewed": "yes"}

    assert engine.destroy("golden").kind is StepKind.DELETE
    assert ec2.snapshot_ids() == set()
