"""The acceptance tag: how a snapshot says which acceptance run made it, and when.

Every snapshot the acceptance lane makes carries ``sg-snapshot-provider:acceptance =
<run-id>@<UTC time the run started>``. Only the lane sets this tag (no resource, example or
command of the package does), so the sweep may treat it as the lane's own mark: a snapshot
without it is never the lane's, whatever else it looks like.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sg_snapshot_provider.inputs.tags import owner_tag_value

#: The tag key every snapshot made by the acceptance lane carries.
ACCEPTANCE_TAG = "sg-snapshot-provider:acceptance"
#: The Pulumi project the lane's resources belong to (their owner tag starts with it).
ACCEPTANCE_PROJECT = "sg-snapshot-provider-acceptance"
#: ``acc-`` and 8 hex digits: random, so that two runs never share an ID.
_RUN_ID_RE = re.compile(r"acc-[0-9a-f]{8}")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class RunMark:
    """One run of the lane: its ID and the time it started (UTC, whole seconds)."""

    run_id: str
    started: datetime

    @property
    def value(self) -> str:
        """The acceptance tag's value: ``<run-id>@<iso time>``."""
        return f"{self.run_id}@{self.started.strftime(_TIME_FORMAT)}"

    def owner(self, resource: str) -> str:
        """The owner tag value (``project/stack/resource``) of a lane resource: the run is the
        stack."""
        return owner_tag_value(ACCEPTANCE_PROJECT, self.run_id, resource)


def new_run(now: datetime | None = None) -> RunMark:
    """A fresh run mark (a random ID, started ``now``)."""
    started = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return RunMark(f"acc-{secrets.token_hex(4)}", started)


def parse_mark(value: str) -> RunMark | None:
    """The run a tag value names, or None when it is not ``<run-id>@<iso time>``."""
    run_id, at, when = value.partition("@")
    if not at or not _RUN_ID_RE.fullmatch(run_id):
        return None
    try:
        started = datetime.strptime(when, _TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return RunMark(run_id, started)


def is_lane_owner(owner: str) -> bool:
    """Whether an owner tag value names a resource of an acceptance run."""
    return owner.startswith(f"{ACCEPTANCE_PROJECT}/")
