"""What a run of the acceptance lane will create, where, and what that may cost: printed
before anything is made, so that whoever runs it against an account can say no."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from .marks import ACCEPTANCE_TAG, RunMark
from .target import Identity, Target

#: EBS snapshot storage, standard tier, us-east-1: $0.05 per GB-month (public price list).
PRICE_PER_GB_MONTH = 0.05
#: A month as AWS prorates storage: 730 hours.
HOURS_PER_MONTH = 730
#: The longest a lane snapshot lives: a run takes minutes, and the sweep deletes any
#: leftover once it is an hour old.
HOURS_KEPT = 1.0
#: (scenario, snapshots it makes): the lane's snapshots, in order.
SNAPSHOTS_MADE = (
    ("snapshot create/tag/refresh/replace/destroy", 2),
    ("adopt", 1),
    ("series rotation (keep 2, three triggers)", 3),
    ("from_recovery_point (when the volume has recovery points)", 1),
)
GIB = 1024**3


@dataclass(frozen=True)
class Plan:
    target: Target
    identity: Identity
    mark: RunMark
    volume_gib: float
    size_source: str

    @property
    def snapshot_count(self) -> int:
        return sum(count for _, count in SNAPSHOTS_MADE)

    @property
    def worst_cost_usd(self) -> float:
        """Every snapshot billed as a full copy of the volume's data, kept an hour."""
        gb_months = self.snapshot_count * self.volume_gib * HOURS_KEPT / HOURS_PER_MONTH
        return gb_months * PRICE_PER_GB_MONTH

    def lines(self) -> list[str]:
        made = "; ".join(f"{scenario}: {count}" for scenario, count in SNAPSHOTS_MADE)
        if self.volume_gib <= 0:
            per_gib = replace(self, volume_gib=1.0).worst_cost_usd
            cost = f"at most ${per_gib:.5f} per GiB of data on the volume ({self.size_source})"
        else:
            cost = f"at most ${self.worst_cost_usd:.4f}"
        return [
            f"Acceptance run {self.mark.run_id} against {self.target.where()}",
            f"  account {self.identity.account} ({self.identity.arn}), region {self.target.region}",
            f"  volume {self.target.volume_arn}",
            f"  creates up to {self.snapshot_count} EBS snapshots of that volume ({made}),",
            f"  each tagged {ACCEPTANCE_TAG} = {self.mark.value},",
            "  all deleted by the end of the run;",
            "  changes the volume's snapshot schedule for a minute (its start hour 12 h away",
            "  from now) and restores the one it has now;",
            f"  expected cost: {cost}: {self.snapshot_count} snapshots"
            f" x {self.volume_gib:.1f} GiB ({self.size_source}) x {HOURS_KEPT:g} h at"
            f" ${PRICE_PER_GB_MONTH}/GB-month ({HOURS_PER_MONTH} h), EBS snapshot standard",
            "  storage in us-east-1, assuming each snapshot a full copy (they are incremental,",
            "  so usually far less); API calls are free",
        ]


def volume_gib(target: Target) -> tuple[float, str]:
    """The volume's used data in GiB (its size when Storage Gateway does not say), and
    which of the two it is."""
    try:
        volumes = target.client("storagegateway").describe_cached_iscsi_volumes(
            VolumeARNs=[target.volume_arn]
        )["CachediSCSIVolumes"]
    except (ClientError, BotoCoreError):
        volumes = []
    if not volumes:
        return 0.0, "size unknown: DescribeCachediSCSIVolumes failed"
    volume: dict[str, Any] = volumes[0]
    used = volume.get("VolumeUsedInBytes")
    if isinstance(used, int) and used > 0:
        return used / GIB, "data written to it"
    return int(volume.get("VolumeSizeInBytes", GIB)) / GIB, "its whole size"


def make_plan(target: Target, identity: Identity, mark: RunMark) -> Plan:
    gib, source = volume_gib(target)
    return Plan(target, identity, mark, gib, source)
