"""The schedule resource's retention, between the engine's calls and ``aws.ec2.retention``: run
it in create and update, say in a preview what it would delete, and turn what it did into
outputs.

When it runs: at create, and at every update of the schedule resource (any change, a new
``retention_trigger`` included: that input exists to make an update when nothing else
changed, since an ``up`` with nothing changed calls no provider method). A Diff that plans an
update lists on stderr (the Pulumi console) what retention would delete, with one
DescribeSnapshots; a Diff with nothing to update makes no AWS call. An earlier prune whose
deletes failed plans an update by itself (``prune_pending_snapshot_ids``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ..aws.clients import ec2_client
from ..aws.ec2.retention import plan_prune, prune
from ..aws.retry import RetryPolicy, to_stderr
from ..errors import AwsOperationError
from ..inputs.retention import (
    LAST_PRUNED_SNAPSHOT_IDS,
    PRUNE_PENDING_SNAPSHOT_IDS,
    RETENTION,
    RetentionRules,
)
from ..settings import Settings


def rules_of(props: Mapping[str, Any]) -> RetentionRules | None:
    """The retention rules in checked inputs (None: no retention, or not known yet)."""
    value = props.get(RETENTION)
    if not isinstance(value, Mapping):
        return None
    try:
        return RetentionRules(**{k: int(v) for k, v in value.items() if v is not None})
    except (TypeError, ValueError):
        return None


def run_retention(
    volume_arn: str, region: str, rules: RetentionRules, settings: Settings, policy: RetryPolicy
) -> dict[str, Any]:
    """Prune the schedule's snapshots now; the outputs that record it. Raises when the
    snapshots cannot be listed or checked (then nothing was deleted); a delete that fails is a
    warning, and its ID waits in ``prune_pending_snapshot_ids`` for the next ``pulumi up``."""
    ec2 = ec2_client(region, settings)
    result = prune(ec2, volume_arn, rules, datetime.now(UTC), policy)
    if result.deleted:
        to_stderr(
            f"retention of the schedule of {volume_arn} deleted {len(result.deleted)} "
            f"snapshot(s): {', '.join(result.deleted)}"
        )
    for snapshot_id, error in result.failed.items():
        to_stderr(
            f"warning: retention could not delete snapshot {snapshot_id}: {error} The next "
            "`pulumi up` tries again."
        )
    return {
        LAST_PRUNED_SNAPSHOT_IDS: list(result.deleted),
        PRUNE_PENDING_SNAPSHOT_IDS: sorted(result.failed),
    }


def preview_retention(
    volume_arn: str, region: str, rules: RetentionRules, settings: Settings, policy: RetryPolicy
) -> None:
    """Say on stderr what the planned update's retention would delete (one DescribeSnapshots;
    locks and sharing are checked by the update itself). Never fails the Diff: a failure to
    list is a warning."""
    try:
        ec2 = ec2_client(region, settings)
        verdicts = plan_prune(
            ec2, volume_arn, rules, datetime.now(UTC), policy, check_locks_and_sharing=False
        )
    except AwsOperationError as err:
        to_stderr(f"warning: could not list what retention would delete: {err}")
        return
    if verdicts.delete:
        to_stderr(
            f"retention of the schedule of {volume_arn} would delete {len(verdicts.delete)} "
            f"snapshot(s) unless locked or shared: {', '.join(verdicts.delete)}"
        )
    else:
        to_stderr(f"retention of the schedule of {volume_arn} would delete nothing")
