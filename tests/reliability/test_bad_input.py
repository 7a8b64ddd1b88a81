"""Arbitrary inputs: check never raises, names the property of every failure, calls no AWS."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.output import UNKNOWN
from pulumi.runtime import rpc

from sg_snapshot_harness import Engine
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG, INPUT_KEYS
from tests.conftest import VOLUME_ARN

HUGE = st.sampled_from(["x" * 100_000, "é" * 5_000, "🙂" * 300, "a\x00b", "\u202e" * 10])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=300)
    | HUGE
    | st.just(UNKNOWN)
    | st.just(rpc.UNKNOWN)
    | st.just(VOLUME_ARN)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=140) | HUGE | st.just(CREATE_TOKEN_TAG), inner, max_size=4
        )
    ),
    max_leaves=12,
)
PROPS = st.dictionaries(st.sampled_from(INPUT_KEYS), VALUES) | st.dictionaries(
    st.sampled_from(INPUT_KEYS) | st.text(max_size=30), VALUES
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(props=PROPS)
def test_check_never_raises_and_names_every_property(
    props: dict[str, Any], emulator: Emulator
) -> None:
    provider = StorageGatewaySnapshotProvider()
    result = provider.check({}, {**props, "__provider": "p"})
    for failure in result.failures:
        assert failure.property.startswith(INPUT_KEYS) or failure.property in props, failure
        assert failure.reason
    assert emulator.calls() == []


BAD_INPUTS = [
    ({"volume_arn": 42, "description": "d"}, ["volume_arn"]),
    ({"volume_arn": VOLUME_ARN, "description": ""}, ["description"]),
    ({"volume_arn": VOLUME_ARN, "description": "d", "tags": {"aws:x": "1"}}, ['tags["aws:x"]']),
    (
        {"volume_arn": VOLUME_ARN, "description": "d", "tags": {CREATE_TOKEN_TAG: "1"}},
        [f'tags["{CREATE_TOKEN_TAG}"]'],
    ),
    (
        {"volume_arn": VOLUME_ARN, "description": "d", "completion_timeout_seconds": -1},
        ["completion_timeout_seconds"],
    ),
    ({"volume_arn": VOLUME_ARN, "description": "d", "triggers": {"a": [1]}}, ['triggers["a"]']),
    ({"volume_arn": VOLUME_ARN, "description": "d", "tagz": {}}, ["tagz"]),
]


@pytest.mark.parametrize(("inputs", "properties"), BAD_INPUTS)
def test_bad_input_through_the_plugin(
    engine: Engine, emulator: Emulator, inputs: dict[str, Any], properties: list[str]
) -> None:
    outcome = engine.check("snap", inputs)
    assert [f.property for f in outcome.failures] == properties
    assert emulator.calls() == []
