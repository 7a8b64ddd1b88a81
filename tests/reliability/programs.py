"""Pulumi programs of the reliability tests (their ``__main__.py`` in ``tests/data`` call these,
so that mypy checks them here)."""

from __future__ import annotations

import pulumi

from sg_snapshot_provider import SnapshotSeries, StorageGatewaySnapshot, VolumeSnapshotSchedule


def secret_everywhere() -> None:
    """A snapshot, a series and a schedule whose description, tag values and trigger are the
    secret config value ``hush`` (as `pulumi config set --secret hush …` makes it)."""
    config = pulumi.Config()
    volume_arn = config.require("volumeArn")
    hush = config.require_secret("hush")
    snapshot = StorageGatewaySnapshot(
        "snap",
        volume_arn=volume_arn,
        description=hush,
        tags={"team": "storage", "owner": hush},
        triggers={"release": hush},
    )
    series = SnapshotSeries(
        "series",
        volume_arn=volume_arn,
        trigger=hush,
        keep=2,
        description=hush,
        tags={"owner": hush},
    )
    VolumeSnapshotSchedule(
        "schedule",
        volume_arn=volume_arn,
        start_at=2,
        recurrence_in_hours=24,
        description=hush,
        tags={"owner": hush},
    )
    pulumi.export("snapshot_id", snapshot.snapshot_id)
    pulumi.export("latest", series.latest_snapshot_id)


def plain_tags() -> None:
    """A snapshot, a series and a schedule with plain inputs, their own tags or none: what
    ``tags_all`` holds besides them comes from the stack's ``aws:defaultTags``."""
    volume_arn = pulumi.Config().require("volumeArn")
    snapshot = StorageGatewaySnapshot(
        "snap", volume_arn=volume_arn, description="nightly", tags={"team": "storage"}
    )
    SnapshotSeries("series", volume_arn=volume_arn, trigger="one", keep=2, description="daily")
    VolumeSnapshotSchedule(
        "schedule",
        volume_arn=volume_arn,
        start_at=2,
        recurrence_in_hours=24,
        description="gateway",
        tags={},
    )
    pulumi.export("snapshot_id", snapshot.snapshot_id)
