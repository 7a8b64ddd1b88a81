"""State and rules of the emulated Storage Gateway: gateways, volumes and their snapshots.

One ``StorageGatewayBackend`` per account and region, like moto. Snapshots are real EBS snapshots
in moto's EC2 backend of the volume ARN's account and region, so every EC2 call served by moto
(DescribeSnapshots, CreateTags, DeleteTags, DeleteSnapshot…) sees them. Rules live here and fail
with the typed errors of ``exceptions``; the JSON protocol is ``responses``' business.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_block_store import Snapshot
from moto.ec2.utils import random_snapshot_id

from .exceptions import (
    ControlError,
    GatewayNotConnected,
    GatewayNotFound,
    InvalidParameters,
    NotSupported,
    VolumeNotFound,
)

# Storage Gateway takes snapshots of its own volumes, which EC2 does not know; AWS reports these
# snapshots with this placeholder volume ID, and so do we (filter on it with "volume-id").
SNAPSHOT_VOLUME_ID = "vol-ffffffff"

VOLUME_ARN_PATTERN = re.compile(
    r"arn:(aws|aws-cn|aws-us-gov|aws-iso[A-Za-z0-9_-]*|aws-eusc):storagegateway:"
    r"[a-z0-9-]+:[0-9]+:gateway/(.+)/volume/vol-(\S+)"
)
_GATEWAY_ARN_PARTS = re.compile(
    r"^arn:(?P<partition>[a-z-]+):storagegateway:(?P<region>[a-z0-9-]+):(?P<account>[0-9]+):"
    r"gateway/(?P<gateway_id>sgw-[0-9A-Za-z]+)$"
)
_VOLUME_ARN_PARTS = re.compile(
    r"^(?P<gateway_arn>arn:[a-z-]+:storagegateway:[a-z0-9-]+:[0-9]+:gateway/sgw-[0-9A-Za-z]+)"
    r"/volume/(?P<volume_id>vol-[0-9A-Za-z]+)$"
)

VOLUME_GATEWAY_TYPES = ("CACHED", "STORED")
GATEWAY_TYPES = (*VOLUME_GATEWAY_TYPES, "VTL", "VTL_SNOW", "FILE_S3", "FILE_FSX_SMB")
SNAPSHOT_STATES = ("pending", "completed", "error", "recoverable", "recovering")
RECURRENCE_HOURS = (1, 2, 4, 8, 12, 24)

MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
MAX_DESCRIPTION_LENGTH = 255
_TAG_PUNCTUATION = frozenset("_.:/=+-@")

GIB = 1024**3

T = TypeVar("T")


# --- validation -----------------------------------------------------------------------------


def _invalid(parameter: str, problem: str) -> InvalidParameters:
    return InvalidParameters(f"Invalid {parameter}: {problem}", {"parameter": parameter})


def validate_volume_arn(value: object, parameter: str = "VolumeARN") -> str:
    if not isinstance(value, str):
        raise _invalid(parameter, "a volume ARN string is required")
    if not 50 <= len(value) <= 500:
        raise _invalid(parameter, f"must be 50 to 500 characters long, got {len(value)}")
    if not VOLUME_ARN_PATTERN.fullmatch(value):
        raise _invalid(parameter, f"{value!r} is not a Storage Gateway volume ARN")
    return value


def validate_description(value: object, parameter: str = "SnapshotDescription") -> str:
    if not isinstance(value, str):
        raise _invalid(parameter, "a string is required")
    if not 1 <= len(value) <= MAX_DESCRIPTION_LENGTH:
        raise _invalid(
            parameter, f"must be 1 to {MAX_DESCRIPTION_LENGTH} characters long, got {len(value)}"
        )
    return value


def _has_only_tag_characters(text: str) -> bool:
    # AWS allows Unicode letters, digits and separators (\p{L}\p{N}\p{Z}) plus a few marks.
    return all(
        char.isalpha() or char.isnumeric() or char.isspace() or char in _TAG_PUNCTUATION
        for char in text
    )


def validate_tag_key(key: object, parameter: str = "Tags") -> str:
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
        raise _invalid(parameter, f"tag key must be 1 to {MAX_TAG_KEY_LENGTH} characters long")
    if not _has_only_tag_characters(key):
        raise _invalid(
            parameter, f"tag key {key!r} may hold only letters, digits, spaces and _.:/=+-@"
        )
    if key.lower().startswith("aws:"):
        raise _invalid(parameter, f"tag key {key!r} uses the reserved prefix 'aws:'")
    return key


def validate_tags(value: object, parameter: str = "Tags") -> dict[str, str]:
    """``[{"Key": k, "Value": v}, …]`` → ``{k: v}``, checked like AWS checks it."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise _invalid(parameter, "a list of {Key, Value} objects is required")
    if len(value) > MAX_TAGS:
        raise _invalid(parameter, f"at most {MAX_TAGS} tags are allowed, got {len(value)}")
    tags: dict[str, str] = {}
    for tag in value:
        if not isinstance(tag, dict):
            raise _invalid(parameter, "each tag must be a {Key, Value} object")
        key = validate_tag_key(tag.get("Key"), parameter)
        tag_value = tag.get("Value", "")
        if not isinstance(tag_value, str) or len(tag_value) > MAX_TAG_VALUE_LENGTH:
            raise _invalid(
                parameter, f"tag {key!r}: value must be at most {MAX_TAG_VALUE_LENGTH} characters"
            )
        if not _has_only_tag_characters(tag_value):
            raise _invalid(
                parameter, f"tag {key!r}: value may hold only letters, digits, spaces and _.:/=+-@"
            )
        tags[key] = tag_value
    return tags


def validate_limit(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _invalid("Limit", "must be a positive integer")
    return value


def paginate(items: Sequence[T], marker: object, limit: int | None) -> tuple[list[T], str | None]:
    """One page of ``items`` and the marker of the next one (``None`` on the last page).

    Markers are opaque to clients; ours is the index of the next item as text.
    """
    start = 0
    if marker is not None:
        if not isinstance(marker, str) or not marker.isdigit() or int(marker) > len(items):
            raise _invalid("Marker", f"{marker!r} is not a marker this service returned")
        start = int(marker)
    end = len(items) if limit is None else min(len(items), start + limit)
    return list(items[start:end]), (str(end) if end < len(items) else None)


def parse_gateway_arn(arn: str) -> re.Match[str]:
    match = _GATEWAY_ARN_PARTS.fullmatch(arn)
    if match is None:
        raise ControlError(f"{arn!r} is not a gateway ARN (arn:aws:storagegateway:…:gateway/sgw-…)")
    return match


def parse_volume_arn(arn: str) -> re.Match[str]:
    match = _VOLUME_ARN_PARTS.fullmatch(arn)
    if match is None:
        raise ControlError(f"{arn!r} is not a volume ARN (…:gateway/sgw-…/volume/vol-…)")
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
    schedule: SnapshotSchedule
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

    def __init__(self, account_id: str, region: str, pending_seconds: Callable[[], float]) -> None:
        self.account_id = account_id
        self.region = region
        self._pending_seconds = pending_seconds
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

    def add_volume(self, arn: str, kind: str | None, size_gib: int) -> GatewayVolume:
        match = parse_volume_arn(arn)
        gateway = self.gateways.get(match["gateway_arn"]) or self.add_gateway(
            match["gateway_arn"], "CACHED", connected=True
        )
        kind = kind or (gateway.gateway_type if gateway.is_volume_gateway else "CACHED")
        if kind not in VOLUME_GATEWAY_TYPES:
            raise ControlError(f"volume_type must be CACHED or STORED, got {kind!r}")
        if size_gib < 1:
            raise ControlError("size_gib must be at least 1")
        created = datetime.now(UTC)
        volume = GatewayVolume(
            arn,
            match["volume_id"],
            gateway,
            kind,
            size_gib,
            created,
            SnapshotSchedule(created.hour),
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

    def _snapshot_ready_volume(self, arn: str) -> GatewayVolume:
        """The volume behind ``arn`` if its gateway can take a snapshot of it now."""
        gateway = self.gateways.get(gateway_arn_of(arn))
        if gateway is not None and not gateway.is_volume_gateway:
            raise NotSupported(
                f"Snapshots are supported only on volume gateways; {gateway.arn} is a "
                f"{gateway.gateway_type} gateway"
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
        if arn in self.gateways:
            return self.gateways[arn].tags
        if _GATEWAY_ARN_PARTS.fullmatch(arn):
            return self.get_gateway(arn).tags
        raise _invalid("ResourceARN", f"{arn!r} is not a gateway or volume ARN")

    # operations

    def create_snapshot(self, volume_arn: object, description: object, tags: object) -> Any:
        arn = validate_volume_arn(volume_arn)
        text = validate_description(description)
        tag_map = validate_tags(tags)
        volume = self._snapshot_ready_volume(arn)
        return self._take_snapshot(volume, text, tag_map)

    def create_snapshot_from_volume_recovery_point(
        self, volume_arn: object, description: object, tags: object
    ) -> tuple[Any, GatewayVolume]:
        arn = validate_volume_arn(volume_arn)
        text = validate_description(description)
        tag_map = validate_tags(tags)
        volume = self._snapshot_ready_volume(arn)
        if volume.kind != "CACHED":
            raise NotSupported(
                f"Volume recovery points exist only for cached volumes; {arn} is a stored volume"
            )
        return self._take_snapshot(volume, text, tag_map), volume

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
        return snapshot

    def list_gateways(self) -> list[Gateway]:
        return list(self.gateways.values())

    def list_volumes(self, gateway_arn: object) -> list[GatewayVolume]:
        if gateway_arn is None:
            return list(self.volumes.values())
        gateway = self.get_gateway(str(gateway_arn))
        return [volume for volume in self.volumes.values() if volume.gateway is gateway]

    def describe_volumes(self, volume_arns: object, kind: str) -> list[GatewayVolume]:
        """The volumes of ``kind`` among ``volume_arns``; volumes of the other kind are left
        out of the answer, unknown ones are an error."""
        if not isinstance(volume_arns, list):
            raise _invalid("VolumeARNs", "a list of volume ARNs is required")
        volumes = [self.get_volume(validate_volume_arn(arn, "VolumeARNs")) for arn in volume_arns]
        return [volume for volume in volumes if volume.kind == kind]

    def list_volume_recovery_points(self, gateway_arn: object) -> list[GatewayVolume]:
        gateway = self.get_gateway(str(gateway_arn))
        if gateway.gateway_type != "CACHED":
            raise NotSupported(
                f"Volume recovery points exist only on cached gateways: {gateway.arn}"
            )
        return [v for v in self.list_volumes(gateway.arn) if v.kind == "CACHED"]

    def describe_snapshot_schedule(self, volume_arn: object) -> GatewayVolume:
        return self.get_volume(validate_volume_arn(volume_arn))

    def update_snapshot_schedule(
        self,
        volume_arn: object,
        start_at: object,
        recurrence_in_hours: object,
        description: object,
        tags: object,
    ) -> GatewayVolume:
        volume = self.get_volume(validate_volume_arn(volume_arn))
        if not isinstance(start_at, int) or not 0 <= start_at <= 23:
            raise _invalid("StartAt", "must be an hour of the day, 0 to 23")
        if recurrence_in_hours not in RECURRENCE_HOURS:
            raise _invalid(
                "RecurrenceInHours", f"must be one of {', '.join(map(str, RECURRENCE_HOURS))}"
            )
        schedule = volume.schedule
        schedule.start_at = start_at
        schedule.recurrence_in_hours = int(str(recurrence_in_hours))
        if description is not None:
            schedule.description = validate_description(description, "Description")
        if tags is not None:
            schedule.tags = validate_tags(tags)
        return volume

    def list_tags_for_resource(self, resource_arn: object) -> dict[str, str]:
        return self._resource_tags(str(resource_arn))

    def add_tags_to_resource(self, resource_arn: object, tags: object) -> None:
        current = self._resource_tags(str(resource_arn))
        new = validate_tags(tags)
        if len(current.keys() | new.keys()) > MAX_TAGS:
            raise _invalid("Tags", f"a resource may have at most {MAX_TAGS} tags")
        current.update(new)

    def remove_tags_from_resource(self, resource_arn: object, tag_keys: object) -> None:
        current = self._resource_tags(str(resource_arn))
        if not isinstance(tag_keys, list):
            raise _invalid("TagKeys", "a list of tag keys is required")
        for key in tag_keys:
            current.pop(validate_tag_key(key, "TagKeys"), None)


class StorageGatewayModel:
    """Every backend, keyed by (account, region), and the settings they share."""

    def __init__(self, pending_seconds: float = 0.0) -> None:
        # reset() returns to the value the emulator was started with (CLI --pending-seconds).
        self.default_pending_seconds = pending_seconds
        self.pending_seconds = pending_seconds
        self._backends: dict[tuple[str, str], StorageGatewayBackend] = {}

    def backend(self, account_id: str, region: str) -> StorageGatewayBackend:
        key = (account_id, region)
        if key not in self._backends:
            self._backends[key] = StorageGatewayBackend(
                account_id, region, lambda: self.pending_seconds
            )
        return self._backends[key]

    def backend_for_arn(self, arn: object) -> StorageGatewayBackend | None:
        """The backend an ARN lives in (``arn:partition:service:REGION:ACCOUNT:…``), or
        ``None`` when ``arn`` is no ARN at all."""
        parts = arn.split(":") if isinstance(arn, str) else []
        if len(parts) < 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
            return None
        return self.backend(parts[4], parts[3])

    def backends(self) -> Iterable[StorageGatewayBackend]:
        return self._backends.values()

    def set_pending_seconds(self, seconds: float) -> None:
        if seconds < 0:
            raise ControlError("pending seconds must not be negative")
        self.pending_seconds = seconds

    def reset(self) -> None:
        self._backends.clear()
        self.pending_seconds = self.default_pending_seconds
