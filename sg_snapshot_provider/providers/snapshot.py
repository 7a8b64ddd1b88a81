"""The snapshot's dynamic provider: thin glue between the engine's calls and
``inputs.snapshot``, the settings and the AWS layer.

Its class keeps ``sg_snapshot_provider.provider`` as its ``__module__`` (see the class): state
pickles it by that path.

Size: one method per engine call, each step of a create, update or refresh in the order AWS
sees it; the lifecycle inputs' steps live in ``providers.protection`` and
``providers.sharing``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from .. import aws
from ..aws.clients import kms_client
from ..aws.ec2.sharing import shared_accounts
from ..aws.retry import to_stderr
from ..errors import (
    AwsOperationError,
    SnapshotAdoptError,
    SnapshotNotFoundError,
    SnapshotShareError,
)
from ..inputs import (
    CREATED_AT,
    INPUT_KEYS,
    MAX_TAGS,
    OUTPUT_KEYS,
    OWNER_TAG,
    RECOVERY_POINT_TIME,
    RESERVED_TAGS,
    TAGS,
    TAGS_ALL,
    TAKEN_FROM_TAG,
    VOLUME_ARN,
    SnapshotArgs,
    TagChanges,
    VolumeArn,
    contains_unknown,
    diff_props,
    parse_args,
    parse_volume_arn,
    resource_tags_from_actual,
    same_snapshot,
    snapshot_arn,
    tag_changes,
    without_provider_tags,
)
from ..inputs.common import stack_resource_tag
from ..inputs.protection import ARCHIVE, STORAGE_TIER, lock_change_refusal
from ..inputs.sharing import SHARE_WITH_ACCOUNT_IDS, declared_accounts
from ..inputs.snapshot import STACK_RESOURCE
from ..inputs.tags import taken_over_by
from .common import (
    ConfiguredProvider,
    check_result,
    from_engine,
    invalid_inputs,
    known_tags,
    parse_created_at,
    roll_back_new_snapshot,
    wait_or_roll_back,
    with_create_token,
)
from .protection import (
    change_protection,
    declared_protection,
    protect_or_roll_back,
    read_protection,
    refuse_past_expiration,
)
from .rollback import undone_on_failure
from .sharing import (
    described,
    per_member_changes,
    share_new_snapshot,
    share_snapshots,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client


class StorageGatewaySnapshotProvider(ConfiguredProvider):
    """Creates, reads, re-tags and deletes Storage Gateway volume snapshots (EBS snapshots).

    Pickled by reference and holding no state in its pickled form: settings (which may hold
    credentials) are set by ``configure`` in the plugin process and never reach state.
    """

    # Pickle (dill, by reference) names a class by its ``__module__``: every stack's state
    # names this one ``sg_snapshot_provider.provider.StorageGatewaySnapshotProvider``, where it
    # was defined before the providers had one module each. Kept, so that new states are the
    # same as old ones (and an older release still reads them); that module re-exports the
    # class, which makes the path resolve (tests/unit/test_pickled_paths.py).
    __module__ = "sg_snapshot_provider.provider"

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        args, failures = parse_args(
            from_engine(news), self._settings.default_tags_map, self._settings.ignore_tags
        )
        if args is None:
            return check_result(news, None, failures)
        old_inputs = from_engine(olds)
        props = args.to_props()
        return check_result(
            news, with_create_token(props, old_inputs, same_snapshot(old_inputs, props)), []
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        old_outs, new_inputs = from_engine(olds), from_engine(news)
        refusal = lock_change_refusal(old_outs, new_inputs, datetime.now(UTC))
        if refusal is not None:
            # Said at preview; refused by update before any call. Not raised here: the engine
            # also diffs during a refresh, which must show the drift rather than fail.
            to_stderr(f"warning: the update will be refused: {refusal}")
        result = diff_props(old_outs, new_inputs, self._settings.ignore_tags)
        return DiffResult(changes=result.changes, replaces=result.replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self._args(props)
        refuse_past_expiration(args.protection, datetime.now(UTC))
        volume = parse_volume_arn(str(args.volume_arn))
        if isinstance(args.adopt_snapshot_id, str):
            return self._adopt(args, volume, args.adopt_snapshot_id)
        client = aws.storagegateway_client(volume.region, self._settings)
        created = aws.create_snapshot(
            client,
            volume.arn,
            str(args.description),
            known_tags(args.tags_all),
            self._policy,
            # Only needed when CreateSnapshot's answer is lost; made (and cached) lazily.
            ec2=lambda: aws.ec2_client(volume.region, self._settings),
            token=args.create_token,
            owner=args.stack_resource if isinstance(args.stack_resource, str) else None,
            from_recovery_point=args.from_recovery_point is True,
        )
        outs = _outputs(args, volume, created.snapshot_id, state="pending")
        outs[CREATED_AT] = created.created_at.isoformat()
        if created.recovery_point_time is not None:
            outs[RECOVERY_POINT_TIME] = created.recovery_point_time
        # EC2 archives only a completed snapshot: storage_tier="archive" waits for it.
        if args.wait_for_completion is True or args.protection.storage_tier == ARCHIVE:
            ec2 = aws.ec2_client(volume.region, self._settings)
            timeout = float(args.completion_timeout_seconds)  # type: ignore[arg-type]
            info = wait_or_roll_back(ec2, volume.arn, created, timeout, self._policy)
            outs.update(_described(info))
        if declared_protection(outs):
            ec2 = aws.ec2_client(volume.region, self._settings)
            outs.update(
                protect_or_roll_back(ec2, volume.arn, created, args.protection, self._policy)
            )
        outs.update(self._share_created(args, volume, created, outs))
        return CreateResult(created.snapshot_id, outs)

    def _share_created(
        self, args: SnapshotArgs, volume: VolumeArn, created: aws.CreatedSnapshot, outs: Any
    ) -> dict[str, Any]:
        """Share a snapshot just made with the declared accounts; if that fails, delete it
        before failing (the state would never name it). Returns what EC2 described of it."""
        accounts = args.share_with_account_ids
        if not isinstance(accounts, tuple) or not accounts:
            return {}  # nothing to share: no call
        ec2 = aws.ec2_client(volume.region, self._settings)
        try:
            if "encrypted" in outs:  # waited for: EC2 described it already
                info = aws.SnapshotInfo(
                    created.snapshot_id,
                    str(outs["state"]),
                    encrypted=bool(outs["encrypted"]),
                    kms_key_id=outs.get("kms_key_id"),
                )
            else:
                info = described(ec2, created.snapshot_id, self._policy, created.created_at)
            share_new_snapshot(ec2, self._kms(volume.region), info, accounts, self._policy)
        except (SnapshotShareError, AwsOperationError) as err:
            raise roll_back_new_snapshot(ec2, volume.arn, created, err, self._policy) from err
        return _described(info)

    def _kms(self, region: str | None) -> Any:
        return lambda: kms_client(region, self._settings)

    def _reshare(
        self,
        ec2: Any,
        snapshot_id: str,
        old_outs: Mapping[str, Any],
        args: SnapshotArgs,
        created_at: datetime | None,
    ) -> None:
        """Bring the snapshot's sharing from the state's list to the declared one: only the
        difference. An input removed stops the sharing it had declared (an exposure must not
        outlive its declaration), and sharing is then no longer managed."""
        old, new = declared_accounts(old_outs), args.share_with_account_ids
        if old is None and new is None:
            return
        wanted = new if isinstance(new, tuple) else ()
        if old == wanted:
            return
        encrypted = old_outs.get("encrypted")

        def describe(ids: list[str]) -> list[aws.SnapshotInfo]:
            if encrypted is False:  # known from an earlier read: no call
                return [aws.SnapshotInfo(i, "completed", encrypted=False) for i in ids]
            return [described(ec2, i, self._policy, created_at) for i in ids]

        share_snapshots(
            ec2,
            self._kms(ec2.meta.region_name),
            [snapshot_id],
            per_member_changes(ec2, old, wanted, self._policy),
            describe,
            self._policy,
        )

    def _adopt(self, args: SnapshotArgs, volume: VolumeArn, snapshot_id: str) -> CreateResult:
        """Take over an existing snapshot of the caller's, as an import followed by an up
        would: its tags become the declared ones and its owner tag names this resource;
        nothing else is written. A missing or foreign snapshot, one another resource holds,
        or a description EC2 cannot give it, fails before any write."""
        ec2 = aws.ec2_client(volume.region, self._settings)
        info = aws.find_own_snapshot(ec2, snapshot_id, self._policy)
        _refuse_if_held(snapshot_id, info.tags.get(OWNER_TAG), args)
        if isinstance(args.description, str) and args.description != info.description:
            raise SnapshotAdoptError(
                # Neither description is quoted: the declared one may be a secret.
                f"adopting EBS snapshot {snapshot_id}: its description differs from the "
                "declared description, and EC2 cannot change a snapshot's description; declare "
                "its description (aws ec2 describe-snapshots shows it) or leave description out"
            )
        changes = tag_changes(
            without_provider_tags(info.tags), known_tags(args.tags_all), self._settings.ignore_tags
        )
        self._reshare(ec2, snapshot_id, {"encrypted": info.encrypted}, args, None)
        aws.update_snapshot_tags(
            ec2, snapshot_id, _with_owner(changes, info.tags, args), self._policy
        )
        outs = _outputs(args, volume, info.snapshot_id, state=info.state)
        outs.update(_described(info))
        outs["description"] = info.description
        archive = args.protection.storage_tier == ARCHIVE
        if (args.wait_for_completion is True or archive) and info.state != "completed":
            timeout = float(args.completion_timeout_seconds)  # type: ignore[arg-type]
            outs.update(
                _described(aws.wait_for_snapshot_completed(ec2, snapshot_id, timeout, self._policy))
            )
        if declared_protection(outs):  # not ours to delete if this fails: the error says why
            tier = {STORAGE_TIER: info.storage_tier or "standard"}
            outs.update(change_protection(ec2, snapshot_id, tier, args.protection, self._policy))
        return CreateResult(info.snapshot_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        olds = from_engine(props)
        ec2 = aws.ec2_client(_region_of(olds), self._settings)
        try:
            info = aws.read_snapshot(ec2, id_, self._policy, created_at=_created_at(olds))
        except SnapshotNotFoundError:
            return ReadResult(None, {})  # deleted out of band: Pulumi drops it from state
        defaults = self._settings.default_tags_map
        outs = {k: v for k, v in olds.items() if k in INPUT_KEYS or k == CREATED_AT}
        outs.update(_computed(olds, info.snapshot_id, ec2.meta.region_name))
        outs.update(_described(info))
        # The create token is the provider's own: never shown, never diffed, never removed.
        actual = self._settings.ignore_tags.without(without_provider_tags(info.tags))
        outs[TAGS_ALL] = actual
        outs[TAGS] = resource_tags_from_actual(
            actual, defaults, olds.get(TAGS) or {}, self._settings.ignore_tags
        )
        if info.description is not None:
            outs["description"] = info.description
        if declared_protection(olds):
            protection, refreshed = read_protection(ec2, info.snapshot_id, olds, info, self._policy)
            outs.update(protection)
            outs.update({k: v for k, v in refreshed.items() if v is not None})
            for key in [k for k, v in refreshed.items() if v is None]:
                outs.pop(key, None)
        if declared_accounts(olds) is not None:  # managed: drift shows
            outs[SHARE_WITH_ACCOUNT_IDS] = list(
                shared_accounts(ec2, info.snapshot_id, self._policy)
            )
        return ReadResult(info.snapshot_id, outs, _refreshed_inputs(olds, outs))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old_outs = from_engine(olds)
        refusal = lock_change_refusal(old_outs, from_engine(news), datetime.now(UTC))
        if refusal is not None:  # before any call: EC2 would refuse it half-way through
            raise ValueError(refusal)
        args = self._args(news)
        volume = parse_volume_arn(str(args.volume_arn))
        ec2 = aws.ec2_client(volume.region, self._settings)
        created_at = _created_at(old_outs)
        outs = {k: v for k, v in old_outs.items() if k in OUTPUT_KEYS or k == "description"}
        outs.update(_outputs(args, volume, id_, state=old_outs.get("state", "pending")))
        # The wait (which writes nothing) comes first: once the tags are written nothing may
        # fail any more, since the engine would keep the old outputs (see providers.rollback).
        archiving = args.protection.storage_tier == ARCHIVE != old_outs.get(STORAGE_TIER)
        if (args.wait_for_completion is True or archiving) and outs["state"] != "completed":
            timeout = float(args.completion_timeout_seconds)  # type: ignore[arg-type]
            info = aws.wait_for_snapshot_completed(
                ec2, id_, timeout, self._policy, created_at=created_at
            )
            outs.update(_described(info))
        # The lock (which fails the update with nothing else written) and the tier (a failure
        # is a warning) before the tags, after which nothing may fail.
        if declared_protection(outs) or declared_protection(old_outs):
            outs.update(change_protection(ec2, id_, old_outs, args.protection, self._policy))
        old_tags = without_provider_tags(old_outs.get(TAGS_ALL, old_outs.get(TAGS)) or {})
        new_tags, ignore = known_tags(args.tags_all), self._settings.ignore_tags

        def retag(changes: TagChanges) -> None:
            aws.update_snapshot_tags(ec2, id_, changes, self._policy, created_at=created_at)

        # DeleteTags may succeed and CreateTags fail: then the old tags are put back.
        with undone_on_failure(lambda: retag(tag_changes(new_tags, old_tags, ignore)), "tags"):
            retag(tag_changes(old_tags, new_tags, ignore))
            self._reshare(ec2, id_, old_outs, args, created_at)
        return UpdateResult(outs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        olds = from_engine(props)
        ec2 = aws.ec2_client(_region_of(olds), self._settings)
        if self._taken_over(ec2, id_, olds):
            return
        aws.delete_snapshot(ec2, id_, self._policy, created_at=_created_at(olds))

    def _taken_over(self, ec2: EC2Client, snapshot_id: str, olds: Mapping[str, Any]) -> bool:
        """Whether another resource adopted this snapshot from this one (``adopt_from_owner``):
        then it is theirs, and this resource forgets it rather than delete it under them. One
        batched read; a snapshot EC2 no longer shows is left to the delete, which knows what
        "not found" means within the visibility window."""
        me = stack_resource_tag(olds.get(STACK_RESOURCE))
        if not isinstance(me, str):
            return False  # state of a release before the owner tag: nobody can have taken it
        try:
            info = aws.read_snapshot(ec2, snapshot_id, self._policy, created_at=_created_at(olds))
        except SnapshotNotFoundError:
            return False
        holder = taken_over_by(info.tags, me)
        if holder is not None:
            to_stderr(
                f"EBS snapshot {snapshot_id} was adopted by {holder} (adopt_from_owner) and is "
                "theirs now: it is left in place and forgotten, not deleted"
            )
        return holder is not None

    def _args(self, props: Mapping[str, Any]) -> SnapshotArgs:
        """Inputs of create/update (already checked by the engine: a failure is a bug)."""
        args, failures = parse_args(
            from_engine(props), self._settings.default_tags_map, self._settings.ignore_tags
        )
        if args is None or _has_unknown(args):
            raise invalid_inputs("StorageGatewaySnapshot", failures)
        return args


# --- adoption -------------------------------------------------------------------------------


def _refuse_if_held(snapshot_id: str, holder: str | None, args: SnapshotArgs) -> None:
    """Refuse a snapshot whose owner tag names another resource: that resource (a series
    member, another stack's snapshot) may still hold it in its state, and destroying the
    adopter would delete it under it. The tag cannot say whether the holder let it go
    (``retain_on_delete``, a destroyed stack), so only the user can: ``adopt_from_owner``
    naming that very owner. An untagged snapshot (made outside the provider) and one this
    resource owns already are adopted as they are."""
    if holder is None or holder in (args.stack_resource, args.adopt_from_owner):
        return
    raise SnapshotAdoptError(
        f"adopting EBS snapshot {snapshot_id}: its tag {OWNER_TAG} names {holder}, which may "
        "still hold it (and delete it when destroyed); adopt another snapshot, or, if that "
        "resource let it go (retain_on_delete, a destroyed stack), set "
        f'adopt_from_owner="{holder}" to take it over'
    )


def _with_owner(changes: TagChanges, tags: Mapping[str, str], args: SnapshotArgs) -> TagChanges:
    """``changes`` plus the owner tag naming the adopter, so that ``orphans`` and a later
    adoption see the new owner, and, when it is taken over from another owner, the tag naming
    that owner (whose resource then forgets it rather than delete it); left out, as at create,
    when EC2's 50 tags leave no room."""
    owner = args.stack_resource
    if not isinstance(owner, str) or tags.get(OWNER_TAG) == owner:
        return changes
    added = {OWNER_TAG: owner}
    former = tags.get(OWNER_TAG)
    if former is not None:
        added[TAKEN_FROM_TAG] = former
    after = changes.apply(without_provider_tags(tags))
    reserved = {key for key in tags if key in RESERVED_TAGS} | set(added)
    if len(after) + len(reserved) > MAX_TAGS:
        return changes
    return TagChanges(changes.to_delete, {**changes.to_set, **added})


# --- outputs --------------------------------------------------------------------------------


def _outputs(args: SnapshotArgs, volume: VolumeArn, snapshot_id: str, state: str) -> dict[str, Any]:
    """Inputs echoed plus the keys computed without asking AWS."""
    outs = args.to_props()
    outs.update(
        snapshot_id=snapshot_id.lower(),
        arn=snapshot_arn(volume.partition, volume.region, snapshot_id),
        region=volume.region,
        account_id=volume.account_id,
        gateway_arn=volume.gateway_arn,
        volume_id=volume.volume_id,
        state=state,
    )
    return outs


def _computed(olds: Mapping[str, Any], snapshot_id: str, region: str) -> dict[str, Any]:
    """Computed keys for read, where the volume ARN may be missing (an import by ID)."""
    volume_arn = olds.get("volume_arn")
    if isinstance(volume_arn, str):
        volume = parse_volume_arn(volume_arn)
        partition = volume.partition
        extra = {
            "account_id": volume.account_id,
            "gateway_arn": volume.gateway_arn,
            "volume_id": volume.volume_id,
        }
    else:
        partition, extra = "aws", {}
    return {
        "snapshot_id": snapshot_id,
        "arn": snapshot_arn(partition, region, snapshot_id),
        "region": region,
        **extra,
    }


def _described(info: aws.SnapshotInfo) -> dict[str, Any]:
    """Outputs only EC2 knows; unknown ones are left out (the engine drops None anyway)."""
    values = {
        "state": info.state,
        "progress": info.progress,
        "start_time": info.start_time.isoformat() if info.start_time else None,
        "volume_size_gib": info.volume_size_gib,
        "encrypted": info.encrypted,
        "kms_key_id": info.kms_key_id,
        "owner_id": info.owner_id,
    }
    return {k: v for k, v in values.items() if v is not None}


def _region_of(props: Mapping[str, Any]) -> str | None:
    """The snapshot's region: the volume's, else the recorded one, else the configured one."""
    volume_arn = props.get("volume_arn")
    if isinstance(volume_arn, str):
        try:
            return parse_volume_arn(volume_arn).region
        except ValueError:
            pass
    region = props.get("region")
    return region if isinstance(region, str) else None


def _refreshed_inputs(olds: Mapping[str, Any], outs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The inputs as EC2 now has them (tags seen on the snapshot), for the engine to store. As
    pulumi-aws does: a resource with ``ignore_changes=["tags"]`` then keeps the tags it has,
    out-of-band ones included, instead of planning an update. None (inputs left as they are)
    for a read by ID alone, which knows no inputs."""
    if VOLUME_ARN not in olds:
        return None
    inputs = {key: outs[key] for key in INPUT_KEYS if key in outs}
    inputs[TAGS_ALL] = outs[TAGS_ALL]
    return inputs


def _created_at(props: Mapping[str, Any]) -> datetime | None:
    """When the provider made the snapshot, if the state says (state written before this output
    existed does not: such a snapshot is long visible)."""
    return parse_created_at(props.get(CREATED_AT))


def _has_unknown(args: SnapshotArgs) -> bool:
    return contains_unknown(args.to_props())
