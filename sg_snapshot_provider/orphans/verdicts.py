"""Judging: which of the snapshots found is a leftover of an unfinished create (deletable), and
why each other one is kept; and the checks on the snapshots the user names with
``--delete-unrecorded``. Pure: it works on what :mod:`.export` read and :mod:`.ec2` found.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final

from ..inputs import MAX_COMPLETION_TIMEOUT_SECONDS
from .export import PendingCreate, StackExport, UnsureError

#: The margin beyond a create's own wait after which its answer must have reached the
#: checkpoint: the create's retries, the engine's journal, clocks.
DEFAULT_SETTLE_SECONDS: Final = 3600


@dataclass(frozen=True)
class Snapshot:
    """A snapshot tagged with the stack or with a pending create's token."""

    snapshot_id: str
    region: str
    owner: str
    token: str
    start_time: datetime | None
    volume_size_gib: int | None
    state: str

    @property
    def resource(self) -> str:
        """The resource named by the owner tag (after ``project/stack/``)."""
        return self.owner.split("/", 2)[2] if self.owner.count("/") >= 2 else self.owner


@dataclass(frozen=True)
class Verdict:
    """What ``orphans`` makes of one snapshot: deletable or not, and why."""

    snapshot: Snapshot
    deletable: bool
    reason: str


@dataclass(frozen=True)
class Report:
    """Every snapshot looked at, leftovers (deletable) first."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def leftovers(self) -> list[Snapshot]:
        return [v.snapshot for v in self.verdicts if v.deletable]

    @property
    def kept(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.deletable]


def judge(
    export: StackExport,
    snapshots: Iterable[Snapshot],
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> Report:
    """The verdict on each snapshot (pure): a leftover of an unfinished create, or kept and
    why."""
    by_token = {p.token: p for p in export.pending if p.token}
    verdicts = [_verdict(export, s, by_token.get(s.token), settle_seconds) for s in snapshots]
    return Report(sorted(verdicts, key=lambda v: not v.deletable))


def _verdict(
    export: StackExport, snapshot: Snapshot, create: PendingCreate | None, settle: float
) -> Verdict:
    if snapshot.snapshot_id in export.held_ids:
        return Verdict(snapshot, False, "a resource of the export holds it")
    if create is None:
        return Verdict(snapshot, False, UNRECORDED)
    if not snapshot.owner or snapshot.owner != create.owner:
        return Verdict(
            snapshot,
            False,
            f"made by the unfinished create of {create.resource}, but its owner tag now names "
            f"{snapshot.owner or 'no one'}: adopted by another resource",
        )
    too_recent = _too_recent(export, snapshot, create.wait_seconds + settle)
    if too_recent:
        return Verdict(snapshot, False, too_recent)
    return Verdict(snapshot, True, f"left by the unfinished create of {create.resource}")


#: Why a snapshot of the stack that no pending create made is never deleted unasked.
UNRECORDED: Final = (
    "no unfinished create of the export made it: kept on purpose (retain_on_delete), adopted "
    "elsewhere, a same-named stack's in another backend, or left by a create that failed when "
    "its plugin died; once you know which, --delete-unrecorded deletes it"
)


def _too_recent(export: StackExport, snapshot: Snapshot, bound_seconds: float) -> str | None:
    """Why the export cannot show that the create of ``snapshot`` ended unrecorded, or None."""
    if export.written_at is None:
        return "the export does not say when it was written (no deployment.manifest.time)"
    if snapshot.start_time is None:
        return "EC2 does not say when it was started"
    settled = snapshot.start_time + timedelta(seconds=bound_seconds)
    if export.written_at <= settled:
        return (
            "too recent: the export was written before its create must have ended, so a later "
            f"state may hold it; export again after {settled:%Y-%m-%dT%H:%M:%SZ} and the next "
            "`pulumi up`"
        )
    return None


def named_unrecorded(
    report: Report,
    export: StackExport,
    snapshot_ids: Iterable[str],
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> list[Snapshot]:
    """The snapshots the user named for deletion although no pending create made them. Each
    must carry this stack's owner tag, be held by no resource of the export, and be older
    than the export by the longest a create can run; else UnsureError names the first that
    is not."""
    found = {v.snapshot.snapshot_id: v for v in report.verdicts}
    chosen: list[Snapshot] = []
    for snapshot_id in dict.fromkeys(s.lower() for s in snapshot_ids):
        verdict = found.get(snapshot_id)
        if verdict is None:
            raise UnsureError(
                f"{snapshot_id} is not a snapshot of yours tagged with stack "
                f"{export.project}/{export.stack} in the regions looked at: nothing deleted"
            )
        if verdict.deletable:
            continue  # a leftover: deleted anyway
        if verdict.reason != UNRECORDED:
            raise UnsureError(f"{snapshot_id} is not deleted: {verdict.reason}; nothing deleted")
        bound = MAX_COMPLETION_TIMEOUT_SECONDS + settle_seconds
        too_recent = _too_recent(export, verdict.snapshot, bound)
        if too_recent:
            raise UnsureError(f"{snapshot_id} is not deleted: {too_recent}; nothing deleted")
        chosen.append(verdict.snapshot)
    return chosen
