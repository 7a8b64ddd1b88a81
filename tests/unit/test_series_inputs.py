"""inputs.series and the series provider's check and diff: every rule is a failure naming its
property, numbers arrive as the engine sends them, unknowns pass, the rotation and tag-drift
arithmetic (pure: no AWS call is possible here, no provider is configured with an endpoint)."""

from __future__ import annotations

import base64
import json
from typing import Any

import dill
import pulumi
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown as PulumiUnknown

from sg_snapshot_provider import SnapshotSeries, SnapshotSeriesProvider
from sg_snapshot_provider.inputs import UNKNOWN, Failure, IgnoreTags, create_token_of
from sg_snapshot_provider.inputs.series import (
    DEFAULT_SERIES_DESCRIPTION,
    MAX_KEEP,
    OUTPUT_KEYS,
    Member,
    SeriesArgs,
    beyond_keep,
    diff_series,
    members_from_outputs,
    members_to_outputs,
    parse_series_args,
    same_trigger,
    series_tags_from_actual,
    snapshot_description,
    trigger_text,
)

VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
)
OTHER_VOLUME_ARN = VOLUME_ARN.replace("vol-1122AABB", "vol-3344CCDD")


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"volume_arn": VOLUME_ARN, "trigger": "2026.11", "keep": 7}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def failures_of(values: dict[str, Any], defaults: dict[str, str] | None = None) -> list[Failure]:
    args, failures = parse_series_args(values, defaults)
    assert args is None
    return failures


def only_failure(values: dict[str, Any]) -> Failure:
    failures = failures_of(values)
    assert len(failures) == 1, failures
    return failures[0]


# --- check ----------------------------------------------------------------------------------


def test_minimal_inputs_are_normalised() -> None:
    args, failures = parse_series_args(props())

    assert failures == []
    assert args == SeriesArgs(VOLUME_ARN, "2026.11", 7)
    assert args.to_props() == {
        "volume_arn": VOLUME_ARN,
        "trigger": "2026.11",
        "keep": 7,
        "tags": {},
        "wait_for_completion": False,
        "completion_timeout_seconds": 3600,
        "tags_all": {},
    }
    assert args.snapshot_description == f"{DEFAULT_SERIES_DESCRIPTION} (2026.11)"


def test_numbers_as_the_wire_sends_them() -> None:
    args, failures = parse_series_args(
        props(trigger=7.0, keep=7.0, completion_timeout_seconds=600.0)
    )
    assert failures == []
    assert args is not None
    assert (args.trigger, args.keep, args.completion_timeout_seconds) == (7, 7, 600)
    assert type(args.trigger) is int
    assert type(args.keep) is int


@pytest.mark.parametrize("trigger", ["r1", "", 3, 2.5, True, False])
def test_any_scalar_is_a_trigger(trigger: Any) -> None:
    args, failures = parse_series_args(props(trigger=trigger))
    assert failures == []
    assert args is not None
    assert args.trigger == trigger


@pytest.mark.parametrize(
    ("trigger", "got"),
    [
        ({"release": "1"}, "got a map"),
        (["1"], "got a list"),
        (float("nan"), "must be finite; got nan"),
        (float("inf"), "must be finite; got inf"),
    ],
)
def test_trigger_must_be_a_scalar(trigger: Any, got: str) -> None:
    failure = only_failure(props(trigger=trigger))
    assert failure.property == "trigger"
    assert failure.reason.startswith("trigger must be a string, a number or a boolean")
    assert failure.reason.endswith(got)


def test_trigger_is_required() -> None:
    failure = only_failure(props(trigger=None))
    assert failure == Failure(
        "trigger",
        "trigger is required: trigger must be a string, a number or a boolean (each new value "
        "takes a snapshot)",
    )


@pytest.mark.parametrize(
    ("keep", "got"),
    [
        (0, "got 0"),
        (-1, "got -1"),
        (MAX_KEEP + 1, f"got {MAX_KEEP + 1}"),
        (1.5, "got 1.5"),
        (True, "got a boolean"),
        (
            "3",
            'got the text "3", not a number: read it with pulumi.Config().require_int '
            "(require returns text), or convert it with int()",
        ),
        ("three", "got a string"),
        (float("nan"), "got nan"),
    ],
)
def test_keep_is_a_whole_number_from_one(keep: Any, got: str) -> None:
    failure = only_failure(props(keep=keep))
    assert failure.property == "keep"
    assert failure.reason == (
        f"keep must be a whole number from 1 to {MAX_KEEP} (the snapshots the series keeps); {got}"
    )


def test_keep_is_required() -> None:
    assert only_failure(props(keep=None)).reason.startswith("keep is required")


@pytest.mark.parametrize("keep", [1, 1.0, MAX_KEEP, float(MAX_KEEP)])
def test_keep_bounds_are_accepted(keep: Any) -> None:
    assert parse_series_args(props(keep=keep))[1] == []


def test_description_and_trigger_must_fit_255_characters() -> None:
    fits = "d" * (255 - len(" (2026.11)"))
    assert parse_series_args(props(description=fits))[1] == []

    failure = only_failure(props(description=fits + "d"))

    assert failure.property == "description"
    assert 'described "{description} ({trigger})"' in failure.reason
    assert "at most 255 characters" in failure.reason
    assert "together make 256" in failure.reason


def test_a_long_trigger_with_the_default_description_names_the_trigger() -> None:
    failure = only_failure(props(trigger="t" * 250))
    assert failure.property == "trigger"
    assert failure.reason.endswith("shorten the trigger")


def test_a_bad_description_is_reported_once() -> None:
    assert only_failure(props(description="")) == Failure(
        "description", "description must be 1 to 255 characters long; got 0"
    )
    assert only_failure(props(description="x" * 300)).reason.endswith("got 300")


def test_tags_follow_the_snapshot_rules() -> None:
    failures = failures_of(props(tags={"aws:team": "a", "sg-snapshot-provider:owner": "b"}))
    assert [f.property for f in failures] == [
        'tags["aws:team"]',
        'tags["sg-snapshot-provider:owner"]',
    ]


def test_default_tags_merge_into_tags_all_and_count() -> None:
    args, failures = parse_series_args(props(tags={"team": "db"}), {"team": "x", "owner": "ops"})
    assert failures == []
    assert args is not None
    assert args.tags_all == {"team": "db", "owner": "ops"}

    many = {f"k{n}": "v" for n in range(48)}
    failure = only_failure_with_defaults(props(tags=many), {"a": "1", "b": "2"})
    assert failure.property == "tags"
    assert "make 50 tags; at most 49" in failure.reason


def only_failure_with_defaults(values: dict[str, Any], defaults: dict[str, str]) -> Failure:
    failures = failures_of(values, defaults)
    assert len(failures) == 1, failures
    return failures[0]


def test_wait_and_timeout_follow_the_snapshot_rules() -> None:
    failures = failures_of(props(wait_for_completion="yes", completion_timeout_seconds=0))
    assert [f.property for f in failures] == ["wait_for_completion", "completion_timeout_seconds"]


def test_unknown_property_is_a_failure() -> None:
    failure = only_failure(props(triggers={"release": "1"}))
    assert failure.property == "triggers"
    assert failure.reason.startswith("unknown property; the inputs are volume_arn, trigger, keep")


def test_provider_key_and_output_keys_are_ignored() -> None:
    outputs = dict.fromkeys(OUTPUT_KEYS, "x")
    assert parse_series_args({**props(), "__provider": "p", **outputs})[1] == []


def test_unknowns_pass() -> None:
    args, failures = parse_series_args(
        props(
            volume_arn=UNKNOWN,
            trigger=UNKNOWN,
            keep=UNKNOWN,
            description=UNKNOWN,
            tags={"team": UNKNOWN},
            wait_for_completion=UNKNOWN,
        )
    )
    assert failures == []
    assert args is not None
    assert args.has_unknowns


def test_unknown_tags_make_tags_all_unknown() -> None:
    args, _ = parse_series_args(props(tags=UNKNOWN))
    assert args is not None
    assert args.tags_all is UNKNOWN


def test_every_failure_is_reported_at_once() -> None:
    failures = failures_of({"volume_arn": "arn:nope", "keep": 0, "tags": {"": "x"}})
    assert [f.property for f in failures] == ["volume_arn", "trigger", "keep", 'tags[""]']


def test_stack_resource_is_normalised_never_a_failure() -> None:
    args, failures = parse_series_args(props(stack_resource="p/s/a:b|c"))
    assert failures == []
    assert args is not None
    assert args.stack_resource == "p/s/a:b_c"
    assert parse_series_args(props(stack_resource=5))[0] == SeriesArgs(VOLUME_ARN, "2026.11", 7)


# --- descriptions and triggers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "text"),
    [("2026.11", "2026.11"), (7, "7"), (7.0, "7"), (2.5, "2.5"), (True, "true"), (False, "false")],
)
def test_trigger_text(trigger: Any, text: str) -> None:
    assert trigger_text(trigger) == text


def test_snapshot_description() -> None:
    assert snapshot_description("Nightly root", "2026.11") == "Nightly root (2026.11)"
    assert snapshot_description(None, 3) == "Snapshot series (3)"


def test_same_trigger_compares_values_not_python_equality() -> None:
    assert same_trigger(7, 7.0)
    assert same_trigger("a", "a")
    assert not same_trigger(1, True)
    assert not same_trigger(0, False)
    assert not same_trigger("1", 1)
    assert same_trigger(True, True)


# --- diff -----------------------------------------------------------------------------------

CHECKED: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "trigger": "2026.11",
    "keep": 3,
    "tags": {"team": "storage"},
    "tags_all": {"team": "storage"},
    "wait_for_completion": False,
    "completion_timeout_seconds": 3600,
    "stack_resource": "p/s/nightly",
}
OUTPUTS: dict[str, Any] = {
    **CHECKED,
    "keep": 3.0,
    "completion_timeout_seconds": 3600.0,
    "snapshot_ids": ["snap-0000000000000000c", "snap-0000000000000000b"],
    "latest_snapshot_id": "snap-0000000000000000c",
    "snapshot_created_at": {},
    "region": "us-east-1",
}


def test_diff_nothing_changed() -> None:
    assert not diff_series(OUTPUTS, CHECKED).changes


@pytest.mark.parametrize(
    ("change", "updated"),
    [
        ({"trigger": "2026.12"}, ["trigger"]),
        ({"trigger": True}, ["trigger"]),
        ({"keep": 5}, ["keep"]),
        ({"description": "Root"}, ["description"]),
        ({"tags": {}, "tags_all": {}}, ["tags", "tags_all"]),
        ({"wait_for_completion": True}, ["wait_for_completion"]),
        ({"completion_timeout_seconds": 60}, ["completion_timeout_seconds"]),
    ],
)
def test_diff_in_place(change: dict[str, Any], updated: list[str]) -> None:
    result = diff_series(OUTPUTS, {**CHECKED, **change})
    assert (result.replaces, result.updates) == ([], updated)


def test_diff_new_volume_replaces() -> None:
    result = diff_series(OUTPUTS, {**CHECKED, "volume_arn": OTHER_VOLUME_ARN})
    assert result.replaces == ["volume_arn"]


def test_diff_unknowns() -> None:
    assert diff_series(OUTPUTS, {**CHECKED, "volume_arn": UNKNOWN}).replaces == ["volume_arn"]
    for key in ("trigger", "keep", "description"):
        result = diff_series(OUTPUTS, {**CHECKED, key: UNKNOWN})
        assert (result.replaces, result.updates) == ([], [key])
    assert diff_series(OUTPUTS, {**CHECKED, "tags": {"team": UNKNOWN}}).updates == ["tags"]


def test_diff_never_compares_the_owner() -> None:
    assert not diff_series(OUTPUTS, {**CHECKED, "stack_resource": "p/other/x"}).changes
    assert not diff_series({k: v for k, v in OUTPUTS.items() if k != "stack_resource"}, CHECKED)[0]


def test_diff_plans_the_delete_of_snapshots_held_beyond_keep() -> None:
    held = ["snap-0000000000000000c", "snap-0000000000000000b", "snap-0000000000000000a"]
    over = {**OUTPUTS, "keep": 2.0, "snapshot_ids": held}
    result = diff_series(over, {**CHECKED, "keep": 2})
    assert (result.replaces, result.updates) == ([], ["snapshot_ids"])
    assert diff_series(over, {**CHECKED, "keep": 3}).updates == ["keep"]
    assert not diff_series({**OUTPUTS, "snapshot_ids": held}, CHECKED).changes


# --- the series' snapshots -------------------------------------------------------------------


def test_members_round_trip_through_outputs() -> None:
    members = [Member("snap-0000000000000000c", "2026-11-27T08:00:00+00:00"), Member("snap-b")]
    outputs = members_to_outputs(members)
    assert outputs == {
        "snapshot_ids": ["snap-0000000000000000c", "snap-b"],
        "latest_snapshot_id": "snap-0000000000000000c",
        "snapshot_created_at": {"snap-0000000000000000c": "2026-11-27T08:00:00+00:00"},
    }
    assert members_from_outputs(outputs) == members
    assert members_from_outputs({}) == []
    assert members_to_outputs([])["latest_snapshot_id"] is None


def test_beyond_keep_is_the_oldest_first() -> None:
    members = [Member(f"snap-{n}") for n in "edcba"]
    assert beyond_keep(members, 2) == [Member("snap-a"), Member("snap-b"), Member("snap-c")]
    assert beyond_keep(members, 5) == []
    assert beyond_keep(members, 9) == []


def test_series_tags_when_every_snapshot_agrees() -> None:
    actual = [{"team": "a", "env": "1"}, {"team": "a", "env": "1"}]
    assert series_tags_from_actual(actual, {"team": "a", "env": "1"}) == {"team": "a", "env": "1"}


def test_series_tags_report_what_the_retag_must_fix() -> None:
    declared = {"team": "a", "env": "1"}
    actual = [
        {"team": "a", "env": "1"},
        {"team": "b", "extra": "x"},  # team changed, env removed, extra added out of band
        {"team": "a", "env": "1"},
    ]
    seen = series_tags_from_actual(actual, declared)
    # team and env are not on every snapshot as declared: left out, so an update sets them;
    # extra was not declared: reported, so an update deletes it.
    assert seen == {"extra": "x"}


def test_series_tags_without_a_visible_snapshot_are_the_declared_ones() -> None:
    assert series_tags_from_actual([], {"team": "a"}) == {"team": "a"}


# --- the provider's check and diff, as the plugin calls them ---------------------------------


def configured(config: dict[str, Any]) -> SnapshotSeriesProvider:
    provider = SnapshotSeriesProvider()
    provider.configure(ConfigureRequest(Config(raw_config=config, project_name="test")))
    return provider


def test_provider_check_normalises_and_merges_default_tags() -> None:
    provider = configured({"aws:defaultTags": json.dumps({"tags": {"owner": "ops"}})})

    result = provider.check({}, {"__provider": "x", **props(keep=2.0, tags={"a": "b"})})

    assert result.failures == []
    assert create_token_of(result.inputs) == result.inputs.pop("create_token")
    assert result.inputs == {
        "volume_arn": VOLUME_ARN,
        "trigger": "2026.11",
        "keep": 2,
        "tags": {"a": "b"},
        "tags_all": {"owner": "ops", "a": "b"},
        "wait_for_completion": False,
        "completion_timeout_seconds": 3600,
    }


def test_provider_check_failure_names_the_property() -> None:
    result = configured({}).check({}, props(keep=0.0))
    assert [f.property for f in result.failures] == ["keep"]


def test_provider_check_passes_pulumi_unknowns() -> None:
    result = configured({}).check({}, props(trigger=PulumiUnknown(), keep=PulumiUnknown()))
    assert result.failures == []
    assert isinstance(result.inputs["trigger"], PulumiUnknown)


def test_provider_diff_replace_and_update() -> None:
    provider = configured({})
    replaced = provider.diff("series-1", OUTPUTS, {**CHECKED, "volume_arn": PulumiUnknown()})
    updated = provider.diff("series-1", OUTPUTS, {**CHECKED, "trigger": PulumiUnknown()})
    same = provider.diff("series-1", OUTPUTS, CHECKED)

    assert (replaced.changes, replaced.replaces) == (True, ["volume_arn"])
    assert (updated.changes, updated.replaces) == (True, [])
    assert same.changes is False


def test_provider_pickles_by_reference_only() -> None:
    provider = configured({"aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": "very-secret"})

    text = base64.b64decode(serialize_provider(provider))

    assert b"sg_snapshot_provider.providers.series" in text
    assert b"very-secret" not in text
    assert b"AKIAEXAMPLE" not in text
    assert type(dill.loads(text)) is SnapshotSeriesProvider


def test_resource_type_token() -> None:
    assert SnapshotSeries._resource_type_name == "dynamic/storagegateway:SnapshotSeries"


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        return "series-1", {**args.inputs, "snapshot_ids": ["snap-0123456789abcdef0"]}

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pulumi.runtime.test  # type: ignore[untyped-decorator]
def test_resource_sends_inputs_and_the_owner() -> Any:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="proj", stack="dev", preview=False)
    series = SnapshotSeries("nightly", volume_arn=VOLUME_ARN, trigger="r1", keep=7)

    def check(ids: list[str]) -> None:
        assert ids == ["snap-0123456789abcdef0"]
        (args,) = mocks.registered
        assert args.typ == "pulumi-python:dynamic/storagegateway:SnapshotSeries"
        assert args.inputs["stack_resource"] == "proj/dev/nightly"
        assert (args.inputs["trigger"], args.inputs["keep"]) == ("r1", 7)
        assert len(args.inputs["__provider"]) < 1024
        for key in OUTPUT_KEYS:
            assert isinstance(getattr(series, key), pulumi.Output), key

    return series.snapshot_ids.apply(check)


# --- aws:ignoreTags ---------------------------------------------------------------------------

IGNORE = IgnoreTags(keys=("CostCenter",), key_prefixes=("backup:",))


def test_ignored_tags_are_left_out_of_tags_all() -> None:
    args, failures = parse_series_args(
        props(tags={"team": "a", "CostCenter": "42"}), {"backup:plan": "daily"}, IGNORE
    )
    assert failures == []
    assert args is not None
    assert args.tags == {"team": "a", "CostCenter": "42"}
    assert args.tags_all == {"team": "a"}


def test_ignored_tags_are_never_diffed() -> None:
    olds = {**OUTPUTS, "tags": {"team": "storage", "CostCenter": "1"}}
    news = {**CHECKED, "tags": {"team": "storage", "CostCenter": "2"}}
    assert diff_series(olds, news).changes
    assert not diff_series(olds, news, IGNORE).changes


def test_provider_check_makes_a_token_for_each_new_trigger() -> None:
    """Each snapshot of the series carries its own token: a new one with every new trigger or
    volume, the old one while neither changes."""
    provider = configured({})
    olds = provider.check({}, props()).inputs
    assert create_token_of(olds) is not None
    same = provider.check(olds, props(keep=5.0, tags={"a": "b"})).inputs
    assert same["create_token"] == olds["create_token"]
    for change in ({"trigger": "2026.12"}, {"volume_arn": VOLUME_ARN.replace("AABB", "CCDD")}):
        assert provider.check(olds, props(**change)).inputs["create_token"] != olds["create_token"]
