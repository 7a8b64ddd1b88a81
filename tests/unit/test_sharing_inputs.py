"""The pure rules of sharing and the restore test: what is accepted, what is refused (naming
the property), what a change costs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sg_snapshot_provider.inputs import UNKNOWN, Failure
from sg_snapshot_provider.inputs.restore_check import (
    RestoreCheck,
    RestoreResult,
    check_verify_restore,
    kept_volume_of,
)
from sg_snapshot_provider.inputs.series import diff_series, parse_series_args
from sg_snapshot_provider.inputs.sharing import (
    SharingChanges,
    accounts_of_members,
    check_account_ids,
    is_default_ebs_key,
    sharing_changes,
    sharing_differs,
)
from sg_snapshot_provider.inputs.snapshot import diff_props, parse_args
from tests.conftest import VOLUME_ARN

A, B, C = "111111111111", "222222222222", "333333333333"
accounts = st.sets(st.sampled_from([A, B, C, "444444444444"]))


def test_accounts_are_sorted_without_repeats() -> None:
    failures: list[Failure] = []
    assert check_account_ids([B, A, B], failures) == (A, B)
    assert failures == []


@pytest.mark.parametrize(
    "value",
    [A, ["12345678901"], ["1234567890123"], ["all"], [123456789012], [None], {"a": A}],
)
def test_bad_accounts_name_the_property(value: Any) -> None:
    failures: list[Failure] = []
    assert check_account_ids(value, failures) is None
    assert failures
    assert all(f.property.startswith("share_with_account_ids") for f in failures)
    assert all("12 digits" in f.reason for f in failures)


def test_a_bad_account_is_never_shown() -> None:
    """Any input may be a secret: the failure says its length, not its text."""
    failures: list[Failure] = []
    check_account_ids(["secret-text"], failures)
    assert "secret" not in failures[0].reason


def test_unknown_accounts_stay_unknown() -> None:
    assert check_account_ids([A, UNKNOWN], []) is UNKNOWN
    assert check_account_ids(UNKNOWN, []) is UNKNOWN


@given(accounts, accounts)
def test_changes_are_the_difference(have: set[str], want: set[str]) -> None:
    changes = sharing_changes(have, want)
    assert (set(have) | set(changes.add)) - set(changes.remove) == want
    assert not set(changes.add) & have
    assert set(changes.remove) <= have
    assert changes.empty == (have == want)


@given(st.lists(accounts, min_size=1, max_size=4), accounts)
def test_members_report_what_an_update_must_fix(actual: list[set[str]], declared: set[str]) -> None:
    """Applying the difference between the report and the declared list to every member makes
    every member share with exactly the declared accounts."""
    reported = accounts_of_members(actual, declared)
    changes = sharing_changes(reported, declared)
    for have in actual:
        assert (have | set(changes.add)) - set(changes.remove) == declared
    if all(have == declared for have in actual):
        assert changes == SharingChanges()


def test_left_out_and_empty_differ() -> None:
    """An empty list manages sharing (nothing shared); a missing one does not."""
    assert sharing_differs({}, {"share_with_account_ids": []})
    assert not sharing_differs({}, {})
    assert not sharing_differs({"share_with_account_ids": [A]}, {"share_with_account_ids": [A]})


def test_default_key() -> None:
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    ids = (arn, "1234abcd-12ab-34cd-56ef-1234567890ab")
    assert is_default_ebs_key(arn, ids)
    assert is_default_ebs_key("1234abcd-12ab-34cd-56ef-1234567890ab", ids)
    assert not is_default_ebs_key(arn.replace("1234abcd", "9999abcd"), ids)
    assert is_default_ebs_key(None, ids)  # encrypted, no key named: the default one


def test_snapshot_inputs_without_sharing_are_as_before() -> None:
    """Upgrades: inputs that never named sharing normalise as before and plan nothing."""
    props = {"volume_arn": VOLUME_ARN, "description": "nightly"}
    args, _ = parse_args(props)
    assert args is not None
    assert "share_with_account_ids" not in args.to_props()
    assert not diff_props(args.to_props(), args.to_props()).changes


def test_sharing_is_an_update_in_place() -> None:
    props = {"volume_arn": VOLUME_ARN, "description": "nightly"}
    old, _ = parse_args(props)
    new, _ = parse_args({**props, "share_with_account_ids": [A]})
    assert old is not None
    assert new is not None
    diff = diff_props(old.to_props(), new.to_props())
    assert diff.replaces == []
    assert diff.updates == ["share_with_account_ids"]


# --- the restore test -----------------------------------------------------------------------


def test_restore_check_defaults_to_deleting_the_volume() -> None:
    assert check_verify_restore({"availability_zone": "us-east-1a"}, "us-east-1", []) == (
        RestoreCheck("us-east-1a", keep_volume=False)
    )
    local_zone = {"availability_zone": "us-west-2-lax-1a", "keep_volume": True}
    assert check_verify_restore(local_zone, "us-west-2", []) == RestoreCheck(
        "us-west-2-lax-1a", keep_volume=True
    )
    # the zone alone is the short form
    assert check_verify_restore("us-east-1b", "us-east-1", []) == RestoreCheck("us-east-1b")


@pytest.mark.parametrize(
    ("value", "where"),
    [
        (["us-east-1a"], "verify_restore"),
        ("eu-west-1a", 'verify_restore["availability_zone"]'),
        ({}, 'verify_restore["availability_zone"]'),
        ({"availability_zone": "eu-west-1a"}, 'verify_restore["availability_zone"]'),
        ({"availability_zone": "us-east-1"}, 'verify_restore["availability_zone"]'),
        ({"availability_zone": "us-east-11a"}, 'verify_restore["availability_zone"]'),
        ({"availability_zone": "us-east-1a", "keep_volume": "no"}, 'verify_restore["keep_volume"]'),
        ({"availability_zone": "us-east-1a", "size": 8}, 'verify_restore["size"]'),
    ],
)
def test_bad_restore_checks_name_the_property(value: Any, where: str) -> None:
    failures: list[Failure] = []
    assert check_verify_restore(value, "us-east-1", failures) is None
    assert where in [f.property for f in failures]


def test_series_restore_check_is_an_update() -> None:
    base = {"volume_arn": VOLUME_ARN, "trigger": "1", "keep": 2}
    old, _ = parse_series_args(base)
    new, _ = parse_series_args({**base, "verify_restore": {"availability_zone": "us-east-1c"}})
    assert old is not None
    assert new is not None
    assert "verify_restore" not in old.to_props()
    diff = diff_series(old.to_props(), new.to_props())
    assert diff.updates == ["verify_restore"]
    assert not diff_series(new.to_props(), new.to_props()).changes


def test_last_restore_check_output() -> None:
    kept = RestoreResult(
        "2026-12-02T00:00:00+00:00", "snap-0123456789abcdef0", "passed", "vol-1", 8
    )
    assert kept.to_output() == {
        "time": "2026-12-02T00:00:00+00:00",
        "snapshot_id": "snap-0123456789abcdef0",
        "result": "passed",
        "volume_size_gib": 8,
        "volume_id": "vol-1",
    }
    assert kept_volume_of({"last_restore_check": kept.to_output()}) == "vol-1"
    assert kept_volume_of({}) is None


@pytest.mark.parametrize(
    ("parse", "base"),
    [
        (parse_args, {"volume_arn": VOLUME_ARN, "description": "nightly"}),
        (parse_series_args, {"volume_arn": VOLUME_ARN, "trigger": "1", "keep": 2}),
    ],
)
def test_sharing_an_archived_snapshot_is_refused_before_any_call(parse: Any, base: Any) -> None:
    """EC2 stops sharing a snapshot it archives: both declared would fight at every update."""
    args, failures = parse({**base, "share_with_account_ids": [A], "storage_tier": "archive"})
    assert args is None
    assert [f.property for f in failures] == ["share_with_account_ids"]
    assert 'storage_tier "archive"' in failures[0].reason
    # Either alone, or sharing with nobody, is accepted.
    for alone in ({"share_with_account_ids": [A]}, {"storage_tier": "archive"}):
        assert parse({**base, **alone})[1] == []
    assert parse({**base, "share_with_account_ids": [], "storage_tier": "archive"})[1] == []
