"""The serializer builds every Storage Gateway answer from botocore's shapes and refuses anything
they do not declare: a bug of the emulator is answered as ``InternalServerError``, never sent."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.model import ShapeResolver
from werkzeug.test import Client

from sg_snapshot_provider.emulator.exceptions import (
    InjectedError,
    InternalServerError,
    ValidationException,
    VolumeNotFound,
)
from sg_snapshot_provider.emulator.serializer import (
    ShapeMismatch,
    error_body,
    output_body,
    serialize,
)
from tests.conftest import GATEWAY_ARN, VOLUME_ARN

CREATED = datetime(2024, 5, 1, 12, 30, 15, 250000, tzinfo=UTC)


def cached_volume(**members: Any) -> dict[str, Any]:
    return {"VolumeARN": VOLUME_ARN, "VolumeId": "vol-1122AABB", **members}


# --- outputs --------------------------------------------------------------------------------


def test_output__emits_exactly_the_members_given():
    body = output_body("CreateSnapshot", {"VolumeARN": VOLUME_ARN, "SnapshotId": "snap-0123abcd"})

    assert body == {"VolumeARN": VOLUME_ARN, "SnapshotId": "snap-0123abcd"}


def test_output__none_is_left_out():
    body = output_body("ListGateways", {"Gateways": [], "Marker": None})

    assert body == {"Gateways": []}


def test_output__members_in_the_model_order():
    body = output_body("ListVolumes", {"VolumeInfos": [], "Marker": "1", "GatewayARN": GATEWAY_ARN})

    assert list(body) == ["GatewayARN", "Marker", "VolumeInfos"]


def test_output__timestamp_as_epoch_seconds():
    body = output_body(
        "DescribeCachediSCSIVolumes", {"CachediSCSIVolumes": [cached_volume(CreatedDate=CREATED)]}
    )

    (volume,) = body["CachediSCSIVolumes"]
    assert volume["CreatedDate"] == CREATED.timestamp() == 1714566615.25
    assert json.loads(json.dumps(body)) == body


def test_output__timestamp_of_another_zone_is_the_same_instant():
    eastern = CREATED.astimezone(timezone(timedelta(hours=-5)))

    body = output_body(
        "DescribeCachediSCSIVolumes", {"CachediSCSIVolumes": [cached_volume(CreatedDate=eastern)]}
    )

    assert body["CachediSCSIVolumes"][0]["CreatedDate"] == 1714566615.25


def test_output__nested_structures_and_lists():
    body = output_body(
        "DescribeGatewayInformation",
        {
            "GatewayARN": GATEWAY_ARN,
            "GatewayNetworkInterfaces": [{"Ipv4Address": "10.0.0.1"}],
            "Tags": [{"Key": "team", "Value": "storage"}],
        },
    )

    assert body["GatewayNetworkInterfaces"] == [{"Ipv4Address": "10.0.0.1"}]
    assert body["Tags"] == [{"Key": "team", "Value": "storage"}]


def cached(**members: Any) -> dict[str, Any]:
    return {"CachediSCSIVolumes": [members]}


@pytest.mark.parametrize(
    ("operation", "values", "problem"),
    [
        ("CreateSnapshot", {"SnapshotId": "snap-0123abcd", "Extra": 1}, "not members"),
        ("CreateSnapshot", {"SnapshotId": "snap-0123abcd", "Extra": None}, "not members"),
        ("CreateSnapshot", ["snap-0123abcd"], "not a mapping of members"),
        ("DescribeSnapshotSchedule", {"Tags": [{"Key": "k"}]}, "required by Tag"),
        ("DescribeSnapshotSchedule", {"Tags": [{"Key": "k", "Value": None}]}, "required by Tag"),
        ("DescribeSnapshotSchedule", {"Tags": {"Key": "k", "Value": "v"}}, "not a list"),
        ("DescribeSnapshotSchedule", {"Tags": "k=v"}, "not a list"),
        ("DescribeSnapshotSchedule", {"Tags": [None]}, "not a mapping"),
        ("DescribeSnapshotSchedule", {"StartAt": "3"}, "not a integer"),
        ("DescribeSnapshotSchedule", {"StartAt": True}, "not a integer"),
        ("ListVolumes", {"VolumeInfos": [{"VolumeSizeInBytes": 1.5}]}, "not a long"),
        ("ListVolumes", {"VolumeInfos": ["vol-1122AABB"]}, "not a mapping"),
        ("ListLocalDisks", {"Disks": [{"DiskAttributeList": "a"}]}, "not a list"),
        ("DescribeCachediSCSIVolumes", cached(CreatedDate="today"), "datetime"),
        ("DescribeCachediSCSIVolumes", cached(CreatedDate=datetime(2024, 1, 1)), "no time zone"),
        ("DescribeCachediSCSIVolumes", cached(VolumeProgress="50%"), "double"),
        ("DescribeCachediSCSIVolumes", cached(VolumeiSCSIAttributes={"ChapEnabled": 1}), "boolean"),
        ("DescribeCachediSCSIVolumes", cached(VolumeDiskId="disk"), "not members"),
    ],
)
def test_output__refuses_what_the_shape_does_not_declare(operation, values, problem):
    with pytest.raises(ShapeMismatch, match=problem):
        output_body(operation, values)


def test_output__names_where_it_went_wrong():
    with pytest.raises(ShapeMismatch) as caught:
        output_body("ListVolumes", {"VolumeInfos": [{}, {"VolumeSizeInBytes": "1"}]})

    assert str(caught.value).startswith("ListVolumes.VolumeInfos[1].VolumeSizeInBytes:")


# --- shapes no emulated operation uses (the same rules, on a shape of their own) ------------


def shape(definition: dict[str, Any], name: str = "Probe") -> Any:
    definitions: dict[str, Any] = {name: definition, "Text": {"type": "string"}}
    return ShapeResolver(definitions).get_shape_by_name(name)


def test_blob__base64():
    assert serialize(shape({"type": "blob"}), b"\x00\xff", "$") == base64.b64encode(
        b"\x00\xff"
    ).decode("ascii")


def test_blob__refuses_text():
    with pytest.raises(ShapeMismatch, match="not a blob"):
        serialize(shape({"type": "blob"}), "AP8=", "$")


def test_map__keys_and_values_by_their_shapes():
    probe = shape({"type": "map", "key": {"shape": "Text"}, "value": {"shape": "Text"}})

    assert serialize(probe, {"a": "1"}, "$") == {"a": "1"}
    with pytest.raises(ShapeMismatch, match=r"\$\[a\]"):
        serialize(probe, {"a": 1}, "$")


def test_json_name__from_the_member_serialization():
    probe = shape(
        {"type": "structure", "members": {"Name": {"shape": "Text", "locationName": "n"}}}
    )

    assert serialize(probe, {"Name": "x"}, "$") == {"n": "x"}


def test_timestamp__refuses_a_format_other_than_epoch():
    probe = shape({"type": "timestamp", "timestampFormat": "iso8601"})

    with pytest.raises(ShapeMismatch, match="iso8601"):
        serialize(probe, CREATED, "$")


# --- errors ---------------------------------------------------------------------------------


def test_error__gateway_error_from_its_shape():
    error = VolumeNotFound("The specified volume was not found", {"VolumeARN": VOLUME_ARN})

    body = error_body(error.error_type, error.members())

    assert body == {
        "__type": "InvalidGatewayRequestException",
        "message": "The specified volume was not found",
        "error": {"errorCode": "VolumeNotFound", "errorDetails": {"VolumeARN": VOLUME_ARN}},
    }


def test_error__internal_server_error_from_its_shape():
    error = InternalServerError("boom")

    assert error_body(error.error_type, error.members()) == {
        "__type": "InternalServerError",
        "message": "boom",
    }


def test_error__common_error_is_type_and_message():
    error = ValidationException(["Value null at 'volumeARN' failed to satisfy constraint: x"])

    body = error_body(error.error_type, error.members())

    assert set(body) == {"__type", "message"}
    assert body["__type"] == "ValidationException"


@pytest.mark.parametrize(
    ("code", "expected_type"),
    [
        ("VolumeNotReady", "InvalidGatewayRequestException"),
        ("ThrottlingException", "ThrottlingException"),
        ("ServiceUnavailableError", "ServiceUnavailableError"),
    ],
)
def test_error__injected(code, expected_type):
    error = InjectedError(code, "injected", 400)

    assert error_body(error.error_type, error.members())["__type"] == expected_type


def test_error__refuses_a_member_its_shape_does_not_declare():
    with pytest.raises(ShapeMismatch, match=r"\['code'\] are not members of StorageGatewayError"):
        error_body("InvalidGatewayRequestException", {"message": "x", "error": {"code": "y"}})


def test_error__common_error_refuses_members():
    with pytest.raises(ShapeMismatch, match="no members"):
        error_body("ValidationException", {"message": "x", "error": {}})


# --- the server: a refused answer is never sent ---------------------------------------------


def test_server__answers_a_refused_answer_as_internal_server_error(monkeypatch):
    # In this process, not in the emulator's: a handler bug is made on purpose.
    from sg_snapshot_provider.emulator import responses
    from sg_snapshot_provider.emulator.control import EmulatorState
    from sg_snapshot_provider.emulator.server import EmulatorApp

    def leaky(_: Any) -> dict[str, Any]:
        return {"Gateways": [], "Secret": "never on the wire"}

    monkeypatch.setitem(responses.OPERATIONS, "ListGateways", leaky)
    client = Client(EmulatorApp(EmulatorState()))

    answer = client.post(
        "/",
        data=b"{}",
        headers={
            "X-Amz-Target": "StorageGateway_20130630.ListGateways",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )

    assert answer.status_code == 500
    body = json.loads(answer.data)
    assert body["__type"] == "InternalServerError"
    assert "Secret" in body["message"]
    assert "never on the wire" not in answer.data.decode()
