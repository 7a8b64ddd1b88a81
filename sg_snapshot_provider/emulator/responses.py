"""The Storage Gateway JSON 1.1 protocol: parse a request, call the model, shape the answer.

No rule is decided here: every check lives in ``models`` and fails with an ``exceptions`` class,
which ``error_answer`` turns into AWS's error shape.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .exceptions import (
    OperationNotEmulated,
    SerializationException,
    StorageGatewayError,
)
from .models import (
    Gateway,
    GatewayVolume,
    StorageGatewayBackend,
    StorageGatewayModel,
    paginate,
    validate_limit,
)

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
    return json_answer(error.http_status, error.body())


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


def _iscsi_volume(volume: GatewayVolume) -> dict[str, Any]:
    described = {
        "VolumeARN": volume.arn,
        "VolumeId": volume.volume_id,
        "VolumeType": volume.volume_type,
        "VolumeStatus": "AVAILABLE",
        "VolumeAttachmentStatus": "ATTACHED",
        "VolumeSizeInBytes": volume.size_bytes,
        "VolumeiSCSIAttributes": {
            "TargetARN": f"{volume.gateway.arn}/target/iqn.1997-05.com.amazon:"
            f"{volume.volume_id.lower()}",
            "NetworkInterfaceId": "10.0.0.1",
            "NetworkInterfacePort": 3260,
            "LunNumber": 1,
            "ChapEnabled": False,
        },
        "CreatedDate": volume.created.timestamp(),
        "VolumeUsedInBytes": 0,
        "TargetName": volume.volume_id.lower(),
    }
    if volume.kind == "STORED":
        described["VolumeDiskId"] = "pci-0000:03:00.0-scsi-0:0:0:0"
        described["PreservedExistingData"] = False
    return described


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


class StorageGatewayResponse:
    """Answers one Storage Gateway request against the model."""

    def __init__(self, model: StorageGatewayModel, account_id: str, region: str) -> None:
        self.model = model
        self.account_id = account_id
        self.region = region
        self.params: dict[str, Any] = {}

    def dispatch(self, operation: str, body: bytes) -> Answer:
        handler = self._handlers().get(operation)
        try:
            if handler is None:
                raise OperationNotEmulated(operation)
            self.params = self._parse(body)
            return json_answer(200, handler())
        except StorageGatewayError as error:
            return error_answer(error)

    def _handlers(self) -> dict[str, Callable[[], dict[str, Any]]]:
        return {
            "CreateSnapshot": self.create_snapshot,
            "CreateSnapshotFromVolumeRecoveryPoint": self.create_snapshot_from_recovery_point,
            "ListVolumeRecoveryPoints": self.list_volume_recovery_points,
            "ListGateways": self.list_gateways,
            "ListVolumes": self.list_volumes,
            "DescribeCachediSCSIVolumes": self.describe_cached_iscsi_volumes,
            "DescribeStorediSCSIVolumes": self.describe_stored_iscsi_volumes,
            "DescribeSnapshotSchedule": self.describe_snapshot_schedule,
            "UpdateSnapshotSchedule": self.update_snapshot_schedule,
            "ListTagsForResource": self.list_tags_for_resource,
            "AddTagsToResource": self.add_tags_to_resource,
            "RemoveTagsFromResource": self.remove_tags_from_resource,
        }

    @staticmethod
    def _parse(body: bytes) -> dict[str, Any]:
        try:
            params = json.loads(body or b"{}")
        except ValueError as error:
            raise SerializationException(f"The request body is not valid JSON: {error}") from error
        if not isinstance(params, dict):
            raise SerializationException("The request body must be a JSON object")
        return params

    def _backend(self, arn_parameter: str | None = None) -> StorageGatewayBackend:
        """The backend of the ARN in ``arn_parameter``, else the caller's own."""
        if arn_parameter is not None:
            backend = self.model.backend_for_arn(self.params.get(arn_parameter))
            if backend is not None:
                return backend
        return self.model.backend(self.account_id, self.region)

    # operations

    def create_snapshot(self) -> dict[str, Any]:
        snapshot = self._backend("VolumeARN").create_snapshot(
            self.params.get("VolumeARN"),
            self.params.get("SnapshotDescription"),
            self.params.get("Tags"),
        )
        return {"VolumeARN": self.params["VolumeARN"], "SnapshotId": snapshot.id}

    def create_snapshot_from_recovery_point(self) -> dict[str, Any]:
        snapshot, volume = self._backend("VolumeARN").create_snapshot_from_volume_recovery_point(
            self.params.get("VolumeARN"),
            self.params.get("SnapshotDescription"),
            self.params.get("Tags"),
        )
        return {
            "SnapshotId": snapshot.id,
            "VolumeARN": volume.arn,
            "VolumeRecoveryPointTime": volume.recovery_point_time,
        }

    def list_volume_recovery_points(self) -> dict[str, Any]:
        gateway_arn = self.params.get("GatewayARN")
        volumes = self._backend("GatewayARN").list_volume_recovery_points(gateway_arn)
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
        backend = self._backend()
        page, marker = paginate(
            backend.list_gateways(),
            self.params.get("Marker"),
            validate_limit(self.params.get("Limit")),
        )
        answer: dict[str, Any] = {"Gateways": [_gateway_info(g, backend.region) for g in page]}
        if marker is not None:
            answer["Marker"] = marker
        return answer

    def list_volumes(self) -> dict[str, Any]:
        gateway_arn = self.params.get("GatewayARN")
        page, marker = paginate(
            self._backend("GatewayARN").list_volumes(gateway_arn),
            self.params.get("Marker"),
            validate_limit(self.params.get("Limit")),
        )
        answer: dict[str, Any] = {"VolumeInfos": [_volume_info(v) for v in page]}
        if gateway_arn is not None:
            answer["GatewayARN"] = gateway_arn
        if marker is not None:
            answer["Marker"] = marker
        return answer

    def _describe_iscsi_volumes(self, kind: str) -> list[dict[str, Any]]:
        arns = self.params.get("VolumeARNs")
        first = arns[0] if isinstance(arns, list) and arns else None
        backend = self.model.backend_for_arn(first) or self._backend()
        return [_iscsi_volume(v) for v in backend.describe_volumes(arns, kind)]

    def describe_cached_iscsi_volumes(self) -> dict[str, Any]:
        return {"CachediSCSIVolumes": self._describe_iscsi_volumes("CACHED")}

    def describe_stored_iscsi_volumes(self) -> dict[str, Any]:
        return {"StorediSCSIVolumes": self._describe_iscsi_volumes("STORED")}

    def describe_snapshot_schedule(self) -> dict[str, Any]:
        volume = self._backend("VolumeARN").describe_snapshot_schedule(self.params.get("VolumeARN"))
        schedule = volume.schedule
        answer: dict[str, Any] = {
            "VolumeARN": volume.arn,
            "StartAt": schedule.start_at,
            "RecurrenceInHours": schedule.recurrence_in_hours,
            "Timezone": schedule.timezone,
            "Tags": _tag_list(schedule.tags),
        }
        if schedule.description:
            answer["Description"] = schedule.description
        return answer

    def update_snapshot_schedule(self) -> dict[str, Any]:
        volume = self._backend("VolumeARN").update_snapshot_schedule(
            self.params.get("VolumeARN"),
            self.params.get("StartAt"),
            self.params.get("RecurrenceInHours"),
            self.params.get("Description"),
            self.params.get("Tags"),
        )
        return {"VolumeARN": volume.arn}

    def list_tags_for_resource(self) -> dict[str, Any]:
        resource_arn = self.params.get("ResourceARN")
        tags = self._backend("ResourceARN").list_tags_for_resource(resource_arn)
        page, marker = paginate(
            _tag_list(tags), self.params.get("Marker"), validate_limit(self.params.get("Limit"))
        )
        answer: dict[str, Any] = {"ResourceARN": resource_arn, "Tags": page}
        if marker is not None:
            answer["Marker"] = marker
        return answer

    def add_tags_to_resource(self) -> dict[str, Any]:
        resource_arn = self.params.get("ResourceARN")
        self._backend("ResourceARN").add_tags_to_resource(resource_arn, self.params.get("Tags"))
        return {"ResourceARN": resource_arn}

    def remove_tags_from_resource(self) -> dict[str, Any]:
        resource_arn = self.params.get("ResourceARN")
        self._backend("ResourceARN").remove_tags_from_resource(
            resource_arn, self.params.get("TagKeys")
        )
        return {"ResourceARN": resource_arn}
