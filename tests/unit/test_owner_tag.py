"""The owner tag: a valid tag value, reserved, hidden, never a check failure."""

from __future__ import annotations

from sg_snapshot_provider.inputs import (
    OWNER_TAG,
    owner_tag_value,
    parse_args,
    tag_problems,
    without_provider_tags,
)

VOLUME = "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"


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
