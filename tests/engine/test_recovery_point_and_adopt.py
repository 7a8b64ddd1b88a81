"""Snapshots from a recovery point, and adopted snapshots, through the real plugin: each step
asserts the exact AWS calls (the emulator's log) and what EC2 holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sg_snapshot_harness import Engine, PluginError, PluginProcess, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import DUMMY_AWS_ENVIRONMENT, start_plugin
from sg_snapshot_provider import SnapshotSeriesProvider, StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import OWNER_TAG, TAKEN_FROM_TAG
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import ACCOUNT_ID, PLUGIN_TIMINGS, REGION, REPO_ROOT, VOLUME_ARN

STORED_GATEWAY = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-99887766"
STORED_VOLUME = f"{STORED_GATEWAY}/volume/vol-55667788"
NEW_VOLUME = VOLUME_ARN.replace("vol-1122AABB", "vol-0000FEED")
#: Transient gateway states are retried for half a second here, not two minutes.
TIMINGS = {
    **PLUGIN_TIMINGS,
    "transient_retry_seconds": 0.5,
    "ambiguous_settle_seconds": 0.2,
    "read_timeout_seconds": 5.0,
}
FROM_RP: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "description": "from the recovery point",
    "from_recovery_point": True,
}


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=TIMINGS)
    try:
        process.configure({"aws:region": REGION})
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    return Engine(plugin, StorageGatewaySnapshotProvider())


def calls(emulator: Emulator) -> list[str]:
    return [call.operation for call in emulator.calls()]


# --- from_recovery_point ------------------------------------------------------------------------


def test_recovery_point__cached_volume(engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
    created = engine.up("rp", FROM_RP)
    assert calls(emulator) == ["CreateSnapshotFromVolumeRecoveryPoint"]
    assert created.outputs["from_recovery_point"] is True
    assert created.outputs["volume_recovery_point_time"].endswith("Z")
    assert ec2.snapshot_ids() == {created.id}

    emulator.clear_calls()
    assert engine.up("rp", FROM_RP).kind is StepKind.SAME
    assert calls(emulator) == []

    emulator.clear_calls()
    replaced = engine.up("rp", {**FROM_RP, "from_recovery_point": False})
    assert replaced.kind is StepKind.REPLACE
    assert calls(emulator) == ["CreateSnapshot", "DeleteSnapshot"]
    assert "volume_recovery_point_time" not in replaced.outputs
    assert ec2.snapshot_ids() == {replaced.id}


def test_recovery_point__stored_volume_is_refused_with_what_to_do(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.add_gateway(STORED_GATEWAY, "STORED")
    emulator.add_volume(STORED_VOLUME)
    emulator.clear_calls()
    with pytest.raises(PluginError) as failed:
        engine.up("rp", {**FROM_RP, "volume_arn": STORED_VOLUME})
    assert "NotSupported" in failed.value.message
    assert "set from_recovery_point to false" in failed.value.message
    assert calls(emulator) == ["CreateSnapshotFromVolumeRecoveryPoint"]
    assert ec2.snapshot_ids() == set()
    assert engine.state("rp") is None


def test_recovery_point__volume_without_one_is_refused_with_what_to_do(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.add_volume(NEW_VOLUME, recovery_point=False)
    emulator.clear_calls()
    with pytest.raises(PluginError) as failed:
        engine.up("rp", {**FROM_RP, "volume_arn": NEW_VOLUME})
    assert "no recovery point yet" in failed.value.message
    assert set(calls(emulator)) == {"CreateSnapshotFromVolumeRecoveryPoint"}  # retried, bounded
    assert ec2.snapshot_ids() == set()


def test_recovery_point__a_lost_answer_is_adopted_not_repeated(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    emulator.inject_fault("CreateSnapshotFromVolumeRecoveryPoint", "", mode="drop")
    created = engine.up("rp", FROM_RP)
    # Found by its token, then looked for once more (a late duplicate would be deleted).
    assert calls(emulator) == [
        "CreateSnapshotFromVolumeRecoveryPoint",
        "DescribeSnapshots",
        "DescribeSnapshots",
    ]
    assert ec2.snapshot_ids() == {created.id}  # exactly one


# --- adopt_snapshot_id ------------------------------------------------------------------------


def existing_snapshot(emulator: Emulator, description: str, tags: dict[str, str]) -> str:
    """A snapshot made outside Pulumi (e.g. by a script), with its own tags."""
    sg = boto3.client(
        "storagegateway",
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id=DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
    )
    answer = sg.create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription=description,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    emulator.clear_calls()
    return str(answer["SnapshotId"]).lower()


def adopting(snapshot_id: str, **extra: Any) -> dict[str, Any]:
    return {"volume_arn": VOLUME_ARN, "adopt_snapshot_id": snapshot_id, **extra}


def test_adopt__tags_reconciled_then_destroy_deletes_it(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    existing = existing_snapshot(emulator, "made by hand", {"old": "1", "team": "x"})
    adopted = engine.up("kept", adopting(existing.upper(), tags={"team": "storage"}))
    assert adopted.id == existing
    assert calls(emulator) == ["DescribeSnapshots", "DeleteTags", "CreateTags"]
    assert ec2.tags(existing) == {"team": "storage"}
    assert adopted.outputs["description"] == "made by hand"
    assert adopted.outputs["state"] == "completed"
    assert "created_at" not in adopted.outputs

    emulator.clear_calls()
    assert engine.up("kept", adopting(existing, tags={"team": "storage"})).kind is StepKind.SAME
    assert engine.refresh("kept").id == existing
    emulator.clear_calls()
    assert engine.up("kept", adopting(existing, tags={"team": "storage"})).kind is StepKind.SAME
    assert calls(emulator) == []

    emulator.clear_calls()
    engine.destroy("kept")
    assert calls(emulator) == ["DeleteSnapshot"]
    assert ec2.snapshot_ids() == set()


def test_adopt__the_same_description_is_fine_another_is_refused_before_any_write(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    existing = existing_snapshot(emulator, "made by hand", {"old": "1"})
    with pytest.raises(PluginError) as failed:
        engine.up("kept", adopting(existing, description="something else"))
    assert "EC2 cannot change a snapshot's description" in failed.value.message
    assert "something else" not in failed.value.message  # it may be a secret
    assert calls(emulator) == ["DescribeSnapshots"]
    assert ec2.tags(existing) == {"old": "1"}

    emulator.clear_calls()
    adopted = engine.up("kept", adopting(existing, description="made by hand"))
    assert adopted.id == existing
    assert calls(emulator) == ["DescribeSnapshots", "DeleteTags"]


def test_adopt__a_missing_snapshot_is_refused_with_no_write(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    with pytest.raises(PluginError) as failed:
        engine.up("kept", adopting("snap-0123456789abcdef0"))
    assert "snap-0123456789abcdef0 not found" in failed.value.message
    assert calls(emulator) == ["DescribeSnapshots", "DescribeSnapshots"]
    assert ec2.snapshot_ids() == set()


def test_adopt__a_new_id_replaces(engine: Engine, emulator: Emulator, ec2: Ec2View) -> None:
    first = existing_snapshot(emulator, "first", {})
    second = existing_snapshot(emulator, "second", {})
    engine.up("kept", adopting(first))
    emulator.clear_calls()
    replaced = engine.up("kept", adopting(second))
    assert (replaced.kind, replaced.id) == (StepKind.REPLACE, second)
    assert calls(emulator) == ["DescribeSnapshots", "DeleteSnapshot"]
    assert ec2.snapshot_ids() == {second}


def test_adopt__with_from_recovery_point_is_a_named_check_failure(
    engine: Engine, emulator: Emulator
) -> None:
    outcome = engine.check("kept", adopting("snap-0123456789abcdef0", from_recovery_point=True))
    assert [f.property for f in outcome.failures] == ["adopt_snapshot_id"]
    assert emulator.calls() == []


# --- adopting a snapshot another resource holds -------------------------------------------------

STACK = "sg-snapshot-provider/test"
ADOPTER = f"{STACK}/kept"


def owner_of(ec2: Ec2View, snapshot_id: str) -> str | None:
    snapshot = ec2.snapshot(snapshot_id) or {}
    return {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}.get(OWNER_TAG)


def held_snapshot(engine: Engine, name: str, *, stack: str = "test") -> str:
    """A snapshot the provider made for resource ``name`` of ``stack`` (its owner tag)."""
    holder = Engine(engine.plugin, engine.serialized_provider, stack=stack)
    made = holder.up(
        name,
        {
            "volume_arn": VOLUME_ARN,
            "description": "held",
            "stack_resource": f"sg-snapshot-provider/{stack}/{name}",
        },
    )
    return made.id


def test_adopt__a_series_member_is_refused_naming_its_owner_so_destroy_cannot_delete_it(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    series = Engine(engine.plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)
    inputs = {"volume_arn": VOLUME_ARN, "trigger": "1", "keep": 3}
    held = series.up("nightly", {**inputs, "stack_resource": f"{STACK}/nightly"})
    member = held.outputs["latest_snapshot_id"]
    emulator.clear_calls()

    with pytest.raises(PluginError) as failed:
        engine.up("kept", adopting(member, stack_resource=ADOPTER))
    message = failed.value.message
    assert f"{OWNER_TAG} names {STACK}/nightly" in message
    assert f'adopt_from_owner="{STACK}/nightly"' in message
    assert calls(emulator) == ["DescribeSnapshots"]  # refused before any write
    assert engine.state("kept") is None
    assert owner_of(ec2, member) == f"{STACK}/nightly"
    # The series still holds its snapshot, and its destroy deletes it.
    series.destroy("nightly")
    assert ec2.snapshot_ids() == set()


def test_adopt__another_stacks_snapshot_is_refused(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    held = held_snapshot(engine, "db", stack="prod")
    emulator.clear_calls()
    with pytest.raises(PluginError) as failed:
        engine.up("kept", adopting(held, stack_resource=ADOPTER))
    assert "sg-snapshot-provider/prod/db" in failed.value.message
    assert calls(emulator) == ["DescribeSnapshots"]
    assert owner_of(ec2, held) == "sg-snapshot-provider/prod/db"


def test_adopt__adopt_from_owner_takes_over_a_released_snapshot_and_tags_the_new_owner(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    released = held_snapshot(engine, "old", stack="prod")  # as left by retain_on_delete
    emulator.clear_calls()
    adopted = engine.up(
        "kept",
        adopting(
            released, stack_resource=ADOPTER, adopt_from_owner="sg-snapshot-provider/prod/old"
        ),
    )
    assert adopted.id == released
    assert calls(emulator) == ["DescribeSnapshots", "CreateTags"]  # the owner tag only
    assert owner_of(ec2, released) == ADOPTER
    assert adopted.outputs["adopt_from_owner"] == "sg-snapshot-provider/prod/old"

    # Dropping the opt-in afterwards plans nothing: it only matters when adopting.
    emulator.clear_calls()
    same = engine.up("kept", adopting(released, stack_resource=ADOPTER))
    assert same.kind is StepKind.SAME
    assert calls(emulator) == []


def test_adopt__adopt_from_owner_naming_someone_else_is_refused(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    held = held_snapshot(engine, "db", stack="prod")
    emulator.clear_calls()
    with pytest.raises(PluginError) as failed:
        engine.up(
            "kept",
            adopting(held, stack_resource=ADOPTER, adopt_from_owner=f"{STACK}/someone-else"),
        )
    assert "sg-snapshot-provider/prod/db" in failed.value.message
    assert calls(emulator) == ["DescribeSnapshots"]
    assert owner_of(ec2, held) == "sg-snapshot-provider/prod/db"


def test_adopt__the_same_owner_adopts_again_without_opting_in(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    mine = held_snapshot(engine, "kept")  # made by this very resource, then forgotten
    emulator.clear_calls()
    adopted = engine.up("kept", adopting(mine, stack_resource=ADOPTER))
    assert adopted.id == mine
    assert calls(emulator) == ["DescribeSnapshots"]  # its tags and owner are already right
    assert owner_of(ec2, mine) == ADOPTER


def test_adopt__a_snapshot_without_owner_tag_is_adopted_and_gets_one(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    existing = existing_snapshot(emulator, "made by hand", {"team": "x"})
    adopted = engine.up("kept", adopting(existing, stack_resource=ADOPTER, tags={"team": "x"}))
    assert adopted.id == existing
    assert calls(emulator) == ["DescribeSnapshots", "CreateTags"]
    assert owner_of(ec2, existing) == ADOPTER
    assert ec2.tags(existing) == {"team": "x"}


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ({"adopt_from_owner": "a/b/c"}, "adopt_from_owner only applies with adopt_snapshot_id"),
        (
            {"adopt_snapshot_id": "snap-0123456789abcdef0", "adopt_from_owner": 7.0},
            "adopt_from_owner must be the owner tag's value",
        ),
        (
            {"adopt_snapshot_id": "snap-0123456789abcdef0", "adopt_from_owner": ""},
            "adopt_from_owner must be the owner tag's value",
        ),
    ],
)
def test_adopt__a_bad_adopt_from_owner_is_a_named_check_failure(
    engine: Engine, emulator: Emulator, extra: dict[str, Any], reason: str
) -> None:
    outcome = engine.check("kept", {"volume_arn": VOLUME_ARN, "description": "d", **extra})
    assert [f.property for f in outcome.failures] == ["adopt_from_owner"]
    assert reason in outcome.failures[0].reason
    assert emulator.calls() == []


def tags_of(ec2: Ec2View, snapshot_id: str) -> dict[str, str]:
    snapshot = ec2.snapshot(snapshot_id) or {}
    return {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}


def test_adopt_from_owner__the_former_holder_forgets_it_instead_of_deleting_it(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    """Who could be hurt: the adopter, when the owner named by ``adopt_from_owner`` still
    held the snapshot after all. Its destroy (or replace) must not delete it under them."""
    holder = Engine(engine.plugin, engine.serialized_provider, stack="prod")
    held = holder.up(
        "old",
        {
            "volume_arn": VOLUME_ARN,
            "description": "held",
            "stack_resource": "sg-snapshot-provider/prod/old",
        },
    ).id
    engine.up(
        "kept",
        adopting(held, stack_resource=ADOPTER, adopt_from_owner="sg-snapshot-provider/prod/old"),
    )
    assert tags_of(ec2, held)[TAKEN_FROM_TAG] == "sg-snapshot-provider/prod/old"
    emulator.clear_calls()

    holder.destroy("old")

    assert calls(emulator) == ["DescribeSnapshots"]  # read, never DeleteSnapshot
    assert ec2.exists(held)
    assert f"EBS snapshot {held} was adopted by {ADOPTER}" in engine.plugin.stderr_text()
    # The adopter's reserved tags are never shown or diffed, and its destroy deletes it.
    assert TAKEN_FROM_TAG not in (engine.refresh("kept").outputs["tags_all"] or {})
    engine.destroy("kept")
    assert not ec2.exists(held)


def test_a_renamed_stack_still_deletes_its_own_snapshot(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    """Who could be hurt the other way: a stack renamed since its snapshot was made (its owner
    tag names the old name). Nobody adopted it, so its destroy deletes it, leaking nothing."""
    inputs = {"volume_arn": VOLUME_ARN, "description": "db"}
    made = engine.up("db", {**inputs, "stack_resource": "sg-snapshot-provider/old-name/db"}).id
    # After the rename, a tag change updates the state: it now names the new stack.
    renamed = {**inputs, "stack_resource": "sg-snapshot-provider/new-name/db"}
    engine.up("db", {**renamed, "tags": {"team": "storage"}})
    assert tags_of(ec2, made)[OWNER_TAG] == "sg-snapshot-provider/old-name/db"
    emulator.clear_calls()

    engine.destroy("db")

    assert calls(emulator) == ["DescribeSnapshots", "DeleteSnapshot"]
    assert not ec2.exists(made)


def test_adopt_from_owner__a_series_forgets_an_adopted_member_in_rotation_and_destroy(
    engine: Engine, emulator: Emulator, ec2: Ec2View
) -> None:
    """Who could be hurt: the adopter of a series member, when the series still holds it. The
    rotation that would delete it, and the series' destroy, leave it in place."""
    series = Engine(engine.plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)
    inputs = {"volume_arn": VOLUME_ARN, "keep": 1, "stack_resource": f"{STACK}/nightly"}
    first = series.up("nightly", {**inputs, "trigger": "1"}).outputs["latest_snapshot_id"]
    engine.up("kept", adopting(first, stack_resource=ADOPTER, adopt_from_owner=f"{STACK}/nightly"))

    rotated = series.up("nightly", {**inputs, "trigger": "2"})  # keep=1: first would go

    assert ec2.exists(first)
    assert first not in rotated.outputs["snapshot_ids"]
    assert f"EBS snapshot {first} was adopted by {ADOPTER}" in engine.plugin.stderr_text()

    # Taken over again by hand after the rotation: the destroy leaves it too.
    second = rotated.outputs["latest_snapshot_id"]
    engine.up(
        "other",
        adopting(second, stack_resource=f"{STACK}/other", adopt_from_owner=f"{STACK}/nightly"),
    )
    series.destroy("nightly")
    assert ec2.exists(first)
    assert ec2.exists(second)
    engine.destroy("kept")
    engine.destroy("other")
    assert ec2.snapshot_ids() == set()
