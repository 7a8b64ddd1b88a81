"""Sharing a snapshot with other AWS accounts (EC2's ``createVolumePermission``): the input's
rules, and what a change of it means. Pure: no I/O, no boto3, no Pulumi.

``share_with_account_ids`` is a list of 12-digit AWS account IDs. Left out, the provider does
not manage sharing at all (no call, nothing reported: resources made before the input existed
stay exactly as they were); given, even empty, it is the exact list of accounts that may create
a volume from the snapshot, so a refresh shows accounts added or removed outside Pulumi and the
next update puts the declared list back. Public sharing (the ``all`` group) is never offered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .values import Failure, Unknown, contains_unknown, item_path, type_name

SHARE_WITH_ACCOUNT_IDS: Final = "share_with_account_ids"
#: An AWS account ID: exactly 12 digits (EC2's ``UserId`` of a createVolumePermission).
ACCOUNT_ID_RE: Final = re.compile(r"[0-9]{12}")
#: The alias of the AWS managed key EBS encrypts with by default. EC2 refuses to share a
#: snapshot encrypted with it ("Encrypted snapshots with EBS default key cannot be shared").
DEFAULT_EBS_KEY_ALIAS: Final = "alias/aws/ebs"

AccountIds = tuple[str, ...]


def refuse_sharing_archived(
    share: AccountIds | Unknown | None, storage_tier: Any, failures: list[Failure]
) -> None:
    """EC2 turns a snapshot's sharing off when it archives it, and refuses to share an archived
    one: declaring both would fight at every update, so it is refused here, before any call.
    (A series archives all but its newest snapshot and shares every one: the same conflict.)"""
    if isinstance(share, tuple) and share and storage_tier == "archive":
        failures.append(
            Failure(
                SHARE_WITH_ACCOUNT_IDS,
                'cannot be combined with storage_tier "archive": EC2 stops sharing a snapshot '
                "when it archives it and refuses to share an archived one; share the snapshots "
                "or archive them, not both",
            )
        )


def check_account_ids(value: Any, failures: list[Failure]) -> AccountIds | Unknown | None:
    """The accounts, sorted and without repeats (so that order never plans an update), or None
    (not given, or refused: then a failure naming the property was added)."""
    if value is None or isinstance(value, Unknown):
        return value
    rule = (
        f"{SHARE_WITH_ACCOUNT_IDS} must be a list of AWS account IDs, each exactly 12 digits "
        "such as 123456789012 (public sharing is not offered)"
    )
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        failures.append(Failure(SHARE_WITH_ACCOUNT_IDS, f"{rule}; got {type_name(value)}"))
        return None
    count = len(failures)
    for index, item in enumerate(value):
        if isinstance(item, Unknown):
            continue
        if not (isinstance(item, str) and ACCOUNT_ID_RE.fullmatch(item)):
            shown = f"{len(item)} characters" if isinstance(item, str) else type_name(item)
            failures.append(
                Failure(item_path(SHARE_WITH_ACCOUNT_IDS, str(index)), f"{rule}; got {shown}")
            )
    if len(failures) > count:
        return None
    if contains_unknown(list(value)):
        return Unknown()
    return tuple(sorted(set(value)))


def declared_accounts(props: Mapping[str, Any]) -> AccountIds | None:
    """The accounts the (checked) inputs or outputs declare; None when sharing is not managed."""
    value = props.get(SHARE_WITH_ACCOUNT_IDS)
    if not isinstance(value, list | tuple):
        return None
    return tuple(sorted({str(item) for item in value}))


def sharing_differs(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether the declared sharing changed: left out and given (even empty) differ, since a
    given list manages sharing and a missing one does not; an unknown new value is a change."""
    new = news.get(SHARE_WITH_ACCOUNT_IDS)
    if contains_unknown(new):
        return True
    return declared_accounts(olds) != declared_accounts(news)


@dataclass(frozen=True)
class SharingChanges:
    """The accounts to add and remove: one ModifySnapshotAttribute each, when not empty."""

    add: AccountIds = ()
    remove: AccountIds = ()

    @property
    def empty(self) -> bool:
        return not self.add and not self.remove


def sharing_changes(current: Iterable[str], wanted: Iterable[str]) -> SharingChanges:
    """Only the difference between what is shared and what should be."""
    have, want = set(current), set(wanted)
    return SharingChanges(tuple(sorted(want - have)), tuple(sorted(have - want)))


def accounts_of_members(
    actual: Sequence[Iterable[str]], declared: Iterable[str]
) -> tuple[str, ...]:
    """A series' sharing as its snapshots (``actual``, one set each) have it, such that diffing
    it with the declared list plans the update that puts every snapshot right: an account
    every snapshot shares with is reported; a declared one missing from some snapshot is left
    out (the update adds it to every snapshot); an undeclared one some snapshot shares with is
    reported (the update removes it from every snapshot)."""
    wanted = set(declared)
    sets = [set(accounts) for accounts in actual]
    if not sets:
        return tuple(sorted(wanted))
    everywhere = set.intersection(*sets)
    anywhere = set.union(*sets)
    return tuple(sorted(everywhere | (anywhere - wanted)))


def is_default_ebs_key(kms_key_id: str | None, default_key_ids: Iterable[str]) -> bool:
    """Whether an encrypted snapshot's ``KmsKeyId`` (an ARN or an ID) names the default EBS
    key, whose ARN and ID are ``default_key_ids`` (from KMS DescribeKey of the alias)."""
    if not kms_key_id:
        return True  # encrypted, and EC2 names no key of its own: assume the default one
    names = {kms_key_id, kms_key_id.rpartition("/")[2]}
    return bool(names & set(default_key_ids))


def default_key_refusal(snapshot_id: str) -> str:
    """One sentence, naming the property, for a snapshot EC2 would refuse to share."""
    return (
        f"{SHARE_WITH_ACCOUNT_IDS}: snapshot {snapshot_id} is encrypted with the default AWS "
        f"managed key ({DEFAULT_EBS_KEY_ALIAS}), which EC2 never lets another account use; "
        "encrypt the volume with a customer managed KMS key (KMSKey of the gateway volume) "
        "and share that key with the accounts, or leave share_with_account_ids out"
    )
