"""Policy mode: the emulator checks each request against IAM policies and refuses as AWS does.

Who could be hurt first: the owner of a snapshot the provider did not make. Under
``iam/provider.json`` a leaked provider credential must not delete, retag or untag it, must not
give it the owner tag to delete it afterwards, and must not unlock, share, archive or restore
it, nor make a volume of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator, EmulatorError
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG, OWNER_TAG
from sg_snapshot_provider.inputs.retention import SCHEDULE_TAG
from tests.conftest import ACCOUNT_ID, REGION, REPO_ROOT, VOLUME_ARN
from tests.emulator.conftest import NO_RETRIES, error_code, error_message, http_status

#: The key the policies are attached to; requests signed otherwise are an administrator's.
KEY = "AKIAPOLICYMODETEST01"
ACCEPTANCE_TAG = "sg-snapshot-provider:acceptance"
DENIED = "You are not authorized to perform this operation."


def policy(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO_ROOT / "iam" / f"{name}.json").read_text())
    return document


def client(service: str, emulator: Emulator, key: str = KEY) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=REGION,
        endpoint_url=emulator.url,
        config=NO_RETRIES,
        aws_access_key_id=key,
        aws_secret_access_key="x",
    )


def snapshot(emulator: Emulator, tags: dict[str, str] | None = None) -> str:
    """A snapshot made by an administrator (not under the policy), with these tags."""
    answer = client("storagegateway", emulator, "admin").create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription="d",
        Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )
    return str(answer["SnapshotId"])


def tags_of(emulator: Emulator, snapshot_id: str) -> dict[str, str]:
    found = client("ec2", emulator, "admin").describe_snapshots(SnapshotIds=[snapshot_id])
    return {t["Key"]: t["Value"] for t in found["Snapshots"][0].get("Tags", [])}


def exists(emulator: Emulator, snapshot_id: str) -> bool:
    found = client("ec2", emulator, "admin").describe_snapshots(OwnerIds=["self"])
    return snapshot_id in {s["SnapshotId"] for s in found["Snapshots"]}


def refused(error: pytest.ExceptionInfo[ClientError], action: str, resource: str) -> None:
    """EC2's refusal: UnauthorizedOperation, 403, its sentence, then IAM's reason."""
    assert error_code(error.value) == "UnauthorizedOperation"
    assert http_status(error.value) == 403
    message = error_message(error.value)
    assert message.startswith(DENIED)
    assert f"is not authorized to perform: {action} on resource: {resource} " in message


def arn(snapshot_id: str) -> str:
    return f"arn:aws:ec2:{REGION}::snapshot/{snapshot_id}"


# --- the safety case first ---------------------------------------------------------------------


def test_provider_policy__a_snapshot_without_the_provider_tags_cannot_be_touched(
    emulator: Emulator,
) -> None:
    theirs = snapshot(emulator, {"team": "db"})
    emulator.set_iam_policy(policy("provider"), access_key=KEY)
    ec2 = client("ec2", emulator)
    with pytest.raises(ClientError) as deleting:
        ec2.delete_snapshot(SnapshotId=theirs)
    refused(deleting, "ec2:DeleteSnapshot", arn(theirs))
    with pytest.raises(ClientError) as claiming:  # the owner tag, to delete it afterwards
        ec2.create_tags(Resources=[theirs], Tags=[{"Key": OWNER_TAG, "Value": "p/s/r"}])
    refused(claiming, "ec2:CreateTags", arn(theirs))
    with pytest.raises(ClientError) as untagging:
        ec2.delete_tags(Resources=[theirs], Tags=[{"Key": "team"}])
    refused(untagging, "ec2:DeleteTags", arn(theirs))
    assert exists(emulator, theirs)
    assert tags_of(emulator, theirs) == {"team": "db"}
    assert [d["action"] for d in emulator.iam_denials()] == [
        "ec2:DeleteSnapshot",
        "ec2:CreateTags",
        "ec2:DeleteTags",
    ]


def lifecycle_calls(ec2: Any, snapshot_id: str) -> list[tuple[str, Any]]:
    """What the lifecycle inputs do to a snapshot: unlock, lock, share, archive, restore from
    the archive, make a volume of it; each as the provider calls it."""
    return [
        ("ec2:UnlockSnapshot", lambda: ec2.unlock_snapshot(SnapshotId=snapshot_id)),
        (
            "ec2:LockSnapshot",
            lambda: ec2.lock_snapshot(
                SnapshotId=snapshot_id, LockMode="governance", LockDuration=1
            ),
        ),
        (
            "ec2:ModifySnapshotAttribute",
            lambda: ec2.modify_snapshot_attribute(
                SnapshotId=snapshot_id,
                Attribute="createVolumePermission",
                OperationType="add",
                UserIds=["210987654321"],
            ),
        ),
        (
            "ec2:ModifySnapshotTier",
            lambda: ec2.modify_snapshot_tier(SnapshotId=snapshot_id, StorageTier="archive"),
        ),
        (
            "ec2:RestoreSnapshotTier",
            lambda: ec2.restore_snapshot_tier(SnapshotId=snapshot_id, PermanentRestore=True),
        ),
        (
            "ec2:CreateVolume",
            lambda: ec2.create_volume(
                SnapshotId=snapshot_id,
                AvailabilityZone="us-east-1a",
                TagSpecifications=[
                    {
                        "ResourceType": "volume",
                        "Tags": [{"Key": "sg-snapshot-provider:restore-test", "Value": "x"}],
                    }
                ],
            ),
        ),
    ]


@pytest.mark.parametrize(
    "tags",
    [{"team": "db"}, {SCHEDULE_TAG: VOLUME_ARN}],
    ids=["untagged", "schedule-tag-only"],
)
def test_provider_policy__a_foreign_snapshot_cannot_be_unlocked_shared_archived_or_restored(
    emulator: Emulator, tags: dict[str, str]
) -> None:
    """Locked by its owner (governance: an unlock would work for anyone allowed it), it stays
    locked, private, in its tier, and no volume is made of it. A snapshot that carries only
    the schedule's tag may be pruned by retention, nothing more."""
    theirs = snapshot(emulator, tags)
    admin = client("ec2", emulator, "admin")
    admin.lock_snapshot(SnapshotId=theirs, LockMode="governance", LockDuration=1)
    emulator.set_iam_policy(policy("provider"), access_key=KEY)
    ec2 = client("ec2", emulator)
    for action, call in lifecycle_calls(ec2, theirs):
        with pytest.raises(ClientError) as caught:
            call()
        refused(caught, action, arn(theirs))
    (lock,) = admin.describe_locked_snapshots(SnapshotIds=[theirs])["Snapshots"]
    assert lock["LockState"] == "governance"
    permissions = admin.describe_snapshot_attribute(
        SnapshotId=theirs, Attribute="createVolumePermission"
    )["CreateVolumePermissions"]
    assert permissions == []
    (described,) = admin.describe_snapshots(SnapshotIds=[theirs])["Snapshots"]
    assert described.get("StorageTier", "standard") == "standard"
    assert admin.describe_volumes()["Volumes"] == []
    assert tags_of(emulator, theirs) == tags


def test_provider_policy__a_volume_not_made_by_a_restore_test_cannot_be_deleted(
    emulator: Emulator,
) -> None:
    admin = client("ec2", emulator, "admin")
    volume_id = admin.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    emulator.set_iam_policy(policy("provider"), access_key=KEY)
    with pytest.raises(ClientError) as caught:
        client("ec2", emulator).delete_volume(VolumeId=volume_id)
    assert error_code(caught.value) == "UnauthorizedOperation"
    assert (
        f"ec2:DeleteVolume on resource: arn:aws:ec2:{REGION}:{ACCOUNT_ID}:volume/{volume_id}"
        in (error_message(caught.value))
    )
    assert [v["VolumeId"] for v in admin.describe_volumes()["Volumes"]] == [volume_id]


def test_provider_policy__its_own_snapshot_can_be_locked_shared_archived_and_restored(
    emulator: Emulator,
) -> None:
    """The same calls on a snapshot with the owner tag are allowed (the refusals above are the
    tags', not a policy that refuses everything)."""
    mine = snapshot(emulator, {OWNER_TAG: "p/s/r"})
    emulator.set_iam_policy(policy("provider"), access_key=KEY)
    ec2 = client("ec2", emulator)
    calls = dict(lifecycle_calls(ec2, mine))
    for action in (
        "ec2:LockSnapshot",
        "ec2:UnlockSnapshot",
        "ec2:ModifySnapshotAttribute",
        "ec2:CreateVolume",
    ):
        calls[action]()
    volume_id = ec2.describe_volumes()["Volumes"][0]["VolumeId"]
    ec2.delete_volume(VolumeId=volume_id)
    ec2.modify_snapshot_attribute(
        SnapshotId=mine,
        Attribute="createVolumePermission",
        OperationType="remove",
        UserIds=["210987654321"],
    )
    calls["ec2:ModifySnapshotTier"]()
    calls["ec2:RestoreSnapshotTier"]()
    assert emulator.iam_denials() == []


def test_provider_policy__one_foreign_snapshot_fails_a_retag_of_many_and_tags_none(
    emulator: Emulator,
) -> None:
    mine = snapshot(emulator, {OWNER_TAG: "p/s/r"})
    theirs = snapshot(emulator)
    emulator.set_iam_policy(policy("provider"), access_key=KEY)
    with pytest.raises(ClientError) as tagging:
        client("ec2", emulator).create_tags(
            Resources=[mine, theirs], Tags=[{"Key": "team", "Value": "x"}]
        )
    refused(tagging, "ec2:CreateTags", arn(theirs))
    assert "team" not in tags_of(emulator, mine)


def test_provider_policy__the_tags_are_read_when_the_request_comes(emulator: Emulator) -> None:
    """The condition sees the snapshot's tags now: once its owner tag is gone (someone took
    the snapshot back), the provider's credentials cannot delete it any more."""
    mine = snapshot(emulator, {OWNER_TAG: "p/s/r"})
    emulator.set_iam_policy(policy("provider"), access_key=KEY)
    client("ec2", emulator, "admin").delete_tags(Resources=[mine], Tags=[{"Key": OWNER_TAG}])
    with pytest.raises(ClientError) as deleting:
        client("ec2", emulator).delete_snapshot(SnapshotId=mine)
    refused(deleting, "ec2:DeleteSnapshot", arn(mine))
    assert exists(emulator, mine)


@pytest.mark.parametrize("tag", [OWNER_TAG, CREATE_TOKEN_TAG])
def test_provider_policy__the_providers_own_snapshots_are_retagged_and_deleted(
    emulator: Emulator, tag: str
) -> None:
    mine = snapshot(emulator, {tag: "value", "team": "db"})
    emulator.set_iam_policy(policy("provider"), access_key=KEY)
    ec2 = client("ec2", emulator)
    ec2.delete_tags(Resources=[mine], Tags=[{"Key": "team"}])
    ec2.create_tags(Resources=[mine], Tags=[{"Key": "team", "Value": "web"}])
    ec2.delete_snapshot(SnapshotId=mine)
    assert not exists(emulator, mine)
    assert emulator.iam_denials() == []


def test_provider_policy__storage_gateway_refusals_are_access_denied_exceptions(
    emulator: Emulator,
) -> None:
    emulator.set_iam_policy(policy("orphans"), access_key=KEY)
    with pytest.raises(ClientError) as creating:
        client("storagegateway", emulator).create_snapshot(
            VolumeARN=VOLUME_ARN, SnapshotDescription="d"
        )
    assert error_code(creating.value) == "AccessDeniedException"
    assert http_status(creating.value) == 400
    assert (
        f"is not authorized to perform: storagegateway:CreateSnapshot on resource: {VOLUME_ARN} "
        "because no identity-based policy allows the storagegateway:CreateSnapshot action"
    ) in error_message(creating.value)
    assert client("ec2", emulator, "admin").describe_snapshots(OwnerIds=["self"])["Snapshots"] == []


def test_adopt_policy__tags_a_foreign_snapshot_only_to_give_it_an_owner(emulator: Emulator) -> None:
    theirs = snapshot(emulator, {"old": "1"})
    emulator.set_iam_policy(policy("provider"), policy("provider-adopt"), access_key=KEY)
    ec2 = client("ec2", emulator)
    with pytest.raises(ClientError) as tagging:  # not an adoption: no owner tag in it
        ec2.create_tags(Resources=[theirs], Tags=[{"Key": "team", "Value": "x"}])
    refused(tagging, "ec2:CreateTags", arn(theirs))
    with pytest.raises(ClientError) as untagging:  # never the provider's own tags
        ec2.delete_tags(Resources=[theirs], Tags=[{"Key": CREATE_TOKEN_TAG}])
    refused(untagging, "ec2:DeleteTags", arn(theirs))
    with pytest.raises(ClientError) as wiping:  # nor every tag at once
        ec2.delete_tags(Resources=[theirs])
    refused(wiping, "ec2:DeleteTags", arn(theirs))
    ec2.delete_tags(Resources=[theirs], Tags=[{"Key": "old"}])
    ec2.create_tags(
        Resources=[theirs], Tags=[{"Key": OWNER_TAG, "Value": "p/s/r"}, {"Key": "t", "Value": "1"}]
    )
    assert tags_of(emulator, theirs) == {OWNER_TAG: "p/s/r", "t": "1"}


def test_orphans_policy__reads_and_deletes_owned_snapshots_only(emulator: Emulator) -> None:
    mine, theirs = snapshot(emulator, {OWNER_TAG: "p/s/r"}), snapshot(emulator)
    emulator.set_iam_policy(policy("orphans"), access_key=KEY)
    ec2 = client("ec2", emulator)
    assert len(ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]) == 2
    with pytest.raises(ClientError) as tagging:
        ec2.create_tags(Resources=[mine], Tags=[{"Key": "team", "Value": "x"}])
    refused(tagging, "ec2:CreateTags", arn(mine))
    with pytest.raises(ClientError) as deleting:
        ec2.delete_snapshot(SnapshotId=theirs)
    refused(deleting, "ec2:DeleteSnapshot", arn(theirs))
    ec2.delete_snapshot(SnapshotId=mine)
    assert not exists(emulator, mine)
    assert exists(emulator, theirs)


def test_acceptance_policy__sweeps_its_own_snapshots_and_knows_who_it_is(
    emulator: Emulator,
) -> None:
    swept, theirs = snapshot(emulator, {ACCEPTANCE_TAG: "run-1"}), snapshot(emulator)
    emulator.set_iam_policy(policy("acceptance"), access_key=KEY)
    ec2 = client("ec2", emulator)
    ec2.delete_snapshot(SnapshotId=swept)
    with pytest.raises(ClientError) as deleting:
        ec2.delete_snapshot(SnapshotId=theirs)
    refused(deleting, "ec2:DeleteSnapshot", arn(theirs))
    assert client("sts", emulator).get_caller_identity()["Account"] == ACCOUNT_ID


# --- the mode itself ---------------------------------------------------------------------------


def test_get_caller_identity_is_answered_whatever_the_policy_says(emulator: Emulator) -> None:
    """As AWS does: GetCallerIdentity needs no permission, and a Deny cannot stop it."""
    deny_all = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    }
    emulator.set_iam_policy(deny_all, access_key=KEY)
    assert client("sts", emulator).get_caller_identity()["Account"] == ACCOUNT_ID


def test_an_explicit_deny_wins_over_an_allow(emulator: Emulator) -> None:
    mine = snapshot(emulator, {OWNER_TAG: "p/s/r"})
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "ec2:Delete*", "Resource": "*"}],
    }
    emulator.set_iam_policy(policy("provider"), deny, access_key=KEY)
    with pytest.raises(ClientError) as deleting:
        client("ec2", emulator).delete_snapshot(SnapshotId=mine)
    assert "with an explicit deny in an identity-based policy" in error_message(deleting.value)
    assert exists(emulator, mine)


def test_other_credentials_and_reset_are_unrestricted(emulator: Emulator) -> None:
    theirs = snapshot(emulator)
    emulator.set_iam_policy(policy("orphans"), access_key=KEY)
    client("ec2", emulator, "admin").create_tags(
        Resources=[theirs], Tags=[{"Key": "a", "Value": "b"}]
    )
    emulator.reset()
    emulator.add_volume(VOLUME_ARN)
    client("storagegateway", emulator).create_snapshot(
        VolumeARN=VOLUME_ARN, SnapshotDescription="d"
    )
    assert emulator.iam_denials() == []


def test_without_an_access_key_every_request_is_checked(emulator: Emulator) -> None:
    emulator.set_iam_policy(policy("orphans"))
    with pytest.raises(ClientError):
        client("ec2", emulator, "admin").create_tags(
            Resources=["snap-0123456789abcdef0"], Tags=[{"Key": "a", "Value": "b"}]
        )
    emulator.clear_iam_policy()
    snapshot(emulator)  # policy mode off: runs


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"Version": "2008-10-17", "Statement": []}, 'Version must be "2012-10-17"'),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "ec2:*", "Resource": "*"}
                ],
            },
            "Principal is not an element of an identity-based policy statement",
        ),
        (
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "ec2:*",
                        "Resource": "*",
                        "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
                    }
                ],
            },
            "the operator 'NumericLessThan' is not one this evaluator knows",
        ),
    ],
)
def test_a_policy_iam_would_refuse_is_refused_naming_the_rule(
    emulator: Emulator, document: dict[str, Any], reason: str
) -> None:
    with pytest.raises(EmulatorError, match=reason):
        emulator.set_iam_policy(document)


def test_the_command_line_starts_in_policy_mode(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy("orphans")))
    with Emulator(iam_policies=[path], iam_access_key=KEY, volumes=[VOLUME_ARN]) as started:
        with pytest.raises(ClientError) as creating:
            client("storagegateway", started).create_snapshot(
                VolumeARN=VOLUME_ARN, SnapshotDescription="d"
            )
        assert error_code(creating.value) == "AccessDeniedException"
        started.reset()  # back to the policies it started with
        with pytest.raises(ClientError):
            client("storagegateway", started).create_snapshot(
                VolumeARN=VOLUME_ARN, SnapshotDescription="d"
            )
