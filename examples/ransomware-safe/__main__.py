"""Snapshots that survive an attacker in this account: a rotating series of snapshots of a
gateway volume, each one restore-tested, shared with a separate backup account, and a Recycle
Bin rule that keeps every deleted snapshot of the series for a while.

* ``SnapshotSeries`` takes a snapshot for each new ``night`` and keeps the newest ``keep``.
  ``verify_restore`` makes an EBS volume from each new snapshot, checks it and deletes it:
  a snapshot that cannot be restored fails the update (and is deleted) instead of sitting in
  the series. ``share_with_account_ids`` lets the backup account create volumes from every
  snapshot of the series, so that it can copy them into its own account, out of reach of
  whoever takes over this one.
* ``aws.rbin.Rule`` (pulumi-aws): an EBS snapshot of the series deleted in this region (by
  rotation, by hand, by an attacker) stays in the Recycle Bin for ``recycleBinDays`` days,
  from which it can be restored.
"""

import pulumi
import pulumi_aws as aws

from sg_snapshot_provider import SnapshotSeries

config = pulumi.Config()
backup_account_id = config.require("backupAccountId")
availability_zone = config.get("availabilityZone") or "us-east-1a"
recycle_bin_days = config.get_int("recycleBinDays", 14)
#: The tag that marks the series' snapshots, and which the Recycle Bin rule retains.
PROTECTED_TAG = {"backup": "ransomware-safe"}

series = SnapshotSeries(
    "nightly",
    volume_arn=config.require("volumeArn"),
    trigger=config.require("night"),
    keep=config.get_int("keep", 7),
    description="Nightly",
    tags=PROTECTED_TAG,
    share_with_account_ids=[backup_account_id],
    verify_restore={"availability_zone": availability_zone, "keep_volume": False},
    completion_timeout_seconds=2 * 3600,
)

recycle_bin = aws.rbin.Rule(
    "deleted-snapshots",
    description="Deleted snapshots of the nightly series stay restorable",
    resource_type="EBS_SNAPSHOT",
    retention_period=aws.rbin.RuleRetentionPeriodArgs(
        retention_period_value=recycle_bin_days, retention_period_unit="DAYS"
    ),
    resource_tags=[
        aws.rbin.RuleResourceTagArgs(resource_tag_key=key, resource_tag_value=value)
        for key, value in PROTECTED_TAG.items()
    ],
)

pulumi.export("snapshot_ids", series.snapshot_ids)
pulumi.export("shared_with", series.share_with_account_ids)
pulumi.export("last_restore_check", series.last_restore_check)
pulumi.export("recycle_bin_rule_id", recycle_bin.id)
