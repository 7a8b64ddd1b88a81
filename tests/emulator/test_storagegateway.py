"""The Storage Gateway operations, through a real boto3 client, against the emulator."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError
from werkzeug.test import Client

from sg_snapshot_provider.emulator import Emulator, EmulatorError
from tests.conftest import ACCOUNT_ID, GATEWAY_ARN, REGION, VOLUME_ARN
from tests.emulator.conftest import (
    OTHER_ACCOUNT_ID,
    error_code,
    error_message,
    gateway_error_code,
    http_status,
    make_client,
)

OTHER_GATEWAY_ARN = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-99887766"
STORED_VOLUME_ARN = f"{OTHER_GATEWAY_ARN}/volume/vol-55667788"
UNKNOWN_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-DEADBEEF"
EU_REGION = "eu-west-1"
EU_GATEWAY_ARN = f"arn:aws:storagegateway:{EU_REGION}:{ACCOUNT_ID}:gateway/sgw-0000EU01"
EU_VOLUME_ARN = f"{EU_GATEWAY_ARN}/volume/vol-00EU0001"
INVALID = ("InvalidGatewayRequestException", "InvalidParameters")


def gateway_error(error: ClientError) -> tuple[str, str]:
    """(__type, errorCode) as botocore parses them."""
    return error_code(error), gateway_error_code(error)


def create_snapshot_error(sg: Any, **params: Any) -> ClientError:
    params.setdefault("VolumeARN", VOLUME_ARN)
    params.setdefault("SnapshotDescription", "nightly")
    with pytest.raises(ClientError) as caught:
        sg.create_snapshot(**params)
    return caught.value


def own_snapshots(ec2: Any) -> list[dict[str, Any]]:
    return list(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"])


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


def test_create_snapshot__unknown_volume(sg):
    error = create_snapshot_error(sg, VolumeARN=UNKNOWN_VOLUME_ARN)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "VolumeNotFound")
    assert http_status(error) == 400
    assert UNKNOWN_VOLUME_ARN in error_message(error)


def test_create_snapshot__unknown_gateway(sg):
    error = create_snapshot_error(sg, VolumeARN=STORED_VOLUME_ARN)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "VolumeNotFound")


def test_create_snapshot__gateway_not_connected(emulator, sg, ec2):
    emulator.add_gateway(GATEWAY_ARN, connected=False)

    error = create_snapshot_error(sg)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "GatewayNotConnected")
    assert own_snapshots(ec2) == []


@pytest.mark.parametrize("gateway_type", ["VTL", "FILE_S3"])
def test_create_snapshot__not_a_volume_gateway(emulator, sg, gateway_type):
    emulator.add_gateway(OTHER_GATEWAY_ARN, gateway_type)

    error = create_snapshot_error(sg, VolumeARN=STORED_VOLUME_ARN)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "NotSupported")
    assert error_message(error).startswith("The specified operation is not supported")


@pytest.mark.parametrize(
    ("params", "path", "constraint"),
    [
        (
            {"VolumeARN": "arn:aws:storagegateway:x:1:gateway/g/volume/vol-1"},
            "volumeARN",
            "Member must have length greater than or equal to 50",
        ),
        (
            {"VolumeARN": f"{VOLUME_ARN}{'0' * 500}"},
            "volumeARN",
            "Member must have length less than or equal to 500",
        ),
        (
            {"VolumeARN": f"{GATEWAY_ARN}/disk/vol-1122AABB-and-more-text"},
            "volumeARN",
            "Member must satisfy regular expression pattern: arn:(aws(|-cn|-us-gov|",
        ),
        (
            {"SnapshotDescription": ""},
            "snapshotDescription",
            "Member must have length greater than or equal to 1",
        ),
        (
            {"SnapshotDescription": "x" * 256},
            "snapshotDescription",
            "Member must have length less than or equal to 255",
        ),
        (
            {"Tags": [{"Key": "k" * 129, "Value": "v"}]},
            "tags.1.member.key",
            "Member must have length less than or equal to 128",
        ),
        (
            {"Tags": [{"Key": "ok", "Value": "v"}, {"Key": "k", "Value": "v" * 257}]},
            "tags.2.member.value",
            "Member must have length less than or equal to 256",
        ),
        (
            {"Tags": [{"Key": "bad#key", "Value": "v"}]},
            "tags.1.member.key",
            "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
        ),
        (
            {"Tags": [{"Key": "", "Value": "v"}]},
            "tags.1.member.key",
            "Member must have length greater than or equal to 1",
        ),
        ({"Tags": [{"Key": "k"}]}, "tags.1.member.value", "Member must not be null"),
    ],
)
def test_create_snapshot__breaks_a_model_constraint(sg_unchecked, ec2, params, path, constraint):
    error = create_snapshot_error(sg_unchecked, **params)

    assert error_code(error) == "ValidationException"
    assert http_status(error) == 400
    assert f"at '{path}' failed to satisfy constraint: {constraint}" in error_message(error)
    assert "error" not in error.response
    assert own_snapshots(ec2) == []


def volume_arn_pattern_of_the_model() -> str:
    """The installed botocore's pattern (older releases lack later partitions)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("storagegateway")
    pattern: str = model.shape_for("VolumeARN").metadata["pattern"]
    return pattern


def test_create_snapshot__validation_message_lists_every_violation(sg_unchecked):
    error = create_snapshot_error(sg_unchecked, VolumeARN="fake_volume", SnapshotDescription=None)

    assert error_message(error) == (
        "3 validation errors detected: "
        "Value 'fake_volume' at 'volumeARN' failed to satisfy constraint: Member must have "
        "length greater than or equal to 50; "
        "Value 'fake_volume' at 'volumeARN' failed to satisfy constraint: Member must satisfy "
        f"regular expression pattern: {volume_arn_pattern_of_the_model()}; "
        "Value null at 'snapshotDescription' failed to satisfy constraint: Member must not be "
        "null"
    )


@pytest.mark.parametrize("key", ["tab\there", "new\nline", "carriage\rreturn", "nul\x00"])
def test_create_snapshot__tag_key_control_characters(sg_unchecked, ec2, key):
    # str.isspace() calls "\t" and "\n" space; \p{Z} (Unicode separators) does not.
    error = create_snapshot_error(sg_unchecked, Tags=[{"Key": key, "Value": "v"}])

    assert error_code(error) == "ValidationException"
    assert "tags.1.member.key" in error_message(error)
    assert own_snapshots(ec2) == []


def test_create_snapshot__tag_key_unicode_separators_and_digits(sg, ec2):
    keys = ["no\u00a0break", "ideographic\u3000space", "arabic ٣", "Ωmega.:/=+-@_"]

    snapshot_id = sg.create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription="d",
        Tags=[{"Key": key, "Value": "v"} for key in keys],
    )["SnapshotId"]

    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert {tag["Key"] for tag in snapshot["Tags"]} == set(keys)


def test_create_snapshot__tag_value_has_no_character_rule(sg, ec2):
    # TagValue in the model: max 256, no pattern. The emulator must not be stricter than AWS.
    value = "any*thing#goes\tincluding\ncontrol characters"

    snapshot_id = sg.create_snapshot(
        VolumeARN=VOLUME_ARN, SnapshotDescription="d", Tags=[{"Key": "k", "Value": value}]
    )["SnapshotId"]

    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert snapshot["Tags"] == [{"Key": "k", "Value": value}]


@pytest.mark.parametrize("key", ["aws:reserved", "AWS:reserved", "Aws:x"])
def test_create_snapshot__reserved_tag_prefix(sg, ec2, key):
    error = create_snapshot_error(sg, Tags=[{"Key": key, "Value": "v"}])

    assert gateway_error(error) == INVALID
    assert "aws:" in error_message(error)
    assert own_snapshots(ec2) == []


def test_create_snapshot__too_many_tags(sg, ec2):
    error = create_snapshot_error(sg, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])

    assert gateway_error(error) == INVALID
    assert "Tags" in error_message(error)
    assert own_snapshots(ec2) == []


@pytest.mark.parametrize(
    "params",
    [
        {"VolumeARN": 12345},
        {"SnapshotDescription": True},
        {"Tags": [{"Key": 1, "Value": "v"}]},
    ],
)
def test_create_snapshot__wrong_json_type(sg_unchecked, ec2, params):
    error = create_snapshot_error(sg_unchecked, **params)

    assert error_code(error) == "SerializationException"
    assert http_status(error) == 400
    assert own_snapshots(ec2) == []


@pytest.mark.parametrize("tags", [{"Key": "k", "Value": "v"}, ["k=v"], "k=v", [[]]])
def test_create_snapshot__tags_of_the_wrong_shape(emulator, ec2, tags):
    body = {"VolumeARN": VOLUME_ARN, "SnapshotDescription": "d", "Tags": tags}

    status, _, answer = post_raw(emulator, "CreateSnapshot", json.dumps(body).encode())

    assert (status, answer["__type"]) == (400, "SerializationException")
    assert own_snapshots(ec2) == []


def test_create_snapshot__limits_accepted(sg):
    tags = [{"Key": f"{i:03d}" + "k" * 125, "Value": "v" * 256} for i in range(50)]

    answer = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d" * 255, Tags=tags)

    assert answer["SnapshotId"]


# --- scoping: a request is served in the account and region it is signed for ---------------


def test_create_snapshot__volume_of_another_region(emulator, sg, ec2):
    emulator.add_volume(EU_VOLUME_ARN)

    error = create_snapshot_error(sg, VolumeARN=EU_VOLUME_ARN)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "VolumeNotFound")
    assert EU_VOLUME_ARN in error_message(error)
    assert own_snapshots(ec2) == []
    assert own_snapshots(make_client("ec2", emulator, region=EU_REGION)) == []


def test_create_snapshot__signed_for_the_volumes_region(emulator, ec2):
    emulator.add_volume(EU_VOLUME_ARN)
    sg_eu = make_client("storagegateway", emulator, region=EU_REGION)

    snapshot_id = sg_eu.create_snapshot(VolumeARN=EU_VOLUME_ARN, SnapshotDescription="eu")[
        "SnapshotId"
    ]

    ec2_eu = make_client("ec2", emulator, region=EU_REGION)
    assert ec2_eu.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert own_snapshots(ec2) == []


def test_create_snapshot__volume_of_another_account(emulator, ec2):
    other_account = make_client("storagegateway", emulator, account_id=OTHER_ACCOUNT_ID)

    error = create_snapshot_error(other_account)

    assert gateway_error(error) == ("InvalidGatewayRequestException", "VolumeNotFound")
    assert VOLUME_ARN in error_message(error)
    assert own_snapshots(ec2) == []
    assert own_snapshots(make_client("ec2", emulator, account_id=OTHER_ACCOUNT_ID)) == []


def test_create_snapshot__the_account_signing_owns_the_snapshot(emulator):
    other_gateway = f"arn:aws:storagegateway:{REGION}:{OTHER_ACCOUNT_ID}:gateway/sgw-0000AC02"
    other_volume = f"{other_gateway}/volume/vol-0000AC02"
    emulator.add_volume(other_volume)
    sg_other = make_client("storagegateway", emulator, account_id=OTHER_ACCOUNT_ID)

    snapshot_id = sg_other.create_snapshot(VolumeARN=other_volume, SnapshotDescription="x")[
        "SnapshotId"
    ]

    ec2_other = make_client("ec2", emulator, account_id=OTHER_ACCOUNT_ID)
    (snapshot,) = ec2_other.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    assert snapshot["OwnerId"] == OTHER_ACCOUNT_ID


def test_list_volumes__gateway_of_another_region(emulator, sg):
    emulator.add_volume(EU_VOLUME_ARN)

    with pytest.raises(ClientError) as caught:
        sg.list_volumes(GatewayARN=EU_GATEWAY_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "GatewayNotFound")
    assert EU_GATEWAY_ARN in error_message(caught.value)


def test_list_tags_for_resource__gateway_of_another_account(emulator):
    other_account = make_client("storagegateway", emulator, account_id=OTHER_ACCOUNT_ID)

    with pytest.raises(ClientError) as caught:
        other_account.list_tags_for_resource(ResourceARN=GATEWAY_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "GatewayNotFound")


def test_describe_snapshot_schedule__volume_of_another_region(emulator, sg):
    emulator.add_volume(EU_VOLUME_ARN)

    with pytest.raises(ClientError) as caught:
        sg.describe_snapshot_schedule(VolumeARN=EU_VOLUME_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


def test_update_snapshot_schedule__volume_of_another_account(emulator, sg):
    other_account = make_client("storagegateway", emulator, account_id=OTHER_ACCOUNT_ID)

    with pytest.raises(ClientError) as caught:
        other_account.update_snapshot_schedule(VolumeARN=VOLUME_ARN, StartAt=1, RecurrenceInHours=1)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")
    assert sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)["RecurrenceInHours"] == 24


# --- recovery points ------------------------------------------------------------------------


def test_list_volume_recovery_points__cached(sg):
    answer = sg.list_volume_recovery_points(GatewayARN=GATEWAY_ARN)

    (point,) = answer["VolumeRecoveryPointInfos"]
    assert answer["GatewayARN"] == GATEWAY_ARN
    assert point["VolumeARN"] == VOLUME_ARN
    assert point["VolumeSizeInBytes"] == 1024**3
    assert point["VolumeRecoveryPointTime"].endswith("Z")


def test_list_volume_recovery_points__leaves_out_a_volume_without_one(emulator, sg):
    emulator.add_volume(f"{GATEWAY_ARN}/volume/vol-00000NEW", recovery_point=False)

    points = sg.list_volume_recovery_points(GatewayARN=GATEWAY_ARN)["VolumeRecoveryPointInfos"]

    assert [point["VolumeARN"] for point in points] == [VOLUME_ARN]


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


def test_create_snapshot_from_volume_recovery_point__stored_volume(emulator, sg, ec2):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN)

    with pytest.raises(ClientError) as caught:
        sg.create_snapshot_from_volume_recovery_point(
            VolumeARN=STORED_VOLUME_ARN, SnapshotDescription="x"
        )

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "NotSupported")
    assert own_snapshots(ec2) == []


def test_create_snapshot_from_volume_recovery_point__no_recovery_point(emulator, sg, ec2):
    volume_arn = f"{GATEWAY_ARN}/volume/vol-00000NEW"
    emulator.add_volume(volume_arn, recovery_point=False)

    with pytest.raises(ClientError) as caught:
        sg.create_snapshot_from_volume_recovery_point(VolumeARN=volume_arn, SnapshotDescription="x")

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotReady")
    assert volume_arn in error_message(caught.value)
    assert own_snapshots(ec2) == []
    assert sg.create_snapshot(VolumeARN=volume_arn, SnapshotDescription="ad hoc")["SnapshotId"]


def test_create_snapshot_from_volume_recovery_point__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.create_snapshot_from_volume_recovery_point(
            VolumeARN=UNKNOWN_VOLUME_ARN, SnapshotDescription="x"
        )

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


def test_add_volume__no_recovery_point_on_a_stored_volume(emulator):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")

    with pytest.raises(EmulatorError, match="only cached volumes have recovery points"):
        emulator.add_volume(STORED_VOLUME_ARN, recovery_point=False)


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


def test_list_gateways__sorted_by_arn(emulator, sg):
    arns = [f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-{n:08d}" for n in (9, 1, 5)]
    for arn in arns:
        emulator.add_gateway(arn)

    listed = [g["GatewayARN"] for g in sg.list_gateways()["Gateways"]]

    assert listed == sorted([*arns, GATEWAY_ARN])


def test_list_gateways__only_the_callers_region(emulator, sg):
    emulator.add_gateway(EU_GATEWAY_ARN)

    assert [g["GatewayARN"] for g in sg.list_gateways()["Gateways"]] == [GATEWAY_ARN]


def test_list_volumes__pagination(emulator, sg):
    arns = [VOLUME_ARN] + [f"{GATEWAY_ARN}/volume/vol-0000000{i}" for i in range(4)]
    for arn in arns[1:]:
        emulator.add_volume(arn)

    first = sg.list_volumes(Limit=2)
    second = sg.list_volumes(Limit=2, Marker=first["Marker"])
    third = sg.list_volumes(Limit=2, Marker=second["Marker"])

    pages = [first, second, third]
    assert [v["VolumeARN"] for page in pages for v in page["VolumeInfos"]] == sorted(arns)
    assert "Marker" not in third
    paginator = sg.get_paginator("list_volumes")
    listed = [
        v["VolumeARN"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 3})
        for v in page["VolumeInfos"]
    ]
    assert listed == sorted(arns)


def test_list_volumes__sorted_by_arn(emulator, sg):
    for suffix in ("ZZZZ", "0000", "MMMM"):
        emulator.add_volume(f"{GATEWAY_ARN}/volume/vol-1122{suffix}")

    listed = [v["VolumeARN"] for v in sg.list_volumes(GatewayARN=GATEWAY_ARN)["VolumeInfos"]]

    assert listed == sorted(listed)
    assert len(listed) == 4


def test_list_volumes__a_page_holds_100_by_default(emulator, sg):
    for n in range(100):
        emulator.add_volume(f"{GATEWAY_ARN}/volume/vol-{n:08d}")

    first = sg.list_volumes(GatewayARN=GATEWAY_ARN)
    second = sg.list_volumes(GatewayARN=GATEWAY_ARN, Marker=first["Marker"])

    assert len(first["VolumeInfos"]) == 100
    assert [v["VolumeARN"] for v in second["VolumeInfos"]] == [VOLUME_ARN]
    assert "Marker" not in second


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


@pytest.mark.parametrize("gateway_type", ["VTL", "VTL_SNOW", "FILE_S3", "FILE_FSX_SMB"])
def test_list_volumes__not_a_volume_gateway(emulator, sg, gateway_type):
    emulator.add_gateway(OTHER_GATEWAY_ARN, gateway_type)

    with pytest.raises(ClientError) as caught:
        sg.list_volumes(GatewayARN=OTHER_GATEWAY_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "NotSupported")
    assert error_message(caught.value).startswith("The specified operation is not supported")


def test_list_volumes__unknown_gateway(sg):
    with pytest.raises(ClientError) as caught:
        sg.list_volumes(GatewayARN=OTHER_GATEWAY_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "GatewayNotFound")


def test_list_volumes__marker_never_issued(sg):
    with pytest.raises(ClientError) as caught:
        sg.list_volumes(Marker="not-a-marker")

    assert gateway_error(caught.value) == INVALID


@pytest.mark.parametrize(
    ("params", "constraint"),
    [
        ({"Limit": 0}, "at 'limit' failed to satisfy constraint: Member must have value greater"),
        ({"Marker": ""}, "at 'marker' failed to satisfy constraint: Member must have length gr"),
        ({"Marker": "1" * 2001}, "at 'marker' failed to satisfy constraint: Member must have le"),
        ({"GatewayARN": "fake_gateway"}, "Value 'fake_gateway' at 'gatewayARN' failed to satisfy"),
    ],
)
def test_list_volumes__breaks_a_model_constraint(sg_unchecked, params, constraint):
    with pytest.raises(ClientError) as caught:
        sg_unchecked.list_volumes(**params)

    assert error_code(caught.value) == "ValidationException"
    assert constraint in error_message(caught.value)


@pytest.mark.parametrize("limit", ["2", True, 2.5])
def test_list_volumes__limit_not_an_integer(sg_unchecked, limit):
    with pytest.raises(ClientError) as caught:
        sg_unchecked.list_volumes(Limit=limit)

    assert error_code(caught.value) == "SerializationException"


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


def test_add_volume__ids_the_model_allows(emulator):
    with pytest.raises(EmulatorError, match="12 to 30 characters"):
        emulator.add_volume(f"{GATEWAY_ARN}/volume/vol-1")


# --- snapshot schedule ----------------------------------------------------------------------


def schedule_of(sg: Any) -> dict[str, Any]:
    answer = dict(sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN))
    answer.pop("ResponseMetadata")
    return answer


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


def test_describe_snapshot_schedule__tags_sorted_by_key(sg):
    keys = ["zulu", "alpha", "Mike", "bravo"]
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN,
        StartAt=3,
        RecurrenceInHours=12,
        Tags=[{"Key": key, "Value": "v"} for key in keys],
    )

    tags = sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)["Tags"]

    assert [tag["Key"] for tag in tags] == sorted(keys)


def test_update_snapshot_schedule__recurrence_not_offered(sg):
    before = schedule_of(sg)

    with pytest.raises(ClientError) as caught:
        sg.update_snapshot_schedule(VolumeARN=VOLUME_ARN, StartAt=3, RecurrenceInHours=5)

    assert gateway_error(caught.value) == INVALID
    assert "RecurrenceInHours" in error_message(caught.value)
    assert schedule_of(sg) == before


@pytest.mark.parametrize(
    ("start_at", "recurrence", "member", "constraint"),
    [
        (24, 1, "startAt", "Member must have value less than or equal to 23"),
        (-1, 1, "startAt", "Member must have value greater than or equal to 0"),
        (3, 25, "recurrenceInHours", "Member must have value less than or equal to 24"),
        (3, 0, "recurrenceInHours", "Member must have value greater than or equal to 1"),
        (None, 1, "startAt", "Member must not be null"),
    ],
)
def test_update_snapshot_schedule__out_of_range(
    sg_unchecked, start_at, recurrence, member, constraint
):
    before = schedule_of(sg_unchecked)

    with pytest.raises(ClientError) as caught:
        sg_unchecked.update_snapshot_schedule(
            VolumeARN=VOLUME_ARN, StartAt=start_at, RecurrenceInHours=recurrence
        )

    assert error_code(caught.value) == "ValidationException"
    assert f"at '{member}' failed to satisfy constraint: {constraint}" in error_message(
        caught.value
    )
    assert schedule_of(sg_unchecked) == before


@pytest.mark.parametrize(
    ("start_at", "recurrence"),
    [(True, 1), (False, 1), (3, True), ("3", 1), (3, "12"), (3.0, 12), (3, 12.5), (3, [12])],
)
def test_update_snapshot_schedule__not_an_integer(sg_unchecked, start_at, recurrence):
    before = schedule_of(sg_unchecked)

    with pytest.raises(ClientError) as caught:
        sg_unchecked.update_snapshot_schedule(
            VolumeARN=VOLUME_ARN, StartAt=start_at, RecurrenceInHours=recurrence
        )

    assert error_code(caught.value) == "SerializationException"
    assert http_status(caught.value) == 400
    assert schedule_of(sg_unchecked) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"Tags": [{"Key": "aws:x", "Value": "v"}]},
        {"Tags": [{"Key": f"k{i}", "Value": "v"} for i in range(51)]},
        {"Description": ""},
        {"Tags": [{"Key": "k", "Value": "v" * 257}]},
    ],
)
def test_update_snapshot_schedule__refused_changes_nothing(sg_unchecked, changes):
    sg_unchecked.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN, StartAt=1, RecurrenceInHours=2, Description="before"
    )
    before = schedule_of(sg_unchecked)

    with pytest.raises(ClientError):
        sg_unchecked.update_snapshot_schedule(
            VolumeARN=VOLUME_ARN, StartAt=5, RecurrenceInHours=4, **changes
        )

    assert schedule_of(sg_unchecked) == before


def test_describe_snapshot_schedule__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.describe_snapshot_schedule(VolumeARN=UNKNOWN_VOLUME_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


def test_delete_snapshot_schedule__basic(sg):
    answer = sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)

    assert answer["VolumeARN"] == VOLUME_ARN
    with pytest.raises(ClientError) as caught:
        sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)
    assert gateway_error(caught.value) == (
        "InvalidGatewayRequestException",
        "SnapshotScheduleNotFound",
    )


def test_delete_snapshot_schedule__twice(sg):
    sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)

    with pytest.raises(ClientError) as caught:
        sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)

    assert gateway_error(caught.value) == (
        "InvalidGatewayRequestException",
        "SnapshotScheduleNotFound",
    )


def test_delete_snapshot_schedule__then_update_makes_a_new_one(sg):
    sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)

    sg.update_snapshot_schedule(VolumeARN=VOLUME_ARN, StartAt=7, RecurrenceInHours=8)

    schedule = schedule_of(sg)
    assert (schedule["StartAt"], schedule["RecurrenceInHours"]) == (7, 8)
    assert schedule["Tags"] == []


def test_delete_snapshot_schedule__stored_volume(emulator, sg):
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(STORED_VOLUME_ARN)

    with pytest.raises(ClientError) as caught:
        sg.delete_snapshot_schedule(VolumeARN=STORED_VOLUME_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "NotSupported")
    assert sg.describe_snapshot_schedule(VolumeARN=STORED_VOLUME_ARN)["RecurrenceInHours"] == 24


def test_delete_snapshot_schedule__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.delete_snapshot_schedule(VolumeARN=UNKNOWN_VOLUME_ARN)

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
        sg.add_tags_to_resource(ResourceARN=VOLUME_ARN, Tags=[{"Key": "AWS:x", "Value": "1"}])

    assert gateway_error(caught.value) == INVALID
    assert sg.list_tags_for_resource(ResourceARN=VOLUME_ARN)["Tags"] == []


def test_add_tags_to_resource__more_than_50_in_all(sg):
    sg.add_tags_to_resource(
        ResourceARN=VOLUME_ARN, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    )

    with pytest.raises(ClientError) as caught:
        sg.add_tags_to_resource(ResourceARN=VOLUME_ARN, Tags=[{"Key": "one-more", "Value": "v"}])

    assert gateway_error(caught.value) == INVALID
    assert len(sg.list_tags_for_resource(ResourceARN=VOLUME_ARN)["Tags"]) == 50


def test_remove_tags_from_resource__reserved_prefix(sg):
    with pytest.raises(ClientError) as caught:
        sg.remove_tags_from_resource(ResourceARN=VOLUME_ARN, TagKeys=["aws:x"])

    assert gateway_error(caught.value) == INVALID


def test_list_tags_for_resource__unknown_volume(sg):
    with pytest.raises(ClientError) as caught:
        sg.list_tags_for_resource(ResourceARN=UNKNOWN_VOLUME_ARN)

    assert gateway_error(caught.value) == ("InvalidGatewayRequestException", "VolumeNotFound")


# --- anything else --------------------------------------------------------------------------


def test_unknown_operation__not_emulated(sg, emulator: Emulator):
    with pytest.raises(ClientError) as caught:
        sg.describe_bandwidth_rate_limit(GatewayARN=GATEWAY_ARN)

    error = caught.value
    assert gateway_error(error) == ("InvalidGatewayRequestException", "NotImplemented")
    assert http_status(error) == 400
    assert error_message(error) == (
        "StorageGateway operation DescribeBandwidthRateLimit is not emulated"
    )


def test_internal_error__answered_as_json(monkeypatch):
    # In this process, not in the emulator's: a bug of ours is made on purpose.
    from sg_snapshot_provider.emulator.backend import StorageGatewayBackend
    from sg_snapshot_provider.emulator.control import EmulatorState
    from sg_snapshot_provider.emulator.server import EmulatorApp

    def broken(self: StorageGatewayBackend) -> None:
        raise RuntimeError("model bug")

    monkeypatch.setattr(StorageGatewayBackend, "list_gateways", broken)
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
    assert json.loads(answer.data) == {
        "__type": "InternalServerError",
        "message": "RuntimeError: model bug",
    }


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


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'"text"'])
def test_unsigned_request__not_a_json_object(emulator, body):
    status, content_type, answer = post_raw(emulator, "ListGateways", body)

    assert (status, content_type) == (400, "application/x-amz-json-1.1")
    assert answer["__type"] == "SerializationException"


def test_unsigned_request__unknown_target(emulator):
    status, _, body = post_raw(emulator, "MadeUpOperation", b"{}")

    assert status == 400
    assert body["__type"] == "UnknownOperationException"
    assert "MadeUpOperation" in body["message"]
