"""The restore test: an EBS volume made from a snapshot (CreateVolume with ``SnapshotId``),
waited for with botocore's ``volume_available`` waiter, checked (at least the snapshot's size),
then deleted (DeleteVolume, waited for with ``volume_deleted``). Whatever fails, no volume is
left behind unless the caller asked to keep it."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError, WaiterError
from botocore.waiter import Waiter

from ...errors import AwsOperationError, RestoreCheckError
from ...inputs.restore_check import RestoreCheck, RestoreResult
from ..errors import error_code, translate
from ..retry import RetryPolicy, call_with_retries
from .find import SnapshotInfo

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: The tag the test's volume carries (with the owner tag), so that one left by a crash is
#: recognisable: ``aws ec2 describe-volumes --filters Name=tag-key,Values=...``.
PURPOSE_TAG = "sg-snapshot-provider:restore-test"


def restore_test(
    client: EC2Client,
    snapshot: SnapshotInfo,
    check: RestoreCheck,
    timeout_seconds: float,
    policy: RetryPolicy,
    tags: Mapping[str, str] | None = None,
) -> RestoreResult:
    """Restore ``snapshot`` (completed) to a volume in ``check.availability_zone`` and check it.
    Returns the result; raises :class:`RestoreCheckError` (one sentence) after deleting the
    volume when the test fails."""
    volume_id, size = _create_volume(
        client, snapshot.snapshot_id, check.availability_zone, tags, policy
    )
    try:
        _wait(client.get_waiter("volume_available"), volume_id, timeout_seconds, policy)
        wanted = snapshot.volume_size_gib or 0
        if size < wanted:
            raise RestoreCheckError(
                f"restore test of EBS snapshot {snapshot.snapshot_id}: volume {volume_id} has "
                f"{size} GiB, less than the snapshot's {wanted} GiB"
            )
    except (RestoreCheckError, AwsOperationError, ClientError, BotoCoreError) as err:
        _clean_up(client, volume_id, timeout_seconds, policy, err)
        raise
    if not check.keep_volume:
        delete_volume(client, volume_id, timeout_seconds, policy)
    return RestoreResult(
        datetime.now(UTC).isoformat(),
        snapshot.snapshot_id,
        "passed",
        volume_id if check.keep_volume else None,
        size,
    )


def _create_volume(
    client: EC2Client,
    snapshot_id: str,
    zone: str,
    tags: Mapping[str, str] | None,
    policy: RetryPolicy,
) -> tuple[str, int]:
    """The new volume's ID and size (GiB), as CreateVolume answers them."""
    # A client token makes CreateVolume idempotent: a retry after a lost answer makes no
    # second volume.
    request: dict[str, Any] = {
        "SnapshotId": snapshot_id,
        "AvailabilityZone": zone,
        "ClientToken": str(uuid.uuid4()),
        "TagSpecifications": [
            {
                "ResourceType": "volume",
                "Tags": [
                    {"Key": k, "Value": v}
                    for k, v in {**(tags or {}), PURPOSE_TAG: snapshot_id}.items()
                ],
            }
        ],
    }
    try:
        answer = call_with_retries(lambda: client.create_volume(**request), policy)
    except (ClientError, BotoCoreError) as err:
        raise RestoreCheckError(
            f"restore test of EBS snapshot {snapshot_id}: "
            f"{translate(err, 'creating a volume from', snapshot_id, 'ec2:CreateVolume')}"
        ) from err
    return str(answer["VolumeId"]), int(answer.get("Size", 0))


def _wait(waiter: Waiter, volume_id: str, timeout: float, policy: RetryPolicy) -> None:
    """botocore's ``waiter`` (named where it is made, so that the IAM policy test reads which
    one), polling every ``poll_initial_seconds`` up to ``timeout`` in all."""
    delay = max(policy.timings.poll_initial_seconds, 0.01)
    attempts = max(1, math.ceil(timeout / delay))
    try:
        waiter.wait(VolumeIds=[volume_id], WaiterConfig={"Delay": delay, "MaxAttempts": attempts})
    except WaiterError as err:
        state = _last_state(err.last_response)
        raise RestoreCheckError(
            f"restore test: volume {volume_id} did not reach the expected state "
            f"({waiter.name}); last seen {state}"
        ) from err


def _last_state(response: Any) -> str:
    volumes = response.get("Volumes") if isinstance(response, Mapping) else None
    if volumes:
        return str(volumes[0].get("State", "unknown"))
    error = response.get("Error") if isinstance(response, Mapping) else None
    return str(error.get("Code")) if isinstance(error, Mapping) else "nothing"


def delete_volume(client: EC2Client, volume_id: str, timeout: float, policy: RetryPolicy) -> None:
    """DeleteVolume, then wait until EC2 no longer shows it. Already gone counts as deleted."""
    try:
        call_with_retries(lambda: client.delete_volume(VolumeId=volume_id), policy)
    except ClientError as err:
        if error_code(err) != "InvalidVolume.NotFound":
            raise translate(err, "deleting EBS volume", volume_id, "ec2:DeleteVolume") from err
        return
    except BotoCoreError as err:
        raise translate(err, "deleting EBS volume", volume_id, "ec2:DeleteVolume") from err
    _wait(client.get_waiter("volume_deleted"), volume_id, timeout, policy)


def _clean_up(
    client: EC2Client, volume_id: str, timeout: float, policy: RetryPolicy, cause: Exception
) -> None:
    """Delete the volume of a failed test; if that fails too, say so (the volume is left)."""
    try:
        delete_volume(client, volume_id, timeout, policy)
    except (AwsOperationError, RestoreCheckError) as err:
        raise RestoreCheckError(
            f"{cause}; deleting the test's volume {volume_id} failed too ({err}): delete it "
            f"with aws ec2 delete-volume --volume-id {volume_id}"
        ) from cause
