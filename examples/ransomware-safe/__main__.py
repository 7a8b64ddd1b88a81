"""Snapshots that survive an attacker in this account, in two series of one gateway volume:

* ``nightly``: a snapshot for each new ``night``, the newest ``keep`` kept. Each one is
  **locked** (``lockMode``, ``lockDays``: nobody, not even this stack's ``pulumi destroy``, can
  delete it before its lock ends), **restore-tested** (``verify_restore``: a snapshot that does
  not restore fails the update and is deleted) and **shared** with a separate backup account,
  which copies it out of reach of whoever takes over this one.
* ``monthly``: a snapshot for each new ``month``, the newest ``monthlyKeep`` kept, every one
  but the newest moved to EBS Snapshots **Archive** (cheap for months, restored in hours).
  It is not shared: EC2 stops sharing a snapshot when it archives it and refuses to share an
  archived one, so the provider refuses ``share_with_account_ids`` with ``storage_tier=
  "archive"``. That is why the recipe is two series and not one.
* ``aws.rbin.Rule`` (pulumi-aws): a snapshot of either series deleted in this region (by
  rotation, by hand, by an attacker once its lock ended) stays in the Recycle Bin for
  ``recycleBinDays`` days, from which it can be restored.
"""

import pulumi
import pulumi_aws as aws

from sg_snapshot_provider import SnapshotSeries

config = pulumi.Config()
volume_arn = config.require("volumeArn")
backup_account_id = config.require("backupAccountId")
availability_zone = config.get("availabilityZone") or "us-east-1a"
recycle_bin_days = config.get_int("recycleBinDays", 14)
#: The tag that marks both series' snapshots, and which the Recycle Bin rule retains.
PROTECTED_TAG = {"backup": "ransomware-safe"}

nightly = SnapshotSeries(
    "nightly",
    volume_arn=volume_arn,
    trigger=config.require("night"),
    keep=config.get_int("keep", 7),
    description="Nightly",
    tags=PROTECTED_TAG,
    lock_mode=config.get("lockMode") or "compliance",
    lock_duration_days=config.get_int("lockDays", 7),
    share_with_account_ids=[backup_account_id],
    verify_restore={"availability_zone": availability_zone, "keep_volume": False},
    completion_timeout_seconds=2 * 3600,
)

monthly = SnapshotSeries(
    "monthly",
    volume_arn=config.get("monthlyVolumeArn") or volume_arn,
    trigger=config.require("month"),
    keep=config.get_int("monthlyKeep", 12),
    description="Monthly, archived",
    tags=PROTECTED_TAG,
    storage_tier="archive",
    completion_timeout_seconds=2 * 3600,
)

recycle_bin = aws.rbin.Rule(
    "deleted-snapshots",
    description="Deleted snapshots of the nightly and monthly series stay restorable",
    resource_type="EBS_SNAPSHOT",
    retention_period=aws.rbin.RuleRetentionPeriodArgs(
        retention_period_value=recycle_bin_days, retention_period_unit="DAYS"
    ),
    resource_tags=[
        aws.rbin.RuleResourceTagArgs(resource_tag_key=key, resource_tag_value=value)
        for key, value in PROTECTED_TAG.items()
    ],
)

pulumi.export("nightly_snapshot_ids", nightly.snapshot_ids)
pulumi.export("nightly_locked_until", nightly.locked_until)
pulumi.export("shared_with", nightly.share_with_account_ids)
pulumi.export("last_restore_check", nightly.last_restore_check)
pulumi.export("monthly_snapshot_ids", monthly.snapshot_ids)
pulumi.export("monthly_archived_snapshot_ids", monthly.archived_snapshot_ids)
pulumi.export("recycle_bin_rule_id", recycle_bin.id)
