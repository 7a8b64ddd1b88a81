"""EC2's eventual consistency, through the real plugin: for LAG_SECONDS after it is made, EC2
does not see a new snapshot by its ID (the emulator's visibility lag). Every engine step that
follows a create at once must still do the right thing, and nothing may leak.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from sg_snapshot_harness import Engine, PluginError, PluginProcess
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REPO_ROOT, VOLUME_ARN

LAG_SECONDS = 3.0
#: The plugin's timings: a visibility window well beyond the lag, short polls and backoff.
TIMINGS = {
    "visibility_window_seconds": 8.0,
    "poll_initial_seconds": 0.1,
    "poll_interval_seconds": 0.5,
    "backoff_initial_seconds": 0.1,
    "backoff_max_seconds": 0.5,
    "progress_every_seconds": 1.0,
}
INPUTS = {"volume_arn": VOLUME_ARN, "description": "visibility lag", "tags": {"team": "storage"}}


@pytest.fixture(scope="module")
def lag_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=TIMINGS)
    try:
        process.configure({"aws:region": "us-east-1"})
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def lagging(emulator: Emulator, lag_plugin: PluginProcess) -> Engine:
    emulator.set_visibility_lag(LAG_SECONDS)
    lag_plugin.clear_calls()
    return Engine(lag_plugin, StorageGatewaySnapshotProvider())


def not_found_answers(emulator: Emulator, operation: str) -> int:
    return sum(1 for c in emulator.calls() if c.operation == operation and c.status == 400)


def test_create_with_wait_succeeds(lagging: Engine, emulator: Emulator, ec2: Ec2View) -> None:
    created = lagging.up("snap", {**INPUTS, "wait_for_completion": True})
    assert created.outputs["state"] == "completed"
    assert ec2.snapshot_ids() == {created.id}
    # The lag was real: the first polls did not see the snapshot (snapshot-id filter) and the
    # wait went on instead of calling it gone.
    polls = [c for c in emulator.calls() if c.operation == "DescribeSnapshots"]
    assert len(polls) >= 2


def test_tag_update_right_after_create_lands(
    lagging: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    created = lagging.up("snap", INPUTS)
    updated = lagging.up("snap", {**INPUTS, "tags": {"team": "storage", "env": "prod"}})
    assert updated.id == created.id
    assert ec2.tags(created.id) == {"team": "storage", "env": "prod"}
    assert not_found_answers(emulator, "CreateTags") >= 1  # it was refused at first


def test_destroy_right_after_create_leaves_no_snapshot(
    lagging: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    created = lagging.up("snap", INPUTS)
    lagging.destroy("snap")
    assert not_found_answers(emulator, "DeleteSnapshot") >= 1
    assert ec2.snapshot_ids() == set()
    assert created.id not in ec2.snapshot_ids()


def test_refresh_right_after_create_keeps_the_resource(
    lagging: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    created = lagging.up("snap", INPUTS)
    refreshed = lagging.refresh("snap")
    assert refreshed.id == created.id
    assert not_found_answers(emulator, "DescribeSnapshots") >= 1
    assert ec2.snapshot_ids() == {created.id}


def test_a_snapshot_that_errors_during_the_lag_is_rolled_back(
    lagging: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.set_pending_seconds(60)
    stop = threading.Event()

    def break_the_new_snapshot() -> None:
        # Listing by owner is not lagged: find the snapshot while EC2 hides it by ID.
        while not stop.wait(0.05):
            for snapshot_id in ec2.snapshot_ids():
                emulator.set_snapshot_state(snapshot_id, "error", progress="10%")
                return

    breaker = threading.Thread(target=break_the_new_snapshot)
    breaker.start()
    try:
        with pytest.raises(PluginError) as caught:
            lagging.up("snap", {**INPUTS, "wait_for_completion": True})
    finally:
        stop.set()
        breaker.join()
    assert "error state" in caught.value.message
    assert "deleted again, so nothing was left behind" in caught.value.message
    assert ec2.snapshot_ids() == set()
    assert lagging.state("snap") is None


def test_a_snapshot_ec2_never_shows_is_reported_as_possibly_left(
    lagging: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    """A lag longer than the provider's window: the wait gives up, the clean-up cannot be
    confirmed, and the error says so with the create token instead of claiming success."""
    emulator.set_visibility_lag(600)
    with pytest.raises(PluginError) as caught:
        Engine(lagging.plugin, lagging.serialized_provider).up(
            "snap", {**INPUTS, "wait_for_completion": True, "completion_timeout_seconds": 60}
        )
    message = caught.value.message
    assert "nothing was left behind" not in message
    assert "may remain" in message
    assert "create-token" in message
    (leftover,) = ec2.snapshot_ids()  # it is still there, and the error named it
    assert leftover in message
