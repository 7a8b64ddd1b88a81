"""``emulator.policy``: IAM's evaluation rules, one by one (no HTTP, no moto)."""

from __future__ import annotations

from typing import Any

import pytest

from sg_snapshot_provider.emulator.policy import (
    Decision,
    Policy,
    PolicyError,
    RequestContext,
    decide,
    decide_all,
)

SNAPSHOT = "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0"
OWNER = "aws:ResourceTag/sg-snapshot-provider:owner"


def policy(*statements: dict[str, Any]) -> Policy:
    return Policy.parse({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any = "ec2:DeleteSnapshot", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def ask(
    action: str = "ec2:DeleteSnapshot",
    resource: str = SNAPSHOT,
    keys: dict[str, list[str]] | None = None,
) -> RequestContext:
    return RequestContext(action, resource, keys or {})


def test_nothing_allows__denied_by_default() -> None:
    assert decide([policy(allow("ec2:CreateTags"))], ask()) is Decision.IMPLICIT_DENY
    assert decide([], ask()) is Decision.IMPLICIT_DENY


def test_an_explicit_deny_wins_whatever_the_order() -> None:
    deny = {"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}
    assert decide([policy(deny), policy(allow())], ask()) is Decision.EXPLICIT_DENY
    assert decide([policy(allow(), deny)], ask()) is Decision.EXPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "action", "allowed"),
    [
        ("ec2:DeleteSnapshot", "ec2:deletesnapshot", True),  # actions ignore case
        ("ec2:Delete*", "ec2:DeleteSnapshot", True),
        ("ec2:Delete?napshot", "ec2:DeleteSnapshot", True),
        ("ec2:Delete*", "ec2:CreateTags", False),
        ("ec2:*", "storagegateway:CreateSnapshot", False),
        ("*", "storagegateway:CreateSnapshot", True),
    ],
)
def test_action_wildcards(pattern: str, action: str, allowed: bool) -> None:
    decision = decide([policy(allow(pattern))], ask(action))
    assert (decision is Decision.ALLOW) is allowed


def test_not_action_allows_everything_else() -> None:
    everything_but_delete = {"Effect": "Allow", "NotAction": "ec2:Delete*", "Resource": "*"}
    assert decide([policy(everything_but_delete)], ask("ec2:CreateTags")) is Decision.ALLOW
    assert decide([policy(everything_but_delete)], ask()) is Decision.IMPLICIT_DENY


@pytest.mark.parametrize(
    ("pattern", "allowed"),
    [
        ("arn:aws:ec2:*::snapshot/*", True),
        ("arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef?", True),
        ("arn:aws:ec2:eu-west-1::snapshot/*", False),
        ("arn:aws:ec2:*::SNAPSHOT/*", False),  # ARNs are case-sensitive
        ("arn:aws:ec2:*::volume/*", False),
    ],
)
def test_resource_wildcards(pattern: str, allowed: bool) -> None:
    assert (decide([policy(allow(resource=pattern))], ask()) is Decision.ALLOW) is allowed


def test_not_resource() -> None:
    statement = {"Effect": "Allow", "Action": "ec2:*", "NotResource": "arn:aws:ec2:*::snapshot/*"}
    assert decide([policy(statement)], ask()) is Decision.IMPLICIT_DENY
    assert decide([policy(statement)], ask(resource="*")) is Decision.ALLOW


def test_null__the_owner_tag_must_exist() -> None:
    owned = policy(allow(Condition={"Null": {OWNER: "false"}}))
    assert decide([owned], ask(keys={OWNER: ["p/s/r"]})) is Decision.ALLOW
    assert decide([owned], ask()) is Decision.IMPLICIT_DENY
    untagged_only = policy(allow(Condition={"Null": {OWNER: "true"}}))
    assert decide([untagged_only], ask()) is Decision.ALLOW


def test_condition_key_names_ignore_case() -> None:
    owned = policy(allow(Condition={"StringEquals": {OWNER.upper(): "p/s/r"}}))
    assert decide([owned], ask(keys={OWNER: ["p/s/r"]})) is Decision.ALLOW


@pytest.mark.parametrize(
    ("operator", "policy_value", "request_value", "allowed"),
    [
        ("StringEquals", "proj/dev/a", "proj/dev/a", True),
        ("StringEquals", "proj/dev/a", "PROJ/dev/a", False),  # values keep their case
        ("StringEqualsIgnoreCase", "proj/dev/a", "PROJ/dev/a", True),
        ("StringLike", "proj/dev/*", "proj/dev/a", True),
        ("StringLike", "proj/dev/*", "proj/prod/a", False),
        ("StringNotEquals", "proj/dev/a", "proj/dev/b", True),
        ("StringNotLike", "proj/dev/*", "proj/dev/a", False),
        ("StringNotEquals", "proj/dev/a", None, True),  # absent: a negated operator holds
        ("StringEquals", "proj/dev/a", None, False),
        ("StringEqualsIfExists", "proj/dev/a", None, True),
        ("StringEqualsIfExists", "proj/dev/a", "proj/dev/b", False),
    ],
)
def test_string_operators(
    operator: str, policy_value: str, request_value: str | None, allowed: bool
) -> None:
    owned = policy(allow(Condition={operator: {OWNER: policy_value}}))
    keys = {} if request_value is None else {OWNER: [request_value]}
    assert (decide([owned], ask(keys=keys)) is Decision.ALLOW) is allowed


def test_values_of_one_key_are_alternatives_keys_and_operators_all_hold() -> None:
    either = policy(allow(Condition={"StringEquals": {OWNER: ["a", "b"]}}))
    assert decide([either], ask(keys={OWNER: ["b"]})) is Decision.ALLOW
    both = policy(
        allow(
            Condition={
                "StringEquals": {OWNER: "a"},
                "Null": {"aws:RequestTag/team": "false"},
            }
        )
    )
    only_owner = ask(keys={OWNER: ["a"]})
    assert decide([both], only_owner) is Decision.IMPLICIT_DENY
    with_team = ask(keys={OWNER: ["a"], "aws:RequestTag/team": ["x"]})
    assert decide([both], with_team) is Decision.ALLOW


@pytest.mark.parametrize(
    ("operator", "tag_keys", "allowed"),
    [
        ("ForAnyValue:StringEquals", ["team", "sg-snapshot-provider:owner"], True),
        ("ForAnyValue:StringEquals", ["team"], False),
        ("ForAnyValue:StringEquals", None, False),
        ("ForAllValues:StringNotLike", ["team", "app"], True),
        ("ForAllValues:StringNotLike", ["team", "sg-snapshot-provider:owner"], False),
        ("ForAllValues:StringNotLike", None, True),  # no values: it holds (IAM's pitfall)
    ],
)
def test_set_operators_on_a_multivalued_key(
    operator: str, tag_keys: list[str] | None, allowed: bool
) -> None:
    value = "sg-snapshot-provider:owner" if "Equals" in operator else "sg-snapshot-provider:*"
    statement = policy(allow("ec2:CreateTags", Condition={operator: {"aws:TagKeys": value}}))
    keys = {} if tag_keys is None else {"aws:TagKeys": tag_keys}
    assert (decide([statement], ask("ec2:CreateTags", keys=keys)) is Decision.ALLOW) is allowed


def test_a_request_on_many_resources_needs_each_one() -> None:
    owned = policy(allow(Condition={"Null": {OWNER: "false"}}))
    mine = ask(keys={OWNER: ["p/s/r"]})
    theirs = ask(resource=SNAPSHOT.replace("0123", "4567"))
    assert decide_all([owned], [mine]) == (Decision.ALLOW, None)
    assert decide_all([owned], [mine, theirs]) == (Decision.IMPLICIT_DENY, theirs)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "must be a JSON object"),
        ({"Version": "2012-10-17", "Statement": []}, "Statement must be a statement or a list"),
        (
            {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"},
            },
            'Effect must be "Allow" or "Deny"',
        ),
        (
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Resource": "*"}},
            "exactly one of Action and NotAction",
        ),
        (
            {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*"}},
            "exactly one of Resource and NotResource",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": {"Effect": "Allow", "Action": "DeleteSnapshot", "Resource": "*"},
            },
            "is not service:Action",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"StringLike": {OWNER: "${aws:username}/*"}},
                },
            },
            "policy variables",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Allow",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"Null": {OWNER: "maybe"}},
                },
            },
            'must be "true" or "false"',
        ),
    ],
)
def test_documents_iam_would_refuse(document: Any, reason: str) -> None:
    with pytest.raises(PolicyError, match=reason):
        Policy.parse(document)
