"""The Storage Gateway operations, through a real boto3 client, against the emulator."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.emulator.models import StorageGatewayBackend
from tests.conftest import ACCOUNT_ID, GATEWAY_ARN, REGION, VOLUME_ARN
from tests.emulator.conftest import gateway_error_code, make_client

OTHER_GATEWAY_ARN = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-99887766"
STORED_VOLUME_ARN = f"{OTHER_GATEWAY_ARN}/volume/vol-55667788"
UNKNOWN_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-DEADBEEF"


def gateway_error(error: ClientError) -> tuple[str, str]:
    """(__type, errorCode) as botocore parses them."""
    return error.response["Error"]["Code"], gateway_error_code(error)


def create_snapshot_error(sg: Any, **params: Any) -> ClientError:
    params.setdefault("VolumeARN", VOLUME_ARN)
    params.setdefault("SnapshotDescription", "nightly")
    with pytest.raises(ClientError) as caught:
        sg.create_snapshot(**params)
    return caught.value


# --- CreateSnapshot -------------------------------------------------------------------------


def test_create_snapshot__basic(sg, ec2):
    answer = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="nightly")

    assert answer["VolumeARN"] == VOLUME_ARN
    assert answer["SnapshotId"].startswith("snap-")
    assert len(answer["SnapshotId"]) == len("snap-") + 17
    assert answer["SnapshotId"] == answer["SnapshotId"].lower()
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[answer["SnapshotId"]])["Snapshots"]
    assert snapshot["Description"] == "nightly"
    assert snapshot["State"] == "completed"
    assert snapshot["Progress"] == "100%"
    assert snapshot["OwnerId"] == ACCOUNT_ID


def test_create_snapshot__tags_and_size(emulator, sg, ec2):
    volume_arn = f"{GATEWAY_ARN}/volume/vol-0000BIG0"
    emulator.add_volume(volume_arn, size_gib=150)
    tags = [{"Key": "team", "Value": "storage"}, {"Key": "Ünïcode key", "Value": "a+b=c@d:e/f"}]

    snapshot_id = sg.create_snapshot(VolumeARN=volume_arn, SnapshotDescription="big", Tags=tags)[
        "SnapshotId"
    ]

    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert snapshot["VolumeSize"] == 150
    assert snapshot["VolumeId"] == "vol-ffffffff"
    assert sorted(snapshot["Tags"], key=lambda tag: tag["Key"]) == sorted(
        tags, key=lambda tag: tag["Key"]
    )


def test_create_snapshot__stored_volume(emulator, sg, ec2):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN)

    snapshot_id = sg.create_snapshot(VolumeARN=STORED_VOLUME_ARN, SnapshotDescription="s")[
        "SnapshotId"
    ]

    assert ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]


def test_create_snapshot__other_region_lands_in_that_region(emulator, sg, ec2):
    volume_arn = "arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-0000EU01/volume/vol-1"
    emulator.add_volume(volume_arn)

    snapshot_id = sg.create_snapshot(VolumeARN=volume_arn, SnapshotDescription="eu")["SnapshotId"]

    ec2_eu = make_client("ec2", emulator, region="eu-west-1")
    assert ec2_eu.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_create_snapshot__unknown_volume(sg):
    error = create_snapshot_error(sg, VolumeARN=UNKNOWN_VOLUME_ARN)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "VolumeNotFound")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert UNKNOWN_VOLUME_ARN in error.response["Error"]["Message"]


def test_create_snapshot__unknown_gateway(sg):
    error = create_snapshot_error(sg, VolumeARN=STORED_VOLUME_ARN)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "VolumeNotFound")


def test_create_snapshot__gateway_not_connected(emulator, sg, ec2):
    emulator.add_gateway(GATEWAY_ARN, connected=False)

    error = create_snapshot_error(sg)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "GatewayNotConnected")
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


@pytest.mark.parametrize("gateway_type", ["VTL", "FILE_S3"])
def test_create_snapshot__not_a_volume_gateway(emulator, sg, gateway_type):
    emulator.add_gateway(OTHER_GATEWAY_ARN, gateway_type)

    error = create_snapshot_error(sg, VolumeARN=STORED_VOLUME_ARN)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "NotSupported")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"VolumeARN": "arn:aws:storagegateway:x:1:gateway/g/volume/vol-1"}, "VolumeARN"),
        ({"VolumeARN": f"{VOLUME_ARN}{'0' * 500}"}, "VolumeARN"),
        ({"SnapshotDescription": ""}, "SnapshotDescription"),
        ({"VolumeARN": f"{GATEWAY_ARN}/disk/vol-1122AABB-and-more-text"}, "VolumeARN"),
        ({"SnapshotDescription": "x" * 256}, "SnapshotDescription"),
        ({"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]}, "Tags"),
        ({"Tags": [{"Key": "k" * 129, "Value": "v"}]}, "Tags"),
        ({"Tags": [{"Key": "k", "Value": "v" * 257}]}, "Tags"),
        ({"Tags": [{"Key": "bad#key", "Value": "v"}]}, "Tags"),
        ({"Tags": [{"Key": "k", "Value": "bad*value"}]}, "Tags"),
        ({"Tags": [{"Key": "aws:reserved", "Value": "v"}]}, "Tags"),
    ],
)
def test_create_snapshot__invalid_parameters(sg_unchecked, ec2, params, field):
    error = create_snapshot_error(sg_unchecked, **params)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "InvalidParameters")
    assert field in error.response["Error"]["Message"]
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_create_snapshot__limits_accepted(sg):
    tags = [{"Key": f"{i:03d}" + "k" * 125, "Value": "v" * 256} for i in range(50)]

    answer = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d" * 255, Tags=tags)

    assert answer["SnapshotId"]


# --- recovery points ------------------------------------------------------------------------


def test_list_volume_recovery_points__cached(sg):
    answer = sg.list_volume_recovery_points(GatewayARN=GATEWAY_ARN)

    (point,) = answer["VolumeRecoveryPointInfos"]
    assert answer["GatewayARN"] == GATEWAY_ARN
    assert point["VolumeARN"] == VOLUME_ARN
    assert point["VolumeSizeInBytes"] == 1024**3
    assert point["VolumeRecoveryPointTime"].endswith("Z")


def test_list_volume_recovery_points__stored_gateway(emulator, sg):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")

    with pytest.raises(ClientError) as caught:
        sg.list_volume_recovery_points(GatewayARN=OTHER_GATEWAY_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "NotSupported")


def test_list_volume_recovery_points__unknown_gateway(sg):
    with pytest.raises(ClientError) as caught:
        sg.list_volume_recovery_points(GatewayARN=OTHER_GATEWAY_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "GatewayNotFound")


def test_create_snapshot_from_volume_recovery_point__basic(sg, ec2):
    answer = sg.create_snapshot_from_volume_recovery_point(
        VolumeARN=VOLUME_ARN, SnapshotDescription="from rp", Tags=[{"Key": "k", "Value": "v"}]
    )

    assert answer["VolumeARN"] == VOLUME_ARN
    assert answer["VolumeRecoveryPointTime"]
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[answer["SnapshotId"]])["Snapshots"]
    assert snapshot["Description"] == "from rp"
    assert snapshot["Tags"] == [{"Key": "k", "Value": "v"}]


def test_create_snapshot_from_volume_recovery_point__stored_volume(emulator, sg):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN)

    with pytest.raises(ClientError) as caught:
        sg.create_snapshot_from_volume_recovery_point(
            VolumeARN=STORED_VOLUME_ARN, SnapshotDescription="x"
        )

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "NotSupported")


def test_create_snapshot_from_volume_recovery_point__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.create_snapshot_from_volume_recovery_point(
            VolumeARN=UNKNOWN_VOLUME_ARN, SnapshotDescription="x"
        )

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


# --- gateways and volumes -------------------------------------------------------------------


def test_list_gateways__basic(emulator, sg):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "VTL", connected=False)

    gateways = sg.list_gateways()["Gateways"]

    assert [
        (g["GatewayARN"], g["GatewayType"], g["GatewayOperationalState"]) for g in gateways
    ] == [
        (GATEWAY_ARN, "CACHED", "ACTIVE"),
        (OTHER_GATEWAY_ARN, "VTL", "SHUTDOWN"),
    ]
    assert gateways[0]["GatewayId"] == "sgw-12A3456B"


def test_list_gateways__only_the_callers_region(emulator, sg):
    emulator.add_gateway("arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-0000EU01")

    assert [g["GatewayARN"] for g in sg.list_gateways()["Gateways"]] == [GATEWAY_ARN]


def test_list_volumes__pagination(emulator, sg):
    arns = [VOLUME_ARN] + [f"{GATEWAY_ARN}/volume/vol-0000000{i}" for i in range(4)]
    for arn in arns[1:]:
        emulator.add_volume(arn)

    first = sg.list_volumes(Limit=2)
    second = sg.list_volumes(Limit=2, Marker=first["Marker"])
    third = sg.list_volumes(Limit=2, Marker=second["Marker"])

    pages = [first, second, third]
    assert [v["VolumeARN"] for page in pages for v in page["VolumeInfos"]] == arns
    assert "Marker" not in third
    paginator = sg.get_paginator("list_volumes")
    listed = [
        v["VolumeARN"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 3})
        for v in page["VolumeInfos"]
    ]
    assert listed == arns


def test_list_volumes__by_gateway(emulator, sg):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN, size_gib=3)

    answer = sg.list_volumes(GatewayARN=OTHER_GATEWAY_ARN)

    (info,) = answer["VolumeInfos"]
    assert answer["GatewayARN"] == OTHER_GATEWAY_ARN
    assert info == {
        "VolumeARN": STORED_VOLUME_ARN,
        "VolumeId": "vol-55667788",
        "GatewayARN": OTHER_GATEWAY_ARN,
        "GatewayId": "sgw-99887766",
        "VolumeType": "STORED iSCSI",
        "VolumeSizeInBytes": 3 * 1024**3,
        "VolumeAttachmentStatus": "ATTACHED",
    }


def test_list_volumes__unknown_gateway(sg):
    with pytest.raises(ClientError) as caught:
        sg.list_volumes(GatewayARN=OTHER_GATEWAY_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "GatewayNotFound")


def test_list_volumes__bad_marker(sg):
    with pytest.raises(ClientError) as caught:
        sg.list_volumes(Marker="not-a-marker")

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "InvalidParameters")


def test_describe_cached_iscsi_volumes__basic(emulator, sg):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN)

    volumes = sg.describe_cached_iscsi_volumes(VolumeARNs=[VOLUME_ARN, STORED_VOLUME_ARN])[
        "CachediSCSIVolumes"
    ]

    (volume,) = volumes  # the stored volume is left out
    assert volume["VolumeARN"] == VOLUME_ARN
    assert volume["VolumeType"] == "CACHED iSCSI"
    assert volume["VolumeStatus"] == "AVAILABLE"
    assert volume["VolumeiSCSIAttributes"]["NetworkInterfacePort"] == 3260


def test_describe_stored_iscsi_volumes__basic(emulator, sg):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN)

    volumes = sg.describe_stored_iscsi_volumes(VolumeARNs=[VOLUME_ARN, STORED_VOLUME_ARN])[
        "StorediSCSIVolumes"
    ]

    (volume,) = volumes
    assert volume["VolumeARN"] == STORED_VOLUME_ARN
    assert volume["VolumeType"] == "STORED iSCSI"
    assert volume["PreservedExistingData"] is False


def test_describe_cached_iscsi_volumes__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.describe_cached_iscsi_volumes(VolumeARNs=[VOLUME_ARN, UNKNOWN_VOLUME_ARN])

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


# --- snapshot schedule ----------------------------------------------------------------------


def test_describe_snapshot_schedule__default(sg):
    schedule = sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)

    assert schedule["VolumeARN"] == VOLUME_ARN
    assert schedule["RecurrenceInHours"] == 24
    assert 0 <= schedule["StartAt"] <= 23
    assert schedule["Timezone"] == "GMT"


def test_update_snapshot_schedule__basic(sg):
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN,
        StartAt=3,
        RecurrenceInHours=12,
        Description="twice a day",
        Tags=[{"Key": "k", "Value": "v"}],
    )

    schedule = sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)
    assert (schedule["StartAt"], schedule["RecurrenceInHours"]) == (3, 12)
    assert schedule["Description"] == "twice a day"
    assert schedule["Tags"] == [{"Key": "k", "Value": "v"}]


def test_update_snapshot_schedule__bad_recurrence(sg):
    with pytest.raises(ClientError) as caught:
        sg.update_snapshot_schedule(VolumeARN=VOLUME_ARN, StartAt=3, RecurrenceInHours=5)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "InvalidParameters")
    assert "RecurrenceInHours" in caught.value.response["Error"]["Message"]


def test_describe_snapshot_schedule__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.describe_snapshot_schedule(VolumeARN=UNKNOWN_VOLUME_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


# --- resource tags --------------------------------------------------------------------------


@pytest.mark.parametrize("resource_arn", [GATEWAY_ARN, VOLUME_ARN])
def test_add_tags_to_resource__basic(sg, resource_arn):
    sg.add_tags_to_resource(
        ResourceARN=resource_arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    sg.add_tags_to_resource(ResourceARN=resource_arn, Tags=[{"Key": "a", "Value": "3"}])
    sg.remove_tags_from_resource(ResourceARN=resource_arn, TagKeys=["b", "never-there"])

    answer = sg.list_tags_for_resource(ResourceARN=resource_arn)
    assert answer["ResourceARN"] == resource_arn
    assert answer["Tags"] == [{"Key": "a", "Value": "3"}]


def test_list_tags_for_resource__pagination(sg):
    sg.add_tags_to_resource(
        ResourceARN=GATEWAY_ARN, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(3)]
    )

    first = sg.list_tags_for_resource(ResourceARN=GATEWAY_ARN, Limit=2)
    second = sg.list_tags_for_resource(ResourceARN=GATEWAY_ARN, Limit=2, Marker=first["Marker"])

    assert [t["Key"] for t in first["Tags"] + second["Tags"]] == ["k0", "k1", "k2"]
    assert "Marker" not in second


def test_add_tags_to_resource__unknown_gateway(sg):
    with pytest.raises(ClientError) as caught:
        sg.add_tags_to_resource(ResourceARN=OTHER_GATEWAY_ARN, Tags=[{"Key": "a", "Value": "1"}])

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "GatewayNotFound")


def test_add_tags_to_resource__reserved_prefix(sg):
    with pytest.raises(ClientError) as caught:
        sg.add_tags_to_resource(ResourceARN=VOLUME_ARN, Tags=[{"Key": "aws:x", "Value": "1"}])

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "InvalidParameters")


def test_list_tags_for_resource__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.list_tags_for_resource(ResourceARN=UNKNOWN_VOLUME_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


# --- anything else --------------------------------------------------------------------------


def test_unknown_operation__not_emulated(sg, emulator: Emulator):
    with pytest.raises(ClientError) as caught:
        sg.describe_gateway_information(GatewayARN=GATEWAY_ARN)

    error = caught.value
    assert gateway_error(error) == ("InvalidGatewayRequestException", "NotImplemented")
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (
        error.response["Error"]["Message"]
        == "StorageGateway operation DescribeGatewayInformation is not emulated"
    )


def test_internal_error__answered_as_json(sg, monkeypatch):
    def broken(self: StorageGatewayBackend) -> None:
        raise RuntimeError("model bug")

    monkeypatch.setattr(StorageGatewayBackend, "list_gateways", broken)

    with pytest.raises(ClientError) as caught:
        sg.list_gateways()

    assert caught.value.response["Error"]["Code"] == "InternalServerError"
    assert caught.value.response["Error"]["Message"] == "RuntimeError: model bug"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def post_raw(emulator: Emulator, target: str, body: bytes) -> tuple[int, str, dict[str, Any]]:
    request = urllib.request.Request(
        emulator.url,
        data=body,
        method="POST",
        headers={
            "X-Amz-Target": f"StorageGateway_20130630.{target}",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["Content-Type"], json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], json.loads(error.read())


def test_unsigned_request__bad_json(emulator):
    status, content_type, body = post_raw(emulator, "ListGateways", b"{not json")

    assert (status, content_type) == (400, "application/x-amz-json-1.1")
    assert body["__type"] == "SerializationException"


def test_unsigned_request__unknown_target(emulator):
    status, _, body = post_raw(emulator, "MadeUpOperation", b"{}")

    assert status == 400
    assert body["error"]["errorCode"] == "NotImplemented"
    assert body["message"] == "StorageGateway operation MadeUpOperation is not emulated"
