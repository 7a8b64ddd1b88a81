"""A stack of a few hundred snapshots under EC2's request throttling (the emulator's token
buckets, small and fast), through the real plugin: nothing fails, every snapshot is made and
deleted exactly once, and a refresh reads them in about ceil(N/200) DescribeSnapshots.
Counts from the emulator's request log, never wall time."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from sg_snapshot_harness import Engine
from sg_snapshot_provider.emulator import BucketOptions, Call, Emulator
from tests.conftest import VOLUME_ARN

COUNT = 300
#: DeleteSnapshot: 50 tokens, 25 per second; CreateTags: 50, 50 per second; filtered
#: DescribeSnapshots: 50, 100 per second. A stack of COUNT runs DeleteSnapshot's bucket dry at
#: once (PARALLEL deletes start together), and the test stays short. (CreateSnapshot is Storage
#: Gateway's, which the emulator does not throttle.)
BUCKETS = BucketOptions(scale=0.5, speedup=10)
PARALLEL = 64


def snapshot(index: int, tags: dict[str, str]) -> dict[str, object]:
    return {"volume_arn": VOLUME_ARN, "description": f"fleet {index}", "tags": tags}


def stack(tags: dict[str, str]) -> dict[str, dict[str, object]]:
    return {f"snap-{i}": snapshot(i, tags) for i in range(COUNT)}


def phase(emulator: Emulator) -> tuple[Counter[str], Counter[str]]:
    """Answered and throttled EC2 requests by action since the last call, then a clean log."""
    calls: list[Call] = emulator.calls()
    emulator.clear_calls()
    answered = Counter(c.operation for c in calls if c.service == "ec2" and c.status == 200)
    throttled = Counter(c.operation for c in calls if c.status == 503)
    return answered, throttled


@pytest.fixture
def throttled(emulator: Emulator) -> Emulator:
    emulator.set_ec2_token_buckets(BUCKETS)
    return emulator  # the emulator fixture's reset ends the throttling


def test_a_throttled_fleet_finishes_without_failure(engine: Engine, throttled: Emulator) -> None:
    deployment = engine.deploy(stack({"batch": "one"}), parallel=PARALLEL)
    phase(throttled)
    made = {step.id for step in deployment.steps.values()}
    assert len(made) == COUNT  # deploy raises on any failed step

    refreshed = engine.refresh_all(parallel=256)
    answered, limited = phase(throttled)
    assert all(step.outputs for step in refreshed.values())
    assert answered["DescribeSnapshots"] <= math.ceil(COUNT / 200) + 2, answered

    engine.deploy(stack({"batch": "two"}), parallel=PARALLEL)
    answered, limited = phase(throttled)
    assert answered["CreateTags"] == COUNT, (answered, limited)

    engine.deploy({}, parallel=PARALLEL)
    answered, limited = phase(throttled)
    assert answered["DeleteSnapshot"] == COUNT, (answered, limited)
    # The bucket ran dry, and the stack slowed down instead of failing.
    assert limited["DeleteSnapshot"] > 0, limited
    assert engine.names() == []
