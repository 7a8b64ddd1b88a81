"""The archive tier as EC2 answers it: moto serves ModifySnapshotTier, RestoreSnapshotTier and
DescribeSnapshotTierStatus, but archives a pending snapshot, archives an archived one again and
"restores" a snapshot that was never archived. This layer refuses those before moto runs.

Real behaviour reproduced, and from where (botocore's ``ec2`` model and the EBS user guide's
"Archive an Amazon EBS snapshot" and "Restore an archived snapshot" pages):

* ModifySnapshotTier: ``StorageTier`` must be ``archive`` (``TargetStorageTier``); "You can
  archive any snapshot that is in the completed state … You can't archive snapshots that are in
  the pending or error states"; a snapshot a registered AMI uses must have its AMI disabled
  first. An archived snapshot is not archived again.
* RestoreSnapshotTier: only an archived snapshot; ``TemporaryRestoreDays`` for a temporary
  restore, ``PermanentRestore=true`` for a permanent one, not both, not neither.

Refusals are ``IncorrectState`` (the resource's state) or ``InvalidParameterCombination``.
"""

from __future__ import annotations

from typing import Any, Final

from .exceptions import InvalidParameterCombination, MissingParameter
from .locks import IncorrectState
from .responses import Answer

TIER_ACTIONS: Final = ("ModifySnapshotTier", "RestoreSnapshotTier")


def tier_action(layer: Any, request: Any, run_moto: Any) -> Answer:
    """ModifySnapshotTier, RestoreSnapshotTier for the EC2 layer: EC2's state rules, then moto."""
    snapshot_id = request.params.get("SnapshotId")
    if not snapshot_id:
        raise MissingParameter("SnapshotId")
    snapshot = layer.visible_snapshot(request, snapshot_id)
    if request.action == "ModifySnapshotTier":
        check_modify_tier(request.params, snapshot, layer._image_using(request, snapshot))
    else:
        check_restore_tier(request.params, snapshot)
    answer: Answer = run_moto(None)
    return answer


def check_modify_tier(params: dict[str, str], snapshot: Any, image_id: str | None) -> None:
    if not params.get("StorageTier"):
        raise MissingParameter("StorageTier")
    if snapshot.status != "completed":
        raise IncorrectState(
            f"The snapshot {snapshot.id} is in the {snapshot.status} state; only a completed "
            "snapshot can be archived."
        )
    if getattr(snapshot, "storage_tier", "standard") == "archive":
        raise IncorrectState(f"The snapshot {snapshot.id} is already archived.")
    if image_id is not None:
        raise IncorrectState(
            f"The snapshot {snapshot.id} is used by {image_id}: disable the AMI before "
            "archiving the snapshot."
        )


def check_restore_tier(params: dict[str, str], snapshot: Any) -> None:
    days = params.get("TemporaryRestoreDays")
    permanent = params.get("PermanentRestore", "false").lower() == "true"
    if (days is not None) == permanent:  # both, or neither
        raise InvalidParameterCombination(
            "Specify TemporaryRestoreDays for a temporary restore or PermanentRestore=true for "
            "a permanent one, not both."
            if permanent
            else "Specify either TemporaryRestoreDays or PermanentRestore=true."
        )
    if days is not None and int(days) < 1:
        raise InvalidParameterCombination("TemporaryRestoreDays must be at least 1.")
    if getattr(snapshot, "storage_tier", "standard") != "archive":
        raise IncorrectState(f"The snapshot {snapshot.id} is not archived.")
