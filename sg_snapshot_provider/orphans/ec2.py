"""What EC2 holds: the caller's snapshots tagged with the stack or with a pending create's
token, and deleting the leftovers once EC2 shows them still tagged as they were judged. The only
part of the command that calls AWS (through the AWS layer).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from .. import aws
from ..inputs import CREATE_TOKEN_TAG, OWNER_TAG
from ..settings import Settings
from .export import StackExport, UnsureError
from .verdicts import Snapshot

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import FilterTypeDef

_FILTER_VALUES_MAX: Final = 200


def find_snapshots(
    export: StackExport, regions: Iterable[str], settings: Settings
) -> list[Snapshot]:
    """The caller's snapshots in ``regions`` that carry a pending create's token or the
    stack's owner tag, oldest first."""
    tokens = sorted({p.token for p in export.pending if p.token})
    policy = aws.RetryPolicy.of(settings)
    found: dict[str, Snapshot] = {}
    for region in sorted(set(regions)):
        client = aws.ec2_client(region, settings)
        filters: list[list[FilterTypeDef]] = [
            [{"Name": f"tag:{OWNER_TAG}", "Values": [f"{export.owner_prefix}*"]}]
        ]
        filters += [
            [{"Name": f"tag:{CREATE_TOKEN_TAG}", "Values": chunk}]
            for chunk in _chunks(tokens, _FILTER_VALUES_MAX)
        ]
        for request in filters:
            for info in aws.describe_snapshots_by_filter(
                client, request, policy, owned_by_caller=True
            ):
                found[info.snapshot_id.lower()] = _snapshot(info, region)
    return sorted(found.values(), key=lambda s: (s.start_time or datetime.min, s.snapshot_id))


def _chunks(values: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _snapshot(info: aws.SnapshotInfo, region: str) -> Snapshot:
    return Snapshot(
        snapshot_id=info.snapshot_id.lower(),
        region=region,
        owner=info.tags.get(OWNER_TAG, ""),
        token=info.tags.get(CREATE_TOKEN_TAG, ""),
        start_time=info.start_time,
        volume_size_gib=info.volume_size_gib,
        state=info.state,
    )


def delete_snapshots(snapshots: Iterable[Snapshot], settings: Settings) -> Iterator[str]:
    """Delete each snapshot once EC2 shows it still tagged as it was judged (a tag changed
    since, e.g. by an adoption, spares it); yields each ID deleted."""
    policy = aws.RetryPolicy.of(settings)
    for snapshot in snapshots:
        client = aws.ec2_client(snapshot.region, settings)
        now = _snapshot(
            aws.find_snapshot_by_id(client, snapshot.snapshot_id, policy), snapshot.region
        )
        if (now.owner, now.token) != (snapshot.owner, snapshot.token):
            raise UnsureError(
                f"{snapshot.snapshot_id} was re-tagged while orphans ran: not deleted"
            )
        aws.delete_snapshot(client, snapshot.snapshot_id, policy)
        yield snapshot.snapshot_id
