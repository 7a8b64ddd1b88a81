"""Taking the snapshot through Storage Gateway, exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ..errors import AwsOperationError
from ..inputs import CREATE_TOKEN_TAG, MAX_TAGS, OWNER_TAG
from .ec2 import delete_snapshot, snapshot_ids_tagged
from .errors import translate
from .retry import RetryPolicy, call_with_retries, gateway_busy, to_stderr

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_storagegateway import StorageGatewayClient

CREATING = "creating Storage Gateway snapshot of volume"


@dataclass(frozen=True)
class CreatedSnapshot:
    """What CreateSnapshot answered (the ID in lower case, as EC2 wants it), the create token
    the snapshot carries, and when the provider learnt of it (the start of EC2's visibility
    window)."""

    snapshot_id: str
    volume_arn: str
    token: str = ""
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: When the recovery point the snapshot was taken from was made (ISO 8601, as Storage
    #: Gateway answers it); None for CreateSnapshot, or when the answer was lost.
    recovery_point_time: str | None = None


def new_create_token() -> str:
    """A fresh idempotency token for one create (the value of the CREATE_TOKEN_TAG tag)."""
    return str(uuid.uuid4())


def create_snapshot(
    client: StorageGatewayClient,
    volume_arn: str,
    description: str,
    tags: Mapping[str, str],
    policy: RetryPolicy,
    *,
    ec2: Callable[[], EC2Client] | None = None,
    token: str | None = None,
    owner: str | None = None,
    from_recovery_point: bool = False,
) -> CreatedSnapshot:
    """CreateSnapshot, exactly once.

    CreateSnapshot takes no client token, so the snapshot carries one: a fresh UUID under
    CREATE_TOKEN_TAG. Throttling and transient gateway states were refused before anything was
    made: they are retried (within ``policy``). When the answer is lost (5xx, connection
    closed, read timeout) the snapshot may exist all the same: ``ec2`` (an EC2 client of the
    volume's region) looks it up by its token and adopts it, and only when it is not there is
    CreateSnapshot sent again. Without ``ec2`` such a failure is final. Happy path: one request.
    ``owner`` (``project/stack/resource``) goes on the owner tag when EC2's 50-tag budget
    leaves room for it. With ``from_recovery_point`` the snapshot is taken with
    CreateSnapshotFromVolumeRecoveryPoint (cached volumes), exactly once in the same way.
    """
    token = token or new_create_token()
    reserved = {CREATE_TOKEN_TAG: token}
    if owner and len(tags) + 2 <= MAX_TAGS:
        reserved[OWNER_TAG] = owner
    request: dict[str, Any] = {
        "VolumeARN": volume_arn,
        "SnapshotDescription": description,
        "Tags": [{"Key": k, "Value": v} for k, v in {**tags, **reserved}.items()],
    }
    lookup = _CreateLookup(ec2, volume_arn, token, policy)
    budget = policy.timings.transient_retry_seconds

    operation = "CreateSnapshotFromVolumeRecoveryPoint" if from_recovery_point else "CreateSnapshot"
    send = (
        client.create_snapshot_from_volume_recovery_point
        if from_recovery_point
        else client.create_snapshot
    )
    try:
        created = call_with_retries(
            lambda: _created(send(**request), volume_arn, token),
            policy,
            transient=(gateway_busy(volume_arn, policy),),
            on_ambiguous=lookup.find if ec2 is not None else None,
        )
    except (ClientError, BotoCoreError) as err:
        error = translate(
            err, CREATING, volume_arn, f"storagegateway:{operation}", retried_seconds=budget
        )
        if from_recovery_point:
            error = _from_recovery_point_hint(error)
        raise error from err
    if lookup.looked:
        lookup.remove_duplicates(keep=created.snapshot_id)
    return created


def _created(response: Mapping[str, Any], volume_arn: str, token: str) -> CreatedSnapshot:
    snapshot_id = str(response["SnapshotId"]).lower()
    recovery_point_time = response.get("VolumeRecoveryPointTime")
    return CreatedSnapshot(
        snapshot_id,
        response.get("VolumeARN", volume_arn),
        token,
        recovery_point_time=str(recovery_point_time) if recovery_point_time else None,
    )


#: What to do instead, when a snapshot cannot be taken from the volume's recovery point.
_RECOVERY_POINT_HINTS: Final = {
    "NotSupported": (
        "Recovery points exist only for cached volumes: for a stored volume set "
        "from_recovery_point to false (a snapshot of the volume itself)."
    ),
    "VolumeNotReady": (
        "The volume has no recovery point yet (its data has not all reached AWS, or it is still "
        "being created): set from_recovery_point to false to snapshot the volume itself, or try "
        "again later."
    ),
}


def _from_recovery_point_hint(error: AwsOperationError) -> AwsOperationError:
    hint = _RECOVERY_POINT_HINTS.get(error.code)
    if hint is None:
        return error
    return AwsOperationError(error.operation, error.subject, error.code, error.aws_message, hint)


class _CreateLookup:
    """Finds the snapshots one create made, by its token, after CreateSnapshot's answer was
    lost."""

    def __init__(
        self,
        ec2: Callable[[], EC2Client] | None,
        volume_arn: str,
        token: str,
        policy: RetryPolicy,
    ) -> None:
        self._ec2 = ec2
        self._volume_arn = volume_arn
        self._token = token
        self._policy = policy
        #: Whether an answer was lost at least once (then a late duplicate may exist).
        self.looked = False

    def find(self) -> CreatedSnapshot | None:
        """The snapshot the create made, if EC2 shows one yet."""
        self.looked = True
        found = self._tagged()
        return CreatedSnapshot(found[0], self._volume_arn, self._token) if found else None

    def remove_duplicates(self, keep: str) -> None:
        """Delete every other snapshot made with this token: an earlier attempt whose answer
        was lost may have landed after we looked for it."""
        assert self._ec2 is not None  # looked is only set when there is a client
        try:
            for snapshot_id in self._tagged():
                if snapshot_id != keep:
                    delete_snapshot(self._ec2(), snapshot_id, self._policy)
        except AwsOperationError as err:
            # The create itself worked and its snapshot must reach state: say what may be left
            # rather than fail (failing would leak the snapshot we keep).
            to_stderr(
                f"warning: snapshot {keep} was created, but removing a duplicate made by a retry "
                f"failed ({err}); look for snapshots tagged {CREATE_TOKEN_TAG}={self._token}"
            )

    def _tagged(self) -> list[str]:
        """IDs of the snapshots carrying the token, oldest first."""
        assert self._ec2 is not None
        try:
            return snapshot_ids_tagged(self._ec2(), CREATE_TOKEN_TAG, self._token, self._policy)
        except (ClientError, BotoCoreError) as err:
            raise self._unknown_outcome(err) from err

    def _unknown_outcome(self, err: ClientError | BotoCoreError) -> AwsOperationError:
        cause = translate(err, "", "", "ec2:DescribeSnapshots")
        return AwsOperationError(
            CREATING,
            self._volume_arn,
            cause.code,
            f"CreateSnapshot's answer was lost and looking for the snapshot it may have made "
            f"failed too: {cause.aws_message}",
            f"Look for it with aws ec2 describe-snapshots --owner-ids self --filters "
            f"Name=tag:{CREATE_TOKEN_TAG},Values={self._token} and delete it, then try again.",
        )
