"""Sharing a snapshot with other accounts: EC2's ``createVolumePermission`` attribute, read with
DescribeSnapshotAttribute and changed with ModifySnapshotAttribute (only the difference: at
most one ``add`` and one ``remove`` call), and the default-key rule checked before any add."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import SnapshotShareError
from ...inputs.sharing import (
    DEFAULT_EBS_KEY_ALIAS,
    SharingChanges,
    default_key_refusal,
    is_default_ebs_key,
)
from ..errors import error_code, translate
from ..retry import RetryPolicy, call_with_retries
from .find import SnapshotInfo

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

ATTRIBUTE: Final = "createVolumePermission"
#: The group of a public snapshot. Never declared here; reported when found (shared outside
#: Pulumi), so that the next update removes it.
PUBLIC_GROUP: Final = "all"


def shared_accounts(client: EC2Client, snapshot_id: str, policy: RetryPolicy) -> tuple[str, ...]:
    """The accounts (and ``all`` if the snapshot is public) that may create volumes from it."""
    try:
        answer = call_with_retries(
            lambda: client.describe_snapshot_attribute(Attribute=ATTRIBUTE, SnapshotId=snapshot_id),
            policy,
        )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "reading who may use EBS snapshot", snapshot_id, "ec2:DescribeSnapshotAttribute"
        ) from err
    found: set[str] = set()
    for permission in answer.get("CreateVolumePermissions", []):
        if "UserId" in permission:
            found.add(str(permission["UserId"]))
        elif permission.get("Group") == PUBLIC_GROUP:
            found.add(PUBLIC_GROUP)
    return tuple(sorted(found))


def apply_sharing(
    client: EC2Client, snapshot_id: str, changes: SharingChanges, policy: RetryPolicy
) -> None:
    """One ModifySnapshotAttribute for the accounts to add and one for those to remove (each
    only when not empty). Both are idempotent, so a lost answer is simply retried."""
    for operation, accounts in (("add", changes.add), ("remove", changes.remove)):
        if accounts:
            _modify(client, snapshot_id, operation, accounts, policy)


def _modify(
    client: EC2Client,
    snapshot_id: str,
    operation: str,
    accounts: Sequence[str],
    policy: RetryPolicy,
) -> None:
    users = [account for account in accounts if account != PUBLIC_GROUP]
    request: dict[str, Any] = {
        "SnapshotId": snapshot_id,
        "Attribute": ATTRIBUTE,
        "OperationType": operation,
    }
    if users:
        request["UserIds"] = users
    if PUBLIC_GROUP in accounts:
        request["GroupNames"] = [PUBLIC_GROUP]
    try:
        call_with_retries(lambda: client.modify_snapshot_attribute(**request), policy)
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err,
            f"sharing ({operation}) EBS snapshot",
            snapshot_id,
            "ec2:ModifySnapshotAttribute",
        ) from err


def default_ebs_key_ids(kms: Any, policy: RetryPolicy) -> tuple[str, ...]:
    """The ARN and ID of the account's default EBS key (KMS DescribeKey of its alias); none
    when the alias does not exist yet (then no snapshot is encrypted with it)."""
    try:
        answer = call_with_retries(lambda: kms.describe_key(KeyId=DEFAULT_EBS_KEY_ALIAS), policy)
    except ClientError as err:
        if error_code(err) == "NotFoundException":
            return ()
        raise translate(err, "reading KMS key", DEFAULT_EBS_KEY_ALIAS, "kms:DescribeKey") from err
    except BotoCoreError as err:
        raise translate(err, "reading KMS key", DEFAULT_EBS_KEY_ALIAS, "kms:DescribeKey") from err
    metadata = answer.get("KeyMetadata", {})
    return tuple(str(metadata[k]) for k in ("Arn", "KeyId") if k in metadata)


def refuse_default_key(snapshots: Iterable[SnapshotInfo], kms: Any, policy: RetryPolicy) -> None:
    """Raise :class:`SnapshotShareError` if any snapshot is encrypted with the default EBS key,
    which EC2 refuses to share: before any ModifySnapshotAttribute, so nothing is half shared.
    KMS is asked only when a snapshot is encrypted at all."""
    encrypted = [info for info in snapshots if info.encrypted]
    if not encrypted:
        return
    default_ids = default_ebs_key_ids(kms, policy)
    for info in encrypted:
        if is_default_ebs_key(info.kms_key_id, default_ids):
            raise SnapshotShareError(default_key_refusal(info.snapshot_id))
