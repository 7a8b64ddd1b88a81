"""The Storage Gateway JSON 1.1 protocol: parse a request, validate it, call the backend, and
answer through the model's shapes.

Real behaviour reproduced, and from where: the target ``StorageGateway_20130630.<Operation>``
and the error shapes of botocore's ``storagegateway`` model; an operation the model does not
define is ``UnknownOperationException`` (the user guide's exception table); a body that is not a
JSON object is ``SerializationException``; every request is checked against its input shape by
``validation`` before its handler runs, as AWS's front end does. A request is served by the
backend of the account and region it is signed for (SigV4 credential scope; the account by
moto's rule), never by the backend an ARN in it names: Storage Gateway is regional and per
account.

No service rule is decided here: every check lives in ``validation``, ``backend`` or
``volumes`` and fails with an ``exceptions`` class, which ``error_answer`` turns into AWS's error
shape. A handler names the backend's values by the members of the operation's output shape;
``serializer`` turns them into the JSON body, refusing anything the shape does not declare.
``OPERATIONS`` is the table of emulated operations; the conformance tests walk it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from .backend import StorageGatewayBackend, StorageGatewayModel
from .exceptions import (
    OperationNotEmulated,
    SerializationException,
    StorageGatewayError,
    UnknownOperationException,
)
from .gateways import TARGET_IQN_PREFIX, Gateway, GatewayVolume, LocalDisk, VolumeRequest
from .rules import paginate
from .serializer import error_body, output_body
from .validation import service_model, validate_input

TARGET_PREFIX = "StorageGateway_20130630."
CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class Answer:
    """A complete HTTP answer, ready to be logged, replaced by a fault, or sent."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_answer(status: int, payload: dict[str, Any]) -> Answer:
    return Answer(
        status,
        [("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", str(uuid.uuid4()))],
        json.dumps(payload).encode(),
    )


def error_answer(error: StorageGatewayError) -> Answer:
    return json_answer(error.http_status, error_body(error.error_type, error.members()))


def _gateway_info(gateway: Gateway, region: str) -> dict[str, Any]:
    return {
        "GatewayId": gateway.gateway_id,
        "GatewayARN": gateway.arn,
        "GatewayType": gateway.gateway_type,
        "GatewayOperationalState": gateway.operational_state,
        "GatewayName": gateway.gateway_id,
        "Ec2InstanceRegion": region,
        "HostEnvironment": "OTHER",
    }


def _volume_info(volume: GatewayVolume) -> dict[str, Any]:
    return {
        "VolumeARN": volume.arn,
        "VolumeId": volume.volume_id,
        "GatewayARN": volume.gateway.arn,
        "GatewayId": volume.gateway.gateway_id,
        "VolumeType": volume.volume_type,
        "VolumeSizeInBytes": volume.size_bytes,
        "VolumeAttachmentStatus": "ATTACHED",
    }


def _gateway_information(gateway: Gateway) -> dict[str, Any]:
    """DescribeGatewayInformation's answer: what the emulator knows of the gateway."""
    return {
        "GatewayARN": gateway.arn,
        "GatewayId": gateway.gateway_id,
        "GatewayName": gateway.gateway_id,
        "GatewayTimezone": gateway.timezone,
        "GatewayState": "RUNNING",
        "GatewayNetworkInterfaces": [{"Ipv4Address": ip} for ip in gateway.network_interfaces],
        "GatewayType": gateway.gateway_type,
        "HostEnvironment": "OTHER",
        "EndpointType": "STANDARD",
        # "A list of up to 50 tags assigned to the gateway, sorted alphabetically by key name".
        "Tags": _tag_list(dict(sorted(gateway.tags.items()))),
    }


def _local_disk(disk: LocalDisk, region: str) -> dict[str, Any]:
    resource = None
    if disk.volume_arn is not None:
        # "The format of this field is targetIqn::LUNNumber::region-volumeId".
        volume_id = disk.volume_arn.rsplit("/", 1)[-1]
        iqn = f"{TARGET_IQN_PREFIX}{volume_id.lower()}"
        resource = f"{iqn}::1::{region}-{volume_id}"
    return {
        "DiskId": disk.disk_id,
        "DiskPath": disk.path,
        "DiskNode": disk.node,
        "DiskStatus": "present",
        "DiskSizeInBytes": disk.size_bytes,
        "DiskAllocationType": disk.allocation,
        "DiskAllocationResource": resource,
        "DiskAttributeList": [],
    }


def _iscsi_volume(volume: GatewayVolume) -> dict[str, Any]:
    described: dict[str, Any] = {
        "VolumeARN": volume.arn,
        "VolumeId": volume.volume_id,
        "VolumeType": volume.volume_type,
        "VolumeStatus": "AVAILABLE",
        "VolumeAttachmentStatus": "ATTACHED",
        "VolumeSizeInBytes": volume.size_bytes,
        "VolumeiSCSIAttributes": {
            "TargetARN": volume.target_arn,
            "NetworkInterfaceId": volume.network_interface,
            "NetworkInterfacePort": 3260,
            "LunNumber": 1,
            "ChapEnabled": False,
        },
        "CreatedDate": volume.created,
        "VolumeUsedInBytes": 0,
        "TargetName": volume.target_name,
        "SourceSnapshotId": volume.source_snapshot_id,
        "KMSKey": volume.kms_key,
    }
    if volume.kind == "STORED":  # members of StorediSCSIVolume only
        described["VolumeDiskId"] = volume.disk_id
        described["PreservedExistingData"] = volume.preserved_existing_data
    return described


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


class StorageGatewayResponse:
    """Answers one Storage Gateway request against the caller's own backend."""

    def __init__(self, model: StorageGatewayModel, account_id: str, region: str) -> None:
        self.backend: StorageGatewayBackend = model.backend(account_id, region)
        self.params: dict[str, Any] = {}

    def dispatch(self, operation: str, body: bytes) -> Answer:
        try:
            return json_answer(200, self._run(operation, body))
        except StorageGatewayError as error:
            return error_answer(error)

    def _run(self, operation: str, body: bytes) -> dict[str, Any]:
        model = service_model("storagegateway")
        if operation not in model.operation_names:
            raise UnknownOperationException(operation)
        self.params = self._parse(body)
        validate_input(model.operation_model(operation), self.params)
        handler = OPERATIONS.get(operation)
        if handler is None:
            raise OperationNotEmulated(operation)
        return output_body(operation, handler(self))

    @staticmethod
    def _parse(body: bytes) -> dict[str, Any]:
        try:
            params = json.loads(body or b"{}")
        except ValueError as error:
            raise SerializationException(f"The request body is not valid JSON: {error}") from error
        if not isinstance(params, dict):
            raise SerializationException("The request body must be a JSON object")
        return params

    # operations (their input is valid for the model by now; each answers the backend's
    # values by member name, None for a member left out)

    def create_snapshot(self) -> dict[str, Any]:
        snapshot = self.backend.create_snapshot(
            self.params["VolumeARN"],
            self.params["SnapshotDescription"],
            self.params.get("Tags"),
        )
        return {"VolumeARN": self.params["VolumeARN"], "SnapshotId": snapshot.id}

    def create_snapshot_from_recovery_point(self) -> dict[str, Any]:
        snapshot, volume = self.backend.create_snapshot_from_volume_recovery_point(
            self.params["VolumeARN"],
            self.params["SnapshotDescription"],
            self.params.get("Tags"),
        )
        return {
            "SnapshotId": snapshot.id,
            "VolumeARN": volume.arn,
            "VolumeRecoveryPointTime": volume.recovery_point_time,
        }

    def list_volume_recovery_points(self) -> dict[str, Any]:
        gateway_arn = self.params["GatewayARN"]
        volumes = self.backend.list_volume_recovery_points(gateway_arn)
        return {
            "GatewayARN": gateway_arn,
            "VolumeRecoveryPointInfos": [
                {
                    "VolumeARN": volume.arn,
                    "VolumeSizeInBytes": volume.size_bytes,
                    "VolumeUsageInBytes": 0,
                    "VolumeRecoveryPointTime": volume.recovery_point_time,
                }
                for volume in volumes
            ],
        }

    def list_gateways(self) -> dict[str, Any]:
        page, marker = paginate(
            self.backend.list_gateways(), self.params.get("Marker"), self.params.get("Limit")
        )
        region = self.backend.region
        return {"Gateways": [_gateway_info(g, region) for g in page], "Marker": marker}

    def list_volumes(self) -> dict[str, Any]:
        gateway_arn = self.params.get("GatewayARN")
        page, marker = paginate(
            self.backend.list_volumes(gateway_arn),
            self.params.get("Marker"),
            self.params.get("Limit"),
        )
        return {
            "GatewayARN": gateway_arn,
            "VolumeInfos": [_volume_info(v) for v in page],
            "Marker": marker,
        }

    def _describe_iscsi_volumes(self, kind: str) -> list[dict[str, Any]]:
        volumes = self.backend.describe_volumes(self.params["VolumeARNs"], kind)
        return [_iscsi_volume(volume) for volume in volumes]

    def describe_cached_iscsi_volumes(self) -> dict[str, Any]:
        return {"CachediSCSIVolumes": self._describe_iscsi_volumes("CACHED")}

    def describe_stored_iscsi_volumes(self) -> dict[str, Any]:
        return {"StorediSCSIVolumes": self._describe_iscsi_volumes("STORED")}

    def describe_snapshot_schedule(self) -> dict[str, Any]:
        volume, schedule = self.backend.describe_snapshot_schedule(self.params["VolumeARN"])
        return {
            "VolumeARN": volume.arn,
            "StartAt": schedule.start_at,
            "RecurrenceInHours": schedule.recurrence_in_hours,
            "Description": schedule.description or None,
            # "The hour of the day is in the time zone of the gateway."
            "Timezone": volume.gateway.timezone,
            # "A list of up to 50 tags assigned to the snapshot schedule, sorted
            # alphabetically by key name" (DescribeSnapshotScheduleOutput.Tags).
            "Tags": _tag_list(dict(sorted(schedule.tags.items()))),
        }

    def update_snapshot_schedule(self) -> dict[str, Any]:
        volume = self.backend.update_snapshot_schedule(
            self.params["VolumeARN"],
            self.params["StartAt"],
            self.params["RecurrenceInHours"],
            self.params.get("Description"),
            self.params.get("Tags"),
        )
        return {"VolumeARN": volume.arn}

    def delete_snapshot_schedule(self) -> dict[str, Any]:
        volume = self.backend.delete_snapshot_schedule(self.params["VolumeARN"])
        return {"VolumeARN": volume.arn}

    def describe_gateway_information(self) -> dict[str, Any]:
        gateway = self.backend.describe_gateway_information(self.params["GatewayARN"])
        return _gateway_information(gateway)

    def list_local_disks(self) -> dict[str, Any]:
        gateway_arn = self.params["GatewayARN"]
        disks = self.backend.list_local_disks(gateway_arn)
        region = self.backend.region
        return {"GatewayARN": gateway_arn, "Disks": [_local_disk(d, region) for d in disks]}

    def _volume_request(self) -> VolumeRequest:
        params = self.params
        return VolumeRequest(
            gateway_arn=params["GatewayARN"],
            target_name=params["TargetName"],
            network_interface=params["NetworkInterfaceId"],
            size_bytes=params.get("VolumeSizeInBytes"),
            snapshot_id=params.get("SnapshotId"),
            source_volume_arn=params.get("SourceVolumeARN"),
            client_token=params.get("ClientToken"),
            disk_id=params.get("DiskId"),
            preserve_existing_data=params.get("PreserveExistingData"),
            kms_encrypted=params.get("KMSEncrypted"),
            kms_key=params.get("KMSKey"),
            tags=params.get("Tags"),
        )

    def create_cached_iscsi_volume(self) -> dict[str, Any]:
        volume = self.backend.create_cached_iscsi_volume(self._volume_request())
        return {"VolumeARN": volume.arn, "TargetARN": volume.target_arn}

    def create_stored_iscsi_volume(self) -> dict[str, Any]:
        volume = self.backend.create_stored_iscsi_volume(self._volume_request())
        return {
            "VolumeARN": volume.arn,
            "VolumeSizeInBytes": volume.size_bytes,
            "TargetARN": volume.target_arn,
        }

    def delete_volume(self) -> dict[str, Any]:
        volume = self.backend.delete_volume(self.params["VolumeARN"])
        return {"VolumeARN": volume.arn}

    def list_tags_for_resource(self) -> dict[str, Any]:
        resource_arn = self.params["ResourceARN"]
        tags = self.backend.list_tags_for_resource(resource_arn)
        limit = self.params.get("Limit")
        page, marker = paginate(
            _tag_list(tags), self.params.get("Marker"), len(tags) if limit is None else limit
        )
        return {"ResourceARN": resource_arn, "Marker": marker, "Tags": page}

    def add_tags_to_resource(self) -> dict[str, Any]:
        resource_arn = self.params["ResourceARN"]
        self.backend.add_tags_to_resource(resource_arn, self.params["Tags"])
        return {"ResourceARN": resource_arn}

    def remove_tags_from_resource(self) -> dict[str, Any]:
        resource_arn = self.params["ResourceARN"]
        self.backend.remove_tags_from_resource(resource_arn, self.params["TagKeys"])
        return {"ResourceARN": resource_arn}


Handler = Callable[[StorageGatewayResponse], dict[str, Any]]

#: Every emulated operation and its handler; any other operation of the model answers
#: ``NotImplemented``.
OPERATIONS: Final[dict[str, Handler]] = {
    "CreateSnapshot": StorageGatewayResponse.create_snapshot,
    "CreateSnapshotFromVolumeRecoveryPoint": (
        StorageGatewayResponse.create_snapshot_from_recovery_point
    ),
    "ListVolumeRecoveryPoints": StorageGatewayResponse.list_volume_recovery_points,
    "ListGateways": StorageGatewayResponse.list_gateways,
    "ListVolumes": StorageGatewayResponse.list_volumes,
    "DescribeCachediSCSIVolumes": StorageGatewayResponse.describe_cached_iscsi_volumes,
    "DescribeStorediSCSIVolumes": StorageGatewayResponse.describe_stored_iscsi_volumes,
    "DescribeSnapshotSchedule": StorageGatewayResponse.describe_snapshot_schedule,
    "UpdateSnapshotSchedule": StorageGatewayResponse.update_snapshot_schedule,
    "DeleteSnapshotSchedule": StorageGatewayResponse.delete_snapshot_schedule,
    "DescribeGatewayInformation": StorageGatewayResponse.describe_gateway_information,
    "ListLocalDisks": StorageGatewayResponse.list_local_disks,
    "CreateCachediSCSIVolume": StorageGatewayResponse.create_cached_iscsi_volume,
    "CreateStorediSCSIVolume": StorageGatewayResponse.create_stored_iscsi_volume,
    "DeleteVolume": StorageGatewayResponse.delete_volume,
    "ListTagsForResource": StorageGatewayResponse.list_tags_for_resource,
    "AddTagsToResource": StorageGatewayResponse.add_tags_to_resource,
    "RemoveTagsFromResource": StorageGatewayResponse.remove_tags_from_resource,
}
