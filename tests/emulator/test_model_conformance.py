"""Every answer of every emulated operation, checked against botocore's service models.

Storage Gateway: each emulated operation is sent through boto3 (parameter validation off, so
bad input reaches the emulator), once for success and once for each error it can answer; the
raw JSON answer must fit the model (``conformance``). The table is checked against the
emulator's own table of operations: a handler added without cases fails here.

EC2: the parsed answers of the actions the provider and the tests use must fit the output
shapes, and every EC2 error the emulator answers must be a documented EC2 error code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore import xform_name
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.emulator.gateways import GATEWAY_IPV4
from sg_snapshot_provider.emulator.responses import OPERATIONS
from sg_snapshot_provider.emulator.validation import java_pattern, service_model
from tests.conftest import ACCOUNT_ID, GATEWAY_ARN, REGION, VOLUME_ARN
from tests.emulator.conformance import (
    EC2_ERROR_CODES,
    RawAnswers,
    ec2_problems,
    error_problems,
    json_problems,
    storage_gateway_problems,
)
from tests.emulator.conftest import UNCHECKED, make_client

OTHER_GATEWAY_ARN = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-99887766"
OTHER_VOLUME_ARN = f"{OTHER_GATEWAY_ARN}/volume/vol-55667788"
UNKNOWN_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-DEADBEEF"
NEW_VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-00000NEW"
EU_VOLUME_ARN = (
    f"arn:aws:storagegateway:eu-west-1:{ACCOUNT_ID}:gateway/sgw-0000EU01/volume/vol-00EU0001"
)
TAPE_ARN = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:tape/AAAAAAAAAA"
TAGS = [{"Key": "team", "Value": "storage"}, {"Key": "Ünïcode", "Value": "a+b=c@d"}]
RESERVED_TAGS = [{"Key": "aws:x", "Value": "v"}]
#: The local disks of a stored gateway the emulator seeds: its upload buffer and a free one.
UPLOAD_BUFFER_DISK_ID = "pci-0000:03:00.0-scsi-0:0:0:0"
FREE_DISK_ID = "pci-0000:03:00.0-scsi-0:0:1:0"

OK = "ok"
VALIDATION = "ValidationException"
SERIALIZATION = "SerializationException"

Setup = Callable[[Emulator, Any], None]


@dataclass(frozen=True)
class Case:
    operation: str
    variant: str
    params: dict[str, Any]
    #: "ok", a common error's __type, or an InvalidGatewayRequestException errorCode.
    expect: str
    setup: Setup | None = None
    id: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", f"{self.operation}-{self.variant}")


def other_gateway(gateway_type: str, *, volume: bool = False) -> Setup:
    def setup(emulator: Emulator, _: Any) -> None:
        emulator.add_gateway(OTHER_GATEWAY_ARN, gateway_type)
        if volume:
            emulator.add_volume(OTHER_VOLUME_ARN)

    return setup


def disconnected(emulator: Emulator, _: Any) -> None:
    emulator.add_gateway(GATEWAY_ARN, connected=False)


def eu_volume(emulator: Emulator, _: Any) -> None:
    emulator.add_volume(EU_VOLUME_ARN)


def without_recovery_point(emulator: Emulator, _: Any) -> None:
    emulator.add_volume(NEW_VOLUME_ARN, recovery_point=False)


def many_gateways(emulator: Emulator, _: Any) -> None:
    for n in range(3):
        emulator.add_gateway(f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-{n:08d}")


def many_volumes(emulator: Emulator, _: Any) -> None:
    for n in range(3):
        emulator.add_volume(f"{GATEWAY_ARN}/volume/vol-{n:08d}")


def tagged_gateway_in_another_zone(emulator: Emulator, sg: Any) -> None:
    emulator.add_gateway(GATEWAY_ARN, timezone="GMT-5:00")
    sg.add_tags_to_resource(ResourceARN=GATEWAY_ARN, Tags=TAGS)


def stored_volume(emulator: Emulator, _: Any) -> None:
    emulator.add_gateway(OTHER_GATEWAY_ARN, "STORED")
    emulator.add_volume(OTHER_VOLUME_ARN)


def full_schedule(_: Emulator, sg: Any) -> None:
    sg.update_snapshot_schedule(
        VolumeARN=VOLUME_ARN, StartAt=3, RecurrenceInHours=12, Description="d", Tags=TAGS
    )


def no_schedule(_: Emulator, sg: Any) -> None:
    sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)


def tagged(_: Emulator, sg: Any) -> None:
    for arn in (GATEWAY_ARN, VOLUME_ARN):
        sg.add_tags_to_resource(ResourceARN=arn, Tags=TAGS)


def snapshot_cases(operation: str) -> list[Case]:
    base = {"VolumeARN": VOLUME_ARN, "SnapshotDescription": "d"}
    return [
        Case(operation, "basic", {**base, "Tags": TAGS}, OK),
        Case(operation, "bad-arn", {**base, "VolumeARN": "fake_volume"}, VALIDATION),
        Case(operation, "arn-not-a-string", {**base, "VolumeARN": 1}, SERIALIZATION),
        Case(
            operation, "unknown-volume", {**base, "VolumeARN": UNKNOWN_VOLUME_ARN}, "VolumeNotFound"
        ),
        Case(
            operation,
            "volume-of-another-region",
            {**base, "VolumeARN": EU_VOLUME_ARN},
            "VolumeNotFound",
            eu_volume,
        ),
        Case(operation, "not-connected", base, "GatewayNotConnected", disconnected),
        Case(
            operation,
            "tape-gateway",
            {**base, "VolumeARN": OTHER_VOLUME_ARN},
            "NotSupported",
            other_gateway("VTL"),
        ),
        Case(operation, "reserved-tag", {**base, "Tags": RESERVED_TAGS}, "InvalidParameters"),
    ]


def cached_volume_cases() -> list[Case]:
    operation = "CreateCachediSCSIVolume"
    base = {
        "GatewayARN": GATEWAY_ARN,
        "VolumeSizeInBytes": 2 * 1024**3,
        "TargetName": "restored-volume",
        "NetworkInterfaceId": GATEWAY_IPV4,
        "ClientToken": "token-1",
    }
    return [
        Case(operation, "basic", {**base, "Tags": TAGS}, OK),
        Case(operation, "target-name-pattern", {**base, "TargetName": "Restored"}, VALIDATION),
        Case(operation, "no-client-token", {**base, "ClientToken": None}, VALIDATION),
        Case(operation, "size-text", {**base, "VolumeSizeInBytes": "2"}, SERIALIZATION),
        Case(
            operation,
            "stored-gateway",
            {**base, "GatewayARN": OTHER_GATEWAY_ARN},
            "NotSupported",
            other_gateway("STORED"),
        ),
        Case(
            operation,
            "unknown-gateway",
            {**base, "GatewayARN": OTHER_GATEWAY_ARN},
            "GatewayNotFound",
        ),
        Case(operation, "not-connected", base, "GatewayNotConnected", disconnected),
        Case(
            operation,
            "foreign-interface",
            {**base, "NetworkInterfaceId": "10.9.9.9"},
            "InvalidParameters",
        ),
        Case(
            operation,
            "target-taken",
            {**base, "TargetName": "vol-1122aabb"},
            "TargetAlreadyExists",
        ),
        Case(
            operation,
            "unknown-snapshot",
            {**base, "SnapshotId": "snap-0123456789abcdef0"},
            "SnapshotNotFound",
        ),
        Case(operation, "too-small", {**base, "VolumeSizeInBytes": 1024}, "InvalidParameters"),
        Case(operation, "reserved-tag", {**base, "Tags": RESERVED_TAGS}, "InvalidParameters"),
    ]


def stored_volume_cases() -> list[Case]:
    operation = "CreateStorediSCSIVolume"
    base = {
        "GatewayARN": OTHER_GATEWAY_ARN,
        "DiskId": FREE_DISK_ID,
        "PreserveExistingData": False,
        "TargetName": "stored-volume",
        "NetworkInterfaceId": GATEWAY_IPV4,
    }
    stored = other_gateway("STORED")
    return [
        Case(operation, "basic", {**base, "Tags": TAGS}, OK, stored),
        Case(operation, "no-disk", {**base, "DiskId": None}, VALIDATION, stored),
        Case(operation, "preserve-text", {**base, "PreserveExistingData": "no"}, SERIALIZATION),
        Case(operation, "cached-gateway", {**base, "GatewayARN": GATEWAY_ARN}, "NotSupported"),
        Case(operation, "unknown-disk", {**base, "DiskId": "nope"}, "DiskDoesNotExist", stored),
        Case(
            operation,
            "upload-buffer-disk",
            {**base, "DiskId": UPLOAD_BUFFER_DISK_ID},
            "DiskAlreadyAllocated",
            stored,
        ),
        Case(
            operation,
            "preserve-and-restore",
            {**base, "PreserveExistingData": True, "SnapshotId": "snap-0123abcd"},
            "InvalidParameters",
            stored,
        ),
        Case(
            operation,
            "unknown-snapshot",
            {**base, "SnapshotId": "snap-0123abcd"},
            "SnapshotNotFound",
            stored,
        ),
    ]


CASES: list[Case] = [
    *snapshot_cases("CreateSnapshot"),
    Case(
        "CreateSnapshot",
        "stored-volume",
        {"VolumeARN": OTHER_VOLUME_ARN, "SnapshotDescription": "d"},
        OK,
        other_gateway("STORED", volume=True),
    ),
    *snapshot_cases("CreateSnapshotFromVolumeRecoveryPoint"),
    Case(
        "CreateSnapshotFromVolumeRecoveryPoint",
        "stored-volume",
        {"VolumeARN": OTHER_VOLUME_ARN, "SnapshotDescription": "d"},
        "NotSupported",
        other_gateway("STORED", volume=True),
    ),
    Case(
        "CreateSnapshotFromVolumeRecoveryPoint",
        "no-recovery-point",
        {"VolumeARN": NEW_VOLUME_ARN, "SnapshotDescription": "d"},
        "VolumeNotReady",
        without_recovery_point,
    ),
    Case("ListVolumeRecoveryPoints", "basic", {"GatewayARN": GATEWAY_ARN}, OK),
    Case("ListVolumeRecoveryPoints", "short-arn", {"GatewayARN": "fake_gateway"}, VALIDATION),
    Case("ListVolumeRecoveryPoints", "no-arn", {}, VALIDATION),
    Case(
        "ListVolumeRecoveryPoints", "unknown", {"GatewayARN": OTHER_GATEWAY_ARN}, "GatewayNotFound"
    ),
    Case(
        "ListVolumeRecoveryPoints",
        "stored-gateway",
        {"GatewayARN": OTHER_GATEWAY_ARN},
        "NotSupported",
        other_gateway("STORED"),
    ),
    Case("ListGateways", "basic", {}, OK),
    Case("ListGateways", "paged", {"Limit": 2}, OK, many_gateways),
    Case("ListGateways", "limit-zero", {"Limit": 0}, VALIDATION),
    Case("ListGateways", "limit-text", {"Limit": "2"}, SERIALIZATION),
    Case("ListGateways", "foreign-marker", {"Marker": "x"}, "InvalidParameters"),
    Case("ListVolumes", "basic", {}, OK),
    Case("ListVolumes", "paged", {"GatewayARN": GATEWAY_ARN, "Limit": 2}, OK, many_volumes),
    Case("ListVolumes", "empty-marker", {"Marker": ""}, VALIDATION),
    Case("ListVolumes", "unknown-gateway", {"GatewayARN": OTHER_GATEWAY_ARN}, "GatewayNotFound"),
    Case(
        "ListVolumes",
        "file-gateway",
        {"GatewayARN": OTHER_GATEWAY_ARN},
        "NotSupported",
        other_gateway("FILE_S3"),
    ),
    Case("ListVolumes", "foreign-marker", {"Marker": "x"}, "InvalidParameters"),
    Case(
        "DescribeCachediSCSIVolumes",
        "basic",
        {"VolumeARNs": [VOLUME_ARN, OTHER_VOLUME_ARN]},
        OK,
        other_gateway("STORED", volume=True),
    ),
    Case("DescribeCachediSCSIVolumes", "bad-arn", {"VolumeARNs": ["fake"]}, VALIDATION),
    Case("DescribeCachediSCSIVolumes", "number-arn", {"VolumeARNs": [1]}, SERIALIZATION),
    Case(
        "DescribeCachediSCSIVolumes",
        "unknown",
        {"VolumeARNs": [UNKNOWN_VOLUME_ARN]},
        "VolumeNotFound",
    ),
    Case(
        "DescribeStorediSCSIVolumes",
        "basic",
        {"VolumeARNs": [VOLUME_ARN, OTHER_VOLUME_ARN]},
        OK,
        other_gateway("STORED", volume=True),
    ),
    Case("DescribeStorediSCSIVolumes", "no-arns", {}, VALIDATION),
    Case(
        "DescribeStorediSCSIVolumes",
        "unknown",
        {"VolumeARNs": [UNKNOWN_VOLUME_ARN]},
        "VolumeNotFound",
    ),
    Case("DescribeSnapshotSchedule", "default", {"VolumeARN": VOLUME_ARN}, OK),
    Case("DescribeSnapshotSchedule", "full", {"VolumeARN": VOLUME_ARN}, OK, full_schedule),
    Case("DescribeSnapshotSchedule", "bad-arn", {"VolumeARN": "fake"}, VALIDATION),
    Case(
        "DescribeSnapshotSchedule", "unknown", {"VolumeARN": UNKNOWN_VOLUME_ARN}, "VolumeNotFound"
    ),
    Case(
        "DescribeSnapshotSchedule",
        "deleted",
        {"VolumeARN": VOLUME_ARN},
        "SnapshotScheduleNotFound",
        no_schedule,
    ),
    Case(
        "UpdateSnapshotSchedule",
        "basic",
        {"VolumeARN": VOLUME_ARN, "StartAt": 0, "RecurrenceInHours": 1, "Tags": TAGS},
        OK,
    ),
    Case(
        "UpdateSnapshotSchedule",
        "start-at-24",
        {"VolumeARN": VOLUME_ARN, "StartAt": 24, "RecurrenceInHours": 1},
        VALIDATION,
    ),
    Case(
        "UpdateSnapshotSchedule",
        "bool-start-at",
        {"VolumeARN": VOLUME_ARN, "StartAt": True, "RecurrenceInHours": 1},
        SERIALIZATION,
    ),
    Case(
        "UpdateSnapshotSchedule",
        "unknown",
        {"VolumeARN": UNKNOWN_VOLUME_ARN, "StartAt": 1, "RecurrenceInHours": 1},
        "VolumeNotFound",
    ),
    Case(
        "UpdateSnapshotSchedule",
        "recurrence-5",
        {"VolumeARN": VOLUME_ARN, "StartAt": 1, "RecurrenceInHours": 5},
        "InvalidParameters",
    ),
    Case(
        "UpdateSnapshotSchedule",
        "not-connected",
        {"VolumeARN": VOLUME_ARN, "StartAt": 1, "RecurrenceInHours": 1},
        "GatewayNotConnected",
        disconnected,
    ),
    Case(
        "UpdateSnapshotSchedule",
        "tape-gateway",
        {"VolumeARN": OTHER_VOLUME_ARN, "StartAt": 1, "RecurrenceInHours": 1},
        "NotSupported",
        other_gateway("VTL"),
    ),
    Case(
        "DescribeSnapshotSchedule",
        "not-connected",
        {"VolumeARN": VOLUME_ARN},
        "GatewayNotConnected",
        disconnected,
    ),
    Case(
        "DescribeSnapshotSchedule",
        "file-gateway",
        {"VolumeARN": OTHER_VOLUME_ARN},
        "NotSupported",
        other_gateway("FILE_S3"),
    ),
    Case("DeleteSnapshotSchedule", "basic", {"VolumeARN": VOLUME_ARN}, OK),
    Case(
        "DeleteSnapshotSchedule",
        "not-connected",
        {"VolumeARN": VOLUME_ARN},
        "GatewayNotConnected",
        disconnected,
    ),
    Case("DeleteSnapshotSchedule", "bad-arn", {"VolumeARN": "x" * 501}, VALIDATION),
    Case("DeleteSnapshotSchedule", "unknown", {"VolumeARN": UNKNOWN_VOLUME_ARN}, "VolumeNotFound"),
    Case(
        "DeleteSnapshotSchedule",
        "stored-volume",
        {"VolumeARN": OTHER_VOLUME_ARN},
        "NotSupported",
        other_gateway("STORED", volume=True),
    ),
    Case(
        "DeleteSnapshotSchedule",
        "twice",
        {"VolumeARN": VOLUME_ARN},
        "SnapshotScheduleNotFound",
        no_schedule,
    ),
    Case("DescribeGatewayInformation", "basic", {"GatewayARN": GATEWAY_ARN}, OK),
    Case(
        "DescribeGatewayInformation",
        "tagged-in-another-zone",
        {"GatewayARN": GATEWAY_ARN},
        OK,
        tagged_gateway_in_another_zone,
    ),
    Case("DescribeGatewayInformation", "short-arn", {"GatewayARN": "fake_gateway"}, VALIDATION),
    Case(
        "DescribeGatewayInformation",
        "unknown",
        {"GatewayARN": OTHER_GATEWAY_ARN},
        "GatewayNotFound",
    ),
    Case(
        "DescribeGatewayInformation",
        "not-connected",
        {"GatewayARN": GATEWAY_ARN},
        "GatewayNotConnected",
        disconnected,
    ),
    Case("ListLocalDisks", "cached", {"GatewayARN": GATEWAY_ARN}, OK),
    Case("ListLocalDisks", "stored", {"GatewayARN": OTHER_GATEWAY_ARN}, OK, stored_volume),
    Case("ListLocalDisks", "no-arn", {}, VALIDATION),
    Case("ListLocalDisks", "unknown", {"GatewayARN": OTHER_GATEWAY_ARN}, "GatewayNotFound"),
    *cached_volume_cases(),
    *stored_volume_cases(),
    Case("DeleteVolume", "basic", {"VolumeARN": VOLUME_ARN}, OK),
    Case("DeleteVolume", "stored", {"VolumeARN": OTHER_VOLUME_ARN}, OK, stored_volume),
    Case("DeleteVolume", "bad-arn", {"VolumeARN": "fake"}, VALIDATION),
    Case("DeleteVolume", "unknown", {"VolumeARN": UNKNOWN_VOLUME_ARN}, "VolumeNotFound"),
    Case(
        "DeleteVolume",
        "not-connected",
        {"VolumeARN": VOLUME_ARN},
        "GatewayNotConnected",
        disconnected,
    ),
    Case("ListTagsForResource", "volume", {"ResourceARN": VOLUME_ARN}, OK, tagged),
    Case("ListTagsForResource", "paged", {"ResourceARN": GATEWAY_ARN, "Limit": 1}, OK, tagged),
    Case("ListTagsForResource", "short-arn", {"ResourceARN": "arn"}, VALIDATION),
    Case(
        "ListTagsForResource",
        "unknown-volume",
        {"ResourceARN": UNKNOWN_VOLUME_ARN},
        "VolumeNotFound",
    ),
    Case(
        "ListTagsForResource",
        "unknown-gateway",
        {"ResourceARN": OTHER_GATEWAY_ARN},
        "GatewayNotFound",
    ),
    Case("ListTagsForResource", "tape", {"ResourceARN": TAPE_ARN}, "InvalidParameters"),
    Case("AddTagsToResource", "basic", {"ResourceARN": VOLUME_ARN, "Tags": TAGS}, OK),
    Case(
        "AddTagsToResource",
        "tab-in-key",
        {"ResourceARN": VOLUME_ARN, "Tags": [{"Key": "a\tb", "Value": "v"}]},
        VALIDATION,
    ),
    Case(
        "AddTagsToResource",
        "unknown-gateway",
        {"ResourceARN": OTHER_GATEWAY_ARN, "Tags": TAGS},
        "GatewayNotFound",
    ),
    Case(
        "AddTagsToResource",
        "unknown-volume",
        {"ResourceARN": UNKNOWN_VOLUME_ARN, "Tags": TAGS},
        "VolumeNotFound",
    ),
    Case(
        "AddTagsToResource",
        "reserved",
        {"ResourceARN": VOLUME_ARN, "Tags": RESERVED_TAGS},
        "InvalidParameters",
    ),
    Case(
        "RemoveTagsFromResource",
        "basic",
        {"ResourceARN": VOLUME_ARN, "TagKeys": ["team", "never"]},
        OK,
        tagged,
    ),
    Case("RemoveTagsFromResource", "no-keys", {"ResourceARN": VOLUME_ARN}, VALIDATION),
    Case(
        "RemoveTagsFromResource",
        "unknown-volume",
        {"ResourceARN": UNKNOWN_VOLUME_ARN, "TagKeys": ["a"]},
        "VolumeNotFound",
    ),
    Case(
        "RemoveTagsFromResource",
        "unknown-gateway",
        {"ResourceARN": OTHER_GATEWAY_ARN, "TagKeys": ["a"]},
        "GatewayNotFound",
    ),
    Case(
        "RemoveTagsFromResource",
        "reserved",
        {"ResourceARN": VOLUME_ARN, "TagKeys": ["AWS:x"]},
        "InvalidParameters",
    ),
]


def outcome(error: ClientError | None) -> str:
    if error is None:
        return OK
    code = str(error.response["Error"]["Code"])
    if code == "InvalidGatewayRequestException":
        return str(error.response.get("error", {}).get("errorCode"))  # type: ignore[attr-defined]
    return code


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_operation__answers_as_the_model_says(emulator: Emulator, case: Case):
    sg = make_client("storagegateway", emulator, UNCHECKED)
    if case.setup is not None:
        case.setup(emulator, make_client("storagegateway", emulator))
    raw = RawAnswers(sg)

    error = None
    try:
        getattr(sg, xform_name(case.operation))(**case.params)
    except ClientError as caught:
        error = caught

    (answer,) = raw.answers
    assert answer.operation == case.operation
    assert storage_gateway_problems(answer) == []
    assert outcome(error) == case.expect


def test_every_operation__has_conformance_cases():
    covered: dict[str, set[str]] = {}
    for case in CASES:
        covered.setdefault(case.operation, set()).add(case.expect)

    assert set(covered) == set(OPERATIONS)
    for operation, outcomes in covered.items():
        assert OK in outcomes, f"{operation}: no success case"
        assert VALIDATION in outcomes, f"{operation}: no ValidationException case"
        assert outcomes - {OK, VALIDATION, SERIALIZATION}, f"{operation}: no service error case"


def test_every_operation__is_one_of_the_model(emulator: Emulator):
    assert set(OPERATIONS) <= set(service_model("storagegateway").operation_names)


def test_operation_not_emulated__answers_as_the_model_says(emulator: Emulator):
    sg = make_client("storagegateway", emulator)
    raw = RawAnswers(sg)

    with pytest.raises(ClientError) as caught:
        sg.describe_bandwidth_rate_limit(GatewayARN=GATEWAY_ARN)

    assert storage_gateway_problems(raw.last) == []
    assert outcome(caught.value) == "NotImplemented"


# --- the checks themselves must catch what they are for ------------------------------------


def sg_output(operation: str) -> Any:
    return service_model("storagegateway").operation_model(operation).output_shape


@pytest.mark.parametrize(
    ("operation", "body", "problem"),
    [
        ("CreateSnapshot", {"SnapshotId": "snap-1", "VolumeARN": VOLUME_ARN}, "does not match"),
        ("CreateSnapshot", {"SnapshotId": "snap-0123abcd", "Extra": 1}, "not a member"),
        ("CreateSnapshot", {"SnapshotId": None}, "null"),
        ("ListVolumes", {"VolumeInfos": [{"VolumeSizeInBytes": "1"}]}, "not an integer"),
        ("ListVolumes", {"VolumeInfos": [{"VolumeSizeInBytes": True}]}, "not an integer"),
        ("ListVolumes", {"VolumeInfos": [{"VolumeId": "vol-1"}]}, "< min 12"),
        ("ListVolumes", {"Marker": ""}, "< min 1"),
        ("ListGateways", {"Gateways": [{"HostEnvironment": "MAINFRAME"}]}, "is not one of"),
        ("DescribeSnapshotSchedule", {"StartAt": 24}, "> max 23"),
        ("DescribeSnapshotSchedule", {"Tags": [{"Key": "k"}]}, "required by Tag"),
        ("DescribeSnapshotSchedule", {"Tags": [{"Key": "a\tb", "Value": ""}]}, "does not match"),
        ("DescribeSnapshotSchedule", {"Tags": {"Key": "k"}}, "not a list"),
        ("DescribeCachediSCSIVolumes", {"CachediSCSIVolumes": [{"CreatedDate": "x"}]}, "epoch"),
    ],
)
def test_json_problems__catches(operation, body, problem):
    problems = json_problems(sg_output(operation), body)

    assert any(problem in found for found in problems), problems


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"__type": "AccessDenied", "message": "x"}, "neither an error of CreateSnapshot"),
        ({"__type": "InvalidGatewayRequestException", "message": "x"}, "without error.errorCode"),
        (
            {"__type": "InvalidGatewayRequestException", "error": {"errorCode": "Nope"}},
            "is not one of",
        ),
        ({"__type": "ValidationException", "message": "x", "error": {}}, "beyond __type"),
        ({"__type": "SerializationException"}, "without a message"),
    ],
)
def test_error_problems__catches(body, problem):
    operation = service_model("storagegateway").operation_model("CreateSnapshot")

    problems = error_problems(operation, 400, body)

    assert any(problem in found for found in problems), problems


def test_error_problems__catches_a_success_status():
    operation = service_model("storagegateway").operation_model("CreateSnapshot")

    assert error_problems(operation, 200, {"__type": "ValidationException", "message": "x"})


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        ("Ünïcode key 9", True),
        ("no\u00a0break", True),
        ("٣", True),
        ("tab\there", False),
        ("new\nline", False),
        ("hash#", False),
        ("", True),
    ],
)
def test_java_pattern__tag_key(value, matches):
    pattern = java_pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$")

    assert bool(pattern.fullmatch(value)) is matches


def test_java_pattern__end_of_input():
    pattern = java_pattern(r"\Asnap-([0-9A-Fa-f]{8}|[0-9A-Fa-f]{17})\z")

    assert pattern.fullmatch("snap-0123abcd")
    assert not pattern.fullmatch("snap-0123abcd\n")


# --- EC2 ------------------------------------------------------------------------------------


def ec2_answer(ec2: Any, operation: str, **params: Any) -> dict[str, Any]:
    answer = dict(getattr(ec2, xform_name(operation))(**params))
    assert ec2_problems(operation, answer) == []
    return answer


def test_ec2_answers__conform_to_the_model(emulator: Emulator, sg, ec2):
    emulator.set_pending_seconds(600)
    pending = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="p", Tags=TAGS)[
        "SnapshotId"
    ]
    emulator.set_pending_seconds(0)
    done = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]
    volume_id = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")["VolumeId"]
    own = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
    emulator.set_snapshot_state(done, "error", progress="42%")

    described = ec2_answer(ec2, "DescribeSnapshots", SnapshotIds=[pending, done, own])
    ec2_answer(ec2, "DescribeSnapshots", OwnerIds=["self"], MaxResults=5)
    ec2_answer(ec2, "DescribeSnapshots", Filters=[{"Name": "tag:team", "Values": ["storage"]}])
    ec2_answer(ec2, "CreateTags", Resources=[pending], Tags=[{"Key": "k", "Value": ""}])
    ec2_answer(ec2, "DeleteTags", Resources=[pending], Tags=[{"Key": "k"}])
    ec2_answer(ec2, "DeleteTags", Resources=[pending])
    image = ec2_answer(
        ec2,
        "RegisterImage",
        Name="conformance",
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": own}}],
    )
    ec2_answer(ec2, "DeregisterImage", ImageId=image["ImageId"])
    ec2_answer(ec2, "DeleteSnapshot", SnapshotId=own)

    states = {s["SnapshotId"]: (s["State"], s["Progress"]) for s in described["Snapshots"]}
    assert states[pending][0] == "pending"
    assert states[done] == ("error", "42%")


def ec2_failure(call: Callable[..., Any], **params: Any) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value


def test_ec2_errors__documented_codes(emulator: Emulator, sg, ec2, ec2_unchecked):
    snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]
    image_id = ec2.register_image(
        Name="in-use",
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": snapshot_id}}],
    )["ImageId"]
    failures = [
        ec2_failure(ec2.describe_snapshots, SnapshotIds=["snap-0123456789abcdef0"]),
        ec2_failure(ec2.describe_snapshots, SnapshotIds=["snap-xyz"]),
        ec2_failure(ec2.delete_snapshot, SnapshotId=snapshot_id),
        ec2_failure(ec2.create_tags, Resources=[snapshot_id], Tags=[{"Key": "aws:x", "Value": ""}]),
        ec2_failure(ec2_unchecked.delete_snapshot),
        ec2_failure(ec2.describe_snapshots, SnapshotIds=[snapshot_id], MaxResults=5),
        ec2_failure(
            ec2.describe_snapshots,
            Filters=[{"Name": "snapshot-id", "Values": [f"snap-{n:08x}" for n in range(201)]}],
        ),
        ec2_failure(ec2_unchecked.describe_snapshots, MaxResults="many"),
    ]

    codes = [str(failure.response["Error"]["Code"]) for failure in failures]
    assert codes == [
        "InvalidSnapshot.NotFound",
        "InvalidSnapshotID.Malformed",
        "InvalidSnapshot.InUse",
        "InvalidParameterValue",
        "MissingParameter",
        "InvalidParameterCombination",
        "FilterLimitExceeded",
        "InvalidParameterValue",
    ]
    assert set(codes) <= EC2_ERROR_CODES
    assert all(f.response["ResponseMetadata"]["HTTPStatusCode"] == 400 for f in failures)
    assert all(f.response["Error"]["Message"] for f in failures)
    assert image_id in failures[2].response["Error"]["Message"]


def test_ec2_lock_and_tier_answers__conform_to_the_model(emulator: Emulator, sg, ec2):
    locked = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="l")["SnapshotId"]
    archived = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="a")["SnapshotId"]

    lock = ec2_answer(
        ec2,
        "LockSnapshot",
        SnapshotId=locked,
        LockMode="compliance",
        LockDuration=3,
        CoolOffPeriod=2,
    )
    described = ec2_answer(ec2, "DescribeLockedSnapshots", SnapshotIds=[locked])
    ec2_answer(
        ec2, "DescribeLockedSnapshots", Filters=[{"Name": "lock-state", "Values": ["expired"]}]
    )
    ec2_answer(ec2, "UnlockSnapshot", SnapshotId=locked)
    ec2_answer(ec2, "ModifySnapshotTier", SnapshotId=archived, StorageTier="archive")
    tiers = ec2_answer(
        ec2, "DescribeSnapshotTierStatus", Filters=[{"Name": "snapshot-id", "Values": [archived]}]
    )
    ec2_answer(ec2, "RestoreSnapshotTier", SnapshotId=archived, TemporaryRestoreDays=2)
    ec2_answer(ec2, "RestoreSnapshotTier", SnapshotId=archived, PermanentRestore=True)

    assert lock["LockState"] == "compliance-cooloff"
    assert "CoolOffPeriodExpiresOn" in lock
    assert [s["SnapshotId"] for s in described["Snapshots"]] == [locked]
    assert tiers["SnapshotTierStatuses"][0]["StorageTier"] == "archive"


def test_ec2_lock_and_tier_errors__documented_codes(emulator: Emulator, sg, ec2, ec2_unchecked):
    snapshot_id = sg.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="d")["SnapshotId"]
    ec2.lock_snapshot(SnapshotId=snapshot_id, LockMode="governance", LockDuration=1)
    failures = [
        ec2_failure(ec2.delete_snapshot, SnapshotId=snapshot_id),
        ec2_failure(ec2.lock_snapshot, SnapshotId=snapshot_id, LockMode="governance"),
        ec2_failure(ec2_unchecked.lock_snapshot, SnapshotId=snapshot_id),
        ec2_failure(
            ec2.lock_snapshot, SnapshotId="snap-xyz", LockMode="governance", LockDuration=1
        ),
        ec2_failure(
            ec2.describe_locked_snapshots, Filters=[{"Name": "volume-id", "Values": ["v"]}]
        ),
        ec2_failure(ec2.restore_snapshot_tier, SnapshotId=snapshot_id, PermanentRestore=True),
    ]

    codes = [str(failure.response["Error"]["Code"]) for failure in failures]
    assert codes == [
        "IncorrectState",
        "InvalidParameterCombination",
        "MissingParameter",
        "InvalidSnapshotID.Malformed",
        "InvalidParameterValue",
        "IncorrectState",
    ]
    assert set(codes) <= EC2_ERROR_CODES
    assert all(f.response["Error"]["Message"] for f in failures)
