"""The retention rules (``inputs.retention``): what a prune must never delete first, then the
grandfather-father-son rules, the series' ``keep_days``, and the inputs' validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sg_snapshot_provider.inputs.retention import (
    SCHEDULE_TAG,
    Candidate,
    RetentionRules,
    check_keep_days,
    check_retention,
    gfs_keeps,
    prune_verdicts,
    series_deletes,
)
from sg_snapshot_provider.inputs.schedule import diff_schedule, parse_schedule_args
from sg_snapshot_provider.inputs.series import Member, diff_series, series_to_delete
from sg_snapshot_provider.inputs.tags import CREATE_TOKEN_TAG, OWNER_TAG
from sg_snapshot_provider.inputs.values import UNKNOWN, Failure

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ARN = "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B/volume/vol-1122AABB"
MARK = {SCHEDULE_TAG: ARN}


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def scheduled(sid: str, age_days: float, **tags: str) -> Candidate:
    return Candidate(sid, days_ago(age_days), {**MARK, **tags})


ONLY_NEWEST = RetentionRules(keep=1)


# --- what a prune never deletes (each case first) -------------------------------------------


@pytest.mark.parametrize(
    "tags",
    [{OWNER_TAG: "proj/stack/snap"}, {CREATE_TOKEN_TAG: "t"}, {"sg-snapshot-provider:x": "y"}],
    ids=["owner-tag", "create-token", "any-package-tag"],
)
def test_a_snapshot_held_by_a_resource_survives(tags: dict[str, str]) -> None:
    held = Candidate("snap-held", days_ago(90), {**MARK, **tags})
    verdicts = prune_verdicts([scheduled("snap-new", 0), held], ONLY_NEWEST, NOW)
    assert verdicts.delete == []
    assert "held by a resource" in verdicts.kept["snap-held"]


def test_a_locked_snapshot_survives() -> None:
    candidates = [scheduled("snap-new", 0), scheduled("snap-locked", 90)]
    verdicts = prune_verdicts(candidates, ONLY_NEWEST, NOW, locked=["snap-locked"])
    assert verdicts.delete == []
    assert verdicts.kept["snap-locked"] == "locked"


def test_a_shared_snapshot_survives() -> None:
    candidates = [scheduled("snap-new", 0), scheduled("snap-shared", 90)]
    verdicts = prune_verdicts(candidates, ONLY_NEWEST, NOW, shared=["snap-shared"])
    assert verdicts.delete == []
    assert verdicts.kept["snap-shared"].startswith("shared")


def test_a_snapshot_still_being_taken_survives_and_does_not_count() -> None:
    pending = Candidate("snap-pending", days_ago(0), MARK, state="pending")
    verdicts = prune_verdicts([pending, scheduled("snap-old", 5)], ONLY_NEWEST, NOW)
    # The newest *completed* one is kept: a pending snapshot is nothing to restore from yet.
    assert verdicts.delete == []
    assert verdicts.kept["snap-pending"] == "not completed (pending)"


def test_the_newest_survives_every_rule() -> None:
    rules = RetentionRules(keep_days=1)
    verdicts = prune_verdicts([scheduled("snap-a", 30), scheduled("snap-b", 40)], rules, NOW)
    assert verdicts.delete == ["snap-b"]


def test_snapshots_newer_than_the_rule_allows_survive() -> None:
    rules = RetentionRules(keep_days=7)
    candidates = [scheduled(f"snap-{age}", age) for age in (0, 3, 6.9, 7.1, 30)]
    verdicts = prune_verdicts(candidates, rules, NOW)
    assert verdicts.delete == ["snap-30", "snap-7.1"]  # oldest first


# --- grandfather-father-son -----------------------------------------------------------------


def test_gfs_daily_weekly_monthly() -> None:
    # One snapshot every 6 hours for 120 days.
    taken = [(f"snap-{i}", NOW - timedelta(hours=6 * i)) for i in range(480)]
    rules = RetentionRules(keep_daily=7, keep_weekly=4, keep_monthly=3)
    kept = gfs_keeps(taken, rules, NOW)
    by_id = dict(taken)
    days = {by_id[s].date() for s in kept}
    assert len({d for d in days if d > (NOW - timedelta(days=7)).date()}) == 7
    # one a day for 7 days, plus at most 4 weeks and 3 months, some shared
    assert 7 <= len(kept) <= 14
    assert "snap-0" in kept  # the newest
    months = {(by_id[s].year, by_id[s].month) for s in kept}
    assert len(months) == 3


def test_gfs_keep_counts_the_newest() -> None:
    taken = [(f"snap-{i}", days_ago(i)) for i in range(10)]
    assert gfs_keeps(taken, RetentionRules(keep=3), NOW) == {"snap-0", "snap-1", "snap-2"}


def test_any_rule_keeps() -> None:
    taken = [(f"snap-{i}", days_ago(i)) for i in range(10)]
    kept = gfs_keeps(taken, RetentionRules(keep=2, keep_days=4), NOW)
    # exactly 4 days old is not older than 4 days
    assert kept == {"snap-0", "snap-1", "snap-2", "snap-3", "snap-4"}


# --- the series' keep_days ------------------------------------------------------------------


def test_series_deletes_only_what_both_rules_delete() -> None:
    ages = [(f"snap-{i}", days_ago(i * 10)) for i in range(6)]  # 0, 10, … 50 days
    # keep 2 alone deletes 4; keep_days 25 keeps those younger than 25 days (0, 10, 20)
    assert series_deletes(ages, 2, 25, NOW, 1000) == ["snap-5", "snap-4", "snap-3"]
    # keep 5 keeps more than keep_days: only the sixth goes
    assert series_deletes(ages, 5, 25, NOW, 1000) == ["snap-5"]
    # without keep_days, keep alone decides
    assert series_deletes(ages, 2, None, NOW, 1000) == ["snap-5", "snap-4", "snap-3", "snap-2"]


def test_series_keeps_a_snapshot_of_unknown_age() -> None:
    ages = [("snap-new", days_ago(0)), ("snap-unknown", None), ("snap-old", days_ago(99))]
    assert series_deletes(ages, 1, 30, NOW, 1000) == ["snap-old"]


def test_series_never_holds_more_than_its_hard_limit() -> None:
    ages = [(f"snap-{i}", days_ago(0)) for i in range(5)]
    assert series_deletes(ages, 1, 30, NOW, 3) == ["snap-4", "snap-3"]


def test_series_diff_plans_an_update_when_a_snapshot_aged_past_keep_days() -> None:
    members = [Member("snap-a", NOW.isoformat()), Member("snap-b", days_ago(3).isoformat())]
    olds: dict[str, Any] = {
        "volume_arn": ARN,
        "trigger": "1",
        "keep": 1,
        "keep_days": 30,
        "snapshot_ids": [m.snapshot_id for m in members],
        "snapshot_created_at": {m.snapshot_id: m.created_at for m in members},
    }
    news = {k: v for k, v in olds.items() if not k.startswith("snapshot_")}
    assert diff_series(olds, news).changes is False  # 3 days < 30: nothing to do
    assert diff_series(olds, {**news, "keep_days": 2}).updates == ["keep_days"]
    aged = {**olds, "snapshot_created_at": {"snap-a": NOW.isoformat(), "snap-b": "2020-01-01"}}
    # an age without a UTC offset is unknown: kept, no update planned
    assert diff_series(aged, news).changes is False
    aged["snapshot_created_at"]["snap-b"] = "2020-01-01T00:00:00+00:00"
    assert diff_series(aged, news).updates == ["snapshot_ids"]
    assert [m.snapshot_id for m in series_to_delete(members, 1, 2, NOW)] == ["snap-b"]


def test_series_without_keep_days_diffs_as_before() -> None:
    olds: dict[str, Any] = {"volume_arn": ARN, "trigger": "1", "keep": 2, "snapshot_ids": ["a"]}
    assert diff_series(olds, {"volume_arn": ARN, "trigger": "1", "keep": 2}).changes is False


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "got 0"), (-3, "got -3"), (2.5, "got 2.5"), (True, "a boolean"), ("7", "a string")],
)
def test_keep_days_must_be_a_positive_whole_number(value: Any, expected: str) -> None:
    failures: list[Failure] = []
    assert check_keep_days(value, failures) is None
    assert failures[0].property == "keep_days"
    assert failures[0].reason.startswith("keep_days must be a whole number from 1 to 36500")
    assert expected in failures[0].reason


def test_keep_days_accepts_the_wire_format_and_unknowns() -> None:
    failures: list[Failure] = []
    assert check_keep_days(14.0, failures) == 14
    assert check_keep_days(UNKNOWN, failures) is UNKNOWN
    assert check_keep_days(None, failures) is None
    assert failures == []


@pytest.mark.parametrize(
    ("value", "prop"),
    [
        ({}, "retention"),
        ("daily", "retention"),
        ({"keep_hourly": 3}, 'retention["keep_hourly"]'),
        ({"keep": 0}, 'retention["keep"]'),
        ({"keep_daily": 1.5}, 'retention["keep_daily"]'),
    ],
)
def test_retention_failures_name_the_property(value: Any, prop: str) -> None:
    failures: list[Failure] = []
    assert check_retention(value, failures) is None
    assert failures[0].property == prop


def test_retention_parses() -> None:
    failures: list[Failure] = []
    rules = check_retention({"keep": 30.0, "keep_monthly": 12}, failures)
    assert rules == RetentionRules(keep=30, keep_monthly=12)
    assert failures == []


BASE: dict[str, Any] = {"volume_arn": ARN, "start_at": 2, "recurrence_in_hours": 24}


def test_schedule_refuses_the_marker_tag_and_a_trigger_without_retention() -> None:
    args, failures = parse_schedule_args({**BASE, "tags": {SCHEDULE_TAG: "x"}})
    assert args is None
    assert [f.property for f in failures] == [f'tags["{SCHEDULE_TAG}"]']
    args, failures = parse_schedule_args({**BASE, "retention_trigger": "2026-12-02"})
    assert [f.property for f in failures] == ["retention_trigger"]


def test_schedule_with_retention_leaves_49_tags() -> None:
    tags = {f"k{i}": "v" for i in range(50)}
    assert parse_schedule_args({**BASE, "tags": tags})[0] is not None
    args, failures = parse_schedule_args({**BASE, "tags": tags, "retention": {"keep": 3}})
    assert args is None
    assert failures[0].property == "tags"
    assert "at most 49 tags" in failures[0].reason


def test_schedule_diff__retention_is_in_place_and_old_state_plans_nothing() -> None:
    old_outputs = {**BASE, "tags": {}, "tags_all": {}, "region": "us-east-1"}
    news = parse_schedule_args(BASE)[0]
    assert news is not None
    assert diff_schedule(old_outputs, news.to_props()).changes is False
    with_rules = {**news.to_props(), "retention": {"keep": 3}}
    result = diff_schedule(old_outputs, with_rules)
    assert (result.replaces, result.updates) == ([], ["retention"])
    stored = {**old_outputs, "retention": {"keep": 3}, "retention_trigger": "a"}
    assert diff_schedule(stored, {**with_rules, "retention_trigger": "a"}).changes is False
    assert diff_schedule(stored, {**with_rules, "retention_trigger": "b"}).updates == [
        "retention_trigger"
    ]
    pending = {**stored, "prune_pending_snapshot_ids": ["snap-0123abcd"]}
    assert diff_schedule(pending, {**with_rules, "retention_trigger": "a"}).updates == [
        "prune_pending_snapshot_ids"
    ]


def test_unknown_retention_passes_check_as_unknown() -> None:
    for value in (UNKNOWN, {"keep": UNKNOWN}):
        args, failures = parse_schedule_args({**BASE, "retention": value})
        assert failures == []
        assert args is not None
        assert args.retention is UNKNOWN
        assert args.has_unknowns
