"""Gateways, local disks and volumes as pulumi-aws's Storage Gateway volume resources use them
(DescribeGatewayInformation, ListLocalDisks, CreateCachediSCSIVolume, CreateStorediSCSIVolume,
DeleteVolume), and the gateway rules of the schedule operations, through a real boto3 client."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator, EmulatorError
from sg_snapshot_provider.emulator.gateways import GATEWAY_IPV4
from tests.conftest import ACCOUNT_ID, GATEWAY_ARN, REGION, VOLUME_ARN
from tests.emulator.conftest import error_message, gateway_error_code, make_client

GIB = 1024**3
STORED_GATEWAY_ARN = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-99887766"
STORED_VOLUME_ARN = f"{STORED_GATEWAY_ARN}/volume/vol-55667788"
UNKNOWN_GATEWAY_ARN = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-DEADBEEF"
EU_VOLUME_ARN = (
    f"arn:aws:storagegateway:eu-west-1:{ACCOUNT_ID}:gateway/sgw-0000EU01/volume/vol-00EU0001"
)


def failure(call: Any, **params: Any) -> str:
    """The errorCode of the InvalidGatewayRequestException ``call(**params)`` answers."""
    with pytest.raises(ClientError) as caught:
        call(**params)
    return gateway_error_code(caught.value)


def cached_volume(sg: Any, **params: Any) -> dict[str, Any]:
    request = {
        "GatewayARN": GATEWAY_ARN,
        "VolumeSizeInBytes": 2 * GIB,
        "TargetName": "restored-volume",
        "NetworkInterfaceId": GATEWAY_IPV4,
        "ClientToken": "token-1",
        **params,
    }
    return dict(sg.create_cached_iscsi_volume(**request))


def stored_volume(sg: Any, **params: Any) -> dict[str, Any]:
    request = {
        "GatewayARN": STORED_GATEWAY_ARN,
        "DiskId": free_disks(sg)[0]["DiskId"],
        "PreserveExistingData": False,
        "TargetName": "stored-volume",
        "NetworkInterfaceId": GATEWAY_IPV4,
        **params,
    }
    return dict(sg.create_stored_iscsi_volume(**request))


def free_disks(sg: Any) -> list[dict[str, Any]]:
    disks = sg.list_local_disks(GatewayARN=STORED_GATEWAY_ARN)["Disks"]
    return [disk for disk in disks if disk["DiskAllocationType"] == "AVAILABLE"]


def volume_arns(sg: Any) -> set[str]:
    return {volume["VolumeARN"] for volume in sg.list_volumes()["VolumeInfos"]}


def completed_snapshot(sg: Any, volume_arn: str = VOLUME_ARN) -> str:
    return str(sg.create_snapshot(VolumeARN=volume_arn, SnapshotDescription="src")["SnapshotId"])


@pytest.fixture
def stored_gateway(emulator: Emulator) -> str:
    emulator.add_gateway(STORED_GATEWAY_ARN, "STORED")
    return STORED_GATEWAY_ARN


# --- DescribeGatewayInformation -------------------------------------------------------------


def test_describe_gateway_information__basic(sg):
    info = sg.describe_gateway_information(GatewayARN=GATEWAY_ARN)

    assert info["GatewayARN"] == GATEWAY_ARN
    assert info["GatewayId"] == "sgw-12A3456B"
    assert info["GatewayType"] == "CACHED"
    assert info["GatewayTimezone"] == "GMT"
    assert info["GatewayNetworkInterfaces"] == [{"Ipv4Address": GATEWAY_IPV4}]


def test_describe_gateway_information__the_schedules_time_zone(emulator, sg):
    emulator.add_gateway(GATEWAY_ARN, timezone="GMT-5:00")

    info = sg.describe_gateway_information(GatewayARN=GATEWAY_ARN)

    assert info["GatewayTimezone"] == "GMT-5:00"
    assert sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)["Timezone"] == "GMT-5:00"


def test_describe_gateway_information__tags_sorted(sg):
    sg.add_tags_to_resource(
        ResourceARN=GATEWAY_ARN,
        Tags=[{"Key": "zulu", "Value": "1"}, {"Key": "alpha", "Value": "2"}],
    )

    tags = sg.describe_gateway_information(GatewayARN=GATEWAY_ARN)["Tags"]

    assert [tag["Key"] for tag in tags] == ["alpha", "zulu"]


def test_describe_gateway_information__not_connected(emulator, sg):
    emulator.add_gateway(GATEWAY_ARN, connected=False)

    with pytest.raises(ClientError) as caught:
        sg.describe_gateway_information(GatewayARN=GATEWAY_ARN)

    assert gateway_error_code(caught.value) == "GatewayNotConnected"
    # terraform-provider-aws recognises a disconnected gateway by these words.
    assert "The specified gateway is not connected" in error_message(caught.value)


def test_describe_gateway_information__unknown_gateway(sg):
    code = failure(sg.describe_gateway_information, GatewayARN=UNKNOWN_GATEWAY_ARN)
    assert code == "GatewayNotFound"


@pytest.mark.parametrize("timezone", ["UTC", "GMT+25:00", "Europe/Paris", "gmt"])
def test_add_gateway__time_zone_as_aws_writes_it(emulator: Emulator, timezone):
    with pytest.raises(EmulatorError, match="timezone must look like GMT"):
        emulator.add_gateway(GATEWAY_ARN, timezone=timezone)


# --- ListLocalDisks -------------------------------------------------------------------------


def test_list_local_disks__cached_gateway(sg):
    disks = sg.list_local_disks(GatewayARN=GATEWAY_ARN)["Disks"]

    assert [disk["DiskAllocationType"] for disk in disks] == ["CACHE_STORAGE", "UPLOAD_BUFFER"]


def test_list_local_disks__stored_gateway(emulator, sg, stored_gateway):
    emulator.add_volume(STORED_VOLUME_ARN, size_gib=3)

    disks = sg.list_local_disks(GatewayARN=stored_gateway)["Disks"]

    kinds = [disk["DiskAllocationType"] for disk in disks]
    assert kinds == ["UPLOAD_BUFFER", "AVAILABLE", "AVAILABLE", "AVAILABLE", "STORED_VOLUME"]
    assert len({disk["DiskId"] for disk in disks}) == len(disks)
    volume_disk = disks[-1]
    assert volume_disk["DiskSizeInBytes"] == 3 * GIB
    assert volume_disk["DiskAllocationResource"].endswith(f"::{REGION}-vol-55667788")
    described = sg.describe_stored_iscsi_volumes(VolumeARNs=[STORED_VOLUME_ARN])
    assert described["StorediSCSIVolumes"][0]["VolumeDiskId"] == volume_disk["DiskId"]


def test_list_local_disks__unknown_gateway(sg):
    assert failure(sg.list_local_disks, GatewayARN=UNKNOWN_GATEWAY_ARN) == "GatewayNotFound"


# --- CreateCachediSCSIVolume ----------------------------------------------------------------


def test_create_cached_iscsi_volume__basic(sg):
    answer = cached_volume(sg, Tags=[{"Key": "team", "Value": "storage"}])

    volume_arn = answer["VolumeARN"]
    assert volume_arn.startswith(f"{GATEWAY_ARN}/volume/vol-")
    assert answer["TargetARN"] == f"{GATEWAY_ARN}/target/iqn.1997-05.com.amazon:restored-volume"
    assert volume_arns(sg) == {VOLUME_ARN, volume_arn}
    (described,) = sg.describe_cached_iscsi_volumes(VolumeARNs=[volume_arn])["CachediSCSIVolumes"]
    assert described["VolumeSizeInBytes"] == 2 * GIB
    assert described["TargetName"] == "restored-volume"
    assert described["VolumeiSCSIAttributes"]["TargetARN"] == answer["TargetARN"]
    assert described["VolumeiSCSIAttributes"]["NetworkInterfaceId"] == GATEWAY_IPV4
    assert "SourceSnapshotId" not in described
    assert sg.list_tags_for_resource(ResourceARN=volume_arn)["Tags"] == [
        {"Key": "team", "Value": "storage"}
    ]
    # "The default snapshot schedule for volume is once every 24 hours".
    assert sg.describe_snapshot_schedule(VolumeARN=volume_arn)["RecurrenceInHours"] == 24


def test_create_cached_iscsi_volume__from_a_snapshot(sg, ec2):
    snapshot_id = completed_snapshot(sg)

    volume_arn = cached_volume(sg, SnapshotId=snapshot_id, VolumeSizeInBytes=GIB)["VolumeARN"]

    (described,) = sg.describe_cached_iscsi_volumes(VolumeARNs=[volume_arn])["CachediSCSIVolumes"]
    assert described["SourceSnapshotId"] == snapshot_id
    assert ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]


def test_create_cached_iscsi_volume__pending_snapshot(emulator, sg):
    emulator.set_pending_seconds(600)
    snapshot_id = completed_snapshot(sg)

    assert failure(cached_volume, sg=sg, SnapshotId=snapshot_id) == "SnapshotInProgress"
    assert volume_arns(sg) == {VOLUME_ARN}


def test_create_cached_iscsi_volume__snapshot_of_another_region(emulator, sg):
    emulator.add_volume(EU_VOLUME_ARN)
    eu = make_client("storagegateway", emulator, region="eu-west-1")
    snapshot_id = completed_snapshot(eu, EU_VOLUME_ARN)

    assert failure(cached_volume, sg=sg, SnapshotId=snapshot_id) == "SnapshotNotFound"


def test_create_cached_iscsi_volume__smaller_than_the_snapshot(emulator, sg):
    big = f"{GATEWAY_ARN}/volume/vol-0000BIG0"
    emulator.add_volume(big, size_gib=3)
    snapshot_id = completed_snapshot(sg, big)

    with pytest.raises(ClientError) as caught:
        cached_volume(sg, SnapshotId=snapshot_id, VolumeSizeInBytes=2 * GIB)

    assert gateway_error_code(caught.value) == "InvalidParameters"
    assert "VolumeSizeInBytes" in error_message(caught.value)


@pytest.mark.parametrize("size", [GIB - 1, 32 * 1024**4 + 1])
def test_create_cached_iscsi_volume__size_out_of_bounds(sg, size):
    assert failure(cached_volume, sg=sg, VolumeSizeInBytes=size) == "InvalidParameters"


def test_create_cached_iscsi_volume__client_token_retried(sg):
    first = cached_volume(sg)

    again = cached_volume(sg)

    assert (again["VolumeARN"], again["TargetARN"]) == (first["VolumeARN"], first["TargetARN"])
    assert len(volume_arns(sg)) == 2
    assert failure(cached_volume, sg=sg, VolumeSizeInBytes=4 * GIB) == "InvalidParameters"


def test_create_cached_iscsi_volume__target_name_unique_on_the_gateway(sg):
    volume_arn = cached_volume(sg)["VolumeARN"]

    code = failure(cached_volume, sg=sg, ClientToken="token-2")
    sg.delete_volume(VolumeARN=volume_arn)

    assert code == "TargetAlreadyExists"
    assert cached_volume(sg, ClientToken="token-2")["VolumeARN"] != volume_arn


def test_create_cached_iscsi_volume__network_interface_of_another_gateway(sg):
    with pytest.raises(ClientError) as caught:
        cached_volume(sg, NetworkInterfaceId="10.0.0.12")

    assert gateway_error_code(caught.value) == "InvalidParameters"
    assert GATEWAY_IPV4 in error_message(caught.value)
    assert volume_arns(sg) == {VOLUME_ARN}


def test_create_cached_iscsi_volume__kms_key_without_encryption(sg):
    key = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

    assert failure(cached_volume, sg=sg, KMSKey=key) == "InvalidParameters"
    volume_arn = cached_volume(sg, KMSKey=key, KMSEncrypted=True)["VolumeARN"]
    (described,) = sg.describe_cached_iscsi_volumes(VolumeARNs=[volume_arn])["CachediSCSIVolumes"]
    assert described["KMSKey"] == key


def test_create_cached_iscsi_volume__stored_gateway(sg, stored_gateway):
    assert failure(cached_volume, sg=sg, GatewayARN=stored_gateway) == "NotSupported"


def test_create_cached_iscsi_volume__gateway_not_connected(emulator, sg):
    emulator.add_gateway(GATEWAY_ARN, connected=False)

    assert failure(cached_volume, sg=sg) == "GatewayNotConnected"


# --- CreateStorediSCSIVolume ----------------------------------------------------------------


def test_create_stored_iscsi_volume__basic(sg, stored_gateway):
    disk = free_disks(sg)[0]

    answer = stored_volume(sg, DiskId=disk["DiskId"])

    volume_arn = answer["VolumeARN"]
    assert answer["VolumeSizeInBytes"] == disk["DiskSizeInBytes"]
    assert answer["TargetARN"].endswith(":stored-volume")
    (described,) = sg.describe_stored_iscsi_volumes(VolumeARNs=[volume_arn])["StorediSCSIVolumes"]
    assert described["VolumeDiskId"] == disk["DiskId"]
    assert described["PreservedExistingData"] is False
    assert disk["DiskId"] not in {d["DiskId"] for d in free_disks(sg)}


def test_create_stored_iscsi_volume__disk_already_allocated(sg, stored_gateway):
    disk_id = free_disks(sg)[0]["DiskId"]
    stored_volume(sg, DiskId=disk_id)

    code = failure(stored_volume, sg=sg, DiskId=disk_id, TargetName="second")

    assert code == "DiskAlreadyAllocated"


def test_create_stored_iscsi_volume__unknown_disk(sg, stored_gateway):
    assert failure(stored_volume, sg=sg, DiskId="pci-9") == "DiskDoesNotExist"


def test_create_stored_iscsi_volume__from_a_snapshot(sg, stored_gateway):
    snapshot_id = completed_snapshot(sg)

    volume_arn = stored_volume(sg, SnapshotId=snapshot_id)["VolumeARN"]

    (described,) = sg.describe_stored_iscsi_volumes(VolumeARNs=[volume_arn])["StorediSCSIVolumes"]
    assert described["SourceSnapshotId"] == snapshot_id


def test_create_stored_iscsi_volume__snapshot_larger_than_the_disk(emulator, sg, stored_gateway):
    big = f"{GATEWAY_ARN}/volume/vol-0000BIG0"
    emulator.add_volume(big, size_gib=20)

    code = failure(stored_volume, sg=sg, SnapshotId=completed_snapshot(sg, big))

    assert code == "DiskSizeLessThanVolumeSize"
    assert len(free_disks(sg)) == 3


def test_create_stored_iscsi_volume__preserve_or_restore(sg, stored_gateway):
    code = failure(
        stored_volume, sg=sg, PreserveExistingData=True, SnapshotId=completed_snapshot(sg)
    )
    assert code == "InvalidParameters"


def test_create_stored_iscsi_volume__cached_gateway(sg):
    with pytest.raises(ClientError) as caught:
        sg.create_stored_iscsi_volume(
            GatewayARN=GATEWAY_ARN,
            DiskId="pci-0000:03:00.0-scsi-0:0:1:0",
            PreserveExistingData=False,
            TargetName="stored-volume",
            NetworkInterfaceId=GATEWAY_IPV4,
        )
    assert gateway_error_code(caught.value) == "NotSupported"


# --- DeleteVolume ---------------------------------------------------------------------------


def test_delete_volume__basic(sg, ec2):
    snapshot_id = completed_snapshot(sg)

    answer = sg.delete_volume(VolumeARN=VOLUME_ARN)

    assert answer["VolumeARN"] == VOLUME_ARN
    assert volume_arns(sg) == set()
    assert failure(sg.describe_snapshot_schedule, VolumeARN=VOLUME_ARN) == "VolumeNotFound"
    # The volume's snapshots are EBS snapshots: they stay.
    assert ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]


def test_delete_volume__stored_frees_its_disk(sg, stored_gateway):
    volume_arn = stored_volume(sg)["VolumeARN"]

    sg.delete_volume(VolumeARN=volume_arn)

    assert len(free_disks(sg)) == 3


def test_delete_volume__twice(sg):
    sg.delete_volume(VolumeARN=VOLUME_ARN)

    assert failure(sg.delete_volume, VolumeARN=VOLUME_ARN) == "VolumeNotFound"


def test_delete_volume__gateway_not_connected(emulator, sg):
    emulator.add_gateway(GATEWAY_ARN, connected=False)

    assert failure(sg.delete_volume, VolumeARN=VOLUME_ARN) == "GatewayNotConnected"
    emulator.add_gateway(GATEWAY_ARN)
    assert volume_arns(sg) == {VOLUME_ARN}


# --- the schedule operations need a connected volume gateway --------------------------------


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("describe_snapshot_schedule", {}),
        ("update_snapshot_schedule", {"StartAt": 1, "RecurrenceInHours": 1}),
        ("delete_snapshot_schedule", {}),
    ],
)
def test_schedule_operations__gateway_not_connected(emulator, sg, operation, params):
    emulator.add_gateway(GATEWAY_ARN, connected=False)

    code = failure(getattr(sg, operation), VolumeARN=VOLUME_ARN, **params)

    assert code == "GatewayNotConnected"
    emulator.add_gateway(GATEWAY_ARN)
    assert sg.describe_snapshot_schedule(VolumeARN=VOLUME_ARN)["RecurrenceInHours"] == 24


@pytest.mark.parametrize("gateway_type", ["VTL", "FILE_S3"])
def test_schedule_operations__not_a_volume_gateway(emulator, sg, gateway_type):
    emulator.add_gateway(STORED_GATEWAY_ARN, gateway_type)

    code = failure(sg.describe_snapshot_schedule, VolumeARN=STORED_VOLUME_ARN)

    assert code == "NotSupported"
