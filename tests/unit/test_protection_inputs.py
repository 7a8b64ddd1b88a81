"""The archive tier's and the lock's inputs: refused before any AWS call with the property and
the rule named; and the lock changes EC2 refuses after a compliance lock's cooling-off period
(who could be hurt: the owner of a locked snapshot, if a change slipped through)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sg_snapshot_provider.inputs import UNKNOWN, diff_props, parse_args
from sg_snapshot_provider.inputs.protection import (
    LOCK_COOL_OFF_EXPIRES_ON,
    LOCK_DURATION_START_TIME,
    LOCK_EXPIRES_ON,
    LOCK_STATE,
    LOCKED_UNTIL,
    lock_change_refusal,
    moment_text,
    still_locked,
)
from sg_snapshot_provider.inputs.series import diff_series, parse_series_args
from tests.conftest import VOLUME_ARN

NOW = datetime(2027, 1, 1, tzinfo=UTC)
BASE = {"volume_arn": VOLUME_ARN, "description": "nightly"}
SERIES = {"volume_arn": VOLUME_ARN, "trigger": "1", "keep": 2}


def failures_of(**extra: Any) -> dict[str, str]:
    args, failures = parse_args({**BASE, **extra})
    assert (args is None) == bool(failures)
    return {f.property: f.reason for f in failures}


def series_failures_of(**extra: Any) -> dict[str, str]:
    _, failures = parse_series_args({**SERIES, **extra})
    return {f.property: f.reason for f in failures}


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "prop", "words"),
    [
        ({"storage_tier": "glacier"}, "storage_tier", '"standard" or "archive"'),
        ({"storage_tier": 1}, "storage_tier", "number"),
        ({"lock_mode": "legal-hold", "lock_duration_days": 1}, "lock_mode", '"governance"'),
        ({"lock_mode": "governance"}, "lock_mode", "neither"),
        (
            {
                "lock_mode": "governance",
                "lock_duration_days": 1,
                "lock_expiration_date": "2030-01-01Z",
            },
            "lock_mode",
            "both",
        ),
        ({"lock_mode": "governance", "lock_duration_days": 0}, "lock_duration_days", "1 to 36500"),
        ({"lock_mode": "governance", "lock_duration_days": 36501}, "lock_duration_days", "36500"),
        ({"lock_mode": "governance", "lock_duration_days": 1.5}, "lock_duration_days", "whole"),
        ({"lock_duration_days": 3}, "lock_duration_days", "needs lock_mode"),
        ({"lock_cool_off_hours": 3}, "lock_cool_off_hours", "needs lock_mode"),
        (
            {"lock_mode": "compliance", "lock_duration_days": 3, "lock_cool_off_hours": 73},
            "lock_cool_off_hours",
            "1 to 72",
        ),
        (
            {"lock_mode": "governance", "lock_duration_days": 3, "lock_cool_off_hours": 1},
            "lock_cool_off_hours",
            "compliance",
        ),
        (
            {"lock_mode": "governance", "lock_expiration_date": "2030-01-01T00:00:00"},
            "lock_expiration_date",
            "UTC offset",
        ),
        ({"restore_tier_days": 3}, "restore_tier_days", 'storage_tier="archive"'),
        ({"storage_tier": "standard", "restore_tier_days": 3}, "restore_tier_days", "for good"),
        ({"storage_tier": "archive", "restore_tier_days": 181}, "restore_tier_days", "1 to 180"),
    ],
)
def test_bad_protection_inputs__named_with_their_rule(
    extra: dict[str, Any], prop: str, words: str
) -> None:
    failures = failures_of(**extra)
    assert prop in failures
    assert words in failures[prop]


def test_good_protection_inputs__normalised() -> None:
    args, failures = parse_args(
        {
            **BASE,
            "storage_tier": "archive",
            "restore_tier_days": 3.0,
            "lock_mode": "compliance",
            "lock_expiration_date": "2030-01-01T02:00:00+02:00",
            "lock_cool_off_hours": 24.0,
        }
    )
    assert failures == []
    assert args is not None
    props = args.to_props()
    assert props["restore_tier_days"] == 3
    assert props["lock_cool_off_hours"] == 24
    assert props["lock_expiration_date"] == "2030-01-01T00:00:00Z"


def test_no_protection_inputs__no_keys_and_no_diff_on_old_state() -> None:
    args, _ = parse_args(dict(BASE))
    assert args is not None
    props = args.to_props()
    assert not {"storage_tier", "lock_mode", "lock_duration_days"} & set(props)
    assert not diff_props(props, props).changes


def test_series__refuses_an_expiration_date_and_a_temporary_restore() -> None:
    failures = series_failures_of(
        lock_mode="governance", lock_expiration_date="2030-01-01T00:00:00Z"
    )
    assert "later snapshots unlockable" in failures["lock_expiration_date"]
    failures = series_failures_of(storage_tier="archive", restore_tier_days=2)
    assert "StorageGatewaySnapshot" in failures["restore_tier_days"]
    assert series_failures_of(lock_mode="compliance", lock_duration_days=7) == {}


def test_tier_and_lock_changes__in_place() -> None:
    args, _ = parse_args(dict(BASE))
    assert args is not None
    olds = args.to_props()
    news = {**olds, "storage_tier": "archive", "lock_mode": "governance", "lock_duration_days": 3}
    result = diff_props(olds, news)
    assert result.replaces == []
    assert set(result.updates) == {"storage_tier", "lock_mode", "lock_duration_days"}


# --- what EC2 refuses after a compliance lock's cooling-off period ---------------------------


def compliance_outputs(state: str = "compliance", **extra: Any) -> dict[str, Any]:
    return {
        **BASE,
        "lock_mode": "compliance",
        "lock_duration_days": 30,
        LOCK_STATE: state,
        LOCK_DURATION_START_TIME: moment_text(NOW - timedelta(days=1)),
        LOCK_EXPIRES_ON: moment_text(NOW + timedelta(days=29)),
        **extra,
    }


@pytest.mark.parametrize(
    ("news", "words"),
    [
        ({}, "cannot be removed"),
        ({"lock_mode": "governance", "lock_duration_days": 30}, "cannot become a governance lock"),
        ({"lock_mode": "compliance", "lock_duration_days": 10}, "declare an end on or after"),
        (
            {
                "lock_mode": "compliance",
                "lock_expiration_date": moment_text(NOW + timedelta(days=2)),
            },
            "declare an end on or after",
        ),
    ],
)
def test_compliance_past_cool_off__removing_weakening_shortening_refused(
    news: dict[str, Any], words: str
) -> None:
    refusal = lock_change_refusal(compliance_outputs(), {**BASE, **news}, NOW)
    assert refusal is not None
    assert words in refusal
    assert refusal.startswith("lock_mode: ")


def test_compliance_past_cool_off__lengthening_allowed() -> None:
    news = {**BASE, "lock_mode": "compliance", "lock_duration_days": 60}
    assert lock_change_refusal(compliance_outputs(), news, NOW) is None


def test_cool_off_governance_expired__any_change_allowed() -> None:
    cooling = compliance_outputs(
        "compliance-cooloff", **{LOCK_COOL_OFF_EXPIRES_ON: moment_text(NOW + timedelta(hours=1))}
    )
    governed = {**compliance_outputs("governance"), "lock_mode": "governance"}
    expired = compliance_outputs(**{LOCK_EXPIRES_ON: moment_text(NOW - timedelta(seconds=1))})
    for olds in (cooling, governed, expired):
        assert lock_change_refusal(olds, dict(BASE), NOW) is None


def test_cool_off_recorded_but_over__treated_as_compliance() -> None:
    """The state says "compliance-cooloff" from the last refresh, but the cooling-off period has
    ended since: EC2 would refuse, so the diff does too."""
    olds = compliance_outputs(
        "compliance-cooloff", **{LOCK_COOL_OFF_EXPIRES_ON: moment_text(NOW - timedelta(hours=1))}
    )
    assert lock_change_refusal(olds, dict(BASE), NOW) is not None


def test_unknown_mode_during_preview__not_refused_yet() -> None:
    assert lock_change_refusal(compliance_outputs(), {**BASE, "lock_mode": UNKNOWN}, NOW) is None


# --- a series' locked members ----------------------------------------------------------------


def test_series_with_locked_members_beyond_keep__plans_nothing() -> None:
    until = moment_text(datetime.now(UTC) + timedelta(days=5))
    olds = {
        **SERIES,
        "snapshot_ids": ["snap-00000003", "snap-00000002", "snap-00000001"],
        LOCKED_UNTIL: {"snap-00000001": until},
    }
    args, _ = parse_series_args(dict(SERIES))
    assert args is not None
    assert not diff_series(olds, args.to_props()).changes
    unlocked = {**olds, LOCKED_UNTIL: {}}
    assert diff_series(unlocked, args.to_props()).updates == ["snapshot_ids"]


def test_still_locked__ends_drop_out() -> None:
    outputs = {
        LOCKED_UNTIL: {
            "snap-0000000a": moment_text(NOW + timedelta(days=1)),
            "snap-0000000b": moment_text(NOW - timedelta(days=1)),
        }
    }
    assert set(still_locked(outputs, NOW)) == {"snap-0000000a"}


@settings(max_examples=300, deadline=None)
@given(
    old_days=st.integers(1, 400),
    started_days_ago=st.integers(0, 30),
    new_days=st.one_of(st.none(), st.integers(1, 36500)),
    new_date_in_days=st.one_of(st.none(), st.integers(-10, 800)),
    new_mode=st.sampled_from([None, "governance", "compliance"]),
)
def test_property__no_accepted_change_ends_a_fixed_compliance_lock_earlier(
    old_days: int,
    started_days_ago: int,
    new_days: int | None,
    new_date_in_days: int | None,
    new_mode: str | None,
) -> None:
    """Whatever the new inputs, a compliance lock past its cooling-off period is never removed,
    weakened or made to end earlier by a change the provider lets through."""
    start = NOW - timedelta(days=started_days_ago)
    until = start + timedelta(days=old_days)
    assume(until > NOW)
    olds = compliance_outputs(
        lock_duration_days=old_days,
        **{
            LOCK_DURATION_START_TIME: moment_text(start),
            LOCK_EXPIRES_ON: moment_text(until),
        },
    )
    news: dict[str, Any] = {**BASE}
    if new_mode is not None:
        news["lock_mode"] = new_mode
    if new_days is not None:
        news["lock_duration_days"] = new_days
    if new_date_in_days is not None:
        news["lock_expiration_date"] = moment_text(NOW + timedelta(days=new_date_in_days))
    checked, _ = parse_args(news)
    assume(checked is not None)  # what check accepts is all diff and update ever see
    assert checked is not None
    if lock_change_refusal(olds, checked.to_props(), NOW) is not None:
        return
    assert new_mode == "compliance"
    ends: list[datetime] = []
    if new_date_in_days is not None:
        ends.append(NOW + timedelta(days=new_date_in_days))
    elif new_days is not None:
        ends.append(start + timedelta(days=new_days))
    assert min(ends) >= until
