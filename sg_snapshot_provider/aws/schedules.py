"""A volume's snapshot schedule through Storage Gateway: set, find and delete it.

Every call goes through the one retry loop (``retry.call_with_retries``) with the same passing
gateway states as CreateSnapshot (``retry.gateway_busy``). All three calls are idempotent (they
set, read or remove one schedule), so a lost answer is simply retried; a delete whose every
answer was lost looks whether the schedule is gone before it reports a failure.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import AwsOperationError, SnapshotScheduleNotFoundError
from .errors import (
    FailureKind,
    classify,
    error_code,
    is_not_supported,
    is_schedule_not_found,
    is_volume_not_found,
)
from .errors import translate as translate_error
from .retry import RetryPolicy, call_with_retries, gateway_busy

if TYPE_CHECKING:
    from mypy_boto3_storagegateway import StorageGatewayClient

UPDATING = "updating the snapshot schedule of volume"
READING = "reading the snapshot schedule of volume"
DELETING = "deleting the snapshot schedule of volume"


@dataclass(frozen=True)
class SnapshotScheduleInfo:
    """What DescribeSnapshotSchedule answered."""

    volume_arn: str
    start_at: int
    recurrence_in_hours: int
    #: None when the schedule has no description.
    description: str | None
    #: The gateway's time zone, e.g. ``GMT-5:00``, in which ``start_at`` is counted.
    timezone: str | None
    tags: Mapping[str, str] = field(default_factory=dict)


class ScheduleDeletion(enum.Enum):
    """What DeleteSnapshotSchedule did."""

    DELETED = "deleted"
    #: The volume or its schedule was already gone: nothing to delete.
    ALREADY_GONE = "already gone"
    #: Storage Gateway deletes schedules of cached volumes only ("This operation is only
    #: supported for cached volume gateway types"): a stored volume keeps its schedule.
    NOT_SUPPORTED = "not supported"


def update_snapshot_schedule(
    client: StorageGatewayClient,
    volume_arn: str,
    start_at: int,
    recurrence_in_hours: int,
    description: str | None,
    tags: Mapping[str, str],
    policy: RetryPolicy,
) -> None:
    """UpdateSnapshotSchedule: the volume's schedule becomes exactly this one. ``Tags`` is
    always sent (an empty list removes the schedule's tags); ``Description`` only when there
    is one (the API cannot clear it)."""
    request: dict[str, Any] = {
        "VolumeARN": volume_arn,
        "StartAt": start_at,
        "RecurrenceInHours": recurrence_in_hours,
        "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
    }
    if description is not None:
        request["Description"] = description
    busy = gateway_busy(volume_arn, policy)
    try:
        call_with_retries(
            lambda: client.update_snapshot_schedule(**request), policy, transient=(busy,)
        )
    except (ClientError, BotoCoreError) as err:
        raise _translate(err, UPDATING, volume_arn, "UpdateSnapshotSchedule", policy) from err


def find_snapshot_schedule(
    client: StorageGatewayClient, volume_arn: str, policy: RetryPolicy
) -> SnapshotScheduleInfo:
    """DescribeSnapshotSchedule. Raises :class:`SnapshotScheduleNotFoundError` when the volume
    is gone or has no schedule, an ``AwsOperationError`` for any other failure."""
    busy = gateway_busy(volume_arn, policy)
    try:
        answer = call_with_retries(
            lambda: client.describe_snapshot_schedule(VolumeARN=volume_arn),
            policy,
            transient=(busy,),
        )
    except ClientError as err:
        if is_volume_not_found(err) or is_schedule_not_found(err):
            raise SnapshotScheduleNotFoundError(volume_arn, error_code(err)) from err
        raise _translate(err, READING, volume_arn, "DescribeSnapshotSchedule", policy) from err
    except BotoCoreError as err:
        raise _translate(err, READING, volume_arn, "DescribeSnapshotSchedule", policy) from err
    return SnapshotScheduleInfo(
        volume_arn=str(answer.get("VolumeARN") or volume_arn),
        start_at=int(answer["StartAt"]),
        recurrence_in_hours=int(answer["RecurrenceInHours"]),
        description=answer.get("Description") or None,
        timezone=answer.get("Timezone") or None,
        tags={tag["Key"]: tag["Value"] for tag in answer.get("Tags", [])},
    )


def delete_snapshot_schedule(
    client: StorageGatewayClient, volume_arn: str, policy: RetryPolicy
) -> ScheduleDeletion:
    """DeleteSnapshotSchedule. A volume already gone or a schedule already deleted counts as
    done (:attr:`ScheduleDeletion.ALREADY_GONE`); a stored volume, whose schedule Storage
    Gateway cannot delete, answers :attr:`ScheduleDeletion.NOT_SUPPORTED`."""
    busy = gateway_busy(volume_arn, policy)
    try:
        call_with_retries(
            lambda: client.delete_snapshot_schedule(VolumeARN=volume_arn),
            policy,
            transient=(busy,),
        )
    except ClientError as err:
        if is_volume_not_found(err) or is_schedule_not_found(err):
            return ScheduleDeletion.ALREADY_GONE
        if is_not_supported(err):
            return ScheduleDeletion.NOT_SUPPORTED
        if _gone_after_all(client, err, volume_arn, policy):
            return ScheduleDeletion.DELETED
        raise _translate(err, DELETING, volume_arn, "DeleteSnapshotSchedule", policy) from err
    except BotoCoreError as err:
        if _gone_after_all(client, err, volume_arn, policy):
            return ScheduleDeletion.DELETED
        raise _translate(err, DELETING, volume_arn, "DeleteSnapshotSchedule", policy) from err
    return ScheduleDeletion.DELETED


def _gone_after_all(
    client: StorageGatewayClient,
    err: ClientError | BotoCoreError,
    volume_arn: str,
    policy: RetryPolicy,
) -> bool:
    """Whether an attempt whose answer was lost deleted the schedule after all (each retry is
    then refused, or lost, too): reporting a failure would keep in the state a schedule that
    is gone. One DescribeSnapshotSchedule, on this failure path only."""
    if classify(err) is not FailureKind.AMBIGUOUS:
        return False
    try:
        find_snapshot_schedule(client, volume_arn, policy)
    except SnapshotScheduleNotFoundError:
        return True
    except AwsOperationError:
        return False  # still unknown: report the delete's own error
    return False


def _translate(
    err: ClientError | BotoCoreError,
    operation: str,
    volume_arn: str,
    action: str,
    policy: RetryPolicy,
) -> AwsOperationError:
    return translate_error(
        err,
        operation,
        volume_arn,
        f"storagegateway:{action}",
        retried_seconds=policy.timings.transient_retry_seconds,
    )
