"""What an emulated Storage Gateway is made of: gateways, their local disks, volumes and
snapshot schedules. Records only; the operations on them live in ``backend`` and ``volumes``.

Real behaviour reproduced, and from where (the Storage Gateway API reference unless said
otherwise):

* Gateway types are the model's ``GatewayType`` values; volume operations need ``CACHED`` or
  ``STORED``. A gateway's ``GatewayTimezone`` is ``GMT`` or ``GMT`` with an offset
  (``GMT-5:00``), as ``DescribeGatewayInformation`` answers it.
* An emulated gateway has one network interface, :data:`GATEWAY_IPV4`, on which its volumes'
  iSCSI targets are exposed (``{gateway ARN}/target/iqn.1997-05.com.amazon:{target name}``).
* Local disks (``ListLocalDisks``): a cached gateway has a cache disk and an upload buffer; a
  stored gateway has an upload buffer and :data:`FREE_STORED_DISKS` unallocated disks of
  :data:`STORED_DISK_GIB` GiB, plus one disk per seeded stored volume.
* Every byte of an emulated cached volume is uploaded as soon as it exists: its recovery point
  is its creation time (``VolumeRecoveryPointTime``, ISO 8601 with milliseconds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

VOLUME_GATEWAY_TYPES = ("CACHED", "STORED")
GATEWAY_TYPES = (*VOLUME_GATEWAY_TYPES, "VTL", "VTL_SNOW", "FILE_S3", "FILE_FSX_SMB")
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
#: Where a volume's iSCSI target lives: ``{gateway ARN}/target/{IQN prefix}{target name}``.
TARGET_IQN_PREFIX = "iqn.1997-05.com.amazon:"

GIB = 1024**3


def _iso_milliseconds(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


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
