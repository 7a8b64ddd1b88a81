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
* Schedule operations, like snapshots, need a volume gateway (``NotSupported`` otherwise) that
  is connected (``GatewayNotConnected``, worded "The specified gateway is not connected" as
  terraform-provider-aws matches it). The schedule's ``Timezone`` is its gateway's
  (``DescribeGatewayInformation``'s ``GatewayTimezone``): "The hour of the day is in the time
  zone of the gateway".
* Volumes are made and deleted as pulumi-aws's (terraform-provider-aws's)
  ``storagegateway.CachesIscsiVolume`` and ``StoredIscsiVolume`` do it:
  ``CreateCachediSCSIVolume`` on cached gateways, ``CreateStorediSCSIVolume`` on stored ones
  (``NotSupported`` elsewhere, as the API reference says "only supported in the cached/stored
  volume gateway type"), ``DeleteVolume`` (the volume's snapshots stay in EC2). Their rules,
  from the API reference: ``NetworkInterfaceId`` must be one of the gateway's network
  interfaces ("Use DescribeGatewayInformation to get a list of the network interfaces available
  on a gateway"; an emulated gateway has one, :data:`GATEWAY_IPV4`); "The target name must be
  unique across all volumes on a gateway" (``TargetAlreadyExists``); a cached volume is 1 GiB to
  32 TiB and at least the size of the snapshot or source volume it copies; ``KMSKey`` "can only
  be set when KMSEncrypted is true"; a stored volume takes a local disk from
  ``ListLocalDisks`` that is not allocated (``DiskDoesNotExist``, ``DiskAlreadyAllocated``) and
  is as large as the disk ("The size of the volume to create is inferred from the disk size"),
  which must hold the snapshot (``DiskSizeLessThanVolumeSize``); preserving the disk's data
  and restoring a snapshot exclude each other. A ``SnapshotId`` must name an EBS snapshot of the
  gateway's account and region (``SnapshotNotFound``) that is completed
  (``SnapshotInProgress``, as EC2's own CreateVolume refuses a pending snapshot). A repeated
  ``ClientToken`` returns the volume it made ("If you retry a request, use the same
  ClientToken"); with other parameters it is ``InvalidParameters``. Error codes are the
  model's ``ErrorCode`` values; which code AWS picks for each rule the reference does not say.
* Local disks (``ListLocalDisks``): a cached gateway has a cache disk and an upload buffer; a
  stored gateway has an upload buffer and :data:`FREE_STORED_DISKS` unallocated disks of
  :data:`STORED_DISK_GIB` GiB, plus one disk per seeded stored volume.
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
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_block_store import Snapshot
from moto.ec2.utils import random_snapshot_id

from .exceptions import (
    ControlError,
    DiskAlreadyAllocated,
    DiskDoesNotExist,
    DiskSizeLessThanVolumeSize,
    GatewayNotConnected,
    GatewayNotFound,
    InvalidParameters,
    NotSupported,
    SnapshotInProgress,
    SnapshotNotFound,
    SnapshotScheduleNotFound,
    TargetAlreadyExists,
    VolumeNotFound,
    VolumeNotReady,
)
from .validation import java_pattern, service_model

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
#: The one network interface (IPv4) of every emulated gateway: the NetworkInterfaceId its
#: volumes are exposed on.
GATEWAY_IPV4 = "10.0.0.1"
DEFAULT_TIMEZONE = "GMT"
#: DescribeGatewayInformation's GatewayTimezone: GMT, or GMT with an offset such as GMT-5:00.
TIMEZONE_RE = re.compile(r"GMT([+-](1[0-4]|[0-9]):(00|30|45))?")
#: Unallocated local disks of a stored gateway, and their size.
FREE_STORED_DISKS = 3
STORED_DISK_GIB = 10
#: The local disks a gateway's cache and upload buffer use.
SYSTEM_DISK_GIB = 150
#: A cached volume: "1 GiB to 32 TiB" (Storage Gateway quotas).
CACHED_VOLUME_MAX_BYTES = 32 * 1024**4
#: Where a volume's iSCSI target lives: ``{gateway ARN}/target/{IQN prefix}{target name}``.
TARGET_IQN_PREFIX = "iqn.1997-05.com.amazon:"
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


#: Storage Gateway's VolumeARN pattern, from botocore's model: a substitute never borrows the
#: rules of the code under test.
_VOLUME_ARN_RE = java_pattern(
    service_model("storagegateway").shape_for("VolumeARN").metadata["pattern"]
)


def parse_volume_arn(arn: str) -> re.Match[str]:
    match = _VOLUME_ARN_PARTS.fullmatch(arn)
    if (
        match is None
        or not _VOLUME_ARN_RE.fullmatch(arn)
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


@dataclass
class LocalDisk:
    """A disk of the gateway's VM. ``allocation`` is ``AVAILABLE``, ``CACHE_STORAGE``,
    ``UPLOAD_BUFFER`` or ``STORED_VOLUME`` (then ``volume_arn`` says which)."""

    disk_id: str
    path: str
    node: str
    size_bytes: int
    allocation: str
    volume_arn: str | None = None


def _local_disk(number: int, size_gib: int, allocation: str) -> LocalDisk:
    return LocalDisk(
        disk_id=f"pci-0000:03:00.0-scsi-0:0:{number}:0",
        path=f"/dev/sd{chr(ord('a') + number % 26)}",
        node=f"SCSI(0:{number})",
        size_bytes=size_gib * GIB,
        allocation=allocation,
    )


def initial_disks(gateway_type: str) -> list[LocalDisk]:
    if gateway_type == "CACHED":
        return [
            _local_disk(0, SYSTEM_DISK_GIB, "CACHE_STORAGE"),
            _local_disk(1, SYSTEM_DISK_GIB, "UPLOAD_BUFFER"),
        ]
    if gateway_type == "STORED":
        free = [
            _local_disk(n, STORED_DISK_GIB, "AVAILABLE") for n in range(1, 1 + FREE_STORED_DISKS)
        ]
        return [_local_disk(0, SYSTEM_DISK_GIB, "UPLOAD_BUFFER"), *free]
    return []


@dataclass
class Gateway:
    arn: str
    gateway_id: str
    gateway_type: str
    connected: bool
    tags: dict[str, str] = field(default_factory=dict)
    timezone: str = DEFAULT_TIMEZONE
    network_interfaces: tuple[str, ...] = (GATEWAY_IPV4,)
    disks: list[LocalDisk] = field(default_factory=list)
    #: ClientToken → the ARN of the volume CreateCachediSCSIVolume made with it.
    client_tokens: dict[str, str] = field(default_factory=dict)

    def new_disk(self, size_bytes: int, allocation: str) -> LocalDisk:
        disk = _local_disk(len(self.disks), 1, allocation)
        disk.size_bytes = size_bytes
        self.disks.append(disk)
        return disk

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
    size_bytes: int
    created: datetime
    schedule: SnapshotSchedule | None
    recovery_point: bool = True
    tags: dict[str, str] = field(default_factory=dict)
    #: The iSCSI target's name; seeded volumes use their ID in lower case.
    target_name: str = ""
    network_interface: str = GATEWAY_IPV4
    source_snapshot_id: str | None = None
    kms_key: str | None = None
    #: Stored volumes: the local disk that holds the volume.
    disk_id: str | None = None
    preserved_existing_data: bool = False

    def __post_init__(self) -> None:
        self.target_name = self.target_name or self.volume_id.lower()

    @property
    def volume_type(self) -> str:
        return f"{self.kind} iSCSI"

    @property
    def size_gib(self) -> int:
        """The size in whole GiB, rounded up (what an EBS snapshot of it reports)."""
        return -(-self.size_bytes // GIB)

    @property
    def target_arn(self) -> str:
        return f"{self.gateway.arn}/target/{TARGET_IQN_PREFIX}{self.target_name}"

    @property
    def recovery_point_time(self) -> str:
        # Every byte of an emulated cached volume is uploaded as soon as it exists.
        return _iso_milliseconds(self.created)


@dataclass(frozen=True)
class VolumeRequest:
    """The parameters of CreateCachediSCSIVolume or CreateStorediSCSIVolume (valid for the
    model by now)."""

    gateway_arn: str
    target_name: str
    network_interface: str
    size_bytes: int | None = None
    snapshot_id: str | None = None
    source_volume_arn: str | None = None
    client_token: str | None = None
    disk_id: str | None = None
    preserve_existing_data: bool | None = None
    kms_encrypted: bool | None = None
    kms_key: str | None = None
    tags: list[dict[str, str]] | None = None


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

    def add_gateway(
        self,
        arn: str,
        gateway_type: str,
        connected: bool,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> Gateway:
        match = parse_gateway_arn(arn)
        if gateway_type not in GATEWAY_TYPES:
            raise ControlError(f"gateway_type must be one of {', '.join(GATEWAY_TYPES)}")
        if not TIMEZONE_RE.fullmatch(timezone):
            raise ControlError(f"timezone must look like GMT or GMT-5:00, got {timezone!r}")
        gateway = self.gateways.get(arn)
        if gateway is None:
            gateway = Gateway(arn, match["gateway_id"], gateway_type, connected)
            self.gateways[arn] = gateway
        if gateway.gateway_type != gateway_type or not gateway.disks:
            gateway.disks = initial_disks(gateway_type)
        gateway.gateway_type, gateway.connected = gateway_type, connected
        gateway.timezone = timezone
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
            size_gib * GIB,
            created,
            SnapshotSchedule(created.hour),
            recovery_point,
        )
        if kind == "STORED":
            disk = gateway.new_disk(volume.size_bytes, "STORED_VOLUME")
            disk.volume_arn, volume.disk_id = arn, disk.disk_id
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

    @staticmethod
    def _connected(gateway: Gateway) -> Gateway:
        if not gateway.connected:
            raise GatewayNotConnected(
                f"The specified gateway is not connected: {gateway.arn}",
                {"GatewayARN": gateway.arn},
            )
        return gateway

    def _ready_volume(self, arn: str, what: str = "snapshots are taken") -> GatewayVolume:
        """The volume behind ``arn`` if its gateway is a volume gateway and connected."""
        gateway = self.gateways.get(gateway_arn_of(arn))
        if gateway is not None and not gateway.is_volume_gateway:
            raise NotSupported(
                f"{NOT_SUPPORTED}: {what} on volume gateways only; {gateway.arn} "
                f"is a {gateway.gateway_type} gateway",
                {"GatewayARN": gateway.arn},
            )
        # An unknown gateway means an unknown volume: AWS answers VolumeNotFound for both.
        volume = self.get_volume(arn)
        self._connected(volume.gateway)
        return volume

    def _snapshot_ready_volume(self, arn: str) -> GatewayVolume:
        """The volume behind ``arn`` if its gateway can take a snapshot of it now."""
        return self._ready_volume(arn)

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

    def take_scheduled_snapshot(self, volume_arn: str, start_time: datetime | None) -> Any:
        """What the volume's snapshot schedule does when its hour comes (a control, since the
        emulator keeps no clock of its own): a snapshot described as the schedule is, with the
        schedule's tags (UpdateSnapshotSchedule: "Optional description of the snapshot";
        "A list of up to 50 tags that can be assigned to a snapshot"). ``start_time`` dates it
        in the past, as if the schedule had run then."""
        volume = self.get_volume(volume_arn)
        schedule = self._schedule_of(volume)
        snapshot = self._take_snapshot(volume, schedule.description, dict(schedule.tags))
        if start_time is not None:
            snapshot.start_time = start_time
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
        volume = self._ready_volume(volume_arn, "snapshot schedules exist")
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
        volume = self._ready_volume(volume_arn, "snapshot schedules exist")
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
        volume = self._ready_volume(volume_arn, "snapshot schedules exist")
        if volume.kind != "CACHED":
            raise NotSupported(
                f"{NOT_SUPPORTED}: DeleteSnapshotSchedule is for cached volumes; {volume_arn} "
                "is a stored volume",
                {"VolumeARN": volume_arn},
            )
        self._schedule_of(volume)
        volume.schedule = None
        return volume

    # gateways, disks and volumes (what pulumi-aws's volume resources call)

    def describe_gateway_information(self, gateway_arn: str) -> Gateway:
        return self._connected(self.get_gateway(gateway_arn))

    def list_local_disks(self, gateway_arn: str) -> list[LocalDisk]:
        return list(self._connected(self.get_gateway(gateway_arn)).disks)

    def create_cached_iscsi_volume(self, request: VolumeRequest) -> GatewayVolume:
        """Check everything, then make the volume: a refused request makes nothing."""
        tags = tag_map(request.tags)
        gateway = self._volume_gateway_of(request, "CACHED", "CreateCachediSCSIVolume")
        if request.client_token is not None:
            known = gateway.client_tokens.get(request.client_token)
            if known is not None and known in self.volumes:
                return self._same_request(self.volumes[known], request)
        self._check_target(gateway, request)
        if request.snapshot_id is not None and request.source_volume_arn is not None:
            raise _invalid("SnapshotId", "give SnapshotId or SourceVolumeARN, not both")
        size = request.size_bytes or 0
        if not GIB <= size <= CACHED_VOLUME_MAX_BYTES:
            raise _invalid(
                "VolumeSizeInBytes", f"a cached volume is 1 GiB to 32 TiB, got {size} bytes"
            )
        if request.snapshot_id is not None:
            snapshot = self._restorable_snapshot(request.snapshot_id)
            if size < int(snapshot.volume.size) * GIB:
                raise _invalid(
                    "VolumeSizeInBytes",
                    f"must be at least the {snapshot.volume.size} GiB of snapshot "
                    f"{request.snapshot_id}",
                )
        if request.source_volume_arn is not None:
            source = self.get_volume(request.source_volume_arn)
            if size < source.size_bytes:
                raise _invalid(
                    "VolumeSizeInBytes",
                    f"must be at least the {source.size_bytes} bytes of {source.arn}",
                )
        volume = self._new_volume(gateway, "CACHED", size, request, tags)
        if request.client_token is not None:
            gateway.client_tokens[request.client_token] = volume.arn
        return volume

    def create_stored_iscsi_volume(self, request: VolumeRequest) -> GatewayVolume:
        """Check everything, then make the volume on the disk: a refused request makes
        nothing."""
        tags = tag_map(request.tags)
        gateway = self._volume_gateway_of(request, "STORED", "CreateStorediSCSIVolume")
        self._check_target(gateway, request)
        disk = next((d for d in gateway.disks if d.disk_id == request.disk_id), None)
        if disk is None:
            raise DiskDoesNotExist(
                f"The specified disk does not exist: {request.disk_id}",
                {"DiskId": str(request.disk_id)},
            )
        if disk.allocation != "AVAILABLE":
            raise DiskAlreadyAllocated(
                f"The specified disk is already allocated ({disk.allocation}): {disk.disk_id}",
                {"DiskId": disk.disk_id},
            )
        if request.preserve_existing_data and request.snapshot_id is not None:
            raise _invalid(
                "PreserveExistingData",
                "a volume either preserves the disk's data or is restored from a snapshot",
            )
        if request.snapshot_id is not None:
            snapshot = self._restorable_snapshot(request.snapshot_id)
            if disk.size_bytes < int(snapshot.volume.size) * GIB:
                raise DiskSizeLessThanVolumeSize(
                    f"The disk {disk.disk_id} ({disk.size_bytes} bytes) is smaller than "
                    f"snapshot {request.snapshot_id} ({snapshot.volume.size} GiB)",
                    {"DiskId": disk.disk_id},
                )
        volume = self._new_volume(gateway, "STORED", disk.size_bytes, request, tags)
        volume.disk_id = disk.disk_id
        volume.preserved_existing_data = bool(request.preserve_existing_data)
        disk.allocation, disk.volume_arn = "STORED_VOLUME", volume.arn
        return volume

    def delete_volume(self, volume_arn: str) -> GatewayVolume:
        """The volume goes, with its schedule; its snapshots stay in EC2."""
        volume = self._ready_volume(volume_arn, "volumes exist")
        for disk in volume.gateway.disks:
            if disk.volume_arn == volume.arn:
                disk.allocation, disk.volume_arn = "AVAILABLE", None
        tokens = volume.gateway.client_tokens
        for token in [t for t, arn in tokens.items() if arn == volume.arn]:
            del tokens[token]
        del self.volumes[volume.arn]
        return volume

    def _volume_gateway_of(self, request: VolumeRequest, kind: str, operation: str) -> Gateway:
        """The connected gateway of ``kind`` a new volume goes on."""
        gateway = self.get_gateway(request.gateway_arn)
        if gateway.gateway_type != kind:
            raise NotSupported(
                f"{NOT_SUPPORTED}: {operation} is for {kind.lower()} volume gateways; "
                f"{gateway.arn} is a {gateway.gateway_type} gateway",
                {"GatewayARN": gateway.arn},
            )
        return self._connected(gateway)

    def _check_target(self, gateway: Gateway, request: VolumeRequest) -> None:
        """The rules of the new volume's iSCSI target and encryption."""
        if request.kms_key is not None and request.kms_encrypted is not True:
            raise _invalid("KMSKey", "KMSKey can only be set when KMSEncrypted is true")
        if request.network_interface not in gateway.network_interfaces:
            raise _invalid(
                "NetworkInterfaceId",
                f"{request.network_interface!r} is not a network interface of {gateway.arn} "
                f"(DescribeGatewayInformation lists {', '.join(gateway.network_interfaces)})",
            )
        taken = {v.target_name for v in self.volumes.values() if v.gateway is gateway}
        if request.target_name in taken:
            raise TargetAlreadyExists(
                f"The target name {request.target_name} is already in use on {gateway.arn}",
                {"TargetName": request.target_name},
            )

    def _same_request(self, volume: GatewayVolume, request: VolumeRequest) -> GatewayVolume:
        """A retried CreateCachediSCSIVolume: the volume the token made, if asked for again."""
        same = (
            volume.target_name == request.target_name
            and volume.size_bytes == request.size_bytes
            and volume.source_snapshot_id == request.snapshot_id
            and volume.network_interface == request.network_interface
        )
        if not same:
            raise _invalid(
                "ClientToken",
                f"{request.client_token!r} was used for {volume.arn} with other parameters",
            )
        return volume

    def _restorable_snapshot(self, snapshot_id: str) -> Any:
        """The completed EBS snapshot ``snapshot_id`` of this account and region."""
        snapshot = ec2_backends[self.account_id][self.region].snapshots.get(snapshot_id.lower())
        if snapshot is None:
            raise SnapshotNotFound(
                f"The specified snapshot was not found: {snapshot_id}",
                {"SnapshotId": snapshot_id},
            )
        if snapshot.status != "completed":
            raise SnapshotInProgress(
                f"The snapshot {snapshot_id} is {snapshot.status}, not completed",
                {"SnapshotId": snapshot_id},
            )
        return snapshot

    def _new_volume(
        self,
        gateway: Gateway,
        kind: str,
        size_bytes: int,
        request: VolumeRequest,
        tags: dict[str, str],
    ) -> GatewayVolume:
        volume_id = f"vol-{secrets.token_hex(4).upper()}"
        while f"{gateway.arn}/volume/{volume_id}" in self.volumes:
            volume_id = f"vol-{secrets.token_hex(4).upper()}"
        created = datetime.now(UTC)
        volume = GatewayVolume(
            f"{gateway.arn}/volume/{volume_id}",
            volume_id,
            gateway,
            kind,
            size_bytes,
            created,
            SnapshotSchedule(created.hour),
            tags=tags,
            target_name=request.target_name,
            network_interface=request.network_interface,
            source_snapshot_id=request.snapshot_id,
            kms_key=request.kms_key,
        )
        self.volumes[volume.arn] = volume
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
