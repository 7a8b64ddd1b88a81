"""inputs.schedule and the schedule provider's check and diff: every rule is a failure naming its
property, numbers arrive as the engine sends them, unknowns pass (0 AWS calls)."""

from __future__ import annotations

import base64
import json
import math
from typing import Any

import dill
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown as PulumiUnknown

from sg_snapshot_provider import VolumeSnapshotSchedule, VolumeSnapshotScheduleProvider
from sg_snapshot_provider.inputs import UNKNOWN, Failure
from sg_snapshot_provider.inputs.schedule import (
    RECURRENCE_HOURS,
    ScheduleArgs,
    diff_schedule,
    parse_schedule_args,
)

VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
)
OTHER_VOLUME_ARN = VOLUME_ARN.replace("vol-1122AABB", "vol-3344CCDD")


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"volume_arn": VOLUME_ARN, "start_at": 2, "recurrence_in_hours": 24}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def only_failure(values: dict[str, Any], defaults: dict[str, str] | None = None) -> Failure:
    args, failures = parse_schedule_args(values, defaults)
    assert args is None
    assert len(failures) == 1, failures
    return failures[0]


# --- check ----------------------------------------------------------------------------------


def test_minimal_inputs_are_normalised() -> None:
    args, failures = parse_schedule_args(props())

    assert failures == []
    assert args == ScheduleArgs(VOLUME_ARN, 2, 24)
    assert args.to_props() == {
        "volume_arn": VOLUME_ARN,
        "start_at": 2,
        "recurrence_in_hours": 24,
        "tags": {},
        "tags_all": {},
    }


def test_numbers_from_the_wire_become_integers() -> None:
    args, _ = parse_schedule_args(props(start_at=2.0, recurrence_in_hours=12.0))

    assert args is not None
    assert (args.start_at, args.recurrence_in_hours) == (2, 12)
    assert type(args.start_at) is int
    assert type(args.recurrence_in_hours) is int


@pytest.mark.parametrize("hour", [0, 23, 0.0, 23.0])
def test_start_at_bounds_accepted(hour: float) -> None:
    _, failures = parse_schedule_args(props(start_at=hour))
    assert failures == []


@pytest.mark.parametrize(
    ("value", "got"),
    [
        (24, "got 24"),
        (-1, "got -1"),
        (2.5, "got the number 2.5"),
        (True, "got a boolean"),
        (False, "got a boolean"),
        (
            "2",
            'got the text "2", not a number: read it with pulumi.Config().require_int '
            "(require returns text), or convert it with int()",
        ),
        ("two", "got a string"),
        (math.nan, "got the number nan"),
        (math.inf, "got the number inf"),
        ([2], "got a list"),
    ],
)
def test_start_at_refused(value: Any, got: str) -> None:
    failure = only_failure(props(start_at=value))

    assert failure.property == "start_at"
    assert failure.reason.startswith("start_at must be a whole hour from 0 to 23")
    assert failure.reason.endswith(got)


@pytest.mark.parametrize("hours", RECURRENCE_HOURS)
def test_recurrence_accepted(hours: int) -> None:
    args, _ = parse_schedule_args(props(recurrence_in_hours=float(hours)))
    assert args is not None
    assert args.recurrence_in_hours == hours


@pytest.mark.parametrize(
    ("value", "got"),
    [
        (3, "got 3"),
        (6, "got 6"),
        (0, "got 0"),
        (25, "got 25"),
        (48, "got 48"),
        (12.5, "got the number 12.5"),
        (True, "got a boolean"),
        (
            "24",
            'got the text "24", not a number: read it with pulumi.Config().require_int '
            "(require returns text), or convert it with int()",
        ),
    ],
)
def test_recurrence_refused_with_the_allowed_values(value: Any, got: str) -> None:
    failure = only_failure(props(recurrence_in_hours=value))

    assert failure == Failure(
        "recurrence_in_hours",
        f"recurrence_in_hours must be one of 1, 2, 4, 8, 12 or 24 (hours between snapshots); {got}",
    )


@pytest.mark.parametrize("missing", ["volume_arn", "start_at", "recurrence_in_hours"])
def test_required_inputs(missing: str) -> None:
    values = props()
    del values[missing]

    failure = only_failure(values)

    assert failure.property == missing
    assert "required" in failure.reason


def test_description_optional_and_bounded() -> None:
    args, _ = parse_schedule_args(props(description="d" * 255))
    assert args is not None
    assert args.description == "d" * 255
    assert only_failure(props(description="")).reason == (
        "description must be 1 to 255 characters long; got 0"
    )
    assert only_failure(props(description="d" * 256)).property == "description"
    assert only_failure(props(description=5)).reason == (
        "description must be a string; got the number 5"
    )


def test_absent_description_is_left_out() -> None:
    args, _ = parse_schedule_args(props())
    assert args is not None
    assert "description" not in args.to_props()


def test_tags_follow_the_snapshot_rules() -> None:
    failures = parse_schedule_args(props(tags={"aws:x": "v", "ok": "tab\there"}))[1]

    assert [f.property for f in failures] == ['tags["aws:x"]', 'tags["ok"]']
    assert "aws:" in failures[0].reason


def test_reserved_tag_refused() -> None:
    failure = only_failure(props(tags={"sg-snapshot-provider:create-token": "x"}))
    assert failure.property == 'tags["sg-snapshot-provider:create-token"]'


def test_fifty_tags_fit_a_schedule_and_fifty_one_do_not() -> None:
    fifty = {f"k{n}": "v" for n in range(50)}
    assert parse_schedule_args(props(tags=fifty))[1] == []

    failure = only_failure(props(tags={**fifty, "one-more": "v"}))
    assert failure == Failure("tags", "a snapshot schedule takes at most 50 tags; got 51")


def test_default_tags_merge_into_tags_all_and_count() -> None:
    args, _ = parse_schedule_args(props(tags={"team": "storage"}), {"team": "x", "owner": "ops"})
    assert args is not None
    assert args.tags_all == {"team": "storage", "owner": "ops"}

    failure = only_failure(props(tags={f"k{n}": "v" for n in range(49)}), {"a": "1", "b": "2"})
    assert failure.property == "tags"
    assert "make 51 tags" in failure.reason


def test_unknown_property_is_a_failure() -> None:
    failure = only_failure(props(start_hour=2))
    assert failure.property == "start_hour"


def test_provider_key_and_output_keys_are_ignored() -> None:
    values = props(__provider="x", timezone="GMT", gateway_arn="arn", region="us-east-1")
    assert parse_schedule_args(values)[1] == []


def test_unknowns_pass() -> None:
    args, failures = parse_schedule_args(
        props(
            volume_arn=UNKNOWN,
            start_at=UNKNOWN,
            recurrence_in_hours=UNKNOWN,
            description=UNKNOWN,
            tags={"team": UNKNOWN},
        )
    )

    assert failures == []
    assert args is not None
    assert args.has_unknowns


def test_every_failure_is_reported_at_once() -> None:
    _, failures = parse_schedule_args(
        {"volume_arn": "nope", "start_at": 99, "recurrence_in_hours": 5, "description": ""}
    )
    assert [f.property for f in failures] == [
        "volume_arn",
        "start_at",
        "recurrence_in_hours",
        "description",
    ]


# --- diff -----------------------------------------------------------------------------------

CHECKED: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "start_at": 2,
    "recurrence_in_hours": 24,
    "description": "nightly",
    "tags": {"team": "storage"},
    "tags_all": {"team": "storage"},
}
# What the engine stores: numbers as doubles, plus the computed outputs.
OUTPUTS: dict[str, Any] = {
    **CHECKED,
    "start_at": 2.0,
    "recurrence_in_hours": 24.0,
    "gateway_arn": VOLUME_ARN.split("/volume/")[0],
    "region": "us-east-1",
    "timezone": "GMT",
    "__provider": "serialized",
}


def test_diff_nothing_changed() -> None:
    result = diff_schedule(OUTPUTS, CHECKED)
    assert (result.replaces, result.updates) == ([], [])


@pytest.mark.parametrize(
    ("change", "updated"),
    [
        ({"start_at": 3}, ["start_at"]),
        ({"recurrence_in_hours": 12}, ["recurrence_in_hours"]),
        ({"description": "hourly"}, ["description"]),
        ({"tags": {"team": "x"}, "tags_all": {"team": "x"}}, ["tags", "tags_all"]),
        ({"tags_all": {"team": "storage", "owner": "ops"}}, ["tags_all"]),
    ],
)
def test_diff_in_place(change: dict[str, Any], updated: list[str]) -> None:
    result = diff_schedule(OUTPUTS, {**CHECKED, **change})
    assert (result.replaces, result.updates) == ([], updated)


def test_diff_new_volume_replaces() -> None:
    result = diff_schedule(OUTPUTS, {**CHECKED, "volume_arn": OTHER_VOLUME_ARN})
    assert result.replaces == ["volume_arn"]


def test_diff_unknown_volume_replaces_and_unknowns_update() -> None:
    assert diff_schedule(OUTPUTS, {**CHECKED, "volume_arn": UNKNOWN}).replaces == ["volume_arn"]
    result = diff_schedule(OUTPUTS, {**CHECKED, "start_at": UNKNOWN, "tags": {"team": UNKNOWN}})
    assert (result.replaces, result.updates) == ([], ["start_at", "tags"])


def test_diff_absent_description_is_not_managed() -> None:
    news = {key: value for key, value in CHECKED.items() if key != "description"}
    assert not diff_schedule(OUTPUTS, news).changes


def test_diff_without_tags_all_in_the_news() -> None:
    news = {key: value for key, value in CHECKED.items() if key != "tags_all"}
    assert not diff_schedule({**OUTPUTS, "tags_all": {"other": "x"}}, news).changes


# --- the provider's check and diff, as the plugin calls them ---------------------------------


def configured(config: dict[str, Any]) -> VolumeSnapshotScheduleProvider:
    provider = VolumeSnapshotScheduleProvider()
    provider.configure(ConfigureRequest(Config(raw_config=config, project_name="test")))
    return provider


def test_provider_check_normalises_and_merges_default_tags() -> None:
    provider = configured({"aws:defaultTags": json.dumps({"tags": {"owner": "ops"}})})

    result = provider.check(
        {}, {"__provider": "x", **props(start_at=2.0, recurrence_in_hours=8.0, tags={"a": "b"})}
    )

    assert result.failures == []
    assert result.inputs == {
        "volume_arn": VOLUME_ARN,
        "start_at": 2,
        "recurrence_in_hours": 8,
        "tags": {"a": "b"},
        "tags_all": {"owner": "ops", "a": "b"},
    }


def test_provider_check_failure_names_the_property() -> None:
    result = configured({}).check({}, props(recurrence_in_hours=3.0))
    assert [(f.property, f.reason.split(";")[0]) for f in result.failures] == [
        (
            "recurrence_in_hours",
            "recurrence_in_hours must be one of 1, 2, 4, 8, 12 or 24 (hours between snapshots)",
        )
    ]


def test_provider_check_passes_pulumi_unknowns() -> None:
    result = configured({}).check({}, props(volume_arn=PulumiUnknown(), start_at=PulumiUnknown()))
    assert result.failures == []
    assert isinstance(result.inputs["volume_arn"], PulumiUnknown)


def test_provider_diff_replace_and_update() -> None:
    provider = configured({})
    replaced = provider.diff(VOLUME_ARN, OUTPUTS, {**CHECKED, "volume_arn": PulumiUnknown()})
    updated = provider.diff(VOLUME_ARN, OUTPUTS, {**CHECKED, "start_at": 5})
    same = provider.diff(VOLUME_ARN, OUTPUTS, CHECKED)

    assert (replaced.changes, replaced.replaces) == (True, ["volume_arn"])
    assert (updated.changes, updated.replaces) == (True, [])
    assert same.changes is False


def test_provider_pickles_by_reference_only() -> None:
    provider = configured({"aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": "very-secret"})

    serialized = serialize_provider(provider)
    text = base64.b64decode(serialized)

    assert b"sg_snapshot_provider.providers.schedule" in text
    assert b"very-secret" not in text
    assert b"AKIAEXAMPLE" not in text
    assert type(dill.loads(text)) is VolumeSnapshotScheduleProvider


def test_resource_type_token() -> None:
    assert VolumeSnapshotSchedule._resource_type_name == ("dynamic/storagegateway:SnapshotSchedule")
