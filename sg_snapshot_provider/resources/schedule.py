"""The ``VolumeSnapshotSchedule`` resource users declare in their Pulumi programs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..inputs.schedule import OUTPUT_KEYS
from ..providers.schedule import VolumeSnapshotScheduleProvider
from ..secret_inputs import with_secret_carriers


class VolumeSnapshotSchedule(Resource, module="storagegateway", name="SnapshotSchedule"):
    """The snapshot schedule of a Storage Gateway cached or stored volume: the gateway takes a
    snapshot every ``recurrence_in_hours`` hours from ``start_at`` o'clock (gateway time).

    Every volume has a schedule (by default daily, from the hour the volume was made); this
    resource sets it (``UpdateSnapshotSchedule``) and, on destroy, deletes it
    (``DeleteSnapshotSchedule``: cached volumes only; a stored volume keeps its schedule). The
    resource ID is the volume ARN; a new ``volume_arn`` replaces the resource, every other
    change is made in place. Declare one schedule per volume.
    Type token: ``pulumi-python:dynamic/storagegateway:SnapshotSchedule``.
    """

    volume_arn: pulumi.Output[str]
    """ARN of the gateway volume; also the resource ID."""
    start_at: pulumi.Output[float]
    """The hour (0 to 23, gateway time) of the first snapshot of the day. A float such as
    ``2.0``: Pulumi's wire format carries every number as a double."""
    recurrence_in_hours: pulumi.Output[float]
    """Hours between snapshots: 1, 2, 4, 8, 12 or 24 (a float such as ``24.0``)."""
    description: pulumi.Output[str | None]
    """The schedule's description, if set."""
    tags: pulumi.Output[dict[str, str]]
    """The resource's own tags."""
    tags_all: pulumi.Output[dict[str, str]]
    """All tags on the schedule: the provider's ``aws:defaultTags`` merged under ``tags``."""
    timezone: pulumi.Output[str | None]
    """The gateway's time zone (``GMT``, ``GMT-5:00``…), in which ``start_at`` counts. Known
    once Storage Gateway described the schedule, i.e. after a ``pulumi refresh``:
    UpdateSnapshotSchedule does not say it, and create makes no second call to ask."""
    gateway_arn: pulumi.Output[str]
    """ARN of the gateway that holds the volume."""
    region: pulumi.Output[str]
    """The region of the volume."""
    retention: pulumi.Output[dict[str, float] | None]
    """The retention rules, if set (see ``__init__``)."""
    retention_trigger: pulumi.Output[Any]
    """The value whose every change ran the retention, if set."""
    last_pruned_snapshot_ids: pulumi.Output[list[str] | None]
    """The snapshots the last run of the retention deleted (oldest first)."""
    prune_pending_snapshot_ids: pulumi.Output[list[str] | None]
    """Snapshots the last run could not delete; the next ``pulumi up`` tries again."""

    def __init__(
        self,
        resource_name: str,
        *,
        volume_arn: pulumi.Input[str],
        start_at: pulumi.Input[int],
        recurrence_in_hours: pulumi.Input[int],
        description: pulumi.Input[str] | None = None,
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        retention: pulumi.Input[Mapping[str, pulumi.Input[int]]] | None = None,
        retention_trigger: pulumi.Input[str | int | float | bool] | None = None,
    ) -> None:
        """Set the snapshot schedule of ``volume_arn``.

        :param resource_name: The Pulumi name of the resource.
        :param volume_arn: ARN of a cached or stored gateway volume.
        :param start_at: The hour of the day, 0 to 23 in the gateway's time zone, at which the
            schedule starts.
        :param recurrence_in_hours: Hours between snapshots: 1, 2, 4, 8, 12 or 24.
        :param description: 1 to 255 characters; left out, the schedule keeps the description
            it has (the API cannot clear one).
        :param tags: Up to 50 tags together with ``aws:defaultTags``, merged over them.
        :param opts: Pulumi resource options.
        :param retention: Optional rules that delete the snapshots this schedule took:
            ``{"keep": 30, "keep_days": 14, "keep_daily": 7, "keep_weekly": 4,
            "keep_monthly": 12}`` (any of them, at least one; a snapshot is kept when any rule
            keeps it, the newest always). Only snapshots carrying the tag
            ``sg-snapshot-provider:schedule`` (which this resource adds to the schedule, so
            the gateway copies it onto each snapshot it takes) are considered; never a
            locked, shared or package-owned one. Runs at create and at each update; see
            ``docs/lifecycle.md``.
        :param retention_trigger: Any value; each new value runs the retention (an update in
            place), e.g. the date, so that a scheduled ``pulumi up`` prunes.
        """
        props: dict[str, Any] = {
            "volume_arn": volume_arn,
            "start_at": start_at,
            "recurrence_in_hours": recurrence_in_hours,
            "description": description,
            "tags": tags,
        }
        if retention is not None:
            props["retention"] = retention
        if retention_trigger is not None:
            props["retention_trigger"] = retention_trigger
        # Output-only keys are registered as None so that they come back as outputs.
        props.update(dict.fromkeys(OUTPUT_KEYS))
        with_secret_carriers(props)
        super().__init__(VolumeSnapshotScheduleProvider(), resource_name, props, opts)
