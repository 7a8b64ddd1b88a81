"""Sharing and restore testing, as the snapshot's and the series' providers run them: thin
steps over ``aws.ec2.sharing``/``aws.ec2.volumes`` and the pure rules of ``inputs.sharing``
and ``inputs.restore_check``.

Where the default-key rule is checked: on the snapshot as EC2 describes it (``Encrypted``,
``KmsKeyId``), right before the first ModifySnapshotAttribute that adds an account. A new
snapshot's key is only known once it exists (Storage Gateway picks it from the volume), so a
create refused by the rule deletes the snapshot it just made before failing: nothing leaks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .. import aws
from ..aws.ec2.sharing import apply_sharing, refuse_default_key, shared_accounts
from ..aws.ec2.volumes import delete_volume, restore_test
from ..aws.retry import to_stderr
from ..errors import AwsOperationError, RestoreCheckError, SnapshotShareError
from ..inputs.restore_check import RestoreCheck, RestoreResult
from ..inputs.series import SeriesArgs
from ..inputs.sharing import (
    AccountIds,
    SharingChanges,
    accounts_of_members,
    declared_accounts,
    sharing_changes,
)
from ..inputs.tags import OWNER_TAG
from .common import roll_back_new_snapshot

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

KmsFactory = Callable[[], Any]


def share_snapshots(
    ec2: EC2Client,
    kms: KmsFactory,
    snapshot_ids: Sequence[str],
    changes_of: Callable[[str], SharingChanges],
    describe: Callable[[list[str]], Sequence[aws.SnapshotInfo]],
    policy: aws.RetryPolicy,
) -> None:
    """Apply each snapshot's changes (``changes_of(snapshot_id)``). The snapshots gaining an
    account are described first (``describe``) and refused, before any call that writes, if
    one is encrypted with the default EBS key; the others cost no read."""
    changes = {snapshot_id: changes_of(snapshot_id) for snapshot_id in snapshot_ids}
    adding = [snapshot_id for snapshot_id in snapshot_ids if changes[snapshot_id].add]
    if adding:
        refuse_default_key(describe(adding), kms(), policy)
    for snapshot_id in snapshot_ids:
        apply_sharing(ec2, snapshot_id, changes[snapshot_id], policy)


def share_new_snapshot(
    ec2: EC2Client,
    kms: KmsFactory,
    info: aws.SnapshotInfo,
    accounts: AccountIds,
    policy: aws.RetryPolicy,
) -> None:
    """A snapshot just made is shared with no one: add every declared account."""
    share_snapshots(
        ec2,
        kms,
        [info.snapshot_id],
        lambda _: SharingChanges(add=tuple(accounts)),
        lambda _: [info],
        policy,
    )


def described(
    ec2: EC2Client,
    snapshot_id: str,
    policy: aws.RetryPolicy,
    created_at: datetime | None,
) -> aws.SnapshotInfo:
    return aws.find_snapshot_by_id(ec2, snapshot_id, policy, created_at=created_at)


def members_sharing(
    ec2: EC2Client, snapshot_ids: Sequence[str], declared: Sequence[str], policy: aws.RetryPolicy
) -> list[str]:
    """A series' sharing as EC2 has it (one DescribeSnapshotAttribute per snapshot), in the form
    whose diff with ``declared`` plans the update that puts every snapshot right."""
    actual = [shared_accounts(ec2, snapshot_id, policy) for snapshot_id in snapshot_ids]
    return list(accounts_of_members(actual, declared))


def per_member_changes(
    ec2: EC2Client,
    old: AccountIds | None,
    new: AccountIds,
    policy: aws.RetryPolicy,
) -> Callable[[str], SharingChanges]:
    """The changes that bring a snapshot from its sharing to ``new``: from the state's list
    when the state knows it, else (sharing not managed before) from what EC2 says."""
    if old is not None:
        changes = sharing_changes(old, new)
        return lambda _: changes
    return lambda snapshot_id: sharing_changes(shared_accounts(ec2, snapshot_id, policy), new)


def run_restore_test(
    ec2: EC2Client,
    info: aws.SnapshotInfo,
    check: RestoreCheck,
    timeout: float,
    policy: aws.RetryPolicy,
    owner_tags: Mapping[str, str],
) -> RestoreResult:
    return restore_test(ec2, info, check, timeout, policy, tags=owner_tags)


def delete_kept_volume(
    ec2: EC2Client, volume_id: str | None, timeout: float, policy: aws.RetryPolicy
) -> None:
    """The volume an earlier test kept (``keep_volume``), once a newer one replaces it or the
    series goes."""
    if volume_id is not None:
        delete_volume(ec2, volume_id, timeout, policy)


# --- the series' steps ----------------------------------------------------------------------


def test_and_share(
    ec2: EC2Client,
    kms: KmsFactory,
    args: SeriesArgs,
    volume_arn: str,
    created: aws.CreatedSnapshot,
    info: aws.SnapshotInfo | None,
    policy: aws.RetryPolicy,
) -> RestoreResult | None:
    """A new snapshot's restore test, then its sharing (a snapshot is exposed only once it
    restored). A failure deletes the new snapshot: the update fails with the series as it was
    (the engine keeps the old outputs, which must not miss a snapshot)."""
    accounts, check = args.share_with_account_ids, args.verify_restore
    sharing = isinstance(accounts, tuple) and bool(accounts)
    if not sharing and not isinstance(check, RestoreCheck):
        return None
    timeout = float(args.completion_timeout_seconds)  # type: ignore[arg-type]
    checked = None
    try:
        if info is None:
            info = described(ec2, created.snapshot_id, policy, created.created_at)
        if isinstance(check, RestoreCheck):
            owner = args.stack_resource
            tags = {OWNER_TAG: owner} if isinstance(owner, str) else {}
            checked = run_restore_test(ec2, info, check, timeout, policy, tags)
        if sharing:
            share_new_snapshot(ec2, kms, info, accounts, policy)  # type: ignore[arg-type]
    except (SnapshotShareError, AwsOperationError, RestoreCheckError) as err:
        if checked is not None and checked.volume_id is not None:
            delete_kept_volume(ec2, checked.volume_id, timeout, policy)
        raise roll_back_new_snapshot(ec2, volume_arn, created, err, policy) from err
    return checked


def reshare_members(
    ec2: EC2Client,
    kms: KmsFactory,
    snapshot_ids: Sequence[str],
    old_outs: Mapping[str, Any],
    args: SeriesArgs,
    describe: Callable[[list[str]], Mapping[str, aws.SnapshotInfo]],
    policy: aws.RetryPolicy,
) -> list[str]:
    """A changed list applies to every current snapshot of a series: only the difference,
    from the state's list (or, when sharing was not managed before, from what EC2 says of
    each). An input removed stops the sharing it had declared. Returns the snapshots changed."""
    old, new = declared_accounts(old_outs), args.share_with_account_ids
    wanted = new if isinstance(new, tuple) else ()
    if (old is None and new is None) or old == wanted or not snapshot_ids:
        return []

    def infos(ids: list[str]) -> list[aws.SnapshotInfo]:
        seen = describe(ids)
        return [seen[i] for i in ids if i in seen]

    changes_of = per_member_changes(ec2, old, wanted, policy)
    share_snapshots(ec2, kms, list(snapshot_ids), changes_of, infos, policy)
    return list(snapshot_ids)


def unshare_members(
    ec2: EC2Client,
    kms: KmsFactory,
    snapshot_ids: Sequence[str],
    old_outs: Mapping[str, Any],
    args: SeriesArgs,
    policy: aws.RetryPolicy,
) -> None:
    """Undo :func:`reshare_members` after a later failure, when the state's list is known."""
    old, new = declared_accounts(old_outs), args.share_with_account_ids
    if not snapshot_ids or old is None:
        return
    back = sharing_changes(new if isinstance(new, tuple) else (), old)
    # Only accounts the snapshots had before: nothing new to refuse, nothing to read.
    share_snapshots(ec2, kms, list(snapshot_ids), lambda _: back, lambda _: [], policy)


def replace_kept_volume(
    ec2: EC2Client, old_volume: str | None, timeout: float, policy: aws.RetryPolicy
) -> None:
    """A newer test replaces the volume an older one kept (``keep_volume``); a failed delete is
    a warning, since the update must not fail once the new snapshot exists."""
    try:
        delete_kept_volume(ec2, old_volume, timeout, policy)
    except (AwsOperationError, RestoreCheckError) as err:
        to_stderr(
            f"warning: deleting the earlier restore test's volume {old_volume} failed: "
            f"{err} Delete it with aws ec2 delete-volume --volume-id {old_volume}."
        )
