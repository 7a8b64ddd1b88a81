"""aws.py on its own: the client cache, finders, tag updates and waits against the emulator."""

from __future__ import annotations

import threading

import pytest
from mypy_boto3_ec2 import EC2Client

from sg_snapshot_provider import SnapshotFailedError, SnapshotNotFoundError, aws
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import TagChanges
from sg_snapshot_provider.settings import Settings
from tests.aws_layer.conftest import POLICY
from tests.aws_layer.helpers import ec2_tags, operations
from tests.conftest import REGION, VOLUME_ARN


def _snapshot(emulator: Emulator, tags: dict[str, str] | None = None) -> str:
    client = aws.storagegateway_client(REGION, Settings())
    snapshot_id = aws.create_snapshot(client, VOLUME_ARN, "test", tags or {}, POLICY).snapshot_id
    emulator.clear_calls()
    return snapshot_id


def test_one_client_per_service_region_settings_across_threads(emulator: Emulator) -> None:
    aws.clear_client_cache()
    settings = Settings(max_retries=2)
    seen: list[object] = []

    def grab() -> None:
        seen.append(aws.ec2_client(REGION, settings))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in seen}) == 1
    assert aws.ec2_client("eu-west-1", settings) is not seen[0]
    assert aws.ec2_client(REGION, Settings(max_retries=3)) is not seen[0]
    assert aws.storagegateway_client(REGION, settings) is not seen[0]


def test_configured_endpoint_wins(emulator: Emulator) -> None:
    settings = Settings(endpoints=(("ec2", "http://127.0.0.1:9"),))
    assert aws.ec2_client(REGION, settings).meta.endpoint_url == "http://127.0.0.1:9"
    assert aws.ec2_client(REGION, Settings()).meta.endpoint_url == emulator.url


def test_find_snapshot_by_id_lower_cases_the_id(emulator: Emulator) -> None:
    snapshot_id = _snapshot(emulator)
    info = aws.find_snapshot_by_id(aws.ec2_client(REGION, Settings()), snapshot_id.upper(), POLICY)
    assert info.snapshot_id == snapshot_id
    assert info.state == "completed"
    assert info.description == "test"


def test_find_snapshot_by_id_not_found_is_typed(emulator: Emulator) -> None:
    with pytest.raises(SnapshotNotFoundError) as caught:
        aws.find_snapshot_by_id(
            aws.ec2_client(REGION, Settings()), "snap-0123456789abcdef0", POLICY
        )
    assert caught.value.snapshot_id == "snap-0123456789abcdef0"
    assert caught.value.region == REGION


def test_update_snapshot_tags_without_changes_makes_no_call(emulator: Emulator) -> None:
    snapshot_id = _snapshot(emulator)
    aws.update_snapshot_tags(aws.ec2_client(REGION, Settings()), snapshot_id, TagChanges(), POLICY)
    assert emulator.calls() == []


def test_update_snapshot_tags_deletes_only_listed_keys(emulator: Emulator, ec2: EC2Client) -> None:
    snapshot_id = _snapshot(emulator, {"a": "1", "b": "2", "c": "3"})
    changes = TagChanges(to_delete=("a",), to_set={"b": "20"})
    aws.update_snapshot_tags(
        aws.ec2_client(REGION, Settings()), snapshot_id.upper(), changes, POLICY
    )
    assert operations(emulator) == ["DeleteTags", "CreateTags"]
    assert ec2_tags(ec2, snapshot_id) == {"b": "20", "c": "3"}


def test_wait_keeps_going_through_recoverable_states(emulator: Emulator) -> None:
    emulator.set_pending_seconds(60)
    snapshot_id = _snapshot(emulator)
    messages: list[str] = []

    def report(message: str) -> None:
        messages.append(message)
        if len(messages) == 1:
            emulator.set_snapshot_state(snapshot_id, "recovering", progress="40%")
        elif "recovering" in message:
            emulator.set_snapshot_state(snapshot_id, "completed", progress="100%")

    info = aws.wait_for_snapshot_completed(
        aws.ec2_client(REGION, Settings()), snapshot_id, 30, POLICY, report=report
    )
    assert info.state == "completed"
    assert any("recovering (40%)" in m for m in messages)
    assert messages[-1] == f"snapshot {snapshot_id} completed (100%)"


def test_wait_for_a_vanished_snapshot_fails(emulator: Emulator, ec2: EC2Client) -> None:
    emulator.set_pending_seconds(60)
    snapshot_id = _snapshot(emulator)
    ec2.delete_snapshot(SnapshotId=snapshot_id)
    with pytest.raises(SnapshotFailedError, match="EC2 does not show it"):
        aws.wait_for_snapshot_completed(aws.ec2_client(REGION, Settings()), snapshot_id, 5, POLICY)


def test_create_snapshot__owner_tag_only_while_the_tag_budget_allows(
    emulator: Emulator, ec2: EC2Client
) -> None:
    from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG, OWNER_TAG

    client = aws.storagegateway_client(REGION, Settings())

    def raw_tags(tags: dict[str, str]) -> dict[str, str]:
        snapshot_id = aws.create_snapshot(
            client, VOLUME_ARN, "owned", tags, POLICY, owner="proj/dev/snap"
        ).snapshot_id
        found = ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
        return {t["Key"]: t["Value"] for t in found.get("Tags", [])}

    assert raw_tags({"team": "a"})[OWNER_TAG] == "proj/dev/snap"
    full = raw_tags({f"k{i}": "v" for i in range(49)})  # 49 + the token: no room left
    assert len(full) == 50
    assert CREATE_TOKEN_TAG in full
    assert OWNER_TAG not in full
