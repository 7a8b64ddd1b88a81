"""settings_from_config: every aws:… key, JSON text, booleans as strings, clear errors."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

from sg_snapshot_provider.errors import ConfigurationError
from sg_snapshot_provider.settings import (
    TIMINGS_ENV,
    Settings,
    Timings,
    settings_from_namespace,
    timings_from_env,
)
from tests.conftest import settings_from_mapping

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_empty_config_means_boto3_defaults() -> None:
    assert settings_from_mapping({}) == Settings()


def test_every_key() -> None:
    settings = settings_from_mapping(
        {
            "aws:region": "eu-west-1",
            "aws:profile": "ops",
            "aws:accessKey": "AKIAEXAMPLE",
            "aws:secretKey": SECRET,
            "aws:token": "session-token",
            "aws:endpoints": json.dumps(
                [
                    {"storagegateway": "http://127.0.0.1:5000"},
                    {"ec2": "https://ec2.local", "s3": "x"},
                ]
            ),
            "aws:defaultTags": json.dumps({"tags": {"owner": "ops"}}),
            "aws:maxRetries": "7",
            "aws:insecure": "true",
        }
    )
    assert settings.region == "eu-west-1"
    assert settings.profile == "ops"
    assert (settings.access_key, settings.secret_key, settings.token) == (
        "AKIAEXAMPLE",
        SECRET,
        "session-token",
    )
    assert settings.endpoint("storagegateway") == "http://127.0.0.1:5000"
    assert settings.endpoint("ec2") == "https://ec2.local"
    assert settings.endpoint("s3") is None  # other services are not ours
    assert settings.default_tags_map == {"owner": "ops"}
    assert settings.max_retries == 7
    assert settings.insecure is True
    hash(settings)  # it keys the client cache


def test_already_parsed_values_are_accepted() -> None:
    settings = settings_from_mapping(
        {
            "aws:endpoints": [{"ec2": "http://e"}],
            "aws:defaultTags": {"tags": {"a": "b"}},
            "aws:maxRetries": 2,
            "aws:insecure": False,
        }
    )
    assert settings.endpoint("ec2") == "http://e"
    assert settings.default_tags_map == {"a": "b"}
    assert settings.max_retries == 2
    assert settings.insecure is False


@pytest.mark.parametrize(("text", "expected"), [("false", False), ("True", True), ("", False)])
def test_booleans_arrive_as_strings(text: str, expected: bool) -> None:
    assert settings_from_mapping({"aws:insecure": text}).insecure is expected


def test_empty_strings_mean_unset() -> None:
    settings = settings_from_mapping({"aws:profile": "", "aws:endpoints": "", "aws:maxRetries": ""})
    assert settings == Settings()


def test_default_tags_without_tags_key_is_empty() -> None:
    assert settings_from_mapping({"aws:defaultTags": "{}"}).default_tags == ()


@pytest.mark.parametrize(
    ("config", "key", "words"),
    [
        ({"aws:endpoints": "[{"}, "aws:endpoints", "expected JSON"),
        ({"aws:endpoints": '"http://x"'}, "aws:endpoints", "list of service-to-URL maps"),
        ({"aws:endpoints": '[{"ec2": "ftp://x"}]'}, "aws:endpoints", "http(s) URL"),
        ({"aws:defaultTags": "tags"}, "aws:defaultTags", "expected JSON"),
        ({"aws:defaultTags": "[]"}, "aws:defaultTags", "expected a map"),
        ({"aws:defaultTags": '{"tags": []}'}, "aws:defaultTags", "map of strings"),
        ({"aws:defaultTags": '{"tags": {"aws:x": "y"}}'}, "aws:defaultTags", "aws:"),
        ({"aws:defaultTags": '{"tags": {"k": 1}}'}, "aws:defaultTags", "must be strings"),
        ({"aws:maxRetries": "many"}, "aws:maxRetries", "whole number"),
        ({"aws:maxRetries": "-1"}, "aws:maxRetries", "whole number"),
        ({"aws:maxRetries": "1.5"}, "aws:maxRetries", "whole number"),
        ({"aws:maxRetries": True}, "aws:maxRetries", "whole number"),
        ({"aws:insecure": "yes"}, "aws:insecure", "true or false"),
        ({"aws:region": 3}, "aws:region", "expected a string"),
        ({"aws:accessKey": "AKIA"}, "aws:secretKey", "both"),
        ({"aws:secretKey": SECRET}, "aws:accessKey", "both"),
    ],
)
def test_bad_values_name_the_key(config: dict[str, Any], key: str, words: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings_from_mapping(config)
    assert caught.value.key == key
    assert key in str(caught.value)
    assert words in str(caught.value)
    assert SECRET not in str(caught.value)


def test_a_credential_of_the_wrong_type_is_not_echoed() -> None:
    with pytest.raises(ConfigurationError) as caught:
        settings_from_mapping({"aws:accessKey": "AKIA", "aws:secretKey": ["hunter2"]})
    assert "hunter2" not in str(caught.value)


def test_repr_has_no_credential() -> None:
    settings = settings_from_mapping(
        {"aws:accessKey": "AKIAEXAMPLE", "aws:secretKey": SECRET, "aws:token": "tok-secret"}
    )
    for text in (repr(settings), str(settings)):
        assert SECRET not in text
        assert "AKIAEXAMPLE" not in text
        assert "tok-secret" not in text


def test_settings_refuse_to_be_pickled() -> None:
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(Settings(access_key="a", secret_key=SECRET))


def test_timings_from_env() -> None:
    assert timings_from_env(None) == Timings()
    timings = timings_from_env('{"transient_retry_seconds": 1, "poll_interval_seconds": 0.1}')
    assert timings.transient_retry_seconds == 1.0
    assert timings.poll_interval_seconds == 0.1
    assert timings.in_use_retry_seconds == Timings().in_use_retry_seconds


@pytest.mark.parametrize(
    "text",
    ["[1]", '{"nope": 1}', '{"poll_interval_seconds": "x"}', "{", '{"poll_interval_seconds": -1}'],
)
def test_bad_timings_name_the_variable_at_configure_time(text: str) -> None:
    with pytest.raises(ConfigurationError, match=TIMINGS_ENV):
        settings_from_mapping({}, {TIMINGS_ENV: text})


def test_timings_are_read_with_the_settings() -> None:
    settings = settings_from_mapping({}, {TIMINGS_ENV: '{"visibility_window_seconds": 3}'})
    assert settings.timings.visibility_window_seconds == 3.0
    assert settings_from_mapping({}).timings == Timings()


def test_importing_the_package_ignores_a_bad_timings_variable() -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, TIMINGS_ENV: "not json"}
    done = subprocess.run(
        [sys.executable, "-c", "import sg_snapshot_provider"], env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()


def test_settings_from_namespace__reads_bare_keys_as_a_program_config_does() -> None:
    bare = {
        "region": "eu-west-1",
        "profile": "ops",
        "endpoints": '[{"storagegateway": "http://127.0.0.1:4566"}]',
        "defaultTags": '{"tags": {"team": "storage"}}',
        "maxRetries": "5",
    }

    settings = settings_from_namespace(bare.get, {})

    assert settings == settings_from_mapping({f"aws:{key}": value for key, value in bare.items()})
    assert settings.region == "eu-west-1"
    assert settings.profile == "ops"
    assert settings.endpoint("storagegateway") == "http://127.0.0.1:4566"
    assert settings.default_tags_map == {"team": "storage"}
    assert settings.max_attempts == 6
