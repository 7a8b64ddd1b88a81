"""Storage Gateway's snapshots as EBS snapshots in moto's EC2, with states that move with time.

Real behaviour reproduced, and from where:

* A snapshot Storage Gateway takes is a real EBS snapshot in moto's EC2 backend of the same
  account and region, so every EC2 call sees it (the Storage Gateway user guide: snapshots of
  volumes are stored in Amazon EBS).
* AWS reports these snapshots with the placeholder volume ID :data:`SNAPSHOT_VOLUME_ID`
  (EC2 does not know Storage Gateway's volumes); filter on it with ``volume-id``.
* Real snapshots are ``pending`` for a while with a rising ``Progress``, then ``completed``;
  moto's are born ``completed`` at "100%", so no waiter would ever be exercised. Ours stay
  ``pending`` for ``pending_seconds``. ``SNAPSHOT_STATES`` are EC2's ``SnapshotState`` values.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_block_store import Snapshot
from moto.ec2.utils import random_snapshot_id

SNAPSHOT_VOLUME_ID = "vol-ffffffff"
SNAPSHOT_STATES = ("pending", "completed", "error", "recoverable", "recovering")


@dataclass(frozen=True)
class SnapshotSource:
    """What moto's ``Snapshot`` needs to know of its volume (``id`` and ``size`` in GiB)."""

    size: int
    id: str = SNAPSHOT_VOLUME_ID
    encrypted: bool = False


class GatewaySnapshot(Snapshot):  # type: ignore[misc]
    """An EBS snapshot whose state moves with time, as real snapshots do.

    moto's snapshots are born ``completed`` with a fixed "100%" progress, so no waiter is ever
    exercised. Ours stay ``pending`` for ``pending_seconds`` with a rising progress, then are
    ``completed``; ``force`` pins any state (``error``…) for tests.
    """

    def __init__(
        self,
        ec2_backend: Any,
        snapshot_id: str,
        source: SnapshotSource,
        description: str,
        pending_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._born = clock()
        self._pending_seconds = pending_seconds
        self._forced: tuple[str, str] | None = None
        super().__init__(ec2_backend, snapshot_id, source, description, encrypted=source.encrypted)
        # moto's __init__ sets status = "completed" as its birth state; that is not a decision.
        self._forced = None

    def _natural_percent(self) -> int:
        if self._pending_seconds <= 0:
            return 100
        elapsed = self._clock() - self._born
        return min(100, int(100 * elapsed / self._pending_seconds))

    @property
    def status(self) -> str:
        if self._forced is not None:
            return self._forced[0]
        return "completed" if self._natural_percent() >= 100 else "pending"

    @status.setter
    def status(self, state: str) -> None:
        self.force(state)

    @property
    def progress(self) -> str:
        if self._forced is not None:
            return self._forced[1]
        return f"{min(self._natural_percent(), 99) if self.status == 'pending' else 100}%"

    def force(self, state: str, progress: str | None = None) -> None:
        """Pin ``state``; progress defaults to 100% when completed, else to the current one."""
        if progress is None:
            progress = "100%" if state == "completed" else self.progress
        self._forced = (state, progress)


def take_snapshot(
    account_id: str,
    region: str,
    size_gib: int,
    description: str,
    tags: dict[str, str],
    pending_seconds: float,
) -> GatewaySnapshot:
    """A new snapshot of a ``size_gib`` volume, tagged, in moto's EC2 of ``account_id`` and
    ``region``."""
    ec2 = ec2_backends[account_id][region]
    snapshot = GatewaySnapshot(
        ec2,
        random_snapshot_id(),
        SnapshotSource(size=size_gib),
        description,
        pending_seconds=pending_seconds,
    )
    ec2.snapshots[snapshot.id] = snapshot
    if tags:
        ec2.create_tags([snapshot.id], tags)
    return snapshot


def ec2_snapshot(account_id: str, region: str, snapshot_id: str) -> Any:
    """The EBS snapshot ``snapshot_id`` of ``account_id`` and ``region`` (any case), or
    ``None``."""
    return ec2_backends[account_id][region].snapshots.get(snapshot_id.lower())
