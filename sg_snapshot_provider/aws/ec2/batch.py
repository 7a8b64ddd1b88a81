"""Reads batched across resources: the snapshots many threads ask for at the same moment go out
in one DescribeSnapshots (``snapshot-id`` filter, up to 200 IDs), so a refresh of N snapshots
costs about ceil(N/200) requests instead of N.

No fixed gathering delay: the first read of a quiet client goes out at once, alone; every read
asked for while a request is in flight waits for it to end, and they then go out together in
the next one (as kubernetes-sigs/aws-ebs-csi-driver coalesces its DescribeSnapshots). Right
after a request (a refresh under way) the next one also waits while reads keep arriving (at
most GATHER_GAP_SECONDS apart, GATHER_MAX_SECONDS in all): a fast endpoint answers sooner than
the engine sends a stack's reads; after a full request it also waits for the callers it
answered to come back with their next reads (RETURN_SECONDS). An idle client adds no latency.

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
from collections import Counter
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
#: After a full request (the engine runs more reads at once than one filter holds), the next
#: one waits at least this long from its answer (unless full) for the callers it answered to
#: come back with their next reads. Through the plugin that takes a few tenths of a second
#: (each answer is serialized on the plugin's CPU): longer than GATHER_GAP_SECONDS, which sent
#: the stragglers alone (1,000 snapshots: 9 requests instead of 6). Costs at most this much
#: at the end of a refresh.
RETURN_SECONDS: Final = 1.0

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
    """One caller's IDs; ``woken`` is set when its answer came back or when its turn came to
    send the next request."""

    snapshot_ids: frozenset[str]
    woken: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    found: dict[str, SnapshotInfo] = field(default_factory=dict)
    error: Exception | None = None


class BatchedReader:
    """Gathers the reads of many threads while a request is in flight. One thread at a time
    is the sender: it gathers, sends one batch, answers everyone in it, then hands the turn to
    the oldest read still waiting. Each waiting thread sleeps on its own event, and only the
    sender is woken by an arrival: a refresh of a thousand resources does not wake a thousand
    threads per read (that alone slowed the reads enough to split batches)."""

    def __init__(self, client: EC2Client, policy: RetryPolicy) -> None:
        self._client = client
        self._policy = policy
        self._lock = threading.Lock()
        #: Only the gathering sender waits on it.
        self._arrived = threading.Condition(self._lock)
        self._waiting: list[_Ask] = []
        #: How many waiting asks name each ID (its length: the distinct IDs waiting).
        self._waiting_ids: Counter[str] = Counter()
        self._sending = False
        self._arrivals = 0
        self._last_sent: float | None = None
        self._last_was_full = False
        #: Requests sent (for tests and benchmarks).
        self.requests = 0

    def describe(self, snapshot_ids: frozenset[str]) -> dict[str, SnapshotInfo]:
        ask = _Ask(snapshot_ids)
        with self._lock:
            self._waiting.append(ask)
            self._waiting_ids.update(snapshot_ids)
            self._arrivals += 1
            sends = not self._sending
            self._sending = True
            self._arrived.notify()
        if not sends:
            ask.woken.wait()
        if not ask.done:  # its turn: it is the oldest waiting, so its IDs go in this batch
            self._send_next_batch()
        if ask.error is not None:
            raise ask.error
        return ask.found

    def _send_next_batch(self) -> None:
        with self._lock:
            self._gather_during_a_burst()
            batch = self._next_batch()
        found: dict[str, SnapshotInfo] = {}
        error: Exception | None = None
        try:
            found = self._send(batch)
        except Exception as err:  # every caller of the batch gets it; none is left waiting
            error = err
        with self._lock:
            self._last_sent = time.monotonic()
            self._last_was_full = len(set().union(*(a.snapshot_ids for a in batch))) >= (
                FILTER_VALUES_MAX
            )
            for each in batch:
                each.found = {i: found[i] for i in each.snapshot_ids if i in found}
                each.error, each.done = error, True
                each.woken.set()
            if self._waiting:
                self._waiting[0].woken.set()  # the next sender
            else:
                self._sending = False

    def _gather_during_a_burst(self) -> None:
        """Right after a request (a refresh of many resources is under way), let the reads
        still arriving join the next one: wait while they keep coming, no more than
        GATHER_GAP_SECONDS apart, until a full filter (then it goes at once) or for
        GATHER_MAX_SECONDS; after a full request, at least RETURN_SECONDS from its answer. A
        read on a quiet client goes at once. Caller holds the lock."""
        now = time.monotonic()
        if self._last_sent is None or now - self._last_sent > BURST_SECONDS:
            return
        deadline = now + GATHER_MAX_SECONDS
        quiet_since, seen = now, self._arrivals
        # The callers of a full request come back after a pause, together: wait for them.
        held_until = self._last_sent + RETURN_SECONDS if self._last_was_full else now
        while len(self._waiting_ids) < FILTER_VALUES_MAX:
            now = time.monotonic()
            if self._arrivals != seen:
                quiet_since, seen = now, self._arrivals
            until = min(deadline, max(held_until, quiet_since + GATHER_GAP_SECONDS))
            if now >= until:
                return
            self._arrived.wait(until - now)

    def _next_batch(self) -> list[_Ask]:
        """The oldest asks whose IDs fit in one filter (an ask of more goes alone, in chunks);
        caller holds the lock."""
        batch: list[_Ask] = []
        ids: set[str] = set()
        for ask in self._waiting:
            if batch and len(ids | ask.snapshot_ids) > FILTER_VALUES_MAX:
                break
            batch.append(ask)
            ids |= ask.snapshot_ids
        del self._waiting[: len(batch)]
        self._waiting_ids.subtract(ids_of(batch))
        self._waiting_ids += Counter()  # drops the IDs no longer waiting
        return batch

    def _send(self, batch: list[_Ask]) -> dict[str, SnapshotInfo]:
        """The snapshots EC2 shows among the batch's IDs; raises botocore's errors."""
        ordered = sorted(set().union(*(ask.snapshot_ids for ask in batch)))
        found: dict[str, SnapshotInfo] = {}
        for start in range(0, len(ordered), FILTER_VALUES_MAX):
            chunk = ordered[start : start + FILTER_VALUES_MAX]
            self.requests += 1
            for info in describe_snapshots_by_filter(
                self._client, [{"Name": "snapshot-id", "Values": chunk}], self._policy
            ):
                found[info.snapshot_id.lower()] = info
        return found


def ids_of(batch: list[_Ask]) -> Counter[str]:
    """Every ID of the batch, once per ask that names it."""
    counted: Counter[str] = Counter()
    for ask in batch:
        counted.update(ask.snapshot_ids)
    return counted
