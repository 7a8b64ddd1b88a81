"""The resource's free-text inputs are hidden from what the provider passes on."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
from pulumi.dynamic import CreateResult

from sg_snapshot_provider.aws.clients import hide_in_aws_message
from sg_snapshot_provider.errors import AwsOperationError, SnapshotProviderError
from sg_snapshot_provider.hidden_values import (
    PLACEHOLDER,
    free_text_values,
    hide,
    hide_in_exception,
    hiding,
)
from sg_snapshot_provider.providers.common import ConfiguredProvider


def test_only_free_text_inputs_of_four_characters_or_more_are_hidden() -> None:
    props = {
        "description": "nightly-hush",
        "tags": {"owner": "hush-owner", "env": "dev"},
        "triggers": {"release": ["v1-hush"]},
        "volume_arn": "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-1/volume/vol-1",
    }

    assert free_text_values(props, None) == {"nightly-hush", "hush-owner", "v1-hush"}


def test_a_value_holding_another_is_hidden_whole() -> None:
    with hiding(frozenset({"hush", "hush-longer"})):
        assert hide("got hush-longer and hush") == f"got {PLACEHOLDER} and {PLACEHOLDER}"
    assert hide("got hush") == "got hush"  # outside the engine call, nothing is hidden


def test_an_aws_message_is_hidden_before_botocore_raises_it() -> None:
    parsed = {"Error": {"Code": "InvalidParameterValue", "Message": "Value (hush-owner) bad"}}

    with hiding(frozenset({"hush-owner"})):
        hide_in_aws_message(parsed=parsed)

    assert parsed["Error"]["Message"] == f"Value ({PLACEHOLDER}) bad"


def test_our_sentences_are_kept_and_a_chain_that_quoted_a_value_is_cut() -> None:
    cause = RuntimeError("Value (storage) for parameter is invalid")
    err = SnapshotProviderError("changing the storage tier of snap-1 failed")
    err.__cause__ = cause

    with hiding(frozenset({"storage"})):
        shown = hide_in_exception(err, SnapshotProviderError)

    assert shown is err
    assert str(err) == "changing the storage tier of snap-1 failed"
    assert err.__cause__ is None
    assert err.__suppress_context__


def test_an_exception_not_ours_that_quotes_a_value_is_replaced() -> None:
    with hiding(frozenset({"hush-owner"})):
        shown = hide_in_exception(KeyError("hush-owner"), SnapshotProviderError)

    assert "hush-owner" not in str(shown)
    assert PLACEHOLDER in str(shown)


def test_a_chain_that_quotes_nothing_is_kept() -> None:
    cause = RuntimeError("throttled")
    err = AwsOperationError("CreateTags", "snap-1", "Throttling", "slow down")
    err.__cause__ = cause

    with hiding(frozenset({"hush-owner"})):
        hide_in_exception(err, SnapshotProviderError)

    assert err.__cause__ is cause


def test_a_value_inside_a_longer_name_is_kept() -> None:
    arn = "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-1/volume/vol-1"
    with hiding(frozenset({"storage", "us-east-1", "vol-1", "sgw-1"})):
        assert hide(f"volume {arn} failed") == f"volume {arn} failed"
        assert hide("Value (us-east-1) is invalid: storage.") == (
            f"Value ({PLACEHOLDER}) is invalid: {PLACEHOLDER}."
        )


class _Failing(ConfiguredProvider):
    """Raises ``error`` from create, as a provider whose AWS call failed."""

    error: Exception = RuntimeError()

    def create(self, props: dict[str, Any]) -> CreateResult:
        raise self.error


def _chained(depth: int) -> SnapshotProviderError:
    err: Exception = RuntimeError("the first cause")
    for level in range(depth):
        try:
            raise err
        except Exception as cause:
            try:
                raise RuntimeError(f"cause {level}: " + "x" * 200) from cause
            except RuntimeError as wrapped:
                err = wrapped
    top = SnapshotProviderError("creating the snapshot failed")
    top.__cause__ = err
    return top


@pytest.mark.parametrize(("depth", "kept"), [(2, True), (40, False)])
def test_a_chain_too_long_for_the_plugin_to_send_is_left_out(depth: int, kept: bool) -> None:
    _Failing.error = _chained(depth)

    with pytest.raises(SnapshotProviderError) as failed:
        _Failing().create({"description": "nightly"})

    assert str(failed.value) == "creating the snapshot failed"
    assert (failed.value.__cause__ is not None) is kept
    assert len("".join(traceback.format_exception(failed.value))) < 8192
