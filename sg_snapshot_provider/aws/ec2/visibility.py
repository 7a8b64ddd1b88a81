"""EC2's eventual consistency ("Eventual consistency in the Amazon EC2 API"): a snapshot
CreateSnapshot returned a moment ago may answer InvalidSnapshot.NotFound to DescribeSnapshots,
CreateTags, DeleteTags and DeleteSnapshot for a while. Every call of this package therefore takes
the time the provider made the snapshot (``created_at``, None when unknown or long ago): within
``Timings.visibility_window_seconds`` of it, NotFound means "not visible yet" and is retried;
only after the window is it believed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import is_snapshot_not_found
from ..retry import RetryPolicy, Transient


def visibility_seconds_left(created_at: datetime | None, policy: RetryPolicy) -> float:
    """How much longer NotFound for a snapshot made at ``created_at`` may mean "not visible
    yet" (0 when it was made long ago, or when that time is unknown)."""
    if created_at is None:
        return 0.0
    age = (datetime.now(UTC) - created_at).total_seconds()
    return max(0.0, policy.timings.visibility_window_seconds - age)


def not_visible_yet(
    snapshot_id: str, created_at: datetime | None, policy: RetryPolicy
) -> tuple[Transient, ...]:
    """NotFound retried while the window lasts; not after an attempt whose answer was lost
    (NotFound then most likely means that attempt did its work, e.g. deleted the snapshot)."""
    left = visibility_seconds_left(created_at, policy)
    if left <= 0:
        return ()
    what = f"snapshot {snapshot_id} is not visible to EC2 yet (eventual consistency)"
    return (Transient(is_snapshot_not_found, left, what, until_ambiguous=True),)
