"""Re-tagging: the tag changes of one snapshot or of many, in as few calls as EC2 allows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from ...inputs import TagChanges
from ..errors import translate
from ..retry import RetryPolicy, call_with_retries
from .visibility import not_visible_yet

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import TagTypeDef


def update_snapshot_tags(
    client: EC2Client,
    snapshot_id: str,
    changes: TagChanges,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> None:
    """At most one DeleteTags (removed keys only: an empty DeleteTags would delete *every* tag)
    and one CreateTags (added or changed); nothing when nothing changed. Both are idempotent,
    so a lost answer is simply retried."""
    update_tags_of_snapshots(client, [snapshot_id], changes, policy, created_at=created_at)


#: CreateTags and DeleteTags take "up to 1000 resource IDs" (botocore's ``Resources``).
TAG_RESOURCES_MAX: Final = 1000


def update_tags_of_snapshots(
    client: EC2Client,
    snapshot_ids: Sequence[str],
    changes: TagChanges,
    policy: RetryPolicy,
    *,
    created_at: datetime | None = None,
) -> None:
    """The same tag changes on several snapshots: one DeleteTags and one CreateTags per 1000
    snapshots (``Resources`` is a list), as :func:`update_snapshot_tags` for one. EC2 refuses
    the whole call when one snapshot does not exist (``InvalidSnapshot.NotFound``, raised as
    :class:`AwsOperationError`); within the visibility window of ``created_at`` (pass the
    youngest snapshot's) that answer is retried as "not visible yet"."""
    ids = [snapshot_id.lower() for snapshot_id in snapshot_ids]
    if changes.empty or not ids:
        return
    subject = ", ".join(ids)
    what = "snapshot" if len(ids) == 1 else "snapshots"
    lag = not_visible_yet(subject, created_at, policy)
    to_delete: list[TagTypeDef] = [{"Key": k} for k in changes.to_delete]
    to_set: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in changes.to_set.items()]
    chunks = [
        ids[start : start + TAG_RESOURCES_MAX] for start in range(0, len(ids), TAG_RESOURCES_MAX)
    ]
    try:
        for chunk in chunks:
            if to_delete:
                call_with_retries(
                    lambda chunk=chunk: client.delete_tags(  # type: ignore[misc]
                        Resources=chunk, Tags=to_delete
                    ),
                    policy,
                    transient=lag,
                )
            if to_set:
                call_with_retries(
                    lambda chunk=chunk: client.create_tags(  # type: ignore[misc]
                        Resources=chunk, Tags=to_set
                    ),
                    policy,
                    transient=lag,
                )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, f"updating tags of EBS {what}", subject, "ec2:CreateTags and ec2:DeleteTags"
        ) from err
