"""The owner tag and reading `pulumi stack export` output for `orphans` (pure, no AWS)."""

from __future__ import annotations

from typing import Any

import pytest

from sg_snapshot_provider.inputs import (
    OWNER_TAG,
    owner_tag_value,
    parse_args,
    tag_problems,
    without_provider_tags,
)
from sg_snapshot_provider.orphans import StateError, read_state

VOLUME = "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
SNAPSHOT_TYPE = "pulumi-python:dynamic/storagegateway:Snapshot"


def test_owner_tag_value_is_a_valid_tag_value() -> None:
    value = owner_tag_value("proj", "dev", "nightly (root)#1")
    assert value == "proj/dev/nightly _root__1"
    assert tag_problems("k", value) == []
    assert len(owner_tag_value("p", "s", "x" * 500)) == 256


def test_the_owner_tag_is_reserved_and_hidden() -> None:
    assert any("reserved" in p for p in tag_problems(OWNER_TAG, "mine"))
    assert without_provider_tags({OWNER_TAG: "p/s/r", "team": "a"}) == {"team": "a"}


def test_stack_resource_is_normalised_never_a_failure() -> None:
    args, failures = parse_args(
        {"volume_arn": VOLUME, "description": "d", "stack_resource": "p/s/a:b|c"}
    )
    assert failures == []
    assert args is not None
    assert args.stack_resource == "p/s/a:b_c"
    args, failures = parse_args({"volume_arn": VOLUME, "description": "d", "stack_resource": 5})
    assert failures == []
    assert args is not None
    assert "stack_resource" not in args.to_props()


def export(resources: list[dict[str, Any]], pending: list[dict[str, Any]]) -> dict[str, Any]:
    stack = {"urn": "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", "type": "x"}
    return {
        "version": 3,
        "deployment": {"resources": [stack, *resources], "pending_operations": pending},
    }


def test_read_state_finds_stack_snapshots_and_regions() -> None:
    state = read_state(
        export(
            [
                {
                    "urn": "urn:pulumi:dev::proj::" + SNAPSHOT_TYPE + "::a",
                    "type": SNAPSHOT_TYPE,
                    "id": "snap-0123456789abcdef0",
                    "outputs": {"region": "us-east-1"},
                },
                {
                    "urn": "urn:pulumi:dev::proj::aws:ebs/volume:Volume::v",
                    "type": "aws:ebs/volume:Volume",
                    "id": "vol-1",
                    "outputs": {"snapshotId": "snap-fedcba9876543210f"},
                },
            ],
            [
                {
                    "type": "creating",
                    "resource": {"type": SNAPSHOT_TYPE, "inputs": {"volume_arn": VOLUME}},
                }
            ],
        )
    )
    assert (state.project, state.stack) == ("proj", "dev")
    assert state.owner_prefix == "proj/dev/"
    # Only the package's resources hold our snapshots; another resource's output is not ours.
    assert state.snapshot_ids == {"snap-0123456789abcdef0"}
    assert state.regions == {"us-east-1", "eu-west-1"}


@pytest.mark.parametrize("exported", [{}, {"deployment": []}, {"resources": []}])
def test_read_state_refuses_what_is_not_an_export(exported: dict[str, Any]) -> None:
    with pytest.raises(StateError):
        read_state(exported)
