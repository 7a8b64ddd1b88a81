"""The ``SnapshotSeries`` resource users declare in their Pulumi programs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..inputs import DEFAULT_COMPLETION_TIMEOUT_SECONDS, series
from ..providers.series import SnapshotSeriesProvider
from ..secret_inputs import with_secret_carriers


class SnapshotSeries(Resource, module="storagegateway", name="SnapshotSeries"):
    """A rotating series of snapshots of one Storage Gateway volume: each new ``trigger`` value
    takes a snapshot, and the newest ``keep`` are kept (the oldest beyond are deleted, only
    once the new one exists).

    The series is one resource: its ID (``series-<uuid>``) stays while its snapshots come and
    go, and a new ``trigger``, ``keep``, ``description`` or tag set is an update in place. Only a
    new ``volume_arn`` replaces it. ``pulumi destroy`` deletes every snapshot of the series
    (none with ``retain_on_delete``). Every snapshot is described ``"{description}
    ({trigger})"``. A delete that fails during an update leaves its snapshot in
    ``snapshot_ids`` (beyond ``keep``, with a warning) until a later update or the destroy
    deletes it: nothing is forgotten. Type token:
    ``pulumi-python:dynamic/storagegateway:SnapshotSeries``.
    """

    volume_arn: pulumi.Output[str]
    """ARN of the gateway volume the snapshots are taken of."""
    trigger: pulumi.Output[Any]
    """The value whose every change took a snapshot (a string, number or boolean)."""
    keep: pulumi.Output[float]
    """How many snapshots the series keeps (a float such as ``7.0``: Pulumi's wire format
    carries every number as a double)."""
    description: pulumi.Output[str | None]
    """The description given, if any (see ``__init__`` for how snapshots are described)."""
    tags: pulumi.Output[dict[str, str]]
    """The resource's own tags."""
    wait_for_completion: pulumi.Output[bool]
    """Whether taking a snapshot waits until it is completed."""
    completion_timeout_seconds: pulumi.Output[float]
    """Bound of that wait, in seconds."""
    stack_resource: pulumi.Output[str | None]
    """``project/stack/resource``, set by this class: the snapshots' owner tag (never diffed)."""

    snapshot_ids: pulumi.Output[list[str]]
    """The series' snapshot IDs, newest first: at most ``keep``, more only while the delete of
    an older one keeps failing."""
    latest_snapshot_id: pulumi.Output[str]
    """The newest snapshot's ID (``snapshot_ids[0]``)."""
    snapshot_created_at: pulumi.Output[dict[str, str]]
    """Snapshot ID → when the provider took it (ISO 8601, UTC): the start of EC2's visibility
    window for each."""
    region: pulumi.Output[str]
    """The region of the volume, hence of the snapshots."""
    account_id: pulumi.Output[str]
    """The AWS account that owns the volume."""
    gateway_arn: pulumi.Output[str]
    """ARN of the gateway that holds the volume."""
    volume_id: pulumi.Output[str]
    """The gateway volume's ID (``vol-…``)."""
    tags_all: pulumi.Output[dict[str, str]]
    """All tags on the snapshots: the provider's ``aws:defaultTags`` merged under ``tags``."""
    keep_days: pulumi.Output[float | None]
    """Snapshots younger than this many days are kept besides the newest ``keep``, if set."""
    storage_tier: pulumi.Output[str | None]
    """``standard`` or ``archive`` for the snapshots but the newest, when declared."""
    lock_mode: pulumi.Output[str | None]
    """``governance`` or ``compliance``: each new snapshot's lock, when declared."""
    lock_duration_days: pulumi.Output[float | None]
    """Each new snapshot's lock length in days, when declared."""
    lock_cool_off_hours: pulumi.Output[float | None]
    """Each new compliance lock's cooling-off period, in hours, when declared."""
    locked_until: pulumi.Output[dict[str, str] | None]
    """Snapshot ID → when its lock ends, for the members beyond ``keep`` a lock still holds."""
    archived_snapshot_ids: pulumi.Output[list[str] | None]
    """The members the series archived."""
    share_with_account_ids: pulumi.Output[list[str] | None]
    """The accounts every snapshot is shared with (sorted), when declared."""
    verify_restore: pulumi.Output[dict[str, Any] | None]
    """The restore test of each new snapshot, when declared."""
    last_restore_check: pulumi.Output[dict[str, Any] | None]
    """The latest restore test: ``time`` (ISO 8601), ``snapshot_id``, ``result``
    (``passed``; a failed test fails the update instead), ``volume_size_gib``, and
    ``volume_id`` when the volume was kept."""

    def __init__(
        self,
        resource_name: str,
        *,
        volume_arn: pulumi.Input[str],
        trigger: pulumi.Input[str | int | float | bool],
        keep: pulumi.Input[int],
        description: pulumi.Input[str] | None = None,
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        wait_for_completion: pulumi.Input[bool] = False,
        completion_timeout_seconds: pulumi.Input[float] = DEFAULT_COMPLETION_TIMEOUT_SECONDS,
        storage_tier: pulumi.Input[str] | None = None,
        lock_mode: pulumi.Input[str] | None = None,
        lock_duration_days: pulumi.Input[int] | None = None,
        lock_cool_off_hours: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        keep_days: pulumi.Input[int] | None = None,
        share_with_account_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        verify_restore: pulumi.Input[str]
        | pulumi.Input[Mapping[str, pulumi.Input[Any]]]
        | None = None,
    ) -> None:
        """Keep the newest ``keep`` snapshots of ``volume_arn``, one per ``trigger`` value.

        :param resource_name: The Pulumi name of the resource.
        :param volume_arn: ARN of a cached or stored gateway volume; the snapshots live in its
            region, whatever ``aws:region`` says. A change replaces the series.
        :param trigger: A string, number or boolean (e.g. a release or a date); each new value
            takes a snapshot.
        :param keep: How many snapshots to keep, 1 to 1000; lowering it deletes the oldest
            extra ones, raising it deletes nothing.
        :param description: Each snapshot is described ``"{description} ({trigger})"``
            (``"Snapshot series ({trigger})"`` without one), at most 255 characters. EC2
            cannot edit a description: a new one applies to the snapshots taken from then on.
        :param tags: Up to 49 tags together with ``aws:defaultTags``, on every snapshot of the
            series; a change re-tags them all in place.
        :param wait_for_completion: Wait until each new snapshot is completed before deleting
            older ones; if it fails or times out, the new snapshot is deleted and the step
            fails, the older ones untouched.
        :param completion_timeout_seconds: Bound of that wait (0 < seconds ≤ 86400).
        :param storage_tier: ``"archive"`` archives every completed snapshot but the newest;
            ``"standard"`` restores the archived ones for good (docs/lifecycle.md).
        :param lock_mode: ``"governance"`` or ``"compliance"``: each new snapshot is locked
            for ``lock_duration_days`` (1 to 36,500); a rotation keeps a locked snapshot
            (``locked_until``) until its lock ends, then deletes it.
        :param lock_duration_days: Each new snapshot's lock length, in days.
        :param lock_cool_off_hours: Compliance only: 1 to 72 hours of cooling-off.
        :param opts: Pulumi resource options.
        :param keep_days: Optional, 1 to 36500. A snapshot is then deleted only when it is
            beyond the newest ``keep`` *and* older than ``keep_days`` days (whichever rule
            keeps more wins; the newest is never deleted). Retention acts when ``pulumi up``
            runs: each up plans an update when a snapshot has aged past ``keep_days``. A
            change is an update in place: no new snapshot, the new rule prunes at once.
        :param share_with_account_ids: AWS account IDs (12 digits each) that may create
            volumes from every snapshot of the series (EC2's ``createVolumePermission``),
            changed in place on every current snapshot; each new snapshot is shared once its
            restore test (if any) passed; rotation still deletes the oldest. Given, even
            empty, it is the exact list: a refresh shows accounts added outside Pulumi, the
            next update removes them; removed from the program, the sharing it declared stops.
            A snapshot encrypted with the default EBS key cannot be shared. See
            docs/lifecycle.md, "Sharing".
        :param verify_restore: Restore-test each new snapshot: ``"us-east-1a"`` (the zone
            alone) or ``{"availability_zone": "us-east-1a", "keep_volume": False}`` makes an
            EBS volume from it in that zone of the volume's region, waits until it is
            available, checks its size and deletes it (``keep_volume``: keeps the latest
            test's volume until the next test or the destroy). A failed test fails the update
            and deletes the new snapshot. The result is in ``last_restore_check``. See
            docs/lifecycle.md, "Restore testing".
        """
        props: dict[str, Any] = {
            # The snapshots' owner tag, so that one left by a deployment killed mid-step can be
            # found: see `python -m sg_snapshot_provider orphans`.
            "stack_resource": f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}",
            "volume_arn": volume_arn,
            "trigger": trigger,
            "keep": keep,
            "description": description,
            "tags": tags,
            "wait_for_completion": wait_for_completion,
            "completion_timeout_seconds": completion_timeout_seconds,
            "storage_tier": storage_tier,
            "lock_mode": lock_mode,
            "lock_duration_days": lock_duration_days,
            "lock_cool_off_hours": lock_cool_off_hours,
        }
        if keep_days is not None:
            props["keep_days"] = keep_days
        # Left out, neither is managed: nothing changes for series made before they existed.
        if share_with_account_ids is not None:
            props["share_with_account_ids"] = share_with_account_ids
        if verify_restore is not None:
            props["verify_restore"] = verify_restore
        # Output-only keys are registered as None so that they come back as outputs.
        props.update(dict.fromkeys(series.OUTPUT_KEYS))
        with_secret_carriers(props)
        super().__init__(SnapshotSeriesProvider(), resource_name, props, opts)
