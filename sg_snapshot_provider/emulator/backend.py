"""The state and rules of the emulated Storage Gateway: one backend per account and region.

Real behaviour reproduced, and from where (botocore's ``storagegateway`` model and the Storage
Gateway API reference, unless said otherwise):

* Storage Gateway is regional and per account: one ``StorageGatewayBackend`` per (account,
  region), like moto's backends, and a request is served by the backend of the account and
  region it is signed for. A resource ARN of another account or region names nothing there:
  ``VolumeNotFound``/``GatewayNotFound`` naming the ARN, never the other backend's resource.
* Snapshots are real EBS snapshots in moto's EC2 (``snapshots``), and may be hidden from EC2
  for a while after they are made (``visibility``, told through ``snapshot_created``).
* ``ListGateways`` and ``ListVolumes`` sort by ARN; ``ListVolumes``,
  ``ListVolumeRecoveryPoints``, the snapshot and schedule operations work on volume gateways
  only, answering ``NotSupported`` on tape and file gateways; recovery points and
  ``CreateSnapshotFromVolumeRecoveryPoint`` and ``DeleteSnapshotSchedule`` are for cached
  volumes only.
* Schedule operations, like snapshots, need a volume gateway (``NotSupported`` otherwise) that
  is connected (``GatewayNotConnected``, worded "The specified gateway is not connected" as
  terraform-provider-aws matches it). The schedule's ``Timezone`` is its gateway's
  (``DescribeGatewayInformation``'s ``GatewayTimezone``): "The hour of the day is in the time
  zone of the gateway". ``RecurrenceInHours`` is one of 1, 2, 4, 8, 12, 24 (the Storage Gateway
  API reference of API version 2012-06-30, ``UpdateSnapshotSchedule``: "Valid Values: One of the
  values 1 | 2 | 4 | 8 | 12 | 24"; the current reference only gives the model's range 1 to 24).
* A cached volume may have no recovery point yet (seeded with ``recovery_point=False``):
  ``ListVolumeRecoveryPoints`` leaves it out and ``CreateSnapshotFromVolumeRecoveryPoint``
  answers ``VolumeNotReady``. After ``DeleteSnapshotSchedule`` a volume has no schedule:
  ``DescribeSnapshotSchedule`` and a second delete answer ``SnapshotScheduleNotFound`` (the
  model's error code for it; the API reference does not say), ``UpdateSnapshotSchedule`` makes
  a new one.

Volumes are made and deleted by ``volumes``; seeding is the control API's (``control``). Rules
fail with the typed errors of ``exceptions``; the JSON protocol is ``responses``' business.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import volumes
from .arns import gateway_arn_of, is_gateway_arn
from .exceptions import (
    ControlError,
    GatewayNotConnected,
    GatewayNotFound,
    NotSupported,
    SnapshotScheduleNotFound,
    VolumeNotFound,
    VolumeNotReady,
)
from .gateways import Gateway, GatewayVolume, LocalDisk, SnapshotSchedule, VolumeRequest
from .rules import MAX_TAGS, NOT_SUPPORTED, check_tag_key, invalid, tag_map
from .snapshots import take_snapshot

RECURRENCE_HOURS = (1, 2, 4, 8, 12, 24)


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
    def connected_gateway(gateway: Gateway) -> Gateway:
        """``gateway``, if it is connected."""
        if not gateway.connected:
            raise GatewayNotConnected(
                f"The specified gateway is not connected: {gateway.arn}",
                {"GatewayARN": gateway.arn},
            )
        return gateway

    def ready_volume(self, arn: str, what: str = "snapshots are taken") -> GatewayVolume:
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
        self.connected_gateway(volume.gateway)
        return volume

    def _resource_tags(self, arn: str) -> dict[str, str]:
        if "/volume/" in arn:
            return self.get_volume(arn).tags
        if is_gateway_arn(arn) or arn in self.gateways:
            return self.get_gateway(arn).tags
        raise invalid("ResourceARN", f"{arn!r} is not a gateway or volume ARN")

    # operations

    def create_snapshot(
        self, volume_arn: str, description: str, tags: list[dict[str, str]] | None
    ) -> Any:
        tag_values = tag_map(tags)
        volume = self.ready_volume(volume_arn)
        return self._take_snapshot(volume, description, tag_values)

    def create_snapshot_from_volume_recovery_point(
        self, volume_arn: str, description: str, tags: list[dict[str, str]] | None
    ) -> tuple[Any, GatewayVolume]:
        tag_values = tag_map(tags)
        volume = self.ready_volume(volume_arn)
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

    def _take_snapshot(self, volume: GatewayVolume, description: str, tags: dict[str, str]) -> Any:
        snapshot = take_snapshot(
            self.account_id,
            self.region,
            volume.size_gib,
            description,
            tags,
            self._pending_seconds(),
        )
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
        volume = self.ready_volume(volume_arn, "snapshot schedules exist")
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
        volume = self.ready_volume(volume_arn, "snapshot schedules exist")
        if recurrence_in_hours not in RECURRENCE_HOURS:
            raise invalid(
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
        volume = self.ready_volume(volume_arn, "snapshot schedules exist")
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
        return self.connected_gateway(self.get_gateway(gateway_arn))

    def list_local_disks(self, gateway_arn: str) -> list[LocalDisk]:
        return list(self.connected_gateway(self.get_gateway(gateway_arn)).disks)

    def create_cached_iscsi_volume(self, request: VolumeRequest) -> GatewayVolume:
        return volumes.create_cached_iscsi_volume(self, request)

    def create_stored_iscsi_volume(self, request: VolumeRequest) -> GatewayVolume:
        return volumes.create_stored_iscsi_volume(self, request)

    def delete_volume(self, volume_arn: str) -> GatewayVolume:
        return volumes.delete_volume(self, volume_arn)

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
            raise invalid("Tags", f"a resource may have at most {MAX_TAGS} tags")
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

    def set_pending_seconds(self, seconds: float) -> None:
        if seconds < 0:
            raise ControlError("pending seconds must not be negative")
        self.pending_seconds = seconds

    def reset(self) -> None:
        self._backends.clear()
        self.pending_seconds = self.default_pending_seconds
