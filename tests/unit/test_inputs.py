"""inputs.parse_args: every input rule is a failure that names its property."""

from __future__ import annotations

from typing import Any

import pytest

from sg_snapshot_provider.inputs import (
    UNKNOWN,
    Failure,
    SnapshotArgs,
    diff_props,
    parse_args,
    parse_volume_arn,
    snapshot_arn,
)

VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
)


def props(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"volume_arn": VOLUME_ARN, "description": "nightly"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def failures_of(values: dict[str, Any], defaults: dict[str, str] | None = None) -> list[Failure]:
    args, failures = parse_args(values, defaults)
    assert (args is None) == bool(failures)
    return failures


def only_failure(values: dict[str, Any], defaults: dict[str, str] | None = None) -> Failure:
    failures = failures_of(values, defaults)
    assert len(failures) == 1, failures
    return failures[0]


def test_minimal_inputs_are_normalised() -> None:
    args, failures = parse_args(props())
    assert failures == []
    assert args == SnapshotArgs(VOLUME_ARN, "nightly")
    assert args.to_props() == {
        "volume_arn": VOLUME_ARN,
        "description": "nightly",
        "tags": {},
        "wait_for_completion": False,
        "completion_timeout_seconds": 3600,
        "triggers": {},
        "tags_all": {},
    }


def test_provider_key_and_output_keys_are_ignored() -> None:
    _, failures = parse_args(props(__provider="xyz", snapshot_id="snap-1", state="pending"))
    assert failures == []


def test_unknown_property_is_a_failure_naming_it() -> None:
    failure = only_failure(props(tag={"a": "b"}))
    assert failure.property == "tag"
    assert "unknown property" in failure.reason


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "required"),
        (42, "must be a string; got the number 42"),
        ("arn:aws:storagegateway:x:1:gateway/g/volume/vol-1", "got 49"),
        ("x" * 501, "Storage Gateway volume ARN"),
        (VOLUME_ARN.replace("sgw-12A3456B", "sgw-" + "A" * 460), "got 538"),
        ("vol-1122AABB", "Storage Gateway volume ARN such as"),
        ("", "Storage Gateway volume ARN such as"),
        (VOLUME_ARN.replace("storagegateway", "ec2:storage"), "Storage Gateway volume ARN"),
        (VOLUME_ARN.replace("arn:aws:", "arn:aws-xx:"), "Storage Gateway volume ARN"),
        (VOLUME_ARN + " ", "Storage Gateway volume ARN"),
        (VOLUME_ARN.replace("us-east-1", "US-EAST-1"), "Storage Gateway volume ARN"),
    ],
)
def test_volume_arn_rules(value: Any, words: str) -> None:
    values = props()
    values["volume_arn"] = value
    if value is None:
        del values["volume_arn"]
    failure = only_failure(values)
    assert failure.property == "volume_arn"
    assert words in failure.reason


@pytest.mark.parametrize(
    "arn",
    [
        VOLUME_ARN,
        VOLUME_ARN.replace("arn:aws:", "arn:aws-cn:"),
        VOLUME_ARN.replace("arn:aws:", "arn:aws-us-gov:"),
        VOLUME_ARN.replace("arn:aws:", "arn:aws-iso-b:"),
        VOLUME_ARN.replace("vol-1122AABB", "vol-1122aabb1122aabb1"),
    ],
)
def test_volume_arn_accepts_every_partition_and_long_ids(arn: str) -> None:
    assert failures_of(props(volume_arn=arn)) == []


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("", "1 to 255 characters long; got 0"),
        ("d" * 256, "1 to 255 characters long; got 256"),
        (12, "must be a string; got the number 12"),
        (["a"], "must be a string; got a list"),
    ],
)
def test_description_rules(value: Any, words: str) -> None:
    failure = only_failure(props(description=value))
    assert failure == Failure("description", failure.reason)
    assert words in failure.reason


def test_description_is_required() -> None:
    failure = only_failure({"volume_arn": VOLUME_ARN})
    assert failure == Failure("description", "description is required")


def test_description_of_255_characters_passes() -> None:
    assert failures_of(props(description="d" * 255)) == []


def test_tags_must_be_a_map() -> None:
    failure = only_failure(props(tags=["team", "storage"]))
    assert failure.property == "tags"
    assert "map of strings to strings; got a list" in failure.reason


@pytest.mark.parametrize(
    ("tags", "path", "words"),
    [
        ({"": "v"}, 'tags[""]', "1 to 127 characters long; got 0"),
        ({"k" * 128: "v"}, f'tags["{"k" * 128}"]', "got 128"),
        ({"team": "v" * 257}, 'tags["team"]', "at most 256 characters long; got 257"),
        ({"bad#key": "v"}, 'tags["bad#key"]', "letters, digits, spaces"),
        ({"team": "a*b"}, 'tags["team"]', "tag values may contain only"),
        ({"aws:owner": "me"}, 'tags["aws:owner"]', "may not start with aws:"),
        ({"AWS:owner": "me"}, 'tags["AWS:owner"]', "may not start with aws:"),
        ({"team": 3}, 'tags["team"]', "tag values must be strings; got the number 3"),
        ({"bad key!": "v"}, 'tags["bad key!"]', "letters, digits"),
    ],
)
def test_tag_rules_name_the_tag(tags: dict[str, Any], path: str, words: str) -> None:
    failure = only_failure(props(tags=tags))
    assert failure.property == path
    assert words in failure.reason


def test_tags_allow_unicode_letters_spaces_and_specials() -> None:
    tags = {"Équipe de nuit": "stockage + sauvegarde", "k.-_=:/@+": "v.-_=:/@+", "empty": ""}
    args, failures = parse_args(props(tags=tags))
    assert failures == []
    assert args is not None
    assert args.tags == tags


def test_forty_nine_tags_pass_fifty_fail() -> None:
    # EC2 allows 50; the provider's create-token tag takes one.
    forty_nine = {f"k{i}": "v" for i in range(49)}
    assert failures_of(props(tags=forty_nine)) == []
    failure = only_failure(props(tags={**forty_nine, "one-more": "v"}))
    assert failure.property == "tags"
    assert "at most 49 tags" in failure.reason
    assert "sg-snapshot-provider:create-token" in failure.reason


def test_default_tags_count_towards_the_limit() -> None:
    tags = {f"k{i}": "v" for i in range(44)}
    defaults = {f"d{i}": "v" for i in range(6)}
    failure = only_failure(props(tags=tags), defaults)
    assert failure.property == "tags"
    assert "50 tags" in failure.reason
    assert "aws:defaultTags" in failure.reason
    # Overlapping keys count once.
    assert failures_of(props(tags=tags), {"k1": "x", "k2": "y"}) == []


def test_tags_all_merges_defaults_under_resource_tags() -> None:
    args, _ = parse_args(
        props(tags={"team": "storage", "env": "prod"}), {"env": "dev", "owner": "ops"}
    )
    assert args is not None
    assert args.tags == {"team": "storage", "env": "prod"}
    assert args.tags_all == {"owner": "ops", "env": "prod", "team": "storage"}


def test_wait_for_completion_must_be_a_boolean() -> None:
    failure = only_failure(props(wait_for_completion="yes"))
    assert failure.property == "wait_for_completion"
    assert "true or false; got a string" in failure.reason


@pytest.mark.parametrize("value", [0, -1, 86401, float("nan"), float("inf"), True, "60"])
def test_completion_timeout_rules(value: Any) -> None:
    failure = only_failure(props(completion_timeout_seconds=value))
    assert failure.property == "completion_timeout_seconds"
    assert "greater than 0 and at most 86400" in failure.reason


def test_completion_timeout_given_as_text_says_the_value_and_the_fix() -> None:
    failure = only_failure(props(completion_timeout_seconds="600"))
    assert failure.reason.endswith(
        'got the text "600", not a number: read it with pulumi.Config().require_float '
        "(require returns text), or convert it with float()"
    )


def test_completion_timeout_floats_from_the_wire_become_ints() -> None:
    args, _ = parse_args(props(completion_timeout_seconds=600.0))
    assert args is not None
    assert args.completion_timeout_seconds == 600
    assert isinstance(args.completion_timeout_seconds, int)
    args, _ = parse_args(props(completion_timeout_seconds=0.5))
    assert args is not None
    assert args.completion_timeout_seconds == 0.5


def test_triggers_accept_scalars() -> None:
    triggers = {"release": "2026.11", "build": 42, "rebuild": True, "ratio": 0.5}
    args, failures = parse_args(props(triggers=triggers))
    assert failures == []
    assert args is not None
    assert args.triggers == triggers


def test_triggers_reject_nested_values_and_non_maps() -> None:
    failure = only_failure(props(triggers={"release": ["a"]}))
    assert failure.property == 'triggers["release"]'
    assert "strings, numbers or booleans; got a list" in failure.reason
    failure = only_failure(props(triggers="release-1"))
    assert failure.property == "triggers"


def test_every_failure_is_reported_at_once() -> None:
    failures = failures_of({"volume_arn": 1, "description": "", "tags": {"aws:x": "y"}})
    assert [f.property for f in failures] == ["volume_arn", "description", 'tags["aws:x"]']


def test_unknowns_pass_at_top_level() -> None:
    values = {key: UNKNOWN for key in ("volume_arn", "description", "tags", "triggers")}
    values |= {"wait_for_completion": UNKNOWN, "completion_timeout_seconds": UNKNOWN}
    args, failures = parse_args(values, {"owner": "ops"})
    assert failures == []
    assert args is not None
    assert args.volume_arn is UNKNOWN
    assert args.tags_all is UNKNOWN


def test_unknowns_pass_nested_and_flow_into_tags_all() -> None:
    args, failures = parse_args(
        props(tags={"team": UNKNOWN, "env": "prod"}, triggers={"release": UNKNOWN}),
        {"owner": "ops"},
    )
    assert failures == []
    assert args is not None
    assert args.tags_all == {"owner": "ops", "team": UNKNOWN, "env": "prod"}


def test_parse_volume_arn() -> None:
    volume = parse_volume_arn(VOLUME_ARN)
    assert volume.partition == "aws"
    assert volume.region == "us-east-1"
    assert volume.account_id == "111122223333"
    assert volume.gateway_arn == (
        "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B"
    )
    assert volume.volume_id == "vol-1122AABB"
    cn = parse_volume_arn(
        VOLUME_ARN.replace("arn:aws:", "arn:aws-cn:").replace("us-east-1", "cn-north-1")
    )
    assert (cn.partition, cn.region) == ("aws-cn", "cn-north-1")


def test_parse_volume_arn_rejects_with_the_rule() -> None:
    with pytest.raises(ValueError, match="must be a Storage Gateway volume ARN such as"):
        parse_volume_arn("arn:aws:storagegateway")


def test_snapshot_arn_has_no_account_and_a_lower_case_id() -> None:
    assert snapshot_arn("aws-cn", "cn-north-1", "snap-78E22663") == (
        "arn:aws-cn:ec2:cn-north-1::snapshot/snap-78e22663"
    )


def test_volume_arn_pattern_is_botocores() -> None:
    """The validation pattern is Storage Gateway's own (botocore's model), named groups aside."""
    import botocore.session

    from sg_snapshot_provider.inputs import VOLUME_ARN_PATTERN

    model = botocore.session.get_session().get_service_model("storagegateway")
    installed = model.shape_for("VolumeARN").metadata["pattern"]
    # botocore from 1.35.18 (the declared floor) up to the "-eusc" partition's release has the
    # same pattern without that partition; ours accepts every ARN either accepts.
    before_eusc = VOLUME_ARN_PATTERN.replace("|-eusc", "")
    assert installed in (VOLUME_ARN_PATTERN, before_eusc)


@pytest.mark.parametrize("key", ["tab\there", "new\nline", "bell\a"])
def test_control_characters_are_not_tag_spaces(key: str) -> None:
    """Storage Gateway's TagKey pattern allows \\p{Z} separators, which tabs and new lines are not
    (Python's isspace() says they are)."""
    failure = only_failure(props(tags={key: "v"}))
    assert "spaces" in failure.reason


def test_unicode_letters_digits_and_spaces_are_tag_characters() -> None:
    args, failures = parse_args(props(tags={"équipe\u00a0de nuit": "٣ جهاز"}))
    assert failures == []
    assert args is not None


@pytest.mark.parametrize("value", ["snap-xyz", "vol-0123456789abcdef0", "snap-0123", 7, ""])
def test_adopt_snapshot_id_must_be_a_snapshot_id(value: Any) -> None:
    failure = only_failure(props(adopt_snapshot_id=value))
    assert failure.property == "adopt_snapshot_id"
    assert "snap-0123456789abcdef0" in failure.reason


@pytest.mark.parametrize("value", ["snap-xyz", 7])
def test_a_bad_adopt_snapshot_id_is_the_only_failure_without_a_description(value: Any) -> None:
    # Adopting makes description optional: a typo in the ID must not also ask for one.
    values = props(adopt_snapshot_id=value)
    del values["description"]
    failure = only_failure(values)
    assert failure.property == "adopt_snapshot_id"


def test_adopting_makes_description_optional_and_lower_cases_the_id() -> None:
    values = {k: v for k, v in props(adopt_snapshot_id="SNAP-0123456789ABCDEF0").items()}
    del values["description"]
    args, failures = parse_args(values)
    assert failures == []
    assert args is not None
    assert args.adopt_snapshot_id == "snap-0123456789abcdef0"
    assert "description" not in args.to_props()


def test_from_recovery_point_is_a_boolean() -> None:
    failure = only_failure(props(from_recovery_point="yes"))
    assert (failure.property, failure.reason) == (
        "from_recovery_point",
        "from_recovery_point must be true or false; got a string",
    )


def test_numbers_are_shown_as_the_user_wrote_them() -> None:
    """The wire turns 5 into 5.0: messages say 5."""
    failure = only_failure(props(completion_timeout_seconds=0.0))
    assert failure.reason.endswith("got 0")
    failure = only_failure(props(description=5.0))
    assert failure.reason.endswith("got the number 5")


def test_failures_never_repeat_the_values_of_inputs() -> None:
    """Any input may be a secret: a failure says what is wrong, never what the value was."""
    secret = "hunter2-" + "x" * 300
    _, failures = parse_args(
        {
            "volume_arn": secret,
            "description": secret,
            "adopt_snapshot_id": secret,
            "tags": {"k": secret},
            "triggers": {"t": [secret]},
        }
    )
    assert {f.property for f in failures} >= {"volume_arn", "adopt_snapshot_id", 'tags["k"]'}
    assert not [f for f in failures if "hunter2" in f.reason]


ADOPTED = "snap-0123456789abcdef0"


def test_adopt_from_owner_is_kept_and_only_sent_when_given() -> None:
    args, failures = parse_args(props(adopt_snapshot_id=ADOPTED, adopt_from_owner="p/s/r"))
    assert failures == []
    assert args is not None
    assert args.adopt_from_owner == "p/s/r"
    assert args.to_props()["adopt_from_owner"] == "p/s/r"
    plain, _ = parse_args(props(adopt_snapshot_id=ADOPTED))
    assert plain is not None
    assert "adopt_from_owner" not in plain.to_props()  # state of earlier releases: no new key


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        (props(adopt_from_owner="p/s/r"), "only applies with adopt_snapshot_id"),
        (props(adopt_snapshot_id=ADOPTED, adopt_from_owner=""), "owner tag's value"),
        (props(adopt_snapshot_id=ADOPTED, adopt_from_owner="x" * 257), "1 to 256 characters"),
        (props(adopt_snapshot_id=ADOPTED, adopt_from_owner=["p/s/r"]), "owner tag's value"),
    ],
)
def test_adopt_from_owner_failures_name_it(values: dict[str, Any], reason: str) -> None:
    failure = only_failure(values)
    assert failure.property == "adopt_from_owner"
    assert reason in failure.reason


def test_a_bad_adopt_snapshot_id_is_the_only_failure_with_adopt_from_owner() -> None:
    failure = only_failure(props(adopt_snapshot_id="snap-xyz", adopt_from_owner="p/s/r"))
    assert failure.property == "adopt_snapshot_id"


def test_adopt_from_owner_is_never_diffed() -> None:
    olds = {**props(adopt_snapshot_id=ADOPTED), "tags_all": {}}
    news = {**olds, "adopt_from_owner": "p/s/r"}
    assert not diff_props(olds, news).changes
    assert not diff_props(news, olds).changes
