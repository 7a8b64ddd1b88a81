"""Finding and deleting what acceptance runs left behind.

Who a sweep could hurt, and what protects each (``judge``; each case has a test):

- a snapshot without the acceptance tag (anybody's): never listed (the tag is a filter of
  the request) and refused again here;
- a snapshot another account owns and shares with us: refused (its ``OwnerId`` is not the
  caller's; the request also asks only for the caller's own);
- a snapshot of a run still in progress: refused while younger than ``min_age`` (an hour),
  by the later of its start time and the run time its tag names;
- a snapshot some live stack holds: the acceptance tag is set only by the lane, so a
  stack holds a tagged snapshot only by adopting it, which rewrites its owner tag: a
  snapshot whose owner tag names anything but an acceptance run is refused;
- a locked snapshot (EBS snapshot lock): refused with its lock state (EC2 would refuse the
  delete too);
- a tag value that is not ``<run-id>@<time>``: refused (not the lane's own writing).

With ``--delete``, a leftover that another sweep (or anyone) deleted first is "already gone"
(done, and said so); the sweep goes on. A DeleteSnapshot answered NotFound is believed only
when DescribeSnapshots agrees: right after a create, EC2 may answer NotFound for a snapshot it
still holds (eventual consistency), and such a snapshot is reported not deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sg_snapshot_provider.inputs import OWNER_TAG

from .marks import ACCEPTANCE_TAG, is_lane_owner, parse_mark

#: Younger leftovers may belong to a run still in progress.
MIN_AGE = timedelta(hours=1)
#: DescribeLockedSnapshots lock states in which EC2 refuses a delete.
LOCKED_STATES = ("compliance", "governance", "compliance-cooloff")
_NOT_FOUND = "InvalidSnapshot.NotFound"

#: Snapshot IDs → their lock state (None: lock states unknown, the reason in ``LockLookup``).
LockReader = Callable[[list[str]], "LockLookup"]


@dataclass(frozen=True)
class LockLookup:
    states: Mapping[str, str]
    unknown_reason: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What the sweep makes of one snapshot: delete it, or keep it and why."""

    snapshot_id: str
    delete: bool
    reason: str
    #: The run its acceptance tag names (None: no readable tag).
    run_id: str | None = None

    def line(self) -> str:
        return f"{self.snapshot_id}  {'DELETE' if self.delete else 'keep  '}  {self.reason}"


def utc_now() -> datetime:
    """The sweep's clock (tests move it forward to age the emulator's snapshots)."""
    return datetime.now(UTC)


def tagged_snapshots(ec2: Any) -> list[dict[str, Any]]:
    """The caller's own snapshots carrying the acceptance tag (any value)."""
    pages = ec2.get_paginator("describe_snapshots").paginate(
        OwnerIds=["self"], Filters=[{"Name": "tag-key", "Values": [ACCEPTANCE_TAG]}]
    )
    return [snapshot for page in pages for snapshot in page["Snapshots"]]


def judge(
    snapshot: Mapping[str, Any],
    *,
    account_id: str,
    now: datetime,
    locks: LockLookup,
    only_run: str | None = None,
    min_age: timedelta = MIN_AGE,
) -> Verdict:
    """Whether ``snapshot`` (as DescribeSnapshots shows it) is an acceptance leftover the
    sweep may delete. ``only_run``: the run sweeping its own (any age, that run only)."""
    snapshot_id = str(snapshot["SnapshotId"])

    def keep(reason: str) -> Verdict:
        return Verdict(snapshot_id, False, reason)

    tags = {tag["Key"]: tag["Value"] for tag in snapshot.get("Tags", [])}
    if ACCEPTANCE_TAG not in tags:
        return keep("no acceptance tag: not made by the acceptance lane")
    owner_id = str(snapshot.get("OwnerId", ""))
    if owner_id != account_id:
        return keep(f"owned by account {owner_id or '?'} (shared with us), not by {account_id}")
    mark = parse_mark(tags[ACCEPTANCE_TAG])
    if mark is None:
        return keep("the acceptance tag's value is not <run-id>@<time>: not the lane's writing")

    def keep_run(reason: str) -> Verdict:
        return Verdict(snapshot_id, False, reason, mark.run_id)

    holder = tags.get(OWNER_TAG)
    if holder is not None and not is_lane_owner(holder):
        return keep_run(f"held by {holder} (its owner tag): a stack adopted it")
    if only_run is not None and mark.run_id != only_run:
        return keep_run(f"made by another run ({mark.value})")
    if only_run is None:
        started = snapshot.get("StartTime")
        born = max(mark.started, started) if isinstance(started, datetime) else mark.started
        age = now - born
        if age < min_age:
            minutes = int(age.total_seconds() // 60)
            return keep_run(
                f"{minutes} min old, younger than {_hours(min_age)}: a run may be going"
            )
    lock = locks.states.get(snapshot_id)
    if lock in LOCKED_STATES:
        return keep_run(f"locked ({lock}): EC2 refuses to delete it until the lock ends")
    return Verdict(snapshot_id, True, f"left by run {mark.value}", mark.run_id)


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return "an hour" if hours == 1 else f"{hours:g} hours"


def lock_reader(ec2: Any) -> LockReader:
    """DescribeLockedSnapshots for the given IDs. A lookup that fails (an endpoint without
    snapshot lock, a missing permission) says so: the sweep reports it, and EC2 itself still
    refuses to delete a locked snapshot."""

    def read(snapshot_ids: list[str]) -> LockLookup:
        if not snapshot_ids:
            return LockLookup({})
        states: dict[str, str] = {}
        try:
            for start in range(0, len(snapshot_ids), 100):
                answer = ec2.describe_locked_snapshots(
                    SnapshotIds=snapshot_ids[start : start + 100]
                )
                for info in answer.get("Snapshots", []):
                    states[str(info["SnapshotId"])] = str(info.get("LockState", ""))
        except (ClientError, BotoCoreError) as error:
            return LockLookup(states, f"DescribeLockedSnapshots failed ({error})")
        return LockLookup(states)

    return read


@dataclass(frozen=True)
class SweepReport:
    verdicts: list[Verdict]
    deleted: list[str]
    failed: dict[str, str]
    lock_note: str | None
    #: Leftovers another sweep (or anyone) deleted first: done, not deleted by this one.
    gone: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        lines = [verdict.line() for verdict in self.verdicts]
        if self.lock_note:
            lines.append(f"note: lock states unknown: {self.lock_note}")
        lines += [f"{snapshot_id}  already gone (deleted meanwhile)" for snapshot_id in self.gone]
        lines += [f"{snapshot_id}  NOT deleted: {why}" for snapshot_id, why in self.failed.items()]
        return lines


def sweep(
    ec2: Any,
    *,
    account_id: str,
    delete: bool,
    now: datetime | None = None,
    only_run: str | None = None,
    also_ids: Iterable[str] = (),
    locks: LockReader | None = None,
    min_age: timedelta = MIN_AGE,
) -> SweepReport:
    """Judge every tagged snapshot of the caller (plus ``also_ids``, found by ID: a snapshot
    the tag filter does not show yet) and, with ``delete``, delete those judged leftovers."""
    found = {str(s["SnapshotId"]): s for s in tagged_snapshots(ec2)}
    for snapshot in _described(ec2, [i for i in also_ids if i not in found]):
        found[str(snapshot["SnapshotId"])] = snapshot
    clock = now or utc_now()
    reader = locks or lock_reader(ec2)
    lookup = reader(sorted(found)) if found else LockLookup({})
    verdicts = [
        judge(
            snapshot,
            account_id=account_id,
            now=clock,
            locks=lookup,
            only_run=only_run,
            min_age=min_age,
        )
        for snapshot in found.values()
    ]
    deleted: list[str] = []
    gone: list[str] = []
    failed: dict[str, str] = {}
    for verdict in verdicts:
        if not (delete and verdict.delete):
            continue
        try:
            ec2.delete_snapshot(SnapshotId=verdict.snapshot_id)
            deleted.append(verdict.snapshot_id)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code != _NOT_FOUND:
                failed[verdict.snapshot_id] = f"{code}: {error.response['Error'].get('Message')}"
            elif _described(ec2, [verdict.snapshot_id]):
                failed[verdict.snapshot_id] = _STILL_THERE
            else:
                gone.append(verdict.snapshot_id)  # what the sweep wanted, done by another
    return SweepReport(verdicts, deleted, failed, lookup.unknown_reason, gone)


_STILL_THERE = (
    "DeleteSnapshot answered InvalidSnapshot.NotFound, yet DescribeSnapshots still shows it "
    "(EC2's eventual consistency): sweep again"
)


def _described(ec2: Any, snapshot_ids: list[str]) -> list[dict[str, Any]]:
    """Each of ``snapshot_ids`` that still exists, as DescribeSnapshots shows it."""
    described: list[dict[str, Any]] = []
    for snapshot_id in snapshot_ids:
        try:
            described += ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != _NOT_FOUND:
                raise
    return described
