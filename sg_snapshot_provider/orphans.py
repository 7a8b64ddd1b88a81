"""Snapshots of a stack that its state does not hold: what a deployment killed mid-create leaves.

If ``pulumi`` or the plugin dies after ``CreateSnapshot`` succeeded but before the engine
recorded the result (Ctrl-C twice, a CI job timeout, an OOM kill), the snapshot exists and no
state knows it; the engine keeps only a "creating" note, and dynamic providers cannot be
imported. Every snapshot the provider makes carries its owner tag (``project/stack/resource``),
so the stack's snapshots can be listed and compared with ``pulumi stack export`` output.

Knows nothing of Pulumi's runtime: it reads the exported JSON and talks to EC2 through the
AWS layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import aws
from .inputs import OWNER_TAG, parse_volume_arn, volume_arn_problem
from .settings import Settings

#: Type tokens of the package's resources whose IDs or outputs name snapshots.
SNAPSHOT_TYPES = (
    "pulumi-python:dynamic/storagegateway:Snapshot",
    "pulumi-python:dynamic/storagegateway:SnapshotSeries",
)
_SNAPSHOT_ID = re.compile(r"snap-[0-9a-f]{8}(?:[0-9a-f]{9})?")
_STACK_URN = re.compile(r"urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::")


class StateError(ValueError):
    """The file is not ``pulumi stack export`` output."""


@dataclass(frozen=True)
class StackState:
    """What the exported state says: whose stack, which snapshots it holds, and the regions its
    snapshots (and unfinished creates) live in."""

    project: str
    stack: str
    snapshot_ids: frozenset[str]
    regions: frozenset[str]

    @property
    def owner_prefix(self) -> str:
        """The start of the owner tag of every snapshot made for this stack."""
        return f"{self.project}/{self.stack}/"


@dataclass(frozen=True)
class Orphan:
    """A snapshot tagged with the stack that the state does not hold."""

    snapshot_id: str
    region: str
    resource: str
    start_time: str
    volume_size_gib: int | None
    state: str


def read_state(exported: Mapping[str, Any]) -> StackState:
    """Parse ``pulumi stack export`` output (version 3)."""
    deployment = exported.get("deployment")
    if not isinstance(deployment, Mapping) or not isinstance(deployment.get("resources", []), list):
        raise StateError("expected the JSON of `pulumi stack export` (a 'deployment' object)")
    resources: list[Mapping[str, Any]] = list(deployment.get("resources") or [])
    pending = [
        op["resource"]
        for op in deployment.get("pending_operations") or []
        if isinstance(op, Mapping) and isinstance(op.get("resource"), Mapping)
    ]
    project, stack = _project_and_stack(resources + pending)
    ours = [r for r in resources if r.get("type") in SNAPSHOT_TYPES]
    return StackState(
        project=project,
        stack=stack,
        snapshot_ids=frozenset(_snapshot_ids(ours)),
        regions=frozenset(_regions(ours + [r for r in pending if r.get("type") in SNAPSHOT_TYPES])),
    )


def _project_and_stack(resources: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    for resource in resources:
        match = _STACK_URN.match(str(resource.get("urn", "")))
        if match:
            return match["project"], match["stack"]
    raise StateError("the state names no resource (no URN to read the project and stack from)")


def _snapshot_ids(resources: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every snapshot ID the state holds: resource IDs and lists of IDs in the outputs."""
    found: set[str] = set()
    for resource in resources:
        for value in (resource.get("id"), *(resource.get("outputs") or {}).values()):
            values = value if isinstance(value, list) else [value]
            found.update(
                v.lower()
                for v in values
                if isinstance(v, str) and _SNAPSHOT_ID.fullmatch(v.lower())
            )
    return found


def _regions(resources: Iterable[Mapping[str, Any]]) -> set[str]:
    regions: set[str] = set()
    for resource in resources:
        for props in (resource.get("outputs") or {}, resource.get("inputs") or {}):
            if isinstance(props.get("region"), str):
                regions.add(props["region"])
            volume_arn = props.get("volume_arn")
            if isinstance(volume_arn, str) and volume_arn_problem(volume_arn) is None:
                regions.add(parse_volume_arn(volume_arn).region)
    return regions


def find_orphans(state: StackState, regions: Iterable[str], settings: Settings) -> list[Orphan]:
    """The snapshots owned by the caller's account in ``regions``, tagged with the stack, that
    the state does not hold (oldest first)."""
    orphans: list[Orphan] = []
    policy = aws.RetryPolicy.of(settings)
    for region in sorted(set(regions)):
        client = aws.ec2_client(region, settings)
        tagged = aws.describe_snapshots_by_filter(
            client,
            [{"Name": f"tag:{OWNER_TAG}", "Values": [f"{state.owner_prefix}*"]}],
            policy,
            owned_by_caller=True,
        )
        for info in tagged:
            owner = info.tags.get(OWNER_TAG, "")
            if info.snapshot_id.lower() in state.snapshot_ids or not owner.startswith(
                state.owner_prefix
            ):
                continue
            orphans.append(
                Orphan(
                    snapshot_id=info.snapshot_id.lower(),
                    region=region,
                    resource=owner[len(state.owner_prefix) :],
                    start_time=info.start_time.isoformat() if info.start_time else "",
                    volume_size_gib=info.volume_size_gib,
                    state=info.state,
                )
            )
    return sorted(orphans, key=lambda o: (o.start_time, o.snapshot_id))


def delete_orphans(state: StackState, orphans: Iterable[Orphan], settings: Settings) -> list[str]:
    """Delete each orphan, after checking once more that EC2 tags it with this stack; the IDs
    deleted."""
    deleted: list[str] = []
    policy = aws.RetryPolicy.of(settings)
    for orphan in orphans:
        client = aws.ec2_client(orphan.region, settings)
        info = aws.find_snapshot_by_id(client, orphan.snapshot_id, policy)
        if not info.tags.get(OWNER_TAG, "").startswith(state.owner_prefix):
            raise StateError(f"{orphan.snapshot_id} is not tagged with this stack: not deleted")
        if orphan.snapshot_id in state.snapshot_ids:
            raise StateError(f"{orphan.snapshot_id} is in the state: not deleted")
        aws.delete_snapshot(client, orphan.snapshot_id, policy)
        deleted.append(orphan.snapshot_id)
    return deleted
