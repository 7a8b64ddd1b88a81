"""State and rules of the emulated Storage Gateway: gateways, volumes and their snapshots.

Real behaviour reproduced, and from where (botocore's ``storagegateway`` model and the Storage
Gateway API reference, unless said otherwise):

* Storage Gateway is regional and per account: one ``StorageGatewayBackend`` per (account,
  region), like moto's backends, and a request is served by the backend of the account and
  region it is signed for. A resource ARN of another account or region names nothing there:
  ``VolumeNotFound``/``GatewayNotFound`` naming the ARN, never the other backend's resource.
* Snapshots are real EBS snapshots in moto's EC2 backend of the same account and region, so
  every EC2 call sees them; they stay ``pending`` for ``pending_seconds`` (moto's are born
  ``completed``) and may be hidden from EC2 for a while (``visibility``).
* Rules beyond the model's constraints (which ``validation`` checks before anything runs), each
  answered as ``InvalidGatewayRequestException``: tag keys may not start with ``aws:`` in any
  case and a resource holds at most 50 tags (the ``Tag``/``AddTagsToResource`` documentation);
  ``RecurrenceInHours`` is one of 1, 2, 4, 8, 12, 24 (the Storage Gateway API reference of API
  version 2012-06-30, ``UpdateSnapshotSchedule``: "Valid Values: One of the values 1 | 2 | 4 |
  8 | 12 | 24"; the current reference only gives the model's range 1 to 24); a marker must be one
  this service issued.
* Tag *values* have no character rule: the model's ``TagValue`` has no pattern (only ``max``
  256), although the documentation's prose lists the same characters as for keys; the model is
  what AWS's front end enforces, and the emulator must not be stricter than AWS either.
* ``ListGateways`` and ``ListVolumes`` sort by ARN and return at most 100 items a page unless
  ``Limit`` says otherwise; ``ListVolumes``, ``ListVolumeRecoveryPoints``, the snapshot and
  schedule operations work on volume gateways only, answering ``NotSupported`` ("The specified
  operation is not supported", the answer terraform-provider-aws issue #25917 shows) on tape and
  file gateways; recovery points and ``CreateSnapshotFromVolumeRecoveryPoint`` and
  ``DeleteSnapshotSchedule`` are for cached volumes only.
* A cached volume may have no recovery point yet (seeded with ``recovery_point=False``):
  ``ListVolumeRecoveryPoints`` leaves it out and ``CreateSnapshotFromVolumeRecoveryPoint``
  answers ``VolumeNotReady``. After ``DeleteSnapshotSchedule`` a volume has no schedule:
  ``DescribeSnapshotSchedule`` and a second delete answer ``SnapshotScheduleNotFound`` (the
  model's error code for it; the API reference does not say), ``UpdateSnapshotSchedule`` makes
  a new one.

Rules live here and fail with the typed errors of ``exceptions``; the JSON protocol is
``responses``' business.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_block_store import Snapshot
from moto.ec2.utils import random_snapshot_id

from ..inputs import VOLUME_ARN_RE
from .exceptions import (
    ControlError,
    GatewayNotConnected,
    GatewayNotFound,
    InvalidParameters,
    NotSupported,
    SnapshotScheduleNotFound,
    VolumeNotFound,
    VolumeNotReady,
)

# Storage Gateway takes snapshots of its own volumes, which EC2 does not know; AWS reports these
# snapshots with this placeholder volume ID, and so do we (filter on it with "volume-id").
SNAPSHOT_VOLUME_ID = "vol-ffffffff"

_GATEWAY_ARN_PARTS = re.compile(
    r"^arn:(?P<partition>[a-z-]+):storagegateway:(?P<region>[a-z0-9-]+):(?P<account>[0-9]+):"
    r"gateway/(?P<gateway_id>sgw-[0-9A-Za-z]+)$"
)
_VOLUME_ARN_PARTS = re.compile(
    r"^(?P<gateway_arn>arn:[a-z-]+:storagegateway:[a-z0-9-]+:[0-9]+:gateway/sgw-[0-9A-Za-z]+)"
    r"/volume/(?P<volume_id>vol-[0-9A-Za-z]+)$"
)
#: The model's GatewayId and VolumeId: 12 to 30 characters.
ID_LENGTHS = range(12, 31)

VOLUME_GATEWAY_TYPES = ("CACHED", "STORED")
GATEWAY_TYPES = (*VOLUME_GATEWAY_TYPES, "VTL", "VTL_SNOW", "FILE_S3", "FILE_FSX_SMB")
SNAPSHOT_STATES = ("pending", "completed", "error", "recoverable", "recovering")
RECURRENCE_HOURS = (1, 2, 4, 8, 12, 24)

MAX_TAGS = 50
#: ListGateways and ListVolumes: "By default, the operation returns a maximum of up to 100".
DEFAULT_PAGE_SIZE = 100
#: AWS's words when the gateway (or volume) type cannot do an operation, as seen on the wire
#: for file gateways (terraform-provider-aws issue #25917: InvalidGatewayRequestException,
#: errorCode NotSupported). The API reference only says "This operation is only supported in
#: the cached volume and stored volume gateway types".
NOT_SUPPORTED = "The specified operation is not supported"
RESERVED_TAG_PREFIX = "aws:"

GIB = 1024**3

T = TypeVar("T")


# --- service rules --------------------------------------------------------------------------


def _invalid(parameter: str, problem: str) -> InvalidParameters:
    return InvalidParameters(f"Invalid {parameter}: {problem}", {"parameter": parameter})


def check_tag_key(key: str, parameter: str = "Tags") -> str:
    if key.lower().startswith(RESERVED_TAG_PREFIX):
        raise _invalid(parameter, f"tag key {key!r} uses the reserved prefix 'aws:'")
    return key


def tag_map(tags: list[dict[str, str]] | None, parameter: str = "Tags") -> dict[str, str]:
    """``[{"Key": k, "Value": v}, …]`` (already valid for the model) → ``{k: v}``."""
    if tags is None:
        return {}
    if len(tags) > MAX_TAGS:
        raise _invalid(parameter, f"at most {MAX_TAGS} tags are allowed, got {len(tags)}")
    return {check_tag_key(tag["Key"], parameter): tag["Value"] for tag in tags}


def paginate(
    items: Sequence[T], marker: str | None, limit: int | None
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the marker of the next one (``None`` on the last page).

    Markers are opaque to clients; ours is the index of the next item as text.
    """
    start = 0
    if marker is not None:
        if not marker.isdigit() or int(marker) > len(items):
            raise _invalid("Marker", f"{marker!r} is not a marker this service returned")
        start = int(marker)
    end = min(len(items), start + (DEFAULT_PAGE_SIZE if limit is None else limit))
    return list(items[start:end]), (str(end) if end < len(items) else None)


def parse_gateway_arn(arn: str) -> re.Match[str]:
    match = _GATEWAY_ARN_PARTS.fullmatch(arn)
    if match is None or len(match["gateway_id"]) not in ID_LENGTHS:
        raise ControlError(
            f"{arn!r} is not a gateway ARN (arn:aws:storagegateway:…:gateway/sgw-…, a gateway "
            "ID of 12 to 30 characters)"
        )
    return match


def parse_volume_arn(arn: str) -> re.Match[str]:
    match = _VOLUME_ARN_PARTS.fullmatch(arn)
    if (
        match is None
        or not VOLUME_ARN_RE.fullmatch(arn)
        or len(match["volume_id"]) not in ID_LENGTHS
    ):
        raise ControlError(
            f"{arn!r} is not a volume ARN (…:gateway/sgw-…/volume/vol-…, IDs of 12 to 30 "
            "characters)"
        )
    return match


def gateway_arn_of(volume_arn: str) -> str:
    return volume_arn.split("/volume/", 1)[0]


def _iso_milliseconds(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --- snapshots ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotSource:
    """What moto's ``Snapshot`` needs to know of its volume (``id`` and ``size`` in GiB)."""

    size: int
    id: str = SNAPSHOT_VOLUME_ID
    encrypted: bool = False


class GatewaySnapshot(Snapshot):  # type: ignore[misc]
    """An EBS snapshot whose state moves with time, as real snapshots do.

    moto's snapshots are born ``completed`` with a fixed "100%" progress, so no waiter is ever
    exercised. Ours stay ``pending`` for ``pending_seconds`` with a rising progress, then are
    ``completed``; ``force`` pins any state (``error``…) for tests.
    """

    def __init__(
        self,
        ec2_backend: Any,
        snapshot_id: str,
        source: SnapshotSource,
        description: str,
        pending_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._born = clock()
        self._pending_seconds = pending_seconds
        self._forced: tuple[str, str] | None = None
        super().__init__(ec2_backend, snapshot_id, source, description, encrypted=source.encrypted)
        # moto's __init__ sets status = "completed" as its birth state; that is not a decision.
        self._forced = None

    def _natural_percent(self) -> int:
        if self._pending_seconds <= 0:
            return 100
        elapsed = self._clock() - self._born
        return min(100, int(100 * elapsed / self._pending_seconds))

    @property
    def status(self) -> str:
        if self._forced is not None:
            return self._forced[0]
        return "completed" if self._natural_percent() >= 100 else "pending"

    @status.setter
    def status(self, state: str) -> None:
        self.force(state)

    @property
    def progress(self) -> str:
        if self._forced is not None:
            return self._forced[1]
        return f"{min(self._natural_percent(), 99) if self.status == 'pending' else 100}%"

    def force(self, state: str, progress: str | None = None) -> None:
        """Pin ``state``; progress defaults to 100% when completed, else to the current one."""
        if progress is None:
            progress = "100%" if state == "completed" else self.progress
        self._forced = (state, progress)


def find_snapshot(snapshot_id: str) -> Any:
    """The EBS snapshot with this ID in any account and region moto holds."""
    for account_backends in ec2_backends.values():
        for region_backend in account_backends.values():
            snapshot = region_backend.snapshots.get(snapshot_id)
            if snapshot is not None:
                return snapshot
    raise ControlError(f"snapshot {snapshot_id} does not exist", status=404)


def set_snapshot_state(snapshot_id: str, state: str, progress: str | None) -> None:
    if state not in SNAPSHOT_STATES:
        raise ControlError(f"state must be one of {', '.join(SNAPSHOT_STATES)}, got {state!r}")
    if progress is not None and not re.fullmatch(r"(100|[1-9]?[0-9])%", progress):
        raise ControlError(f"progress must look like '80%', got {progress!r}")
    snapshot = find_snapshot(snapshot_id.lower())
    if isinstance(snapshot, GatewaySnapshot):
        snapshot.force(state, progress)
    elif progress is None or progress == "100%":
        # A snapshot made through EC2 itself: moto keeps a plain status and a fixed progress.
        snapshot.status = state
    else:
        raise ControlError(f"{snapshot_id} was not made by Storage Gateway: its progress is fixed")


# --- gateways and volumes -------------------------------------------------------------------


@dataclass
class SnapshotSchedule:
    start_at: int
    recurrence_in_hours: int = 24
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    timezone: str = "GMT"


@dataclass
class Gateway:
    arn: str
    gateway_id: str
    gateway_type: str
    connected: bool
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def is_volume_gateway(self) -> bool:
        return self.gateway_type in VOLUME_GATEWAY_TYPES

    @property
    def operational_state(self) -> str:
        return "ACTIVE" if self.connected else "SHUTDOWN"


@dataclass
class GatewayVolume:
    arn: str
    volume_id: str
    gateway: Gateway
    kind: str  # CACHED or STORED
    size_gib: int
    created: datetime
    schedule: SnapshotSchedule | None
    recovery_point: bool = True
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def volume_type(self) -> str:
        return f"{self.kind} iSCSI"

    @property
    def size_bytes(self) -> int:
        return self.size_gib * GIB

    @property
    def recovery_point_time(self) -> str:
        # Every byte of an emulated cached volume is uploaded as soon as it exists.
        return _iso_milliseconds(self.created)


class StorageGatewayBackend:
    """The gateways and volumes of one account in one region."""

    def __init__(
        self,
        account_id: str,
        region: str,
        pending_seconds: Callable[[], float],
        snapshot_created: Callable[[str], None],
    ) -> None:
        self.account_id = account_id
        self.region = region
        self._pending_seconds = pending_seconds
        self._snapshot_created = snapshot_created
        self.gateways: dict[str, Gateway] = {}
        self.volumes: dict[str, GatewayVolume] = {}

    # seeding (control API)

    def add_gateway(self, arn: str, gateway_type: str, connected: bool) -> Gateway:
        match = parse_gateway_arn(arn)
        if gateway_type not in GATEWAY_TYPES:
            raise ControlError(f"gateway_type must be one of {', '.join(GATEWAY_TYPES)}")
        gateway = self.gateways.get(arn)
        if gateway is None:
            gateway = Gateway(arn, match["gateway_id"], gateway_type, connected)
            self.gateways[arn] = gateway
        gateway.gateway_type, gateway.connected = gateway_type, connected
        return gateway

    def add_volume(
        self, arn: str, kind: str | None, size_gib: int, recovery_point: bool = True
    ) -> GatewayVolume:
        match = parse_volume_arn(arn)
        gateway = self.gateways.get(match["gateway_arn"]) or self.add_gateway(
            match["gateway_arn"], "CACHED", connected=True
        )
        if not gateway.is_volume_gateway:
            raise ControlError(f"{gateway.arn} is a {gateway.gateway_type} gateway: no volumes")
        kind = kind or gateway.gateway_type
        if kind not in VOLUME_GATEWAY_TYPES:
            raise ControlError(f"volume_type must be CACHED or STORED, got {kind!r}")
        if size_gib < 1:
            raise ControlError("size_gib must be at least 1")
        if not recovery_point and kind != "CACHED":
            raise ControlError("only cached volumes have recovery points")
        created = datetime.now(UTC)
        volume = GatewayVolume(
            arn,
            match["volume_id"],
            gateway,
            kind,
            size_gib,
            created,
            SnapshotSchedule(created.hour),
            recovery_point,
        )
        self.volumes[arn] = volume
        return volume

    # lookups

    def get_gateway(self, arn: str) -> Gateway:
        gateway = self.gateways.get(arn)
        if gateway is None:
            raise GatewayNotFound(
                f"The specified gateway was not found: {arn}", {"GatewayARN": arn}
            )
        return gateway

    def get_volume(self, arn: str) -> GatewayVolume:
        volume = self.volumes.get(arn)
        if volume is None:
            raise VolumeNotFound(f"The specified volume was not found: {arn}", {"VolumeARN": arn})
        return volume

    def _volume_gateway(self, arn: str) -> Gateway:
        gateway = self.get_gateway(arn)
        if not gateway.is_volume_gateway:
            raise NotSupported(
                f"{NOT_SUPPORTED}: {gateway.arn} is a {gateway.gateway_type} gateway, not a "
                "volume gateway",
                {"GatewayARN": gateway.arn},
            )
        return gateway

    def _snapshot_ready_volume(self, arn: str) -> GatewayVolume:
        """The volume behind ``arn`` if its gateway can take a snapshot of it now."""
        gateway = self.gateways.get(gateway_arn_of(arn))
        if gateway is not None and not gateway.is_volume_gateway:
            raise NotSupported(
                f"{NOT_SUPPORTED}: snapshots are taken on volume gateways only; {gateway.arn} "
                f"is a {gateway.gateway_type} gateway",
                {"GatewayARN": gateway.arn},
            )
        # An unknown gateway means an unknown volume: AWS answers VolumeNotFound for both.
        volume = self.get_volume(arn)
        if not volume.gateway.connected:
            raise GatewayNotConnected(
                f"The gateway {volume.gateway.arn} is not connected",
                {"GatewayARN": volume.gateway.arn},
            )
        return volume

    def _resource_tags(self, arn: str) -> dict[str, str]:
        if "/volume/" in arn:
            return self.get_volume(arn).tags
        if _GATEWAY_ARN_PARTS.fullmatch(arn) or arn in self.gateways:
            return self.get_gateway(arn).tags
        raise _invalid("ResourceARN", f"{arn!r} is not a gateway or volume ARN")

    # operations

    def create_snapshot(
        self, volume_arn: str, description: str, tags: list[dict[str, str]] | None
    ) -> Any:
        tag_values = tag_map(tags)
        volume = self._snapshot_ready_volume(volume_arn)
        return self._take_snapshot(volume, description, tag_values)

    def create_snapshot_from_volume_recovery_point(
        self, volume_arn: str, description: str, tags: list[dict[str, str]] | None
    ) -> tuple[Any, GatewayVolume]:
        tag_values = tag_map(tags)
        volume = self._snapshot_ready_volume(volume_arn)
        if volume.kind != "CACHED":
            raise NotSupported(
                f"{NOT_SUPPORTED}: volume recovery points exist only for cached volumes; "
                f"{volume_arn} is a stored volume",
                {"VolumeARN": volume_arn},
            )
        if not volume.recovery_point:
            raise VolumeNotReady(
                f"The specified volume has no recovery point yet: {volume_arn}",
                {"VolumeARN": volume_arn},
            )
        return self._take_snapshot(volume, description, tag_values), volume

    def _take_snapshot(self, volume: GatewayVolume, description: str, tags: dict[str, str]) -> Any:
        ec2 = ec2_backends[self.account_id][self.region]
        snapshot = GatewaySnapshot(
            ec2,
            random_snapshot_id(),
            SnapshotSource(size=volume.size_gib),
            description,
            pending_seconds=self._pending_seconds(),
        )
        ec2.snapshots[snapshot.id] = snapshot
        if tags:
            ec2.create_tags([snapshot.id], tags)
        self._snapshot_created(snapshot.id)
        return snapshot

    def list_gateways(self) -> list[Gateway]:
        return sorted(self.gateways.values(), key=lambda gateway: gateway.arn)

    def list_volumes(self, gateway_arn: str | None) -> list[GatewayVolume]:
        volumes = sorted(self.volumes.values(), key=lambda volume: volume.arn)
        if gateway_arn is None:
            return volumes
        gateway = self._volume_gateway(gateway_arn)
        return [volume for volume in volumes if volume.gateway is gateway]

    def describe_volumes(self, volume_arns: list[str], kind: str) -> list[GatewayVolume]:
        """The volumes of ``kind`` among ``volume_arns``; volumes of the other kind are left
        out of the answer, unknown ones are an error."""
        volumes = [self.get_volume(arn) for arn in volume_arns]
        return [volume for volume in volumes if volume.kind == kind]

    def list_volume_recovery_points(self, gateway_arn: str) -> list[GatewayVolume]:
        gateway = self.get_gateway(gateway_arn)
        if gateway.gateway_type != "CACHED":
            raise NotSupported(
                f"{NOT_SUPPORTED}: volume recovery points exist only on cached gateways; "
                f"{gateway.arn} is a {gateway.gateway_type} gateway",
                {"GatewayARN": gateway.arn},
            )
        return [
            v for v in self.list_volumes(gateway.arn) if v.kind == "CACHED" and v.recovery_point
        ]

    def describe_snapshot_schedule(self, volume_arn: str) -> tuple[GatewayVolume, SnapshotSchedule]:
        volume = self.get_volume(volume_arn)
        return volume, self._schedule_of(volume)

    def update_snapshot_schedule(
        self,
        volume_arn: str,
        start_at: int,
        recurrence_in_hours: int,
        description: str | None,
        tags: list[dict[str, str]] | None,
    ) -> GatewayVolume:
        """Check everything first, then change the schedule: a refused update changes nothing."""
        volume = self.get_volume(volume_arn)
        if recurrence_in_hours not in RECURRENCE_HOURS:
            raise _invalid(
                "RecurrenceInHours", f"must be one of {', '.join(map(str, RECURRENCE_HOURS))}"
            )
        new_tags = None if tags is None else tag_map(tags)
        schedule = volume.schedule or SnapshotSchedule(start_at)
        schedule.start_at = start_at
        schedule.recurrence_in_hours = recurrence_in_hours
        if description is not None:
            schedule.description = description
        if new_tags is not None:
            schedule.tags = new_tags
        volume.schedule = schedule
        return volume

    def delete_snapshot_schedule(self, volume_arn: str) -> GatewayVolume:
        volume = self.get_volume(volume_arn)
        if volume.kind != "CACHED":
            raise NotSupported(
                f"{NOT_SUPPORTED}: DeleteSnapshotSchedule is for cached volumes; {volume_arn} "
                "is a stored volume",
                {"VolumeARN": volume_arn},
            )
        self._schedule_of(volume)
        volume.schedule = None
        return volume

    @staticmethod
    def _schedule_of(volume: GatewayVolume) -> SnapshotSchedule:
        if volume.schedule is None:
            raise SnapshotScheduleNotFound(
                f"The specified volume has no snapshot schedule: {volume.arn}",
                {"VolumeARN": volume.arn},
            )
        return volume.schedule

    def list_tags_for_resource(self, resource_arn: str) -> dict[str, str]:
        return self._resource_tags(resource_arn)

    def add_tags_to_resource(self, resource_arn: str, tags: list[dict[str, str]]) -> None:
        current = self._resource_tags(resource_arn)
        new = tag_map(tags)
        if len(current.keys() | new.keys()) > MAX_TAGS:
            raise _invalid("Tags", f"a resource may have at most {MAX_TAGS} tags")
        current.update(new)

    def remove_tags_from_resource(self, resource_arn: str, tag_keys: list[str]) -> None:
        current = self._resource_tags(resource_arn)
        for key in tag_keys:
            check_tag_key(key, "TagKeys")
        for key in tag_keys:
            current.pop(key, None)


class StorageGatewayModel:
    """Every backend, keyed by (account, region), and the settings they share."""

    def __init__(
        self,
        pending_seconds: float = 0.0,
        snapshot_created: Callable[[str], None] = lambda _snapshot_id: None,
    ) -> None:
        # reset() returns to the value the emulator was started with (CLI --pending-seconds).
        self.default_pending_seconds = pending_seconds
        self.pending_seconds = pending_seconds
        self._snapshot_created = snapshot_created
        self._backends: dict[tuple[str, str], StorageGatewayBackend] = {}

    def backend(self, account_id: str, region: str) -> StorageGatewayBackend:
        key = (account_id, region)
        if key not in self._backends:
            self._backends[key] = StorageGatewayBackend(
                account_id, region, lambda: self.pending_seconds, self._snapshot_created
            )
        return self._backends[key]

    def backend_for_arn(self, arn: object) -> StorageGatewayBackend | None:
        """The backend an ARN lives in (``arn:partition:service:REGION:ACCOUNT:…``), or
        ``None`` when ``arn`` is no ARN at all. For seeding only: requests are served by the
        backend they are signed for."""
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) < 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
            return None
        return self.backend(parts[4], parts[3])

    def set_pending_seconds(self, seconds: float) -> None:
        if seconds < 0:
            raise ControlError("pending seconds must not be negative")
        self.pending_seconds = seconds

    def reset(self) -> None:
        self._backends.clear()
        self.pending_seconds = self.default_pending_seconds
