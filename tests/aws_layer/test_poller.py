"""The shared snapshot poller: many waits, one DescribeSnapshots per interval, each waiter woken
with its own result. Counts come from the emulator's request log, never from wall time."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import pytest

from sg_snapshot_provider import SnapshotFailedError, aws
from sg_snapshot_provider.aws.ec2 import wait as ec2_wait
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.settings import Settings
from tests.aws_layer.conftest import POLICY
from tests.conftest import REGION, VOLUME_ARN

#: Polls that start at 50 ms and grow to at most 0.5 s.
POLL = dataclasses.replace(
    POLICY, timings=dataclasses.replace(POLICY.timings, poll_interval_seconds=0.5)
)


def make_snapshots(count: int) -> list[str]:
    client = aws.storagegateway_client(REGION, Settings())
    return [
        aws.create_snapshot(client, VOLUME_ARN, "poll", {}, POLICY).snapshot_id
        for _ in range(count)
    ]


def wait_all(
    snapshot_ids: list[str], timeout: float = 30, report: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Wait for every snapshot at once, one thread each (as the plugin's threads do); each
    snapshot's result or exception."""
    client = aws.ec2_client(REGION, Settings())
    results: dict[str, Any] = {}

    def wait(snapshot_id: str) -> None:
        try:
            results[snapshot_id] = aws.wait_for_snapshot_completed(
                client, snapshot_id, timeout, POLL, report=report or (lambda _: None)
            )
        except Exception as error:
            results[snapshot_id] = error

    threads = [threading.Thread(target=wait, args=(sid,)) for sid in snapshot_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def polls(emulator: Emulator) -> int:
    return sum(1 for call in emulator.calls() if call.operation == "DescribeSnapshots")


def test_twenty_waits_cost_about_what_one_costs(emulator: Emulator) -> None:
    emulator.set_pending_seconds(1.5)
    (one,) = make_snapshots(1)
    emulator.clear_calls()
    assert wait_all([one])[one].state == "completed"
    one_wait = polls(emulator)

    many = make_snapshots(20)
    emulator.clear_calls()
    results = wait_all(many)
    assert all(results[sid].state == "completed" for sid in many), results
    assert polls(emulator) <= 2 * one_wait + 2, (polls(emulator), one_wait)


def test_polls_grow_with_the_wait(emulator: Emulator) -> None:
    """A 3 s wait polled every 50 ms would cost 60 requests; growing by a fifth of the time
    waited, up to 0.5 s, it costs about 20."""
    emulator.set_pending_seconds(3)
    (snapshot_id,) = make_snapshots(1)
    emulator.clear_calls()
    assert wait_all([snapshot_id])[snapshot_id].state == "completed"
    assert 3 <= polls(emulator) <= 35, polls(emulator)


def test_ids_are_batched_by_ec2s_filter_limit(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ec2_wait, "FILTER_VALUES_MAX", 2)  # where the poller reads it
    snapshot_ids = make_snapshots(5)  # completed at once: one round answers every waiter
    emulator.clear_calls()
    results = wait_all(snapshot_ids)
    assert all(results[sid].state == "completed" for sid in snapshot_ids)
    assert polls(emulator) == 3  # 2 + 2 + 1 IDs in one round


def test_throttling_backs_the_shared_poll_off_once(emulator: Emulator) -> None:
    emulator.set_pending_seconds(1)
    snapshot_ids = make_snapshots(10)
    emulator.clear_calls()
    emulator.inject_fault("DescribeSnapshots", "RequestLimitExceeded", status=503, times=1)
    results = wait_all(snapshot_ids)
    assert all(results[sid].state == "completed" for sid in snapshot_ids), results
    throttled = [c for c in emulator.calls() if c.status == 503]
    assert len(throttled) == 1  # one poll for all ten, retried once: not ten retries


def test_each_waiter_gets_its_own_result(emulator: Emulator) -> None:
    emulator.set_pending_seconds(1)
    good, bad = make_snapshots(2)
    emulator.set_snapshot_state(bad, "error", progress="20%")
    results = wait_all([good, bad])
    assert results[good].state == "completed"
    assert isinstance(results[bad], SnapshotFailedError)
    assert "error state" in str(results[bad])


def test_a_wait_says_when_it_starts_and_reports_its_own_progress(emulator: Emulator) -> None:
    emulator.set_pending_seconds(1)
    first, second = make_snapshots(2)
    lines: list[str] = []
    wait_all([first, second], timeout=30, report=lines.append)
    for snapshot_id in (first, second):
        mine = [line for line in lines if snapshot_id in line]
        assert f"waiting for snapshot {snapshot_id} to complete (at most 30 s)" in mine
        assert any(" is pending (" in line for line in mine), mine
        assert mine[-1] == f"snapshot {snapshot_id} completed (100%)"


def test_the_polling_thread_ends_when_nobody_waits(emulator: Emulator) -> None:
    (snapshot_id,) = make_snapshots(1)
    wait_all([snapshot_id])
    pollers = [t for t in threading.enumerate() if t.name.startswith("snapshot-poller-")]
    for thread in pollers:
        thread.join(timeout=5)
    assert not any(t.is_alive() for t in pollers)
