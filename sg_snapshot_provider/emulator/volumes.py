"""The volumes pulumi-aws makes and deletes: CreateCachediSCSIVolume, CreateStorediSCSIVolume,
DeleteVolume, with their rules. Each function checks everything first, then changes the
backend: a refused request changes nothing.

Real behaviour reproduced, and from where: volumes are made and deleted as pulumi-aws's
(terraform-provider-aws's) ``storagegateway.CachesIscsiVolume`` and ``StoredIscsiVolume`` do it:
``CreateCachediSCSIVolume`` on cached gateways, ``CreateStorediSCSIVolume`` on stored ones
(``NotSupported`` elsewhere, as the API reference says "only supported in the cached/stored
volume gateway type"), ``DeleteVolume`` (the volume's snapshots stay in EC2). Their rules, from
the API reference:

* ``NetworkInterfaceId`` must be one of the gateway's network interfaces ("Use
  DescribeGatewayInformation to get a list of the network interfaces available on a gateway";
  an emulated gateway has one, ``gateways.GATEWAY_IPV4``).
* "The target name must be unique across all volumes on a gateway" (``TargetAlreadyExists``).
* A cached volume is 1 GiB to 32 TiB and at least the size of the snapshot or source volume it
  copies; ``KMSKey`` "can only be set when KMSEncrypted is true".
* A stored volume takes a local disk from ``ListLocalDisks`` that is not allocated
  (``DiskDoesNotExist``, ``DiskAlreadyAllocated``) and is as large as the disk ("The size of the
  volume to create is inferred from the disk size"), which must hold the snapshot
  (``DiskSizeLessThanVolumeSize``); preserving the disk's data and restoring a snapshot exclude
  each other.
* A ``SnapshotId`` must name an EBS snapshot of the gateway's account and region
  (``SnapshotNotFound``) that is completed (``SnapshotInProgress``, as EC2's own CreateVolume
  refuses a pending snapshot).
* A repeated ``ClientToken`` returns the volume it made ("If you retry a request, use the same
  ClientToken"); with other parameters it is ``InvalidParameters``.

Error codes are the model's ``ErrorCode`` values; which code AWS picks for each rule the
reference does not say.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .exceptions import (
    DiskAlreadyAllocated,
    DiskDoesNotExist,
    DiskSizeLessThanVolumeSize,
    NotSupported,
    SnapshotInProgress,
    SnapshotNotFound,
    TargetAlreadyExists,
)
from .gateways import GIB, Gateway, GatewayVolume, SnapshotSchedule, VolumeRequest
from .rules import NOT_SUPPORTED, invalid, tag_map
from .snapshots import ec2_snapshot

if TYPE_CHECKING:
    from .backend import StorageGatewayBackend

#: A cached volume: "1 GiB to 32 TiB" (Storage Gateway quotas).
CACHED_VOLUME_MAX_BYTES = 32 * 1024**4


def create_cached_iscsi_volume(
    backend: StorageGatewayBackend, request: VolumeRequest
) -> GatewayVolume:
    """Check everything, then make the volume: a refused request makes nothing."""
    tags = tag_map(request.tags)
    gateway = _volume_gateway_of(backend, request, "CACHED", "CreateCachediSCSIVolume")
    if request.client_token is not None:
        known = gateway.client_tokens.get(request.client_token)
        if known is not None and known in backend.volumes:
            return _same_request(backend.volumes[known], request)
    _check_target(backend, gateway, request)
    if request.snapshot_id is not None and request.source_volume_arn is not None:
        raise invalid("SnapshotId", "give SnapshotId or SourceVolumeARN, not both")
    size = request.size_bytes or 0
    if not GIB <= size <= CACHED_VOLUME_MAX_BYTES:
        raise invalid("VolumeSizeInBytes", f"a cached volume is 1 GiB to 32 TiB, got {size} bytes")
    if request.snapshot_id is not None:
        snapshot = _restorable_snapshot(backend, request.snapshot_id)
        if size < int(snapshot.volume.size) * GIB:
            raise invalid(
                "VolumeSizeInBytes",
                f"must be at least the {snapshot.volume.size} GiB of snapshot "
                f"{request.snapshot_id}",
            )
    if request.source_volume_arn is not None:
        source = backend.get_volume(request.source_volume_arn)
        if size < source.size_bytes:
            raise invalid(
                "VolumeSizeInBytes",
                f"must be at least the {source.size_bytes} bytes of {source.arn}",
            )
    volume = _new_volume(backend, gateway, "CACHED", size, request, tags)
    if request.client_token is not None:
        gateway.client_tokens[request.client_token] = volume.arn
    return volume


def create_stored_iscsi_volume(
    backend: StorageGatewayBackend, request: VolumeRequest
) -> GatewayVolume:
    """Check everything, then make the volume on the disk: a refused request makes
    nothing."""
    tags = tag_map(request.tags)
    gateway = _volume_gateway_of(backend, request, "STORED", "CreateStorediSCSIVolume")
    _check_target(backend, gateway, request)
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
        raise invalid(
            "PreserveExistingData",
            "a volume either preserves the disk's data or is restored from a snapshot",
        )
    if request.snapshot_id is not None:
        snapshot = _restorable_snapshot(backend, request.snapshot_id)
        if disk.size_bytes < int(snapshot.volume.size) * GIB:
            raise DiskSizeLessThanVolumeSize(
                f"The disk {disk.disk_id} ({disk.size_bytes} bytes) is smaller than "
                f"snapshot {request.snapshot_id} ({snapshot.volume.size} GiB)",
                {"DiskId": disk.disk_id},
            )
    volume = _new_volume(backend, gateway, "STORED", disk.size_bytes, request, tags)
    volume.disk_id = disk.disk_id
    volume.preserved_existing_data = bool(request.preserve_existing_data)
    disk.allocation, disk.volume_arn = "STORED_VOLUME", volume.arn
    return volume


def delete_volume(backend: StorageGatewayBackend, volume_arn: str) -> GatewayVolume:
    """The volume goes, with its schedule; its snapshots stay in EC2."""
    volume = backend.ready_volume(volume_arn, "volumes exist")
    for disk in volume.gateway.disks:
        if disk.volume_arn == volume.arn:
            disk.allocation, disk.volume_arn = "AVAILABLE", None
    tokens = volume.gateway.client_tokens
    for token in [t for t, arn in tokens.items() if arn == volume.arn]:
        del tokens[token]
    del backend.volumes[volume.arn]
    return volume


def _volume_gateway_of(
    backend: StorageGatewayBackend, request: VolumeRequest, kind: str, operation: str
) -> Gateway:
    """The connected gateway of ``kind`` a new volume goes on."""
    gateway = backend.get_gateway(request.gateway_arn)
    if gateway.gateway_type != kind:
        raise NotSupported(
            f"{NOT_SUPPORTED}: {operation} is for {kind.lower()} volume gateways; "
            f"{gateway.arn} is a {gateway.gateway_type} gateway",
            {"GatewayARN": gateway.arn},
        )
    return backend.connected_gateway(gateway)


def _check_target(backend: StorageGatewayBackend, gateway: Gateway, request: VolumeRequest) -> None:
    """The rules of the new volume's iSCSI target and encryption."""
    if request.kms_key is not None and request.kms_encrypted is not True:
        raise invalid("KMSKey", "KMSKey can only be set when KMSEncrypted is true")
    if request.network_interface not in gateway.network_interfaces:
        raise invalid(
            "NetworkInterfaceId",
            f"{request.network_interface!r} is not a network interface of {gateway.arn} "
            f"(DescribeGatewayInformation lists {', '.join(gateway.network_interfaces)})",
        )
    taken = {v.target_name for v in backend.volumes.values() if v.gateway is gateway}
    if request.target_name in taken:
        raise TargetAlreadyExists(
            f"The target name {request.target_name} is already in use on {gateway.arn}",
            {"TargetName": request.target_name},
        )


def _same_request(volume: GatewayVolume, request: VolumeRequest) -> GatewayVolume:
    """A retried CreateCachediSCSIVolume: the volume the token made, if asked for again."""
    same = (
        volume.target_name == request.target_name
        and volume.size_bytes == request.size_bytes
        and volume.source_snapshot_id == request.snapshot_id
        and volume.network_interface == request.network_interface
    )
    if not same:
        raise invalid(
            "ClientToken",
            f"{request.client_token!r} was used for {volume.arn} with other parameters",
        )
    return volume


def _restorable_snapshot(backend: StorageGatewayBackend, snapshot_id: str) -> Any:
    """The completed EBS snapshot ``snapshot_id`` of this account and region."""
    snapshot = ec2_snapshot(backend.account_id, backend.region, snapshot_id)
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
    backend: StorageGatewayBackend,
    gateway: Gateway,
    kind: str,
    size_bytes: int,
    request: VolumeRequest,
    tags: dict[str, str],
) -> GatewayVolume:
    volume_id = f"vol-{secrets.token_hex(4).upper()}"
    while f"{gateway.arn}/volume/{volume_id}" in backend.volumes:
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
    backend.volumes[volume.arn] = volume
    return volume
