"""Reads batched across resources: the snapshots many threads ask for at the same moment go out
in one DescribeSnapshots (``snapshot-id`` filter, up to 200 IDs), so a refresh of N snapshots
costs about ceil(N/200) requests instead of N.

No fixed gathering delay: the first read of a quiet client goes out at once, alone; every read
asked for while a request is in flight waits for it to end, and they then go out together in
the next one (as kubernetes-sigs/aws-ebs-csi-driver coalesces its DescribeSnapshots). Right
after a request (a refresh under way) the next one also waits while reads keep arriving, a few
tens of milliseconds apart at most: a fast endpoint answers sooner than the engine sends a
stack's reads. An idle client adds no latency.

A filter leaves out what EC2 does not show (deleted, or not visible yet) instead of failing the
request as ``SnapshotIds`` does. Such a miss is treated exactly as the single read's
NotFound (``visibility``): within the visibility window of a snapshot the provider just made,
it goes to :func:`find_snapshot_by_id`, which retries NotFound until the window ends; out of it,
it is :class:`SnapshotNotFoundError` at once, as the single read's first NotFound was.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import SnapshotNotFoundError
from ..errors import translate
from ..retry import RetryPolicy
from .find import FILTER_VALUES_MAX, SnapshotInfo, describe_snapshots_by_filter, find_snapshot_by_id
from .visibility import visibility_seconds_left

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client


def read_snapshot(
    client: EC2Client,
    snapshot_id: str,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> SnapshotInfo:
    """:func:`find_snapshot_by_id`, batched with the reads of other threads."""
    snapshot_id = snapshot_id.lower()
    try:
        found = describe_snapshots_by_id(client, [snapshot_id], policy).get(snapshot_id)
    except (ClientError, BotoCoreError) as err:
        raise translate(err, "reading EBS snapshot", snapshot_id, "ec2:DescribeSnapshots") from err
    if found is not None:
        return found
    if not visibility_seconds_left(created_at, policy):
        # What the single read concludes from NotFound out of its window, without asking again.
        raise SnapshotNotFoundError(snapshot_id, client.meta.region_name)
    return find_snapshot_by_id(client, snapshot_id, policy, created_at=created_at)


def describe_snapshots_by_id(
    client: EC2Client, snapshot_ids: list[str], policy: RetryPolicy
) -> dict[str, SnapshotInfo]:
    """The snapshots EC2 shows among ``snapshot_ids``, by lower-case ID (missing ones left
    out), batched with the reads of other threads; raises botocore's errors."""
    if not snapshot_ids:
        return {}
    return _reader_for(client, policy).describe(frozenset(i.lower() for i in snapshot_ids))


#: A read within this long of the last request is part of a burst (a refresh under way).
BURST_SECONDS: Final = 1.0
#: During a burst, the next request waits for reads arriving at most this far apart…
GATHER_GAP_SECONDS: Final = 0.2
#: …and for at most this long in all.
GATHER_MAX_SECONDS: Final = 2.0

_readers_lock = threading.Lock()
_readers: weakref.WeakKeyDictionary[Any, BatchedReader] = weakref.WeakKeyDictionary()


def _reader_for(client: EC2Client, policy: RetryPolicy) -> BatchedReader:
    """One reader per client, hence per account and Region (clients are cached so)."""
    with _readers_lock:
        reader = _readers.get(client)
        if reader is None:
            reader = BatchedReader(client, policy)
            _readers[client] = reader
        return reader


@dataclass(eq=False)
class _Ask:
    """One caller's IDs, and the answer once its batch came back."""

    snapshot_ids: frozenset[str]
    done: bool = False
    found: dict[str, SnapshotInfo] = field(default_factory=dict)
    error: ClientError | BotoCoreError | None = None


class BatchedReader:
    """Gathers the reads of many threads while a request is in flight; the thread that finds
    no request in flight sends the next batch (for everyone in it) and wakes them."""

    def __init__(self, client: EC2Client, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy
        self._changed = threading.Condition()
        self._waiting: list[_Ask] = []
        self._in_flight = False
        self._arrivals = 0
        self._last_sent: float | None = None
        #: Requests sent (for tests and benchmarks).
        self.requests = 0

    def _gather_during_a_burst(self) -> None:
        """Right after a request (a refresh of many resources is under way), let the reads
        still arriving join the next one: wait while they keep coming, no more than
        GATHER_GAP_SECONDS apart, up to a full filter or GATHER_MAX_SECONDS. A read on a
        quiet client goes at once. Caller holds the lock."""
        now = time.monotonic()
        if self._last_sent is None or now - self._last_sent > BURST_SECONDS:
            return
        deadline = now + GATHER_MAX_SECONDS
        while self._waiting_ids() < FILTER_VALUES_MAX and time.monotonic() < deadline:
            seen = self._arrivals
            self._changed.wait(min(GATHER_GAP_SECONDS, max(0.0, deadline - time.monotonic())))
            if self._arrivals == seen:
                return

    def _waiting_ids(self) -> int:
        return len(set().union(*(ask.snapshot_ids for ask in self._waiting)))

    def describe(self, snapshot_ids: frozenset[str]) -> dict[str, SnapshotInfo]:
        ask = _Ask(snapshot_ids)
        with self._changed:
            self._waiting.append(ask)
            self._arrivals += 1
            self._changed.notify_all()
            while not ask.done:
                if self._in_flight:
                    self._changed.wait()
                    continue
                self._in_flight = True
                self._gather_during_a_burst()
                batch = self._next_batch()
                self._changed.release()
                try:
                    found, error = self._send(batch)
                finally:
                    self._changed.acquire()
                    self._in_flight = False
                    self._last_sent = time.monotonic()
                for each in batch:
                    each.found = {i: found[i] for i in each.snapshot_ids if i in found}
                    each.error, each.done = error, True
                self._changed.notify_all()
        if ask.error is not None:
            raise ask.error
        return ask.found

    def _next_batch(self) -> list[_Ask]:
        """The oldest asks whose IDs fit in one filter (an ask of more goes alone, in chunks);
        caller holds the lock."""
        batch: list[_Ask] = []
        ids: set[str] = set()
        for ask in list(self._waiting):
            if batch and len(ids | ask.snapshot_ids) > FILTER_VALUES_MAX:
                break
            batch.append(ask)
            ids |= ask.snapshot_ids
            self._waiting.remove(ask)
        return batch

    def _send(
        self, batch: list[_Ask]
    ) -> tuple[dict[str, SnapshotInfo], ClientError | BotoCoreError | None]:
        ordered = sorted(set().union(*(ask.snapshot_ids for ask in batch)))
        found: dict[str, SnapshotInfo] = {}
        try:
            for start in range(0, len(ordered), FILTER_VALUES_MAX):
                chunk = ordered[start : start + FILTER_VALUES_MAX]
                self.requests += 1
                for info in describe_snapshots_by_filter(
                    self._client, [{"Name": "snapshot-id", "Values": chunk}], self._policy
                ):
                    found[info.snapshot_id.lower()] = info
        except (ClientError, BotoCoreError) as err:
            return {}, err
        return found, None
