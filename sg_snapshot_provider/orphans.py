"""Leftovers of interrupted deployments: the snapshots a create made whose answer never reached
the state, and nothing else.

When the Pulumi CLI dies in the middle of a create (Ctrl-C twice, a CI job killed, an OOM
kill), the engine's checkpoint keeps a pending operation of type ``creating`` (``updating`` for
a series' rotation): the inputs that check returned, written before Create was sent. Check puts
the create token in those inputs and the snapshot carries it (``CREATE_TOKEN_TAG``), so such a
leftover is matched exactly, by token. A snapshot is a leftover only when all of these hold:

1. a pending operation of this package's resources in the export carries its token;
2. EC2 shows it, owned by the caller, with that token and the owner tag of that operation's
   resource (adopting a snapshot re-tags its owner, so an adopted one never matches);
3. no resource of the export names its ID anywhere (ID, inputs, outputs);
4. the export was written after that create must have ended: the checkpoint's time is later
   than the snapshot's start plus the create's own wait and a margin (``settle_seconds``). An
   export written earlier (during the deployment, or as it was killed) cannot tell whether the
   create was recorded later: its snapshot is "too recent", never deleted.

Everything else tagged with the stack is listed and never deleted: a snapshot kept on purpose
(``retain_on_delete``), adopted by another stack, made by a stack of the same name in another
backend or organisation, or left by a create that failed when its plugin died (the engine
then records the failure and keeps no pending operation, so nothing proves whose it is). The
user may name such a snapshot with ``delete_unrecorded``: it is deleted after checks 3 and 4
(with a day's wait, the longest a create can wait) and an owner tag naming this stack.

Knows nothing of Pulumi's runtime: it reads the exported JSON and talks to EC2 through the
AWS layer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from . import aws
from .inputs import (
    CREATE_TOKEN_TAG,
    MAX_COMPLETION_TIMEOUT_SECONDS,
    OWNER_TAG,
    PROVIDER_KEY,
    create_token_of,
    parse_volume_arn,
    volume_arn_problem,
)
from .inputs.common import stack_resource_tag
from .settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_ec2.type_defs import FilterTypeDef

#: Type tokens of the package's resources that make snapshots.
SNAPSHOT_TYPES: Final = (
    "pulumi-python:dynamic/storagegateway:Snapshot",
    "pulumi-python:dynamic/storagegateway:SnapshotSeries",
)
#: The package's resource types whose values the export must show in plain text.
PACKAGE_TYPE_PREFIX: Final = "pulumi-python:dynamic/storagegateway:"
#: Pending operations that send a create: Create itself, and a series' Update (a rotation).
CREATING_OPERATIONS: Final = ("creating", "updating")
#: The margin beyond a create's own wait after which its answer must have reached the
#: checkpoint: the create's retries, the engine's journal, clocks.
DEFAULT_SETTLE_SECONDS: Final = 3600
#: Pulumi's mark of a secret value in ``pulumi stack export`` output.
SECRET_SIGNATURE: Final = "4dabf18193072939515e22adb298388d"

_SNAPSHOT_ID: Final = re.compile(r"snap-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_STACK_URN: Final = re.compile(r"urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::")
#: Go writes up to nine fractional digits; Python reads six.
_FRACTION: Final = re.compile(r"(\.\d{6})\d+")
_FILTER_VALUES_MAX: Final = 200


class ExportError(ValueError):
    """The file is not ``pulumi stack export`` output of a stack (exit code 2)."""


class UnsureError(ValueError):
    """The export cannot prove what a state holds, or a named snapshot fails a check: nothing
    is deleted (exit code 3)."""


# --- the export -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingCreate:
    """An unfinished create of the export: whose, its token, and how long it could run."""

    resource: str
    owner: str | None
    token: str | None
    region: str | None
    #: The longest the create could wait for its snapshot (0: it did not wait).
    wait_seconds: float


@dataclass(frozen=True)
class StackExport:
    """What ``pulumi stack export`` says: whose stack, when its checkpoint was written, every
    snapshot ID any resource names, the unfinished creates, and the regions involved."""

    project: str
    stack: str
    written_at: datetime | None
    held_ids: frozenset[str]
    pending: tuple[PendingCreate, ...]
    regions: frozenset[str]

    @property
    def owner_prefix(self) -> str:
        """The start of the owner tag of every snapshot made for this stack."""
        return f"{self.project}/{self.stack}/"


def read_export(exported: Any) -> StackExport:
    """Parse ``pulumi stack export`` output (version 3). Raises ExportError for anything that
    is not such an export, UnsureError when a value of this package's resources is secret or
    unreadable (then no snapshot can be proven unheld)."""
    deployment = _mapping(exported, "the top level").get("deployment")
    deployment = _mapping(deployment, "deployment")
    resources = _mappings(deployment.get("resources") or [], "deployment.resources")
    operations = _mappings(deployment.get("pending_operations") or [], "pending_operations")
    pending_resources = [
        _mapping(op.get("resource"), "a pending operation's resource") for op in operations
    ]
    resources = [_revealed(r) for r in resources]
    pending_resources = [_revealed(r) for r in pending_resources]
    project, stack = _project_and_stack([*resources, *pending_resources])
    for resource in [*resources, *pending_resources]:
        _refuse_secrets_of_ours(resource)
    pending = tuple(
        _pending_create(resource)
        for op, resource in zip(operations, pending_resources, strict=True)
        if op.get("type") in CREATING_OPERATIONS and resource.get("type") in SNAPSHOT_TYPES
    )
    ours = [r for r in resources if r.get("type") in SNAPSHOT_TYPES]
    return StackExport(
        project=project,
        stack=stack,
        written_at=_written_at(deployment.get("manifest")),
        held_ids=frozenset(_snapshot_ids_in([*resources, *pending_resources])),
        pending=pending,
        regions=frozenset(_regions(ours)) | {p.region for p in pending if p.region},
    )


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ExportError(f"{where} is not an object: expected the JSON of `pulumi stack export`")
    return value


def _mappings(value: Any, where: str) -> list[Mapping[str, Any]]:
    if not isinstance(value, list):
        raise ExportError(f"{where} is not a list: expected the JSON of `pulumi stack export`")
    return [_mapping(item, f"an entry of {where}") for item in value]


def _project_and_stack(resources: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    for resource in resources:
        match = _STACK_URN.match(str(resource.get("urn", "")))
        if match:
            return match["project"], match["stack"]
    raise ExportError("the export names no resource (no URN to read the project and stack from)")


def _written_at(manifest: Any) -> datetime | None:
    """When the checkpoint was last written (``manifest.time``), if the export says."""
    text = manifest.get("time") if isinstance(manifest, Mapping) else None
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", text.replace("Z", "+00:00")))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _refuse_secrets_of_ours(resource: Mapping[str, Any]) -> None:
    """A secret (ciphertext) or a value of the wrong shape in this package's resources hides
    which snapshots the state holds: refuse rather than guess."""
    kind = resource.get("type")
    if not (isinstance(kind, str) and kind.startswith(PACKAGE_TYPE_PREFIX)):
        return
    name = str(resource.get("urn", "")).rpartition("::")[2] or "?"
    for key in ("inputs", "outputs"):
        props = resource.get(key)
        if props is not None and not isinstance(props, Mapping):
            raise UnsureError(f"the {key} of resource {name} are not an object: nothing deleted")
        # The serialized provider may be secret (the SDK's default): it names no snapshot.
        if _has_secret({k: v for k, v in (props or {}).items() if k != PROVIDER_KEY}):
            raise UnsureError(
                f"resource {name} has secret {key} (ciphertext), so the export cannot show which "
                "snapshots it holds: export with --show-secrets and run again; nothing deleted"
            )


def _revealed(value: Any) -> Any:
    """``value`` with each secret that ``--show-secrets`` wrote (``plaintext``, JSON text) put
    back as its value; ciphertext is left as it is."""
    if isinstance(value, Mapping):
        if SECRET_SIGNATURE in value and isinstance(value.get("plaintext"), str):
            try:
                return _revealed(json.loads(value["plaintext"]))
            except ValueError:
                return value  # not what Pulumi writes: left as a secret, and so refused
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_revealed(item) for item in value]
    return value


def _has_secret(value: Any) -> bool:
    """Whether ``value`` holds a secret the export does not show (ciphertext)."""
    if isinstance(value, Mapping):
        return SECRET_SIGNATURE in value or any(_has_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_secret(v) for v in value)
    return False


def _pending_create(resource: Mapping[str, Any]) -> PendingCreate:
    inputs = resource.get("inputs") or {}
    waits = inputs.get("wait_for_completion") is True
    timeout = inputs.get("completion_timeout_seconds")
    wait = float(timeout) if isinstance(timeout, int | float) else MAX_COMPLETION_TIMEOUT_SECONDS
    owner = stack_resource_tag(inputs.get("stack_resource"))
    return PendingCreate(
        resource=str(resource.get("urn", "")).rpartition("::")[2],
        owner=owner if isinstance(owner, str) else None,
        token=create_token_of(inputs),
        region=_region_of(inputs),
        wait_seconds=wait if waits else 0.0,
    )


def _snapshot_ids_in(resources: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every snapshot ID any resource names, of any type, anywhere in it: held, or used."""
    return {text for resource in resources for text in _strings(resource) if _is_snapshot_id(text)}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value.lower()
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _is_snapshot_id(text: str) -> bool:
    return _SNAPSHOT_ID.fullmatch(text) is not None


def _regions(resources: Iterable[Mapping[str, Any]]) -> set[str]:
    regions: set[str] = set()
    for resource in resources:
        for props in (resource.get("outputs") or {}, resource.get("inputs") or {}):
            if isinstance(props.get("region"), str):
                regions.add(props["region"])
            region = _region_of(props)
            if region:
                regions.add(region)
    return regions


def _region_of(props: Mapping[str, Any]) -> str | None:
    volume_arn = props.get("volume_arn")
    if isinstance(volume_arn, str) and volume_arn_problem(volume_arn) is None:
        return parse_volume_arn(volume_arn).region
    return None


# --- what EC2 holds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """A snapshot tagged with the stack or with a pending create's token."""

    snapshot_id: str
    region: str
    owner: str
    token: str
    start_time: datetime | None
    volume_size_gib: int | None
    state: str

    @property
    def resource(self) -> str:
        """The resource named by the owner tag (after ``project/stack/``)."""
        return self.owner.split("/", 2)[2] if self.owner.count("/") >= 2 else self.owner


@dataclass(frozen=True)
class Verdict:
    """What ``orphans`` makes of one snapshot: deletable or not, and why."""

    snapshot: Snapshot
    deletable: bool
    reason: str


@dataclass(frozen=True)
class Report:
    """Every snapshot looked at, leftovers (deletable) first."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def leftovers(self) -> list[Snapshot]:
        return [v.snapshot for v in self.verdicts if v.deletable]

    @property
    def kept(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.deletable]


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


# --- verdicts ---------------------------------------------------------------------------------


def judge(
    export: StackExport,
    snapshots: Iterable[Snapshot],
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> Report:
    """The verdict on each snapshot (pure): a leftover of an unfinished create, or kept and
    why."""
    by_token = {p.token: p for p in export.pending if p.token}
    verdicts = [_verdict(export, s, by_token.get(s.token), settle_seconds) for s in snapshots]
    return Report(sorted(verdicts, key=lambda v: not v.deletable))


def _verdict(
    export: StackExport, snapshot: Snapshot, create: PendingCreate | None, settle: float
) -> Verdict:
    if snapshot.snapshot_id in export.held_ids:
        return Verdict(snapshot, False, "a resource of the export holds it")
    if create is None:
        return Verdict(snapshot, False, UNRECORDED)
    if not snapshot.owner or snapshot.owner != create.owner:
        return Verdict(
            snapshot,
            False,
            f"made by the unfinished create of {create.resource}, but its owner tag now names "
            f"{snapshot.owner or 'no one'}: adopted by another resource",
        )
    too_recent = _too_recent(export, snapshot, create.wait_seconds + settle)
    if too_recent:
        return Verdict(snapshot, False, too_recent)
    return Verdict(snapshot, True, f"left by the unfinished create of {create.resource}")


#: Why a snapshot of the stack that no pending create made is never deleted unasked.
UNRECORDED: Final = (
    "no unfinished create of the export made it: kept on purpose (retain_on_delete), adopted "
    "elsewhere, a same-named stack's in another backend, or left by a create that failed when "
    "its plugin died; once you know which, --delete-unrecorded deletes it"
)


def _too_recent(export: StackExport, snapshot: Snapshot, bound_seconds: float) -> str | None:
    """Why the export cannot show that the create of ``snapshot`` ended unrecorded, or None."""
    if export.written_at is None:
        return "the export does not say when it was written (no deployment.manifest.time)"
    if snapshot.start_time is None:
        return "EC2 does not say when it was started"
    settled = snapshot.start_time + timedelta(seconds=bound_seconds)
    if export.written_at <= settled:
        return (
            "too recent: the export was written before its create must have ended, so a later "
            f"state may hold it; export again after {settled:%Y-%m-%dT%H:%M:%SZ} and the next "
            "`pulumi up`"
        )
    return None


def named_unrecorded(
    report: Report,
    export: StackExport,
    snapshot_ids: Iterable[str],
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
) -> list[Snapshot]:
    """The snapshots the user named for deletion although no pending create made them. Each
    must carry this stack's owner tag, be held by no resource of the export, and be older
    than the export by the longest a create can run; else UnsureError names the first that
    is not."""
    found = {v.snapshot.snapshot_id: v for v in report.verdicts}
    chosen: list[Snapshot] = []
    for snapshot_id in dict.fromkeys(s.lower() for s in snapshot_ids):
        verdict = found.get(snapshot_id)
        if verdict is None:
            raise UnsureError(
                f"{snapshot_id} is not a snapshot of yours tagged with stack "
                f"{export.project}/{export.stack} in the regions looked at: nothing deleted"
            )
        if verdict.deletable:
            continue  # a leftover: deleted anyway
        if verdict.reason != UNRECORDED:
            raise UnsureError(f"{snapshot_id} is not deleted: {verdict.reason}; nothing deleted")
        bound = MAX_COMPLETION_TIMEOUT_SECONDS + settle_seconds
        too_recent = _too_recent(export, verdict.snapshot, bound)
        if too_recent:
            raise UnsureError(f"{snapshot_id} is not deleted: {too_recent}; nothing deleted")
        chosen.append(verdict.snapshot)
    return chosen


# --- deleting ---------------------------------------------------------------------------------


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
