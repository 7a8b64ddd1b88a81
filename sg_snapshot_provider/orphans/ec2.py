"""What EC2 holds: the caller's snapshots tagged with the stack or with a pending create's
token, the locks of those to delete, and deleting them once EC2 shows them still tagged as they
were judged. The only part of the command that calls AWS (through the AWS layer).

What a delete may meet, and what it makes of it:

- a snapshot lock (EBS snapshot lock): the snapshot is "not deleted yet", with when its lock
  ends; it is never unlocked. A lock that cannot be read (denied, throttled beyond the retries,
  EC2 not knowing the ID) is never taken for "no lock": that snapshot is not deleted either;
- a snapshot EC2 no longer has (another ``orphans`` run, or someone, deleted it first): "already
  gone", which is what was asked; the run goes on. EC2's NotFound is believed only once the
  snapshot is older than the visibility window (right after a create it may mean "not visible
  yet"), and a delete answered NotFound is believed only when DescribeSnapshots agrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Final

from .. import aws
from ..aws.ec2 import read_locks
from ..errors import AwsOperationError, SnapshotLockedError, SnapshotNotFoundError
from ..inputs import CREATE_TOKEN_TAG, OWNER_TAG
from ..settings import Settings
from .export import StackExport, UnsureError
from .verdicts import Snapshot

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef

_FILTER_VALUES_MAX: Final = 200


def find_snapshots(
    export: StackExport, regions: Iterable[str], settings: Settings
) -> list[Snapshot]:
    """The caller's snapshots in ``regions`` that carry a pending create's token or the
    stack's owner tag, oldest first."""
    tokens = sorted({p.token for p in export.pending if p.token})
    policy = aws.RetryPolicy.of(settings)
    found: dict[str, Snapshot] = {}
    for region in sorted(set(regions)):
        client = aws.ec2_client(region, settings)
        filters: list[list[FilterTypeDef]] = [
            [{"Name": f"tag:{OWNER_TAG}", "Values": [f"{export.owner_prefix}*"]}]
        ]
        filters += [
            [{"Name": f"tag:{CREATE_TOKEN_TAG}", "Values": chunk}]
            for chunk in _chunks(tokens, _FILTER_VALUES_MAX)
        ]
        for request in filters:
            for info in aws.describe_snapshots_by_filter(
                client, request, policy, owned_by_caller=True
            ):
                found[info.snapshot_id.lower()] = _snapshot(info, region)
    return sorted(found.values(), key=lambda s: (s.start_time or datetime.min, s.snapshot_id))


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _snapshot(info: aws.SnapshotInfo, region: str) -> Snapshot:
    return Snapshot(
        snapshot_id=info.snapshot_id.lower(),
        region=region,
        owner=info.tags.get(OWNER_TAG, ""),
        token=info.tags.get(CREATE_TOKEN_TAG, ""),
        start_time=info.start_time,
        volume_size_gib=info.volume_size_gib,
        state=info.state,
    )


#: What became of a snapshot to delete.
DELETED: Final = "deleted"
ALREADY_GONE: Final = "already gone"
NOT_YET: Final = "not deleted yet"


@dataclass(frozen=True)
class Outcome:
    """What became of one snapshot to delete: ``kind`` is DELETED, ALREADY_GONE or NOT_YET
    (locked, its lock unknown, or EC2 unsure), ``why`` says why for the last two."""

    snapshot_id: str
    kind: str
    why: str = ""


def lock_holds(snapshots: Iterable[Snapshot], settings: Settings) -> dict[str, str]:
    """Why each of ``snapshots`` that cannot be deleted now is held by its lock, by ID: locked
    (and until when), or its lock unknown. A snapshot left out is known to have no lock."""
    policy = aws.RetryPolicy.of(settings)
    by_region: dict[str, list[str]] = {}
    for snapshot in snapshots:
        by_region.setdefault(snapshot.region, []).append(snapshot.snapshot_id)
    holds: dict[str, str] = {}
    for region, ids in sorted(by_region.items()):
        try:
            answer = read_locks(aws.ec2_client(region, settings), ids, policy)
        except AwsOperationError as err:
            unknown = _lock_unknown(" ".join(str(err).split()))
            holds.update(dict.fromkeys(ids, unknown))
            continue
        for snapshot_id in ids:
            lock = answer.locks.get(snapshot_id)
            if lock is not None and lock.holds:
                holds[snapshot_id] = _locked(lock.mode, lock.state, lock.expires_on)
            elif snapshot_id in answer.not_found:
                holds[snapshot_id] = _lock_unknown(
                    "DescribeLockedSnapshots answered InvalidSnapshot.NotFound"
                )
    return holds


def _locked(mode: str, state: str, expires_on: datetime | None) -> str:
    until = f"until {expires_on:%Y-%m-%dT%H:%M:%SZ}" if expires_on else "until its lock ends"
    during = " (in its cooling-off period)" if state == "compliance-cooloff" else ""
    return (
        f"locked in {mode} mode{during} {until}; orphans never unlocks a snapshot: run again "
        "once the lock has ended"
    )


def _lock_unknown(why: str) -> str:
    return (
        f"its lock could not be read ({why.rstrip('.')}), so it is not deleted on doubt: run again"
    )


def delete_snapshots(
    snapshots: Iterable[Snapshot], holds: Mapping[str, str], settings: Settings
) -> Iterator[Outcome]:
    """Delete each snapshot once EC2 shows it still tagged as it was judged (a tag changed
    since, e.g. by an adoption, raises UnsureError) and no lock holds it (``holds``, from
    :func:`lock_holds`); yields what became of each, one at a time."""
    policy = aws.RetryPolicy.of(settings)
    for snapshot in snapshots:
        client = aws.ec2_client(snapshot.region, settings)
        yield _delete_one(client, snapshot, holds.get(snapshot.snapshot_id), policy)


def _delete_one(
    client: EC2Client, snapshot: Snapshot, hold: str | None, policy: aws.RetryPolicy
) -> Outcome:
    snapshot_id, started = snapshot.snapshot_id, snapshot.start_time
    try:
        now = _snapshot(
            aws.find_snapshot_by_id(client, snapshot_id, policy, created_at=started),
            snapshot.region,
        )
    except SnapshotNotFoundError:
        return Outcome(snapshot_id, ALREADY_GONE, _GONE)
    if (now.owner, now.token) != (snapshot.owner, snapshot.token):
        raise UnsureError(f"{snapshot_id} was re-tagged while orphans ran: not deleted")
    if hold:
        return Outcome(snapshot_id, NOT_YET, hold)
    try:
        confirmed = aws.delete_snapshot(client, snapshot_id, policy, created_at=started)
    except SnapshotLockedError as locked:  # locked since the locks were read
        return Outcome(snapshot_id, NOT_YET, _locked(locked.mode, locked.mode, locked.expires_on))
    if confirmed:
        return Outcome(snapshot_id, DELETED)
    return _gone_or_not(client, snapshot, policy)


_GONE = "EC2 no longer has it: deleted meanwhile (another orphans run?)"


def _gone_or_not(client: EC2Client, snapshot: Snapshot, policy: aws.RetryPolicy) -> Outcome:
    """DeleteSnapshot answered NotFound: gone, if DescribeSnapshots agrees."""
    try:
        aws.find_snapshot_by_id(
            client, snapshot.snapshot_id, policy, created_at=snapshot.start_time
        )
    except SnapshotNotFoundError:
        return Outcome(snapshot.snapshot_id, ALREADY_GONE, _GONE)
    except AwsOperationError as err:
        why = f"DeleteSnapshot answered NotFound and reading it failed ({err})"
        return Outcome(snapshot.snapshot_id, NOT_YET, f"{why}: run again")
    return Outcome(
        snapshot.snapshot_id,
        NOT_YET,
        "DeleteSnapshot answered NotFound, yet DescribeSnapshots still shows it (EC2's eventual "
        "consistency): run again",
    )
