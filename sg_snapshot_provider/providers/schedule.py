"""The snapshot schedule's dynamic provider: thin glue between the engine's calls and
``inputs.schedule`` and ``aws.schedules``.

AWS calls per engine call: check and diff none; create and update one UpdateSnapshotSchedule;
read one DescribeSnapshotSchedule; delete one DeleteSnapshotSchedule (plus retries). An update
that fails sends the old schedule back (one more UpdateSnapshotSchedule).

With ``retention`` (``providers.retention``): create and update then prune the snapshots the
schedule took (one DescribeSnapshots, and for the snapshots the rules would delete one
DescribeLockedSnapshots, one DescribeSnapshotAttribute each and one DeleteSnapshot each); an
update that changes only ``retention``/``retention_trigger`` sends no UpdateSnapshotSchedule;
a diff that plans an update lists what would be deleted (one DescribeSnapshots). Destroy never
deletes the schedule's snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from ..aws.clients import storagegateway_client
from ..aws.retry import to_stderr
from ..aws.schedules import (
    ScheduleDeletion,
    SnapshotScheduleInfo,
    delete_snapshot_schedule,
    find_snapshot_schedule,
    update_snapshot_schedule,
)
from ..errors import SnapshotScheduleNotFoundError
from ..inputs.arns import VolumeArn, parse_volume_arn
from ..inputs.retention import (
    LAST_PRUNED_SNAPSHOT_IDS,
    PRUNE_PENDING_SNAPSHOT_IDS,
    RETENTION,
    RETENTION_TRIGGER,
    SCHEDULE_TAG,
    RetentionRules,
)
from ..inputs.schedule import (
    DESCRIPTION,
    INPUT_KEYS,
    TAGS,
    TAGS_ALL,
    TIMEZONE,
    VOLUME_ARN,
    ScheduleArgs,
    diff_schedule,
    parse_schedule_args,
    schedule_changed,
)
from ..inputs.tags import resource_tags_from_actual
from .common import ConfiguredProvider, check_result, from_engine, invalid_inputs, known_tags
from .retention import preview_retention, rules_of, run_retention
from .rollback import undone_on_failure


class VolumeSnapshotScheduleProvider(ConfiguredProvider):
    """Sets, reads and deletes the snapshot schedule of a Storage Gateway volume. The resource
    ID is the volume ARN: a volume has one schedule.

    ``timezone`` (the gateway's, in which ``start_at`` counts) is only in DescribeSnapshotSchedule's
    answer; UpdateSnapshotSchedule answers with the volume ARN alone. Create and update
    therefore leave it as they found it (unknown after a create) rather than make a second call
    each time: a ``pulumi refresh`` (one DescribeSnapshotSchedule) fills it in.

    Pickled by reference and holding no state in its pickled form, like the snapshot's provider.
    """

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        args, failures = parse_schedule_args(from_engine(news), self._settings.default_tags_map)
        return check_result(news, None if args is None else args.to_props(), failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        new_inputs = from_engine(news)
        result = diff_schedule(from_engine(olds), new_inputs)
        rules = rules_of(new_inputs)
        if result.changes and not result.replaces and rules is not None:
            volume = parse_volume_arn(str(new_inputs[VOLUME_ARN]))
            preview_retention(volume.arn, volume.region, rules, self._settings, self._policy)
        return DiffResult(changes=result.changes, replaces=result.replaces)

    def create(self, props: dict[str, Any]) -> CreateResult:
        args = self._args(props)
        volume = parse_volume_arn(str(args.volume_arn))
        self._update(volume, args)
        outs = _outputs(args, volume, timezone=None)
        outs.update(self._retention(volume, args))
        return CreateResult(volume.arn, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        old_outs = from_engine(olds)
        args = self._args(news)
        volume = parse_volume_arn(str(args.volume_arn))
        # A failed UpdateSnapshotSchedule may have been done all the same (an answer lost
        # after the work): the engine keeps the old outputs, so the old schedule is sent back,
        # and Storage Gateway again holds what the state says (providers.rollback).
        # Retention runs inside too: if it cannot list or check the snapshots (nothing deleted
        # then), the update fails and the old schedule is back.
        send = schedule_changed(old_outs, args.to_props())

        def undo() -> None:
            if send:
                self._restore(volume, old_outs)

        with undone_on_failure(undo, "schedule"):
            if send:
                self._update(volume, args)
            pruned = self._retention(volume, args)
        outs = _outputs(args, volume, timezone=old_outs.get(TIMEZONE))
        outs.update(pruned)
        if args.description is None and isinstance(old_outs.get(DESCRIPTION), str):
            # Not sent, so the schedule keeps the description it had.
            outs[DESCRIPTION] = old_outs[DESCRIPTION]
        return UpdateResult(outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        olds = from_engine(props)
        volume = parse_volume_arn(id_)
        client = storagegateway_client(volume.region, self._settings)
        try:
            info = find_snapshot_schedule(client, volume.arn, self._policy)
        except SnapshotScheduleNotFoundError:
            # The volume was deleted (or its schedule was): Pulumi drops the resource.
            return ReadResult(None, {})
        outs = _read_outputs(info, volume, self._settings.default_tags_map, olds)
        # The inputs AWS now has, so that a later diff compares with them and
        # ignore_changes keeps what was changed out of band.
        inputs = {key: outs[key] for key in (*INPUT_KEYS, TAGS_ALL) if outs.get(key) is not None}
        return ReadResult(volume.arn, outs, inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        volume = parse_volume_arn(id_)
        client = storagegateway_client(volume.region, self._settings)
        outcome = delete_snapshot_schedule(client, volume.arn, self._policy)
        if outcome is ScheduleDeletion.NOT_SUPPORTED:
            to_stderr(
                f"warning: {volume.arn} is a stored volume: Storage Gateway deletes the snapshot "
                "schedules of cached volumes only, so the gateway keeps this one as it is; "
                "Pulumi no longer manages it"
            )

    def _update(self, volume: VolumeArn, args: ScheduleArgs) -> None:
        client = storagegateway_client(volume.region, self._settings)
        update_snapshot_schedule(
            client,
            volume.arn,
            int(args.start_at),  # type: ignore[arg-type]
            int(args.recurrence_in_hours),  # type: ignore[arg-type]
            None if args.description is None else str(args.description),
            _with_schedule_tag(known_tags(args.tags_all), volume, args.retention is not None),
            self._policy,
        )

    def _retention(self, volume: VolumeArn, args: ScheduleArgs) -> dict[str, Any]:
        """Prune the schedule's snapshots when ``retention`` is set; the outputs saying so."""
        rules = args.retention
        if not isinstance(rules, RetentionRules):
            return {}
        return run_retention(volume.arn, volume.region, rules, self._settings, self._policy)

    def _restore(self, volume: VolumeArn, old_outs: Mapping[str, Any]) -> None:
        """The schedule the old outputs describe, sent again."""
        description = old_outs.get(DESCRIPTION)
        update_snapshot_schedule(
            storagegateway_client(volume.region, self._settings),
            volume.arn,
            int(old_outs["start_at"]),
            int(old_outs["recurrence_in_hours"]),
            description if isinstance(description, str) else None,
            _with_schedule_tag(
                known_tags(old_outs.get(TAGS_ALL, old_outs.get(TAGS)) or {}),
                volume,
                old_outs.get(RETENTION) is not None,
            ),
            self._policy,
        )

    def _args(self, props: Mapping[str, Any]) -> ScheduleArgs:
        """Inputs of create/update (already checked by the engine: a failure is a bug)."""
        args, failures = parse_schedule_args(from_engine(props), self._settings.default_tags_map)
        if args is None or args.has_unknowns:
            raise invalid_inputs("VolumeSnapshotSchedule", failures)
        return args


# --- outputs --------------------------------------------------------------------------------


def _with_schedule_tag(tags: dict[str, str], volume: VolumeArn, retention: bool) -> dict[str, str]:
    """The tags UpdateSnapshotSchedule sends: with retention, the schedule's marker too, which
    Storage Gateway copies onto each snapshot the schedule takes (``aws.ec2.retention``)."""
    return {**tags, SCHEDULE_TAG: volume.arn} if retention else tags


def _outputs(args: ScheduleArgs, volume: VolumeArn, timezone: Any) -> dict[str, Any]:
    """Inputs echoed plus the keys computed without asking AWS."""
    outs = args.to_props()
    outs.update(gateway_arn=volume.gateway_arn, region=volume.region)
    if isinstance(timezone, str):
        outs[TIMEZONE] = timezone
    return outs


def _read_outputs(
    info: SnapshotScheduleInfo,
    volume: VolumeArn,
    default_tags: Mapping[str, str],
    olds: Mapping[str, Any],
) -> dict[str, Any]:
    """The outputs as Storage Gateway reports the schedule: drift shows in every input key."""
    # The marker tag is the provider's, never the user's (never shown, diffed or removed).
    tags = {key: value for key, value in info.tags.items() if key != SCHEDULE_TAG}
    outs: dict[str, Any] = {
        "volume_arn": volume.arn,
        "start_at": info.start_at,
        "recurrence_in_hours": info.recurrence_in_hours,
        TAGS_ALL: tags,
        TAGS: resource_tags_from_actual(tags, default_tags, olds.get(TAGS) or {}),
        "gateway_arn": volume.gateway_arn,
        "region": volume.region,
    }
    if info.description is not None:
        outs[DESCRIPTION] = info.description
    if info.timezone is not None:
        outs[TIMEZONE] = info.timezone
    # Not in AWS's answer: the provider's own inputs and records, kept as they were, except
    # retention when the schedule lost its marker tag (removed by hand): then the refresh
    # shows retention as drift and the next up sends the marker again, so that the snapshots
    # the schedule takes from then on are found.
    kept = (RETENTION_TRIGGER, LAST_PRUNED_SNAPSHOT_IDS, PRUNE_PENDING_SNAPSHOT_IDS)
    marked = info.tags.get(SCHEDULE_TAG) == volume.arn
    for key in (RETENTION, *kept) if marked else kept:
        if olds.get(key) is not None:
            outs[key] = olds[key]
    return outs
