"""Reading ``pulumi stack export`` output: whose stack, when its checkpoint was written, every
snapshot ID a resource names, and the unfinished creates (pending operations) with their create
tokens. A secret or a value of the wrong shape in this package's resources is refused
(:class:`UnsureError`): then no snapshot can be proven unheld. Pure: no AWS, no Pulumi.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ..inputs import (
    MAX_COMPLETION_TIMEOUT_SECONDS,
    PROVIDER_KEY,
    create_token_of,
    parse_volume_arn,
    volume_arn_problem,
)
from ..inputs.common import stack_resource_tag
from ..type_tokens import SERIES_TYPE, SNAPSHOT_TYPE, TYPE_PREFIX

#: Type tokens of the package's resources that make snapshots.
SNAPSHOT_TYPES: Final = (SNAPSHOT_TYPE, SERIES_TYPE)
#: Pending operations that send a create: Create itself, and a series' Update (a rotation).
CREATING_OPERATIONS: Final = ("creating", "updating")
#: Pulumi's mark of a secret value in ``pulumi stack export`` output.
SECRET_SIGNATURE: Final = "4dabf18193072939515e22adb298388d"

_SNAPSHOT_ID: Final = re.compile(r"snap-(?:[0-9a-f]{8}|[0-9a-f]{17})")
_STACK_URN: Final = re.compile(r"urn:pulumi:(?P<stack>[^:]+)::(?P<project>[^:]+)::")
#: Go writes up to nine fractional digits; Python reads six.
_FRACTION: Final = re.compile(r"(\.\d{6})\d+")


class ExportError(ValueError):
    """The file is not ``pulumi stack export`` output of a stack (exit code 2)."""


class UnsureError(ValueError):
    """The export cannot prove what a state holds, or a named snapshot fails a check: nothing
    is deleted (exit code 3)."""


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
    if not (isinstance(kind, str) and kind.startswith(TYPE_PREFIX)):
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
