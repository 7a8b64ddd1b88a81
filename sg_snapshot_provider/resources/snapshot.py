"""The ``StorageGatewaySnapshot`` resource users declare in their Pulumi programs (also
importable from ``sg_snapshot_provider.resource``, its path before ``resources`` became a
package)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from ..inputs import DEFAULT_COMPLETION_TIMEOUT_SECONDS, OUTPUT_KEYS
from ..providers.snapshot import StorageGatewaySnapshotProvider
from ..secret_inputs import refuse_secret, with_secret_carriers


class StorageGatewaySnapshot(Resource, module="storagegateway", name="Snapshot"):
    """An ad-hoc snapshot of a Storage Gateway cached or stored volume (an EBS snapshot).

    The resource ID is the snapshot ID. Changing ``volume_arn``, ``description`` or
    ``triggers`` takes a new snapshot (and deletes the old one); tags are changed in place.
    Type token: ``pulumi-python:dynamic/storagegateway:Snapshot``.
    """

    volume_arn: pulumi.Output[str]
    """ARN of the gateway volume the snapshot was taken of."""
    description: pulumi.Output[str]
    """The snapshot's description (1 to 255 characters)."""
    tags: pulumi.Output[dict[str, str]]
    """The resource's own tags."""
    wait_for_completion: pulumi.Output[bool]
    """Whether create (and update) wait until the snapshot is completed."""
    completion_timeout_seconds: pulumi.Output[float]
    """Bound of that wait, in seconds."""
    triggers: pulumi.Output[dict[str, Any]]
    """Arbitrary values; any change takes a new snapshot."""
    from_recovery_point: pulumi.Output[bool | None]
    """Whether the snapshot was taken from the volume's latest recovery point."""
    adopt_snapshot_id: pulumi.Output[str | None]
    """The existing snapshot this resource took over, if it did."""
    adopt_from_owner: pulumi.Output[str | None]
    """The owner tag value the adopted snapshot carried, when the program allowed taking it over."""
    stack_resource: pulumi.Output[str | None]
    """``project/stack/resource``, set by this class: the snapshot's owner tag (never diffed)."""

    snapshot_id: pulumi.Output[str]
    """The EBS snapshot ID (``snap-…``, lower case); also the resource ID."""
    arn: pulumi.Output[str]
    """The snapshot's ARN, ``arn:{partition}:ec2:{region}::snapshot/{id}``."""
    region: pulumi.Output[str]
    """The region of the volume, hence of the snapshot."""
    account_id: pulumi.Output[str]
    """The AWS account that owns the volume."""
    gateway_arn: pulumi.Output[str]
    """ARN of the gateway that holds the volume."""
    volume_id: pulumi.Output[str]
    """The gateway volume's ID (``vol-…``)."""
    tags_all: pulumi.Output[dict[str, str]]
    """All tags on the snapshot: the provider's ``aws:defaultTags`` merged under ``tags``."""
    state: pulumi.Output[str]
    """``pending``, ``completed``, ``error``, ``recoverable`` or ``recovering``."""
    progress: pulumi.Output[str | None]
    """Progress such as ``"80%"``, once known from EC2 (after a wait or a refresh)."""
    start_time: pulumi.Output[str | None]
    """When the snapshot was started (ISO 8601), once known from EC2."""
    volume_size_gib: pulumi.Output[float | None]
    """Size of the snapshotted volume in GiB, once known from EC2. A float such as ``1.0``:
    Pulumi's wire format carries every number as a double; use ``int()`` where a count is due."""
    encrypted: pulumi.Output[bool | None]
    """Whether the snapshot is encrypted, once known from EC2."""
    kms_key_id: pulumi.Output[str | None]
    """The KMS key that encrypts the snapshot, if any."""
    share_with_account_ids: pulumi.Output[list[str] | None]
    """The accounts the snapshot is shared with (sorted), when declared."""
    owner_id: pulumi.Output[str | None]
    """The account that owns the snapshot, once known from EC2."""
    created_at: pulumi.Output[str | None]
    """When the provider took the snapshot (ISO 8601, UTC). For a while after it, EC2 may not
    show the snapshot yet (eventual consistency): the provider then retries instead of
    believing "not found". Absent from state written by releases before 0.2, and for an
    adopted snapshot."""
    volume_recovery_point_time: pulumi.Output[str | None]
    """When the recovery point the snapshot was taken from was made (ISO 8601), with
    ``from_recovery_point``."""
    storage_tier: pulumi.Output[str | None]
    """``standard`` or ``archive`` when declared (a refresh reads EC2's; docs/lifecycle.md)."""
    restore_tier_days: pulumi.Output[float | None]
    """The temporary restore of the archived snapshot, in days, when declared."""
    lock_mode: pulumi.Output[str | None]
    """``governance`` or ``compliance`` when a lock is declared."""
    lock_duration_days: pulumi.Output[float | None]
    """The lock's length in days, when declared so."""
    lock_expiration_date: pulumi.Output[str | None]
    """When the lock ends (ISO 8601, UTC), when declared so."""
    lock_cool_off_hours: pulumi.Output[float | None]
    """The compliance lock's cooling-off period, in hours, when declared."""
    lock_state: pulumi.Output[str | None]
    """``compliance-cooloff``, ``governance``, ``compliance`` or ``expired``, as EC2 said."""
    lock_expires_on: pulumi.Output[str | None]
    """When the lock ends, as EC2 said (ISO 8601, UTC; unknown while the snapshot is pending)."""
    lock_cool_off_expires_on: pulumi.Output[str | None]
    """When the compliance lock's cooling-off period ends, as EC2 said."""
    lock_duration_start_time: pulumi.Output[str | None]
    """When the lock's duration started (the snapshot's completion, if locked while pending)."""

    def __init__(
        self,
        resource_name: str,
        *,
        volume_arn: pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        wait_for_completion: pulumi.Input[bool] = False,
        completion_timeout_seconds: pulumi.Input[float] = DEFAULT_COMPLETION_TIMEOUT_SECONDS,
        triggers: pulumi.Input[Mapping[str, pulumi.Input[Any]]] | None = None,
        from_recovery_point: pulumi.Input[bool] = False,
        adopt_snapshot_id: pulumi.Input[str] | None = None,
        adopt_from_owner: pulumi.Input[str] | None = None,
        storage_tier: pulumi.Input[str] | None = None,
        restore_tier_days: pulumi.Input[int] | None = None,
        lock_mode: pulumi.Input[str] | None = None,
        lock_duration_days: pulumi.Input[int] | None = None,
        lock_expiration_date: pulumi.Input[str] | None = None,
        lock_cool_off_hours: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        share_with_account_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
    ) -> None:
        """Take a snapshot of ``volume_arn``.

        :param resource_name: The Pulumi name of the resource.
        :param volume_arn: ARN of a cached or stored gateway volume; the snapshot lives in its
            region, whatever ``aws:region`` says.
        :param description: The snapshot's description, 1 to 255 characters (EC2 cannot edit
            it: a change takes a new snapshot). Required, except when adopting a snapshot.
        :param tags: Up to 49 tags together with ``aws:defaultTags`` (EC2 allows 50; the
            provider keeps one for its create token), merged over the default tags.
        :param wait_for_completion: Wait until the snapshot is completed; if it fails or the
            wait times out the snapshot is deleted and the create fails.
        :param completion_timeout_seconds: Bound of that wait (0 < seconds ≤ 86400).
        :param triggers: Values whose change takes a new snapshot (e.g. a release number).
        :param from_recovery_point: Take the snapshot from the volume's latest recovery point
            (``CreateSnapshotFromVolumeRecoveryPoint``; cached volumes only), as AWS recommends
            when the gateway is unreachable or the volume is irrecoverable. A change replaces.
        :param adopt_snapshot_id: Take over this existing snapshot of yours instead of making
            one (dynamic providers cannot ``pulumi import``): its tags become the declared ones,
            and a destroy deletes it. A change replaces. A snapshot whose owner tag
            (``sg-snapshot-provider:owner``) names another resource is refused: that resource
            may still hold it.
        :param adopt_from_owner: With ``adopt_snapshot_id``: take the snapshot over although
            its owner tag names this other owner (``project/stack/resource``, as the refusal
            names it), because that owner let it go (``retain_on_delete``, a destroyed stack).
            The owner tag then names this resource. Only read when adopting: a change plans
            nothing.
        :param storage_tier: ``"standard"`` or ``"archive"`` (docs/lifecycle.md, "Archive
            tier"): archive waits for completion, then archives; back to standard is a
            permanent restore (up to 72 hours). Changed in place. None: left as EC2 has it.
        :param restore_tier_days: With ``storage_tier="archive"``: restore the archived
            snapshot for this many days (1 to 180), after which EC2 archives it again.
        :param lock_mode: ``"governance"`` or ``"compliance"`` (docs/lifecycle.md, "Snapshot
            lock"): nobody, ``pulumi destroy`` included, deletes the snapshot before the lock
            ends; a compliance lock past its cooling-off period can only be lengthened.
        :param lock_duration_days: The lock's length, 1 to 36,500 days (or
            ``lock_expiration_date``, not both).
        :param lock_expiration_date: When the lock ends, ISO 8601 with a UTC offset.
        :param lock_cool_off_hours: Compliance only: 1 to 72 hours during which the lock can
            still be changed or removed.
        :param opts: Pulumi resource options.
        :param share_with_account_ids: AWS account IDs (12 digits each) that may create
            volumes from the snapshot (EC2's ``createVolumePermission``), changed in place.
            Given, even empty, it is the exact list: a refresh shows accounts added outside
            Pulumi, the next update removes them; removed from the program, the sharing it
            declared stops. A snapshot encrypted with the default EBS key cannot be shared.
            See docs/lifecycle.md, "Sharing".
        """
        props: dict[str, Any] = {
            # Which stack and resource the snapshot belongs to (its owner tag), so that one left
            # by a deployment killed mid-create can be found: see `python -m
            # sg_snapshot_provider orphans`.
            "stack_resource": f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}",
            "volume_arn": volume_arn,
            "description": description,
            "tags": tags,
            "wait_for_completion": wait_for_completion,
            "completion_timeout_seconds": completion_timeout_seconds,
            "triggers": triggers,
            "from_recovery_point": from_recovery_point,
            "adopt_snapshot_id": refuse_secret(
                adopt_snapshot_id,
                "adopt_snapshot_id",
                "the adopted snapshot's ID becomes the resource ID, which Pulumi never encrypts",
            ),
            "adopt_from_owner": adopt_from_owner,
            "storage_tier": storage_tier,
            "restore_tier_days": restore_tier_days,
            "lock_mode": lock_mode,
            "lock_duration_days": lock_duration_days,
            "lock_expiration_date": lock_expiration_date,
            "lock_cool_off_hours": lock_cool_off_hours,
        }
        if share_with_account_ids is not None:  # left out: sharing is not managed
            props["share_with_account_ids"] = share_with_account_ids
        # Output-only keys are registered as None so that they come back as outputs.
        props.update(dict.fromkeys(OUTPUT_KEYS))
        with_secret_carriers(props)
        super().__init__(StorageGatewaySnapshotProvider(), resource_name, props, opts)
