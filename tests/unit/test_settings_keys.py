"""settings_from_config for the keys beyond credentials and endpoints: every pulumi-aws v7 key of
as the engine sends them (structured values as JSON text, booleans as strings), good
and bad; roles, web identity and account rules; what is named as ignored."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from sg_snapshot_provider.errors import ConfigurationError
from sg_snapshot_provider.inputs import IgnoreTags
from sg_snapshot_provider.settings import (
    HONOURED_KEYS,
    NO_EFFECT_KEYS,
    AssumeRole,
    Settings,
    WebIdentity,
    account_refusal,
    ignored_key_message,
    ignored_keys,
    parse_go_duration,
    settings_from_namespace,
)
from tests.conftest import REPO_ROOT, settings_from_mapping

ROLE = "arn:aws:iam::222222222222:role/deployer"
EXTERNAL_ID = "ext-Zq9wXv2Lm4Np6Rt8"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.web-identity-secret.sig"
PROXY_PASSWORD = "proxy-pass-Hh3Jj5"

#: pulumi-aws v7's keys (pulumi_aws/config/vars.py), each once.
PULUMI_AWS_V7_KEYS = {
    "accessKey",
    "allowedAccountIds",
    "assumeRoleWithWebIdentity",
    "assumeRoles",
    "customCaBundle",
    "defaultTags",
    "ec2MetadataServiceEndpoint",
    "ec2MetadataServiceEndpointMode",
    "endpoints",
    "forbiddenAccountIds",
    "httpProxy",
    "httpsProxy",
    "ignoreTags",
    "insecure",
    "maxRetries",
    "noProxy",
    "profile",
    "region",
    "retryMode",
    "s3UsEast1RegionalEndpoint",
    "s3UsePathStyle",
    "secretKey",
    "sharedConfigFiles",
    "sharedCredentialsFiles",
    "skipCredentialsValidation",
    "skipMetadataApiCheck",
    "skipRegionValidation",
    "skipRequestingAccountId",
    "stsRegion",
    "tagPolicyCompliance",
    "token",
    "tokenBucketRateLimiterCapacity",
    "useDualstackEndpoint",
    "useFipsEndpoint",
    "userAgents",
}


def test_every_pulumi_aws_key_is_honoured_or_accepted() -> None:
    keys = {f"aws:{key}" for key in PULUMI_AWS_V7_KEYS}
    assert keys <= HONOURED_KEYS | NO_EFFECT_KEYS
    assert ignored_keys(keys) == []
    assert not HONOURED_KEYS & NO_EFFECT_KEYS


def test_ignored_keys__other_aws_keys_only_sorted_once() -> None:
    keys = ["aws:region", "aws:zeta", "aws:skipRegionValidation", "proj:x", "aws:alpha", "aws:zeta"]
    assert ignored_keys(keys) == ["aws:alpha", "aws:zeta"]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("aws:regoin", "aws:regoin is ignored by sg-snapshot-provider; did you mean aws:region?"),
        (
            "aws:sharedCredentialsFile",
            "aws:sharedCredentialsFile is ignored by sg-snapshot-provider; "
            "did you mean aws:sharedCredentialsFiles?",
        ),
        ("aws:zzzzzz", "aws:zzzzzz is ignored by sg-snapshot-provider"),
    ],
)
def test_an_ignored_key_names_the_closest_known_key(key: str, message: str) -> None:
    assert ignored_key_message(key) == message


def test_every_key_as_the_engine_sends_it() -> None:
    settings = settings_from_mapping(
        {
            "aws:region": "eu-west-1",
            "aws:ignoreTags": json.dumps({"keys": ["CostCenter"], "keyPrefixes": ["backup:"]}),
            "aws:retryMode": "adaptive",
            "aws:customCaBundle": "/etc/ssl/corp.pem",
            "aws:httpProxy": f"http://user:{PROXY_PASSWORD}@proxy:3128",
            "aws:httpsProxy": "http://proxy:3128",
            "aws:noProxy": "localhost,.internal",
            "aws:assumeRoles": json.dumps([{"roleArn": ROLE}]),
            "aws:sharedConfigFiles": json.dumps(["/missing/config", "~/.aws/config"]),
            "aws:sharedCredentialsFiles": json.dumps(["~/.aws/credentials"]),
            "aws:allowedAccountIds": json.dumps(["222222222222", "111111111111"]),
            "aws:stsRegion": "eu-central-1",
            "aws:useFipsEndpoint": "true",
            "aws:useDualstackEndpoint": "false",
            "aws:userAgents": json.dumps(["platform/1.2 (ci)"]),
            "aws:ec2MetadataServiceEndpoint": "http://169.254.169.254",
            "aws:ec2MetadataServiceEndpointMode": "IPv6",
            "aws:endpoints": json.dumps([{"sts": "http://127.0.0.1:5000"}]),
            "aws:skipCredentialsValidation": "true",
            "aws:tokenBucketRateLimiterCapacity": "10000",
        }
    )
    assert settings.ignore_tags == IgnoreTags(("CostCenter",), ("backup:",))
    assert settings.retry_mode == "adaptive"
    assert settings.custom_ca_bundle == "/etc/ssl/corp.pem"
    assert settings.http_proxy == f"http://user:{PROXY_PASSWORD}@proxy:3128"
    assert settings.https_proxy == "http://proxy:3128"
    assert settings.no_proxy == "localhost,.internal"
    assert settings.assume_roles == (AssumeRole(ROLE),)
    assert settings.shared_config_files == ("/missing/config", "~/.aws/config")
    assert settings.shared_credentials_files == ("~/.aws/credentials",)
    assert settings.allowed_account_ids == ("111111111111", "222222222222")
    assert settings.sts_region == "eu-central-1"
    assert (settings.use_fips_endpoint, settings.use_dualstack_endpoint) == (True, False)
    assert settings.user_agents == ("platform/1.2 (ci)",)
    assert settings.ec2_metadata_service_endpoint == "http://169.254.169.254"
    assert settings.ec2_metadata_service_endpoint_mode == "ipv6"
    assert settings.endpoint("sts") == "http://127.0.0.1:5000"
    assert settings.checks_account
    hash(settings)
    assert PROXY_PASSWORD not in repr(settings)


def test_already_parsed_values_and_lone_strings_are_accepted() -> None:
    settings = settings_from_mapping(
        {
            "aws:sharedConfigFiles": "/etc/aws/config",  # a single path, not a list
            "aws:userAgents": "platform/1.2",
            "aws:assumeRoles": {"roleArn": ROLE},  # one role, not a list
            "aws:forbiddenAccountIds": [123456789012, "012345678901"],
            "aws:ignoreTags": {"keys": ["a"]},
            "aws:useFipsEndpoint": True,
        }
    )
    assert settings.shared_config_files == ("/etc/aws/config",)
    assert settings.user_agents == ("platform/1.2",)
    assert settings.assume_roles == (AssumeRole(ROLE),)
    assert settings.forbidden_account_ids == ("012345678901", "123456789012")
    assert settings.ignore_tags == IgnoreTags(("a",))
    assert settings.use_fips_endpoint is True


def test_assume_roles__every_field_and_order_kept() -> None:
    roles = [
        {
            "roleArn": "arn:aws:iam::111111111111:role/path/hop",
            "sessionName": "pulumi-deploy",
            "externalId": EXTERNAL_ID,
            "duration": "1h30m",
            "policy": json.dumps({"Version": "2012-10-17", "Statement": []}),
            "policyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
            "tags": {"project": "storage", "team": "ops"},
            "transitiveTagKeys": ["project"],
            "sourceIdentity": "alice",
        },
        {"roleArn": ROLE, "durationSeconds": 900},
    ]
    settings = settings_from_mapping({"aws:assumeRoles": json.dumps(roles)})

    first, second = settings.assume_roles
    assert first.role_arn == "arn:aws:iam::111111111111:role/path/hop"
    assert first.session_name == "pulumi-deploy"
    assert first.external_id == EXTERNAL_ID
    assert first.duration_seconds == 5400
    assert json.loads(str(first.policy)) == {"Version": "2012-10-17", "Statement": []}
    assert first.policy_arns == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert first.tags == (("project", "storage"), ("team", "ops"))
    assert first.transitive_tag_keys == ("project",)
    assert first.source_identity == "alice"
    assert second == AssumeRole(ROLE, duration_seconds=900)
    assert EXTERNAL_ID not in repr(settings)


def test_assume_role__the_older_single_object() -> None:
    role = {"roleArn": ROLE, "sessionName": "s1", "durationSeconds": "3600", "externalId": "x1"}
    settings = settings_from_mapping({"aws:assumeRole": json.dumps(role)})
    assert settings.assume_roles == (AssumeRole(ROLE, "s1", "x1", 3600),)


def test_assume_roles__empty_list_means_none() -> None:
    assert settings_from_mapping({"aws:assumeRoles": "[]"}).assume_roles == ()


def test_web_identity__token_or_file_and_ci_variables() -> None:
    inline = settings_from_mapping(
        {
            "aws:assumeRoleWithWebIdentity": json.dumps(
                {
                    "roleArn": ROLE,
                    "webIdentityToken": TOKEN,
                    "sessionName": "ci",
                    "duration": "15m",
                    "policyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                }
            )
        }
    )
    assert inline.web_identity == WebIdentity(
        ROLE,
        "ci",
        web_identity_token=TOKEN,
        duration_seconds=900,
        policy_arns=("arn:aws:iam::aws:policy/ReadOnlyAccess",),
    )
    assert TOKEN not in repr(inline)
    environ = {
        "AWS_ROLE_ARN": ROLE,
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token",
        "AWS_ROLE_SESSION_NAME": "gha",
    }
    from_ci = settings_from_mapping({"aws:assumeRoleWithWebIdentity": "{}"}, environ)
    assert from_ci.web_identity == WebIdentity(
        ROLE, "gha", web_identity_token_file="/var/run/token"
    )
    # A token in the config wins over the CI's token file.
    token_wins = settings_from_mapping(
        {"aws:assumeRoleWithWebIdentity": json.dumps({"webIdentityToken": TOKEN})}, environ
    )
    assert token_wins.web_identity is not None
    assert token_wins.web_identity.web_identity_token_file is None


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("90m", 5400), ("1h30m", 5400), ("1.5h", 5400), ("3600s", 3600), ("0", 0)],
)
def test_parse_go_duration(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "h", "1d", "1h 30m", "one hour", "1hm"])
def test_parse_go_duration__not_a_duration(text: str) -> None:
    assert parse_go_duration(text) is None


def _role(**fields: Any) -> str:
    return json.dumps([{"roleArn": ROLE, **fields}])


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        ({"aws:ignoreTags": "[]"}, "aws:ignoreTags", "expected a map"),
        ({"aws:ignoreTags": '{"keys": "a"}'}, "aws:ignoreTags", "list of strings"),
        ({"aws:ignoreTags": '{"prefixes": ["a"]}'}, "aws:ignoreTags", "unknown field prefixes"),
        ({"aws:ignoreTags": '{"keys": [""]}'}, "aws:ignoreTags", "may not be empty"),
        ({"aws:retryMode": "legacy"}, "aws:retryMode", "standard, adaptive"),
        ({"aws:customCaBundle": 3}, "aws:customCaBundle", "expected a string"),
        ({"aws:httpProxy": "proxy:3128"}, "aws:httpProxy", "http:// or https://"),
        ({"aws:httpsProxy": "socks5://x"}, "aws:httpsProxy", "http:// or https://"),
        ({"aws:noProxy": ["a"]}, "aws:noProxy", "expected a string"),
        ({"aws:sharedConfigFiles": "[1]"}, "aws:sharedConfigFiles", "list of strings"),
        ({"aws:sharedCredentialsFiles": '[""]'}, "aws:sharedCredentialsFiles", "not be empty"),
        ({"aws:allowedAccountIds": '["12345"]'}, "aws:allowedAccountIds", "12-digit"),
        ({"aws:forbiddenAccountIds": '{"a": 1}'}, "aws:forbiddenAccountIds", "12-digit"),
        (
            {
                "aws:allowedAccountIds": '["111111111111"]',
                "aws:forbiddenAccountIds": '["222222222222"]',
            },
            "aws:forbiddenAccountIds",
            "not both",
        ),
        ({"aws:stsRegion": 1}, "aws:stsRegion", "expected a string"),
        ({"aws:useFipsEndpoint": "yes"}, "aws:useFipsEndpoint", "true or false"),
        ({"aws:useDualstackEndpoint": "1"}, "aws:useDualstackEndpoint", "true or false"),
        ({"aws:userAgents": '["a\\nb"]'}, "aws:userAgents", "one line"),
        ({"aws:userAgents": "[1]"}, "aws:userAgents", "list of strings"),
        ({"aws:ec2MetadataServiceEndpoint": "x"}, "aws:ec2MetadataServiceEndpoint", "URL"),
        (
            {"aws:ec2MetadataServiceEndpointMode": "v6"},
            "aws:ec2MetadataServiceEndpointMode",
            "ipv4",
        ),
        ({"aws:token": "t"}, "aws:token", "goes with aws:accessKey"),
        ({"aws:assumeRoles": "[{"}, "aws:assumeRoles", "expected JSON"),
        ({"aws:assumeRoles": '["arn"]'}, "aws:assumeRoles", "list of roles"),
        ({"aws:assumeRoles": "[{}]"}, "aws:assumeRoles", "roleArn is required"),
        ({"aws:assumeRoles": '[{"rolearn": "x"}]'}, "aws:assumeRoles", "unknown field rolearn"),
        (
            {"aws:assumeRoles": _role(roleArn="arn:aws:iam::1:role/x")},
            "aws:assumeRoles",
            "IAM role ARN",
        ),
        ({"aws:assumeRoles": _role(roleArn="deployer")}, "aws:assumeRoles", "IAM role ARN"),
        ({"aws:assumeRoles": _role(sessionName="a b")}, "aws:assumeRoles", "sessionName"),
        ({"aws:assumeRoles": _role(sessionName=5)}, "aws:assumeRoles", "must be a string"),
        ({"aws:assumeRoles": _role(externalId="x")}, "aws:assumeRoles", "externalId must be"),
        ({"aws:assumeRoles": _role(duration="10m")}, "aws:assumeRoles", "15 minutes"),
        ({"aws:assumeRoles": _role(duration="13h")}, "aws:assumeRoles", "15 minutes"),
        ({"aws:assumeRoles": _role(duration="an hour")}, "aws:assumeRoles", "such as 1h"),
        ({"aws:assumeRoles": _role(durationSeconds=60)}, "aws:assumeRoles", "900 to 43200"),
        ({"aws:assumeRoles": _role(durationSeconds="1h")}, "aws:assumeRoles", "whole number"),
        (
            {"aws:assumeRoles": _role(duration="1h", durationSeconds=3600)},
            "aws:assumeRoles",
            "not both",
        ),
        ({"aws:assumeRoles": _role(policy="{")}, "aws:assumeRoles", "policy must be"),
        ({"aws:assumeRoles": _role(policy="[]")}, "aws:assumeRoles", "JSON object"),
        ({"aws:assumeRoles": _role(policyArns=["x"])}, "aws:assumeRoles", "IAM policy ARNs"),
        (
            {"aws:assumeRoles": _role(policyArns=["arn:aws:iam::aws:policy/P"] * 11)},
            "aws:assumeRoles",
            "at most 10",
        ),
        ({"aws:assumeRoles": _role(tags={"a": 1})}, "aws:assumeRoles", "map of strings"),
        ({"aws:assumeRoles": _role(tags={"": "v"})}, "aws:assumeRoles", "1 to 128"),
        (
            {"aws:assumeRoles": _role(tags={"a": "b"}, transitiveTagKeys=["c"])},
            "aws:assumeRoles",
            "not in tags: c",
        ),
        ({"aws:assumeRoles": _role(sourceIdentity="x")}, "aws:assumeRoles", "sourceIdentity"),
        (
            {"aws:assumeRoles": json.dumps([{"roleArn": ROLE}, {}])},
            "aws:assumeRoles",
            "role 2: roleArn is required",
        ),
        (
            {"aws:assumeRole": json.dumps([{"roleArn": ROLE}, {"roleArn": ROLE}])},
            "aws:assumeRole",
            "chain several with aws:assumeRoles",
        ),
        (
            {"aws:assumeRole": json.dumps({"roleArn": ROLE}), "aws:assumeRoles": _role()},
            "aws:assumeRole",
            "not both",
        ),
        ({"aws:assumeRoleWithWebIdentity": "[]"}, "aws:assumeRoleWithWebIdentity", "a map"),
        (
            {"aws:assumeRoleWithWebIdentity": json.dumps({"roleArn": ROLE})},
            "aws:assumeRoleWithWebIdentity",
            "set one of webIdentityToken",
        ),
        (
            {
                "aws:assumeRoleWithWebIdentity": json.dumps(
                    {"roleArn": ROLE, "webIdentityToken": TOKEN, "webIdentityTokenFile": "/t"}
                )
            },
            "aws:assumeRoleWithWebIdentity",
            "set one of",
        ),
        (
            {"aws:assumeRoleWithWebIdentity": json.dumps({"webIdentityToken": TOKEN})},
            "aws:assumeRoleWithWebIdentity",
            "roleArn is required",
        ),
        (
            {
                "aws:assumeRoleWithWebIdentity": json.dumps(
                    {"roleArn": ROLE, "webIdentityToken": TOKEN, "externalId": "x"}
                )
            },
            "aws:assumeRoleWithWebIdentity",
            "unknown field externalId",
        ),
    ],
)
def test_bad_values_name_the_key(config: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings_from_mapping(config)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"invalid configuration {key}: ")
    assert words in str(caught.value)


def test_an_empty_forbidden_list_is_no_conflict_with_an_allowed_list() -> None:
    settings = settings_from_mapping(
        {"aws:allowedAccountIds": '["111111111111"]', "aws:forbiddenAccountIds": "[]"}
    )
    assert settings.allowed_account_ids == ("111111111111",)


@pytest.mark.parametrize(
    "config",
    [
        {"aws:assumeRoles": _role(externalId="!" + EXTERNAL_ID)},
        {"aws:assumeRoles": _role(externalId=["not", EXTERNAL_ID])},
        {"aws:assumeRoleWithWebIdentity": json.dumps({"roleArn": "r", "webIdentityToken": TOKEN})},
        {
            "aws:assumeRoleWithWebIdentity": json.dumps(
                {"roleArn": ROLE, "webIdentityToken": [TOKEN]}
            )
        },
        {"aws:httpProxy": f"proxy://user:{PROXY_PASSWORD}@host"},
    ],
)
def test_errors_never_repeat_a_secret(config: dict[str, Any]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings_from_mapping(config)
    for secret in (EXTERNAL_ID, TOKEN, PROXY_PASSWORD):
        assert secret not in str(caught.value)


def test_role_settings_refuse_to_be_pickled() -> None:
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(AssumeRole(ROLE, external_id=EXTERNAL_ID))
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(WebIdentity(ROLE, web_identity_token=TOKEN))


def test_account_refusal() -> None:
    forbidding = Settings(forbidden_account_ids=("222222222222",))
    allowing = Settings(allowed_account_ids=("111111111111",))
    assert account_refusal(forbidding, "222222222222") == "aws:forbiddenAccountIds"
    assert account_refusal(forbidding, "111111111111") is None
    assert account_refusal(allowing, "222222222222") == "aws:allowedAccountIds"
    assert account_refusal(allowing, "111111111111") is None
    assert account_refusal(Settings(), "222222222222") is None
    assert not Settings().checks_account


def test_settings_from_namespace__identity_keys_too() -> None:
    bare = {"assumeRoles": _role(sessionName="prog"), "forbiddenAccountIds": '["111111111111"]'}
    settings = settings_from_namespace(bare.get, {})
    assert settings.assume_roles == (AssumeRole(ROLE, "prog"),)
    assert settings.forbidden_account_ids == ("111111111111",)


def test_the_configuration_page_names_every_key() -> None:
    page = (REPO_ROOT / "docs" / "configuration.md").read_text()
    table = [line for line in page.splitlines() if line.startswith("| `aws:")]
    for key in sorted(HONOURED_KEYS | NO_EFFECT_KEYS):
        rows = [row for row in table if f"`{key}`" in row.split("|")[1]]
        assert len(rows) == 1, f"{key} is not in one row of docs/configuration.md's table"
        verdict = rows[0].split("|")[2]
        expected = "accepted, no effect" if key in NO_EFFECT_KEYS else "supported"
        assert verdict.strip().startswith(expected), key
