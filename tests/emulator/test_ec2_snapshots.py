"""Storage Gateway snapshots are EBS snapshots: EC2 (moto, same port) lists, re-tags, deletes
them, and sees their state move from pending to completed; and EC2 answers as EC2 does where
moto alone is laxer (tags, IDs, snapshots in use, client mistakes)."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator, EmulatorError
from tests.conftest import VOLUME_ARN

POLL_LIMIT_SECONDS = 15.0


def take_snapshot(sg: Any, **tags: str) -> str:
    answer = sg.create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription="nightly",
        Tags=[{"Key": key, "Value": value} for key, value in tags.items()],
    )
    return str(answer["SnapshotId"])


def describe(ec2: Any, snapshot_id: str) -> dict[str, Any]:
    (snapshot,) = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"]
    return dict(snapshot)


def ids(snapshots: list[dict[str, Any]]) -> set[str]:
    return {snapshot["SnapshotId"] for snapshot in snapshots}


def test_describe_snapshots__filters(sg, ec2):
    tagged = take_snapshot(sg, team="storage")
    other = take_snapshot(sg, team="compute")

    def matching(name: str, *values: str) -> set[str]:
        filters = [{"Name": name, "Values": list(values)}]
        return ids(ec2.describe_snapshots(Filters=filters)["Snapshots"])

    assert matching("tag:team", "storage") == {tagged}
    assert matching("volume-id", "vol-ffffffff") == {tagged, other}
    assert matching("status", "completed") == {tagged, other}
    assert matching("status", "pending") == set()


def test_create_tags__retags_snapshot(sg, ec2):
    snapshot_id = take_snapshot(sg, keep="yes", drop="yes")

    ec2.create_tags(Resources=[snapshot_id], Tags=[{"Key": "added", "Value": "1"}])
    ec2.delete_tags(Resources=[snapshot_id], Tags=[{"Key": "drop"}])

    tags = {tag["Key"]: tag["Value"] for tag in describe(ec2, snapshot_id)["Tags"]}
    assert tags == {"keep": "yes", "added": "1"}


def test_delete_snapshot__then_not_found(sg, ec2):
    snapshot_id = take_snapshot(sg)

    ec2.delete_snapshot(SnapshotId=snapshot_id)

    with pytest.raises(ClientError) as caught:
        ec2.describe_snapshots(SnapshotIds=[snapshot_id])
    assert caught.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"
    with pytest.raises(ClientError) as caught:
        ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert caught.value.response["Error"]["Code"] == "InvalidSnapshot.NotFound"


def test_snapshot_state__pending_then_completed(emulator: Emulator, sg, ec2):
    emulator.set_pending_seconds(1.0)
    snapshot_id = take_snapshot(sg)

    seen = [describe(ec2, snapshot_id)]
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while seen[-1]["State"] != "completed" and time.monotonic() < deadline:
        time.sleep(0.1)
        seen.append(describe(ec2, snapshot_id))

    assert seen[0]["State"] == "pending"
    assert seen[-1]["State"] == "completed"
    assert seen[-1]["Progress"] == "100%"
    progress = [int(snapshot["Progress"].rstrip("%")) for snapshot in seen]
    assert progress == sorted(progress)
    assert all(p < 100 for p, s in zip(progress, seen, strict=True) if s["State"] == "pending")


def test_snapshot_state__pending_seconds_only_affects_new_snapshots(emulator: Emulator, sg, ec2):
    before = take_snapshot(sg)
    emulator.set_pending_seconds(600)

    after = take_snapshot(sg)

    assert describe(ec2, before)["State"] == "completed"
    assert describe(ec2, after)["State"] == "pending"
    assert ids(
        ec2.describe_snapshots(Filters=[{"Name": "status", "Values": ["pending"]}])["Snapshots"]
    ) == {after}


def test_set_snapshot_state__error(emulator: Emulator, sg, ec2):
    snapshot_id = take_snapshot(sg)

    emulator.set_snapshot_state(snapshot_id, "error", progress="42%")

    snapshot = describe(ec2, snapshot_id)
    assert (snapshot["State"], snapshot["Progress"]) == ("error", "42%")


def test_set_snapshot_state__pinned_pending_stays(emulator: Emulator, sg, ec2):
    snapshot_id = take_snapshot(sg)

    emulator.set_snapshot_state(snapshot_id, "pending", progress="10%")

    snapshot = describe(ec2, snapshot_id)
    assert (snapshot["State"], snapshot["Progress"]) == ("pending", "10%")
    emulator.set_snapshot_state(snapshot_id, "completed")
    snapshot = describe(ec2, snapshot_id)
    assert (snapshot["State"], snapshot["Progress"]) == ("completed", "100%")


def test_set_snapshot_state__unknown_snapshot(emulator: Emulator):
    with pytest.raises(EmulatorError, match="snap-00000000000000000"):
        emulator.set_snapshot_state("snap-00000000000000000", "error")


def test_set_snapshot_state__unknown_state(emulator: Emulator, sg):
    snapshot_id = take_snapshot(sg)

    with pytest.raises(EmulatorError, match="state must be one of"):
        emulator.set_snapshot_state(snapshot_id, "exploded")


def test_set_snapshot_state__plain_ec2_snapshot(emulator: Emulator, ec2):
    volume_id = ec2.create_volume(Size=2, AvailabilityZone="us-east-1a")["VolumeId"]
    snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]

    emulator.set_snapshot_state(snapshot_id, "recoverable")

    assert describe(ec2, snapshot_id)["State"] == "recoverable"


# --- EC2's rules, where moto alone is laxer ---------------------------------------------------

UNKNOWN_SNAPSHOT_ID = "snap-0123456789abcdef0"
MALFORMED_SNAPSHOT_IDS = [
    "snap-xyz",
    "vol-0123456789abcdef0",
    "SNAP-0123456789ABCDEF0",
    "snap-0123456789ABCDEF0",
    "snap-0123456",
    "snap-0123456789abcdef",
    "snap-0123456789abcdef01",
    "snap-",
]


def ec2_error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def tags_of(ec2: Any, snapshot_id: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in describe(ec2, snapshot_id).get("Tags", [])}


@pytest.mark.parametrize("key", ["aws:reserved", "AWS:reserved", "Aws:Mixed"])
def test_create_tags__reserved_prefix(sg, ec2, key):
    snapshot_id = take_snapshot(sg, keep="yes")

    code, message, status = ec2_error(
        ec2.create_tags, Resources=[snapshot_id], Tags=[{"Key": key, "Value": "v"}]
    )

    assert (code, status) == ("InvalidParameterValue", 400)
    assert message == (
        f"Value ( {key} ) for parameter key is invalid. Tag keys starting with 'aws:' are "
        "reserved for internal use"
    )
    assert tags_of(ec2, snapshot_id) == {"keep": "yes"}


@pytest.mark.parametrize(
    ("tag", "message"),
    [
        ({"Key": "k" * 128, "Value": "v"}, "Tag key exceeds the maximum length of 127 characters"),
        (
            {"Key": "k", "Value": "v" * 257},
            "Tag value exceeds the maximum length of 256 characters",
        ),
        ({"Key": "", "Value": "v"}, "Value ( ) for parameter key is invalid. Tag keys must not be"),
    ],
)
def test_create_tags__limits(sg, ec2, tag, message):
    snapshot_id = take_snapshot(sg, keep="yes")

    code, said, status = ec2_error(
        ec2.create_tags, Resources=[snapshot_id], Tags=[{"Key": "fine", "Value": "1"}, tag]
    )

    assert (code, status) == ("InvalidParameterValue", 400)
    assert said.startswith(message)
    assert tags_of(ec2, snapshot_id) == {"keep": "yes"}


def test_create_tags__limits_accepted(sg, ec2):
    snapshot_id = take_snapshot(sg)

    ec2.create_tags(Resources=[snapshot_id], Tags=[{"Key": "k" * 127, "Value": "v" * 256}])

    assert tags_of(ec2, snapshot_id) == {"k" * 127: "v" * 256}


def test_create_tags__no_value_is_the_empty_value(sg, ec2_unchecked):
    snapshot_id = take_snapshot(sg)

    ec2_unchecked.create_tags(Resources=[snapshot_id], Tags=[{"Key": "flag"}])

    assert tags_of(ec2_unchecked, snapshot_id) == {"flag": ""}


def test_create_tags__unknown_snapshot(ec2):
    code, message, status = ec2_error(
        ec2.create_tags, Resources=[UNKNOWN_SNAPSHOT_ID], Tags=[{"Key": "k", "Value": "v"}]
    )

    assert (code, message, status) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{UNKNOWN_SNAPSHOT_ID}' does not exist.",
        400,
    )


@pytest.mark.parametrize("snapshot_id", ["snap-xyz", "SNAP-0123456789ABCDEF0", "snap-0123ABCD"])
def test_create_tags__malformed_snapshot_id(sg, ec2, snapshot_id):
    good = take_snapshot(sg)

    code, message, _ = ec2_error(
        ec2.create_tags, Resources=[good, snapshot_id], Tags=[{"Key": "k", "Value": "v"}]
    )

    assert (code, message) == (
        "InvalidSnapshotID.Malformed",
        f'Invalid id: "{snapshot_id}" (expecting "snap-...")',
    )
    assert tags_of(ec2, good) == {}


def test_delete_tags__without_tags_deletes_every_user_tag(sg, ec2):
    snapshot_id = take_snapshot(sg, a="1", b="2")
    other = take_snapshot(sg, a="1")

    ec2.delete_tags(Resources=[snapshot_id])

    assert tags_of(ec2, snapshot_id) == {}
    assert tags_of(ec2, other) == {"a": "1"}


def test_delete_tags__by_key_and_value(sg, ec2):
    snapshot_id = take_snapshot(sg, a="1", b="2", c="")

    ec2.delete_tags(
        Resources=[snapshot_id],
        Tags=[{"Key": "a", "Value": "other"}, {"Key": "b"}, {"Key": "c", "Value": ""}],
    )

    assert tags_of(ec2, snapshot_id) == {"a": "1"}


def test_delete_tags__reserved_prefix(sg, ec2):
    snapshot_id = take_snapshot(sg, keep="yes")

    code, message, _ = ec2_error(ec2.delete_tags, Resources=[snapshot_id], Tags=[{"Key": "aws:x"}])

    assert code == "InvalidParameterValue"
    assert "Tag keys starting with 'aws:' are reserved" in message
    assert tags_of(ec2, snapshot_id) == {"keep": "yes"}


def test_delete_tags__unknown_snapshot(ec2):
    code, message, _ = ec2_error(ec2.delete_tags, Resources=[UNKNOWN_SNAPSHOT_ID])

    assert (code, message) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{UNKNOWN_SNAPSHOT_ID}' does not exist.",
    )


@pytest.mark.parametrize("snapshot_id", MALFORMED_SNAPSHOT_IDS)
def test_describe_snapshots__malformed_id(ec2, snapshot_id):
    code, message, status = ec2_error(ec2.describe_snapshots, SnapshotIds=[snapshot_id])

    assert (code, message, status) == (
        "InvalidSnapshotID.Malformed",
        f'Invalid id: "{snapshot_id}" (expecting "snap-...")',
        400,
    )


def test_describe_snapshots__eight_digit_ids_are_well_formed(ec2):
    code, message, _ = ec2_error(ec2.describe_snapshots, SnapshotIds=["snap-0123abcd"])

    assert (code, message) == (
        "InvalidSnapshot.NotFound",
        "The snapshot 'snap-0123abcd' does not exist.",
    )


def test_describe_snapshots__one_unknown_id_fails_the_call(sg, ec2):
    snapshot_id = take_snapshot(sg)

    code, message, _ = ec2_error(
        ec2.describe_snapshots, SnapshotIds=[snapshot_id, UNKNOWN_SNAPSHOT_ID]
    )

    assert (code, message) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{UNKNOWN_SNAPSHOT_ID}' does not exist.",
    )


@pytest.mark.parametrize("max_results", [4, 1001, 0])
def test_describe_snapshots__max_results_out_of_range(ec2_unchecked, max_results):
    code, message, _ = ec2_error(
        ec2_unchecked.describe_snapshots, OwnerIds=["self"], MaxResults=max_results
    )

    assert code == "InvalidParameterValue"
    assert f"Value ( {max_results} ) for parameter maxResults is invalid" in message


def test_describe_snapshots__max_results_with_snapshot_ids(sg, ec2):
    snapshot_id = take_snapshot(sg)

    code, _, _ = ec2_error(ec2.describe_snapshots, SnapshotIds=[snapshot_id], MaxResults=5)

    assert code == "InvalidParameterCombination"


def test_describe_snapshots__too_many_filter_values(ec2):
    values = [f"snap-{n:017x}" for n in range(201)]

    code, _, _ = ec2_error(
        ec2.describe_snapshots, Filters=[{"Name": "snapshot-id", "Values": values}]
    )

    assert code == "FilterLimitExceeded"


@pytest.mark.parametrize("snapshot_id", ["snap-xyz", "vol-0123456789abcdef0", "snap-0123ABCD"])
def test_delete_snapshot__malformed_id(ec2, snapshot_id):
    code, message, _ = ec2_error(ec2.delete_snapshot, SnapshotId=snapshot_id)

    assert (code, message) == (
        "InvalidSnapshotID.Malformed",
        f'Invalid id: "{snapshot_id}" (expecting "snap-...")',
    )


def test_delete_snapshot__unknown_snapshot_is_named(ec2):
    code, message, _ = ec2_error(ec2.delete_snapshot, SnapshotId=UNKNOWN_SNAPSHOT_ID)

    assert (code, message) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{UNKNOWN_SNAPSHOT_ID}' does not exist.",
    )


def test_delete_snapshot__no_snapshot_id(ec2_unchecked):
    code, message, _ = ec2_error(ec2_unchecked.delete_snapshot)

    assert (code, message) == (
        "MissingParameter",
        "The request must contain the parameter SnapshotId",
    )


def register_image(ec2: Any, snapshot_id: str) -> str:
    return str(
        ec2.register_image(
            Name=f"image-of-{snapshot_id}",
            RootDeviceName="/dev/sda1",
            BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": snapshot_id}}],
        )["ImageId"]
    )


def test_delete_snapshot__in_use_by_a_registered_image(sg, ec2):
    snapshot_id = take_snapshot(sg)
    image_id = register_image(ec2, snapshot_id)

    code, message, status = ec2_error(ec2.delete_snapshot, SnapshotId=snapshot_id)

    assert (code, status) == ("InvalidSnapshot.InUse", 400)
    assert message == f"The snapshot {snapshot_id} is currently in use by {image_id}"
    assert describe(ec2, snapshot_id)["SnapshotId"] == snapshot_id
    ec2.deregister_image(ImageId=image_id)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    assert ids(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]) == set()


def test_register_image__uses_the_named_snapshot(sg, ec2):
    snapshot_id = take_snapshot(sg)

    image_id = register_image(ec2, snapshot_id)

    # No snapshot of moto's own making beside ours; the image points at ours.
    assert ids(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]) == {snapshot_id}
    (image,) = ec2.describe_images(ImageIds=[image_id])["Images"]
    assert image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"] == snapshot_id


def test_register_image__unknown_snapshot(ec2):
    code, message, _ = ec2_error(
        ec2.register_image,
        Name="image-of-nothing",
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[
            {"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": UNKNOWN_SNAPSHOT_ID}}
        ],
    )

    assert (code, message) == (
        "InvalidSnapshot.NotFound",
        f"The snapshot '{UNKNOWN_SNAPSHOT_ID}' does not exist.",
    )
    assert ec2.describe_images(Owners=["self"])["Images"] == []


def post_ec2(emulator: Emulator, body: str) -> tuple[int, str]:
    request = urllib.request.Request(
        emulator.url,
        data=body.encode(),
        method="POST",
        headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/ec2/"
            "aws4_request, SignedHeaders=host, Signature=unchecked",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_unknown_action__invalid_action(emulator):
    status, body = post_ec2(emulator, "Action=DescribeSnapshotz&Version=2016-11-15")

    assert status == 400
    assert "<Code>InvalidAction</Code>" in body
    assert "The action DescribeSnapshotz is not valid for this web service." in body


@pytest.mark.parametrize(
    "body",
    [
        "Action=DescribeSnapshots&Version=2016-11-15&MaxResults=abc",
        "Action=DescribeSnapshots&Version=2016-11-15&DryRun=perhaps",
        "Action=DescribeSnapshots&Version=2016-11-15&SnapshotId.1=snap-xyz",
        "Action=DeleteSnapshot&Version=2016-11-15",
        "Action=DeleteSnapshot&Version=2016-11-15&SnapshotId=snap-0123456789abcdef0",
        "Action=CreateTags&Version=2016-11-15&ResourceId.1=snap-0123456789abcdef0&Tag.1.Key=k",
        "Action=CreateTags&Version=2016-11-15&Tag.1.Key=k&Tag.1.Value=v",
        "Action=DeleteTags&Version=2016-11-15&ResourceId.1=snap-0123456789abcdef0",
        "Action=CreateSnapshot&Version=2016-11-15&VolumeId=vol-0123456789abcdef0",
        "Action=CopySnapshot&Version=2016-11-15&SourceSnapshotId=snap-0123456789abcdef0"
        "&SourceRegion=us-east-1",
        "Action=RegisterImage&Version=2016-11-15&Name=x"
        "&BlockDeviceMapping.1.Ebs.SnapshotId=snap-xyz",
        "Action=DeregisterImage&Version=2016-11-15&ImageId=ami-0123456789abcdef0",
        "Action=NoSuchThing&Version=2016-11-15",
    ],
)
def test_client_mistake__never_a_500(emulator, body):
    status, answer = post_ec2(emulator, body)

    assert 400 <= status < 500, answer
    assert "<Code>" in answer
