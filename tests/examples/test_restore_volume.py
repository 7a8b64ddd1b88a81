"""examples/restore-volume end to end against the emulator.

The program runs under Pulumi's mocks: its snapshot goes through the real plugin to the
emulator; its pulumi-aws resources (``aws.ebs.Volume``, ``aws.storagegateway.CachesIscsiVolume``)
are mocked, because the pulumi-aws provider plugin cannot run here. So that the test still shows
they would succeed against the emulator, it then makes, with boto3, the calls those resources
make — as terraform-provider-aws (which pulumi-aws wraps) makes them, with the values the program
passed: ``internal/service/storagegateway/cached_iscsi_volume.go`` (CreateCachediSCSIVolume with a
fresh ClientToken, then DescribeCachediSCSIVolumes and ListTagsForResource to read it back,
DeleteVolume on destroy) and ``internal/service/ec2/ebs_volume.go`` (CreateVolume, DescribeVolumes
until ``available``, DeleteVolume).
"""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sg_snapshot_harness import Engine
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.program import RegisteredResource, run_program
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.emulator.gateways import GATEWAY_IPV4
from tests.conftest import GATEWAY_ARN, REGION, VOLUME_ARN
from tests.examples.conftest import EXAMPLES

PROGRAM = EXAMPLES / "restore-volume"
#: The emulated gateway's network interface, as DescribeGatewayInformation lists it.
CONFIG = {"volumeArn": VOLUME_ARN, "gatewayNetworkInterface": GATEWAY_IPV4}


def clients(emulator: Emulator) -> tuple[Any, Any]:
    session = boto3.session.Session(region_name=REGION)
    return (
        session.client("storagegateway", endpoint_url=emulator.url),
        session.client("ec2", endpoint_url=emulator.url),
    )


def create_caches_iscsi_volume(sg: Any, inputs: dict[str, Any]) -> str:
    """``aws.storagegateway.CachesIscsiVolume``'s create and read."""
    volume_arn = str(
        sg.create_cached_iscsi_volume(
            ClientToken=str(uuid.uuid4()),
            GatewayARN=inputs["gatewayArn"],
            NetworkInterfaceId=inputs["networkInterfaceId"],
            TargetName=inputs["targetName"],
            VolumeSizeInBytes=int(inputs["volumeSizeInBytes"]),
            SnapshotId=inputs["snapshotId"],
        )["VolumeARN"]
    )
    (volume,) = sg.describe_cached_iscsi_volumes(VolumeARNs=[volume_arn])["CachediSCSIVolumes"]
    # The read parses the gateway ARN and the target name back out of the target ARN.
    target_arn = volume["VolumeiSCSIAttributes"]["TargetARN"]
    gateway_part, _, target = target_arn.partition("/target/")
    assert gateway_part == inputs["gatewayArn"]
    assert target.split(":", 1)[1] == inputs["targetName"]
    assert volume["SourceSnapshotId"] == inputs["snapshotId"]
    sg.list_tags_for_resource(ResourceARN=volume_arn)
    return volume_arn


def create_ebs_volume(ec2: Any, inputs: dict[str, Any]) -> str:
    """``aws.ebs.Volume``'s create and read."""
    volume_id = str(
        ec2.create_volume(
            AvailabilityZone=inputs["availabilityZone"],
            SnapshotId=inputs["snapshotId"],
            VolumeType=inputs["type"],
            TagSpecifications=[
                {
                    "ResourceType": "volume",
                    "Tags": [{"Key": k, "Value": v} for k, v in inputs["tags"].items()],
                }
            ],
        )["VolumeId"]
    )
    # A new volume is `creating` for a moment (as in EC2), then `available`.
    ec2.get_waiter("volume_available").wait(
        VolumeIds=[volume_id], WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
    )
    return volume_id


def mocked(resources: list[RegisteredResource]) -> dict[str, dict[str, Any]]:
    """The pulumi-aws resources the program declared, with the inputs it gave them."""
    return {r.name: r.outputs for r in resources if not r.dynamic}


def test_restore_volume__end_to_end(engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
    run = run_program(PROGRAM, engine, config=CONFIG)
    snapshot_id = run.outputs["snapshot_id"]
    assert run.outputs["snapshot_state"] == "completed"
    declared = mocked(run.resources)
    sg_client, ec2_client = clients(emulator)

    gateway_volume = create_caches_iscsi_volume(sg_client, declared["restored-gateway-volume"])
    ebs_volume = create_ebs_volume(ec2_client, declared["restored-ebs"])

    assert gateway_volume.startswith(f"{GATEWAY_ARN}/volume/")
    listed = {v["VolumeARN"] for v in sg_client.list_volumes()["VolumeInfos"]}
    assert listed == {VOLUME_ARN, gateway_volume}
    (described,) = ec2_client.describe_volumes(VolumeIds=[ebs_volume])["Volumes"]
    assert described["SnapshotId"] == snapshot_id
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"restored-from": VOLUME_ARN}

    # pulumi destroy: the restored volumes first (they depend on the snapshot), then it.
    sg_client.delete_volume(VolumeARN=gateway_volume)
    ec2_client.delete_volume(VolumeId=ebs_volume)
    run.destroy()
    assert ec2.snapshot_ids() == set()
    assert {v["VolumeARN"] for v in sg_client.list_volumes()["VolumeInfos"]} == {VOLUME_ARN}


def test_restore_volume__a_network_interface_the_gateway_lacks_fails(
    engine: Engine, emulator: Emulator
) -> None:
    """The emulator refuses what AWS refuses: the old example value would not have worked."""
    run = run_program(PROGRAM, engine, config={**CONFIG, "gatewayNetworkInterface": "10.0.0.12"})
    sg_client, _ = clients(emulator)

    with pytest.raises(ClientError) as caught:
        create_caches_iscsi_volume(sg_client, mocked(run.resources)["restored-gateway-volume"])

    assert caught.value.response["error"]["errorCode"] == "InvalidParameters"  # type: ignore[typeddict-item]
    assert "NetworkInterfaceId" in str(caught.value)
    run.destroy()


def test_restore_volume__a_pending_snapshot_cannot_be_restored(emulator: Emulator) -> None:
    """Why the example waits for completion: the gateway refuses a snapshot still pending."""
    emulator.set_pending_seconds(600)
    sg_client, _ = clients(emulator)
    snapshot_id = sg_client.create_snapshot(VolumeARN=VOLUME_ARN, SnapshotDescription="p")[
        "SnapshotId"
    ]
    inputs = {
        "gatewayArn": GATEWAY_ARN,
        "networkInterfaceId": GATEWAY_IPV4,
        "targetName": "restored-volume",
        "volumeSizeInBytes": 1024**3,
        "snapshotId": snapshot_id,
    }

    with pytest.raises(ClientError) as caught:
        create_caches_iscsi_volume(sg_client, inputs)

    assert caught.value.response["error"]["errorCode"] == "SnapshotInProgress"  # type: ignore[typeddict-item]
