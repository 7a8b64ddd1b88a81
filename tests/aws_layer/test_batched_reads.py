"""Reads batched across threads (``aws.ec2.batch``): many reads at once cost about ceil(N/200)
DescribeSnapshots, and a batched miss is treated exactly as the single read's miss. Counts
from the emulator's request log."""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from sg_snapshot_provider import SnapshotNotFoundError, aws
from sg_snapshot_provider.aws.ec2.batch import BatchedReader
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.settings import Settings
from tests.aws_layer.conftest import POLICY
from tests.conftest import REGION, VOLUME_ARN


def make_snapshots(count: int) -> list[str]:
    client = aws.storagegateway_client(REGION, Settings())
    return [
        aws.create_snapshot(client, VOLUME_ARN, "batch", {}, POLICY).snapshot_id
        for _ in range(count)
    ]


def read_all(snapshot_ids: list[str]) -> dict[str, Any]:
    """Every read at once, a thread each (as the plugin's threads do)."""
    client = aws.ec2_client(REGION, Settings())
    results: dict[str, Any] = {}
    start = threading.Barrier(len(snapshot_ids))

    def read(snapshot_id: str) -> None:
        start.wait()
        try:
            results[snapshot_id] = aws.read_snapshot(client, snapshot_id, POLICY)
        except Exception as error:
            results[snapshot_id] = error

    threads = [threading.Thread(target=read, args=(sid,)) for sid in snapshot_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def describes(emulator: Emulator) -> int:
    return sum(c.operation == "DescribeSnapshots" for c in emulator.calls())


@pytest.mark.parametrize("count", [1, 30, 450])
def test_reads_at_once_are_batched(emulator: Emulator, count: int) -> None:
    snapshot_ids = make_snapshots(count)
    emulator.clear_calls()

    results = read_all(snapshot_ids)

    assert {sid: results[sid].snapshot_id for sid in snapshot_ids} == {
        sid: sid for sid in snapshot_ids
    }
    # The first read goes alone; the rest gather while it is in flight.
    assert describes(emulator) <= math.ceil(count / 200) + 1


def test_a_batched_miss_is_the_single_reads_miss(emulator: Emulator) -> None:
    kept, gone = make_snapshots(2)
    aws.ec2_client(REGION, Settings()).delete_snapshot(SnapshotId=gone)
    emulator.clear_calls()

    results = read_all([kept, gone])

    assert results[kept].snapshot_id == kept
    assert isinstance(results[gone], SnapshotNotFoundError)


def test_a_young_snapshot_not_visible_yet_is_waited_for(emulator: Emulator) -> None:
    emulator.set_visibility_lag(0.3)  # within FAST's 0.5 s window
    try:
        (young,) = make_snapshots(1)
        info = aws.read_snapshot(
            aws.ec2_client(REGION, Settings()), young, POLICY, created_at=datetime.now(UTC)
        )
    finally:
        emulator.set_visibility_lag(0)
    assert info.snapshot_id == young
    # The batched read missed it; the single read retried NotFound until it showed.
    statuses = [c.status for c in emulator.calls() if c.operation == "DescribeSnapshots"]
    assert 400 in statuses
    assert statuses[-1] == 200


class FakeEC2:
    """Answers a ``snapshot-id`` filter with every ID asked for, and counts the requests."""

    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()

    def describe_snapshots(self, *, Filters: list[Any], **_: Any) -> dict[str, Any]:  # noqa: N803
        with self._lock:
            self.requests += 1
        (wanted,) = Filters
        return {"Snapshots": [{"SnapshotId": i, "State": "completed"} for i in wanted["Values"]]}


def test_a_refresh_wider_than_one_filter_fills_every_request() -> None:
    """An engine running more reads at once than a filter holds: the callers of a full request
    come back after a pause (the plugin serializing their answers) with their next reads, and
    the next request waits for them instead of going with the stragglers alone."""
    count, workers, turnaround = 1000, 256, 0.4
    client = FakeEC2()
    reader = BatchedReader(client, POLICY)  # type: ignore[arg-type]
    todo = iter([f"snap-{i:05d}" for i in range(count)])
    lock = threading.Lock()
    read: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                snapshot_id = next(todo, None)
            if snapshot_id is None:
                return
            found = reader.describe(frozenset([snapshot_id]))
            with lock:
                read.extend(found)
            time.sleep(turnaround)  # the answer travels back; the engine sends the next read

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(read) == [f"snap-{i:05d}" for i in range(count)]
    # The first read goes alone, then full filters; 9 when stragglers closed batches alone.
    assert client.requests <= math.ceil(count / 200) + 2, client.requests
