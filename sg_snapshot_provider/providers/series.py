"""The snapshot series' dynamic provider: thin glue between the engine's calls,
``inputs.series`` and the AWS layer (the snapshot's exactly-once create, EC2's tags, deletes
and waits).

AWS calls per engine call (happy path):

* check, diff: none.
* create: one CreateSnapshot (plus the polls of a wait).
* update: one DeleteTags and one CreateTags for *all* the series' snapshots when tags change
  (each only when needed); one CreateSnapshot when the trigger changed (plus polls); then one
  DeleteSnapshot per snapshot beyond ``keep`` (and older than ``keep_days`` when set), oldest
  first.
* read: one DescribeSnapshots (a ``snapshot-id`` filter naming every snapshot, 200 a request).
* delete: one DeleteSnapshot per snapshot.

**A failure half-way.** The dynamic-provider plugin cannot return outputs from a failing
Update: an exception aborts the call with no properties and the engine keeps the *old* outputs
(``pulumi/dynamic/__main__.py``). So an update never fails after its CreateSnapshot succeeded
unless it deleted that snapshot again:

* the wait for the new snapshot fails → the new snapshot is deleted and the update fails, the
  old outputs still naming every older snapshot (as the snapshot's create rolls back);
* the delete of an old snapshot fails → the update *succeeds*, prints a warning to stderr (the
  Pulumi console), and keeps the undeleted ID in ``snapshot_ids`` beyond ``keep``. The next
  ``pulumi up`` plans an update for it (diff: more snapshots than ``keep``) and deletes it
  again; a destroy deletes it with the rest.

Tags are changed before the new snapshot is taken, so a tag failure fails the update with
nothing new made; if the tags were changed and the new snapshot then fails, the older
snapshots' tags are put back (``providers.rollback``), so that EC2 matches the old outputs the
engine keeps.

Size: one method per engine call with the rotation's steps in order (tags, new snapshot,
deletes, tiers, restore test); the lifecycle steps live in ``providers.series_protection``
and ``providers.sharing``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from ..aws.clients import ec2_client, kms_client, storagegateway_client
from ..aws.ec2 import (
    SnapshotInfo,
    delete_snapshot,
    describe_snapshots_by_id,
    update_tags_of_snapshots,
    visibility_seconds_left,
)
from ..aws.errors import translate
from ..aws.retry import to_stderr
from ..aws.storagegateway import create_snapshot
from ..errors import (
    AwsOperationError,
    RestoreCheckError,
    SnapshotLockedError,
    SnapshotSeriesDeleteError,
)
from ..inputs.arns import VolumeArn, parse_volume_arn
from ..inputs.common import stack_resource_tag
from ..inputs.protection import ARCHIVE, STORAGE_TIER
from ..inputs.restore_check import (
    LAST_RESTORE_CHECK,
    RestoreCheck,
    RestoreResult,
    kept_volume_of,
)
from ..inputs.series import (
    INPUT_KEYS,
    STACK_RESOURCE,
    TAGS,
    TAGS_ALL,
    TRIGGER,
    Member,
    SeriesArgs,
    diff_series,
    members_from_outputs,
    members_to_outputs,
    parse_series_args,
    same_series_snapshot,
    same_trigger,
    series_tags_from_actual,
    series_to_delete,
)
from ..inputs.sharing import SHARE_WITH_ACCOUNT_IDS, declared_accounts
from ..inputs.tags import (
    TagChanges,
    resource_tags_from_actual,
    tag_changes,
    taken_over_by,
    without_provider_tags,
)
from ..inputs.values import Failure
from .common import (
    ConfiguredProvider,
    check_result,
    from_engine,
    invalid_inputs,
    known_tags,
    parse_created_at,
    wait_or_roll_back,
    with_create_token,
)
from .rollback import undone_on_failure
from .series_protection import (
    archived_members,
    change_tiers,
    lock_new_member,
    locked_members,
    protection_outputs,
    record_locked,
    refresh_locked,
)
from .sharing import (
    delete_kept_volume,
    members_sharing,
    replace_kept_volume,
    reshare_members,
    test_and_share,
    unshare_members,
)

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

#: Series IDs are made up here (a series is no AWS object): stable across updates.
SERIES_ID_PREFIX = "series-"


class SnapshotSeriesProvider(ConfiguredProvider):
    """Takes a snapshot of a volume for each new ``trigger`` and keeps the newest ``keep``.

    The resource ID (``series-<uuid>``) stays for the life of the series; its snapshots are in
    the ``snapshot_ids`` output, newest first. See the module docstring for the AWS calls of
    each step and for what a failure half-way leaves.

    Pickled by reference and holding no state in its pickled form, like the snapshot's provider.
    """

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        args, failures = self._parse(news)
        if args is None:
            return check_result(news, None, failures)
        old_inputs = from_engine(olds)
        props = args.to_props()
        same = same_series_snapshot(old_inputs, props)
        return check_result(news, with_create_token(props, old_inputs, same), [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        result = diff_series(from_engine(olds), from_engine(news), self._settings.ignore_tags)
        return DiffResult(changes=result.changes, replaces=result.replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self._args(props)
        volume = parse_volume_arn(str(args.volume_arn))
        first, checked = self._take_snapshot(volume, args)
        series_id = f"{SERIES_ID_PREFIX}{uuid.uuid4()}"
        outs = _outputs(args, volume, [first])
        if checked is not None:
            outs[LAST_RESTORE_CHECK] = checked.to_output()
        return CreateResult(series_id, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old_outs = from_engine(olds)
        args = self._args(news)
        volume = parse_volume_arn(str(args.volume_arn))
        ec2 = ec2_client(volume.region, self._settings)
        members = members_from_outputs(old_outs)
        old_tags = without_provider_tags(old_outs.get(TAGS_ALL, old_outs.get(TAGS)) or {})
        new_tags, ignore = known_tags(args.tags_all), self._settings.ignore_tags
        changes = tag_changes(old_tags, new_tags, ignore)
        # 1. Tags first, then 2. a new trigger's snapshot (deleted again if its wait fails).
        # If anything fails, the engine keeps the old outputs, tags included: the tags of the
        # older snapshots are then put back, so that EC2 matches the state again and the next
        # preview compares with what EC2 has (providers.rollback). Tags go first, rather than
        # after the new snapshot, so that no failure can leave a snapshot the state misses.
        retagged = members
        checked: RestoreResult | None = None
        reshared: list[str] = []

        def undo() -> None:
            if retagged and not changes.empty:
                self._retag(ec2, retagged, tag_changes(new_tags, old_tags, ignore))
            unshare_members(ec2, self._kms(volume.region), reshared, old_outs, args, self._policy)

        with undone_on_failure(undo, "tags and sharing of the older snapshots"):
            if not changes.empty and members:
                members = retagged = self._retag(ec2, members, changes)
            reshared = reshare_members(
                ec2,
                self._kms(volume.region),
                [m.snapshot_id for m in members],
                old_outs,
                args,
                lambda ids: self._describe(ec2, [Member(i) for i in ids]),
                self._policy,
            )
            if not same_trigger(old_outs.get(TRIGGER), args.trigger):
                member, checked = self._take_snapshot(volume, args)
                members.insert(0, member)
        # 3. Only now that the newest exists: the oldest beyond keep (a failed delete is a
        # warning, never a failed update; a locked one stays until its lock ends).
        locked = locked_members(old_outs)
        keep = int(args.keep)  # type: ignore[arg-type]
        keep_days = args.keep_days if isinstance(args.keep_days, int) else None
        members = self._delete_beyond_keep(
            id_, ec2, members, keep, locked, keep_days, me=args.stack_resource
        )
        # 4. The tier of the older members (a failure is a warning).
        archived = change_tiers(
            ec2,
            members,
            archived_members(old_outs),
            args.protection,
            lambda ms: self._describe(ec2, ms),
            self._policy,
        )
        outs = _outputs(args, volume, members)
        outs.update(protection_outputs(members, locked, archived))
        outs[LAST_RESTORE_CHECK] = old_outs.get(LAST_RESTORE_CHECK)
        if checked is not None:
            outs[LAST_RESTORE_CHECK] = checked.to_output()
            timeout = float(args.completion_timeout_seconds)  # type: ignore[arg-type]
            replace_kept_volume(ec2, kept_volume_of(old_outs), timeout, self._policy)
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        olds = from_engine(props)
        members = members_from_outputs(olds)
        volume = _volume_of(olds)
        ec2 = ec2_client(volume.region if volume else _region_of(olds), self._settings)
        seen = self._describe(ec2, members)
        # Gone means not shown *and* older than EC2's visibility window.
        kept = [m for m in members if m.snapshot_id in seen or self._maybe_not_visible_yet(m)]
        if not kept:
            return ReadResult(None, {})  # every snapshot was deleted out of band: drop it
        outs = {k: v for k, v in olds.items() if k in (*INPUT_KEYS, LAST_RESTORE_CHECK)}
        ignore = self._settings.ignore_tags
        declared = ignore.without(olds.get(TAGS_ALL, olds.get(TAGS)) or {})
        # The provider's own tags and the ignored ones are never shown, diffed or removed.
        actual = [
            ignore.without(without_provider_tags(seen[m.snapshot_id].tags))
            for m in kept
            if m.snapshot_id in seen
        ]
        tags_all = series_tags_from_actual(actual, declared)
        outs[TAGS_ALL] = tags_all
        outs[TAGS] = resource_tags_from_actual(
            tags_all, self._settings.default_tags_map, olds.get(TAGS) or {}, ignore
        )
        outs.update(_volume_outputs(volume, ec2.meta.region_name))
        outs.update(members_to_outputs(kept))
        archived = archived_members(olds)
        if olds.get(STORAGE_TIER) is not None:
            archived = {sid for sid, info in seen.items() if info.storage_tier == ARCHIVE} - {
                kept[0].snapshot_id
            }
        outs.update(
            protection_outputs(kept, refresh_locked(ec2, kept, olds, self._policy), archived)
        )
        declared_sharing = declared_accounts(olds)
        if declared_sharing is not None:  # managed: drift on any snapshot shows
            seen_ids = [m.snapshot_id for m in kept if m.snapshot_id in seen]
            outs[SHARE_WITH_ACCOUNT_IDS] = members_sharing(
                ec2, seen_ids, declared_sharing, self._policy
            )
        # The inputs as EC2 now has them: a later diff compares with them, and
        # ignore_changes=["tags"] keeps tags added out of band (as for the snapshot).
        inputs = {key: outs[key] for key in INPUT_KEYS if key in outs}
        inputs[TAGS_ALL] = tags_all
        return ReadResult(id_, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        olds = from_engine(props)
        members = members_from_outputs(olds)
        volume = _volume_of(olds)
        ec2 = ec2_client(volume.region if volume else _region_of(olds), self._settings)
        remaining: dict[str, Exception] = {}
        deleted: list[str] = []
        kept_volume = kept_volume_of(olds)
        try:
            delete_kept_volume(ec2, kept_volume, self._timeout(olds), self._policy)
        except (AwsOperationError, RestoreCheckError) as err:
            remaining[str(kept_volume)] = err
        taken = self._taken_over(ec2, members, stack_resource_tag(olds.get(STACK_RESOURCE)))
        for member in reversed(members):  # oldest first, as a rotation would
            if member in taken:
                continue
            try:
                delete_snapshot(
                    ec2, member.snapshot_id, self._policy, created_at=_created_at_of(member)
                )
            except AwsOperationError as err:
                remaining[member.snapshot_id] = err
            else:
                deleted.append(member.snapshot_id)
        if remaining:
            raise SnapshotSeriesDeleteError(id_, remaining, deleted)

    # -- steps -----------------------------------------------------------------------------------

    def _take_snapshot(
        self, volume: VolumeArn, args: SeriesArgs
    ) -> tuple[Member, RestoreResult | None]:
        """One snapshot of the series, exactly once (the snapshot's create token); waited for
        when asked (or restore-tested), then restore-tested and shared as declared; deleted
        again if any of that fails (then the error says whether EC2 confirmed the delete)."""
        client = storagegateway_client(volume.region, self._settings)
        created = create_snapshot(
            client,
            volume.arn,
            args.snapshot_description,
            known_tags(args.tags_all),
            self._policy,
            # Only needed when CreateSnapshot's answer is lost; made (and cached) lazily.
            ec2=lambda: ec2_client(volume.region, self._settings),
            token=args.create_token,
            owner=args.stack_resource if isinstance(args.stack_resource, str) else None,
        )
        info: SnapshotInfo | None = None
        if args.wait_for_completion is True or isinstance(args.verify_restore, RestoreCheck):
            ec2 = ec2_client(volume.region, self._settings)
            timeout = float(args.completion_timeout_seconds)  # type: ignore[arg-type]
            info = wait_or_roll_back(ec2, volume.arn, created, timeout, self._policy)
        ec2 = ec2_client(volume.region, self._settings)
        if args.protection.lock is not None:
            lock_new_member(ec2, volume.arn, created, args.protection, self._policy)
        kms = self._kms(volume.region)
        checked = test_and_share(ec2, kms, args, volume.arn, created, info, self._policy)
        return Member(created.snapshot_id, created.created_at.isoformat()), checked

    def _kms(self, region: str | None) -> Any:
        return lambda: kms_client(region, self._settings)

    def _timeout(self, props: Mapping[str, Any]) -> float:
        value = props.get("completion_timeout_seconds")
        return float(value) if isinstance(value, int | float) else 3600.0

    def _retag(self, ec2: EC2Client, members: list[Member], changes: TagChanges) -> list[Member]:
        """The tag changes on every snapshot of the series: one DeleteTags and one CreateTags
        in all. EC2 refuses the whole call when one snapshot is gone (deleted out of band and
        not refreshed yet): then the ones EC2 still shows are re-tagged, and the gone ones
        leave the series (as a refresh would drop them)."""
        youngest = max((w for m in members if (w := _created_at_of(m)) is not None), default=None)
        ids = [m.snapshot_id for m in members]
        try:
            update_tags_of_snapshots(ec2, ids, changes, self._policy, created_at=youngest)
            return members
        except AwsOperationError as err:
            if err.code != "InvalidSnapshot.NotFound":
                raise
        seen = self._describe(ec2, members)
        still = [m for m in members if m.snapshot_id in seen or self._maybe_not_visible_yet(m)]
        for member in members:
            if member not in still:
                to_stderr(
                    f"warning: snapshot {member.snapshot_id} of the series no longer exists "
                    "(deleted outside Pulumi); it leaves the series"
                )
        update_tags_of_snapshots(
            ec2, [m.snapshot_id for m in still], changes, self._policy, created_at=youngest
        )
        return still

    def _delete_beyond_keep(
        self,
        series_id: str,
        ec2: EC2Client,
        members: list[Member],
        keep: int,
        locked: dict[str, str],
        keep_days: int | None = None,
        me: object = None,
    ) -> list[Member]:
        """Delete the oldest snapshots beyond ``keep`` (and, with ``keep_days``, older than
        that: ``inputs.series.series_to_delete``), except those adopted from the series by
        another resource (``me`` is the series' owner tag value). A delete that fails is reported on
        stderr and its snapshot stays in the series (beyond ``keep``) for the next update or
        the destroy to delete: the update itself succeeds, because failing it would make the
        engine keep the old outputs and forget the snapshot just taken."""
        kept = list(members)
        # A locked one makes no call: it stays until its lock ends.
        doomed = [
            m for m in series_to_delete(members, keep, keep_days) if m.snapshot_id not in locked
        ]
        taken = self._taken_over(ec2, doomed, me)
        for member in doomed:
            if member in taken:
                kept.remove(member)  # adopted by another resource: theirs now, forgotten
                continue
            try:
                delete_snapshot(
                    ec2, member.snapshot_id, self._policy, created_at=_created_at_of(member)
                )
            except SnapshotLockedError as err:
                to_stderr(record_locked(member, err, locked))
            except AwsOperationError as err:
                to_stderr(
                    f"warning: series {series_id} keeps {keep} snapshot(s), but deleting the "
                    f"older snapshot {member.snapshot_id} failed: {err} It stays in the series' "
                    "snapshot_ids; the next `pulumi up` tries to delete it again, and "
                    "`pulumi destroy` deletes it with the rest."
                )
            else:
                kept.remove(member)
        return kept

    def _taken_over(self, ec2: EC2Client, members: list[Member], me: object) -> list[Member]:
        """The members another resource adopted from this series (``adopt_from_owner``): they
        are theirs now, so the series forgets them rather than delete them under the adopter.
        One batched read; none without members to delete or an owner to compare with (state
        of a release before the owner tag)."""
        if not members or not isinstance(me, str):
            return []
        seen = self._describe(ec2, members)
        taken = []
        for member in members:
            info = seen.get(member.snapshot_id)
            holder = taken_over_by(info.tags, me) if info is not None else None
            if holder is not None:
                to_stderr(
                    f"EBS snapshot {member.snapshot_id} was adopted by {holder} "
                    "(adopt_from_owner) and is theirs now: the series forgets it, not deleted"
                )
                taken.append(member)
        return taken

    def _describe(self, ec2: EC2Client, members: Sequence[Member]) -> dict[str, SnapshotInfo]:
        """The series' snapshots EC2 shows, by ID (a filter: missing ones are left out rather
        than failing the call). Any error is raised: a read never drops on an error."""
        ids = [m.snapshot_id for m in members]
        try:
            # Batched with the reads of other resources at the same moment.
            return describe_snapshots_by_id(ec2, ids, self._policy)
        except (ClientError, BotoCoreError) as err:
            raise translate(
                err, "reading EBS snapshots", ", ".join(ids), "ec2:DescribeSnapshots"
            ) from err

    def _maybe_not_visible_yet(self, member: Member) -> bool:
        """Whether EC2 may simply not show the snapshot yet (its visibility window)."""
        return visibility_seconds_left(_created_at_of(member), self._policy) > 0

    def _parse(self, props: Mapping[str, Any]) -> tuple[SeriesArgs | None, list[Failure]]:
        return parse_series_args(
            from_engine(props), self._settings.default_tags_map, self._settings.ignore_tags
        )

    def _args(self, props: Mapping[str, Any]) -> SeriesArgs:
        """Inputs of create/update (already checked by the engine: a failure is a bug)."""
        args, failures = self._parse(props)
        if args is None or args.has_unknowns:
            raise invalid_inputs("SnapshotSeries", failures)
        return args


# --- outputs --------------------------------------------------------------------------------


def _outputs(args: SeriesArgs, volume: VolumeArn, members: Sequence[Member]) -> dict[str, Any]:
    """Inputs echoed plus the keys computed without asking AWS."""
    outs = args.to_props()
    outs.update(_volume_outputs(volume, volume.region))
    outs.update(members_to_outputs(members))
    return outs


def _volume_outputs(volume: VolumeArn | None, region: str) -> dict[str, Any]:
    if volume is None:
        return {"region": region}
    return {
        "region": volume.region,
        "account_id": volume.account_id,
        "gateway_arn": volume.gateway_arn,
        "volume_id": volume.volume_id,
    }


def _volume_of(props: Mapping[str, Any]) -> VolumeArn | None:
    volume_arn = props.get("volume_arn")
    if isinstance(volume_arn, str):
        try:
            return parse_volume_arn(volume_arn)
        except ValueError:
            return None
    return None


def _region_of(props: Mapping[str, Any]) -> str | None:
    region = props.get("region")
    return region if isinstance(region, str) else None


def _created_at_of(member: Member) -> datetime | None:
    """When the provider took the snapshot (None when unknown: long visible)."""
    return parse_created_at(member.created_at)
