"""Deletion: DeleteSnapshot, with a lost answer checked and an AMI that still uses the snapshot
named."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import AwsOperationError, SnapshotInUseError, SnapshotNotFoundError
from ..errors import (
    FailureKind,
    classify,
    error_code,
    error_message,
    is_snapshot_in_use,
    is_snapshot_not_found,
    translate,
)
from ..retry import RetryPolicy, Transient, call_with_retries
from .find import find_snapshot_by_id
from .locks import locked_delete_error
from .visibility import not_visible_yet

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

_AMI_RE: Final = re.compile(r"\bami-[0-9a-f]+\b")


def delete_snapshot(
    client: EC2Client,
    snapshot_id: str,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> bool:
    """DeleteSnapshot. True when EC2 confirmed the delete; False when EC2 says the snapshot does
    not exist (a retry after a lost answer sees the first attempt's work that way; a snapshot
    made within the visibility window is retried until the window ends first). While a
    registered AMI uses the snapshot, retries for a bounded time (the AMI may be on its way
    out), then raises :class:`SnapshotInUseError` naming the AMI."""
    snapshot_id = snapshot_id.lower()
    in_use_budget = policy.timings.in_use_retry_seconds
    operation, action = "deleting EBS snapshot", "ec2:DeleteSnapshot"
    in_use = Transient(is_snapshot_in_use, in_use_budget, f"snapshot {snapshot_id} is in use")
    try:
        call_with_retries(
            lambda: client.delete_snapshot(SnapshotId=snapshot_id),
            policy,
            transient=(in_use, *not_visible_yet(snapshot_id, created_at, policy)),
        )
    except ClientError as err:
        if is_snapshot_not_found(err):
            return False
        if is_snapshot_in_use(err):
            raise _in_use(err, snapshot_id, in_use_budget) from err
        locked = locked_delete_error(client, err, snapshot_id, policy)
        if locked is not None:  # never unlocked here: the delete fails, the state keeps it
            raise locked from err
        if _gone_after_all(client, err, snapshot_id, policy, created_at):
            return True
        raise translate(err, operation, snapshot_id, action) from err
    except BotoCoreError as err:
        if _gone_after_all(client, err, snapshot_id, policy, created_at):
            return True
        raise translate(err, operation, snapshot_id, action) from err
    return True


def _gone_after_all(
    client: EC2Client,
    err: ClientError | BotoCoreError,
    snapshot_id: str,
    policy: RetryPolicy,
    created_at: datetime | None,
) -> bool:
    """Whether an attempt whose answer was lost deleted the snapshot after all: then the
    delete succeeded, and reporting a failure would leave a snapshot in state that is gone."""
    if classify(err) is not FailureKind.AMBIGUOUS:
        return False
    try:
        find_snapshot_by_id(client, snapshot_id, policy, created_at=created_at)
    except SnapshotNotFoundError:
        return True
    except AwsOperationError:
        return False  # still unknown: report the delete's own error
    return False


def _in_use(err: ClientError, snapshot_id: str, budget: float) -> SnapshotInUseError:
    amis = sorted(set(_AMI_RE.findall(error_message(err))))
    user = f"AMI {', '.join(amis)}" if amis else "a registered AMI"
    return SnapshotInUseError(
        "deleting EBS snapshot",
        snapshot_id,
        error_code(err),
        error_message(err),
        f"It is still used by {user} after {budget:g} s of retries; deregister the AMI "
        "(aws ec2 deregister-image) and try again.",
    )
