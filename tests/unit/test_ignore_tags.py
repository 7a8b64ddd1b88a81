"""aws:ignoreTags in the pure tag arithmetic: ignored tags are never sent, diffed, removed or
reported, as pulumi-aws treats them."""

from __future__ import annotations

from sg_snapshot_provider.inputs import (
    IgnoreTags,
    diff_props,
    parse_args,
    resource_tags_from_actual,
    tag_changes,
)
from tests.conftest import VOLUME_ARN

IGNORE = IgnoreTags(keys=("CostCenter",), key_prefixes=("backup:",))


def test_ignores__exact_keys_and_prefixes() -> None:
    assert IGNORE.ignores("CostCenter")
    assert IGNORE.ignores("backup:plan")
    assert not IGNORE.ignores("costcenter")  # case counts, as in pulumi-aws
    assert not IGNORE.ignores("team")
    assert not IgnoreTags()
    assert not IgnoreTags().ignores("anything")


def test_parse_args__tags_all_leaves_ignored_tags_out() -> None:
    props = {
        "volume_arn": VOLUME_ARN,
        "description": "d",
        "tags": {"team": "storage", "CostCenter": "42"},
    }
    args, failures = parse_args(props, {"backup:plan": "daily", "owner": "ops"}, IGNORE)

    assert failures == []
    assert args is not None
    assert args.tags == {"team": "storage", "CostCenter": "42"}  # the inputs stay as written
    assert args.tags_all == {"team": "storage", "owner": "ops"}


def test_diff_props__a_change_of_an_ignored_tag_is_no_change() -> None:
    olds = {
        "volume_arn": VOLUME_ARN,
        "description": "d",
        "tags": {"team": "storage", "CostCenter": "1"},
        "tags_all": {"team": "storage"},
    }
    news = {**olds, "tags": {"team": "storage", "CostCenter": "2", "backup:x": "y"}}

    assert not diff_props(olds, news, IGNORE).changes
    assert diff_props(olds, news).updates == ["tags"]


def test_tag_changes__never_deletes_or_sets_an_ignored_tag() -> None:
    old = {"team": "storage", "backup:plan": "daily", "CostCenter": "1"}
    new = {"team": "platform", "CostCenter": "2"}

    changes = tag_changes(old, new, IGNORE)

    assert changes.to_delete == ()
    assert dict(changes.to_set) == {"team": "platform"}
    assert tag_changes(old, new).to_delete == ("backup:plan",)


def test_resource_tags_from_actual__ignored_tags_are_not_reported() -> None:
    actual = {"team": "storage", "backup:plan": "daily", "CostCenter": "9"}
    previous = {"team": "storage", "CostCenter": "1"}

    tags = resource_tags_from_actual(actual, {}, previous, IGNORE)

    # The one on EC2 only is left out; the declared one stays as declared, so a refresh does
    # not make it look changed.
    assert tags == {"team": "storage", "CostCenter": "1"}
