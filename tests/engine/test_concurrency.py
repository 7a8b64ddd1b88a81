"""A stack of snapshots that wait for completion, deployed as the engine deploys it: Check one
resource at a time, creates in parallel, all in one plugin process.

Assertions are ratios and counts measured in one run (never absolute times): N waits at once
take far less than the plugin's own 4 threads would make them take; a Check sent meanwhile is
answered long before a wait ends; and the waits share their DescribeSnapshots polls.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from sg_snapshot_harness import Engine
from sg_snapshot_harness.engine import Deployment
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.plugin_threads import PLUGIN_WORKERS
from tests.conftest import VOLUME_ARN

#: How long each snapshot stays pending: one wait.
WAIT_SECONDS = 2.0


def waited(name: str) -> dict[str, Any]:
    return {
        "volume_arn": VOLUME_ARN,
        "description": f"stack scale {name}",
        "wait_for_completion": True,
    }


def deploy_waits(engine: Engine, emulator: Emulator, count: int) -> tuple[Deployment, int]:
    """``count`` waited creates then one resource that does not wait (the probe, registered
    last: its Check is sent while the others wait); the deployment and its DescribeSnapshots
    calls."""
    resources = {f"wait-{i}": waited(str(i)) for i in range(count)}
    resources["probe"] = {"volume_arn": VOLUME_ARN, "description": "probe"}
    emulator.clear_calls()
    deployment = engine.deploy(resources, parallel=count + 1)
    polls = sum(1 for call in emulator.calls() if call.operation == "DescribeSnapshots")
    return deployment, polls


@pytest.mark.parametrize("count", [16, 64])
def test_waiting_creates_run_in_parallel_and_do_not_stall_checks(
    count: int, engine: Engine, emulator: Emulator
) -> None:
    emulator.set_pending_seconds(WAIT_SECONDS)
    one, one_polls = deploy_waits(Engine(engine.plugin, engine.serialized_provider), emulator, 1)
    many, many_polls = deploy_waits(engine, emulator, count)

    assert all(
        step.outputs["state"] == "completed" for step in many.steps.values() if step.name != "probe"
    )
    # With the plugin's own 4 threads the waits would run in ceil(count / 4) waves, so take
    # ceil(count / 4) times one wait (measured 4.3x and 16x). Parallel waits take about one
    # wait (1.1x-1.2x quiet, up to 2.1x on a loaded 2-core machine): the bound is half the
    # waves, far from both, so load cannot fail it and a lost widening still does.
    waves_with_plugin_threads = math.ceil(count / PLUGIN_WORKERS)
    assert many.seconds / one.seconds < waves_with_plugin_threads / 2, (many.seconds, one.seconds)
    # The probe's Check waited for no create (with the plugin's 4 threads it waits for one).
    assert many.check_seconds["probe"] / WAIT_SECONDS < 0.5, many.check_seconds
    # One shared poller: the waits' polls grow far slower than their number.
    assert count > PLUGIN_WORKERS
    assert many_polls <= 2 * one_polls + 4, (many_polls, one_polls)
