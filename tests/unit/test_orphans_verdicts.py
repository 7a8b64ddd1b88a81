"""`orphans` reading `pulumi stack export` output and judging snapshots (pure, no AWS).

Each case it must never delete is a test: kept on purpose (retained), adopted elsewhere, a
same-named stack's, one newer than the export, an export with secret or malformed values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sg_snapshot_provider.orphans import (
    UNRECORDED,
    ExportError,
    Snapshot,
    StackExport,
    UnsureError,
    judge,
    named_unrecorded,
    read_export,
)
from sg_snapshot_provider.type_tokens import SERIES_TYPE, SNAPSHOT_TYPE

VOLUME = "arn:aws:storagegateway:eu-west-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"
TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
OTHER_TOKEN = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
STARTED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "x"}


def urn(name: str, kind: str = SNAPSHOT_TYPE, stack: str = "dev") -> str:
    return f"urn:pulumi:{stack}::proj::{kind}::{name}"


def pending(name: str = "snap", token: str = TOKEN, **inputs: Any) -> dict[str, Any]:
    return {
        "type": "creating",
        "resource": {
            "urn": urn(name),
            "type": SNAPSHOT_TYPE,
            "inputs": {
                "volume_arn": VOLUME,
                "description": "d",
                "stack_resource": f"proj/dev/{name}",
                "create_token": token,
                **inputs,
            },
        },
    }


def export(
    resources: list[dict[str, Any]] | None = None,
    operations: list[dict[str, Any]] | None = None,
    written: datetime | None = STARTED + timedelta(hours=2),
) -> dict[str, Any]:
    stack = {"urn": "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", "type": "x"}
    manifest = {"version": "v3.200.0"}
    if written is not None:
        manifest["time"] = written.isoformat().replace("+00:00", ".123456789Z")
    return {
        "version": 3,
        "deployment": {
            "manifest": manifest,
            "resources": [stack, *(resources or [])],
            "pending_operations": operations if operations is not None else [pending()],
        },
    }


def snapshot(
    snapshot_id: str = "snap-0123456789abcdef0",
    owner: str = "proj/dev/snap",
    token: str = TOKEN,
    started: datetime = STARTED,
) -> Snapshot:
    return Snapshot(snapshot_id, "eu-west-1", owner, token, started, 1, "completed")


def only_verdict(state: StackExport, found: Snapshot) -> tuple[bool, str]:
    (verdict,) = judge(state, [found]).verdicts
    return verdict.deletable, verdict.reason


def test_the_export_gives_stack_write_time_pending_tokens_and_regions() -> None:
    state = read_export(export())
    assert (state.project, state.stack) == ("proj", "dev")
    assert state.written_at == STARTED + timedelta(hours=2, microseconds=123456)
    (create,) = state.pending
    assert (create.resource, create.owner, create.token, create.region) == (
        "snap",
        "proj/dev/snap",
        TOKEN,
        "eu-west-1",
    )
    assert state.regions == {"eu-west-1"}


def test_the_leftover_of_an_unfinished_create_is_deletable() -> None:
    assert only_verdict(read_export(export()), snapshot()) == (
        True,
        "left by the unfinished create of snap",
    )


def test_a_retained_snapshot_of_the_stack_is_never_deleted() -> None:
    """retain_on_delete: tagged with the stack, no state holds it, no pending create made it."""
    retained = snapshot(token=OTHER_TOKEN, owner="proj/dev/release")
    assert only_verdict(read_export(export()), retained) == (False, UNRECORDED)


def test_a_same_named_stacks_snapshot_is_never_deleted() -> None:
    """Another backend's proj/dev: same owner tag, its own token."""
    theirs = snapshot(token=OTHER_TOKEN)
    assert only_verdict(read_export(export()), theirs) == (False, UNRECORDED)


def test_a_snapshot_adopted_elsewhere_is_never_deleted() -> None:
    """The leftover itself, adopted by proj/staging: the adoption re-tagged its owner."""
    adopted = snapshot(owner="proj/staging/taken")
    deletable, reason = only_verdict(read_export(export()), adopted)
    assert not deletable
    assert "adopted" in reason


def test_a_snapshot_without_the_owner_tag_is_never_deleted() -> None:
    """No owner tag (49 user tags left no room): nothing shows it was not adopted since."""
    assert not only_verdict(read_export(export()), snapshot(owner=""))[0]


@pytest.mark.parametrize(
    "written",
    [STARTED - timedelta(seconds=1), STARTED + timedelta(minutes=59), None],
    ids=["before-the-create", "within-the-margin", "no-time"],
)
def test_a_snapshot_newer_than_the_export_can_show_is_never_deleted(
    written: datetime | None,
) -> None:
    """An export taken during the deployment (or right as it was killed) cannot show whether
    the create was recorded afterwards."""
    deletable, reason = only_verdict(read_export(export(written=written)), snapshot())
    assert not deletable
    assert "written" in reason


def test_a_waiting_create_settles_after_its_wait() -> None:
    state = read_export(
        export(
            operations=[pending(wait_for_completion=True, completion_timeout_seconds=7200)],
            written=STARTED + timedelta(hours=2, minutes=30),
        )
    )
    assert not only_verdict(state, snapshot())[0]  # 2 h wait + 1 h margin not over yet
    later = read_export(
        export(
            operations=[pending(wait_for_completion=True, completion_timeout_seconds=7200)],
            written=STARTED + timedelta(hours=3, minutes=1),
        )
    )
    assert only_verdict(later, snapshot())[0]


@pytest.mark.parametrize(
    "holder",
    [
        {"id": "snap-0123456789abcdef0"},
        {"outputs": {"snapshot_ids": ["snap-0123456789ABCDEF0"]}},
        {"inputs": {"adopt_snapshot_id": "snap-0123456789abcdef0"}},
        {"type": "aws:ebs/volume:Volume", "inputs": {"snapshotId": "snap-0123456789abcdef0"}},
    ],
    ids=["resource-id", "series-output", "adopter", "other-type"],
)
def test_a_snapshot_any_resource_names_is_never_deleted(holder: dict[str, Any]) -> None:
    resource = {"urn": urn("holder"), "type": SNAPSHOT_TYPE, **holder}
    state = read_export(export([resource]))
    assert only_verdict(state, snapshot()) == (False, "a resource of the export holds it")


def test_a_series_rotation_interrupted_is_matched_by_its_token() -> None:
    rotation = {
        "type": "updating",
        "resource": {
            "urn": urn("nightly", SERIES_TYPE),
            "type": SERIES_TYPE,
            "inputs": {
                "volume_arn": VOLUME,
                "trigger": "2",
                "keep": 2,
                "stack_resource": "proj/dev/nightly",
                "create_token": OTHER_TOKEN,
            },
        },
    }
    state = read_export(export(operations=[rotation]))
    leftover = snapshot(token=OTHER_TOKEN, owner="proj/dev/nightly")
    assert only_verdict(state, leftover)[0]


@pytest.mark.parametrize(
    "resource",
    [
        {"type": SERIES_TYPE, "outputs": {"snapshot_ids": SECRET}},
        {"type": SNAPSHOT_TYPE, "inputs": {"tags": {"a": SECRET}}},
        {"type": SNAPSHOT_TYPE, "outputs": ["snap-0123456789abcdef0"]},
    ],
    ids=["secret-snapshot-ids", "secret-nested", "outputs-a-list"],
)
def test_an_export_hiding_what_it_holds_is_refused(resource: dict[str, Any]) -> None:
    with pytest.raises(UnsureError, match="nothing deleted"):
        read_export(export([{"urn": urn("series"), **resource}]))


def test_a_secret_in_a_pending_create_is_refused() -> None:
    with pytest.raises(UnsureError, match="secret"):
        read_export(export(operations=[pending(create_token=SECRET)]))


def test_secrets_of_other_packages_resources_do_not_matter() -> None:
    other = {"urn": urn("db", "aws:rds/instance:Instance"), "type": "aws:rds/instance:Instance"}
    state = read_export(export([{**other, "outputs": {"password": SECRET}}]))
    assert only_verdict(state, snapshot())[0]


@pytest.mark.parametrize(
    "exported",
    [
        {},
        [],
        {"deployment": []},
        {"deployment": {"resources": {}}},
        {"deployment": {"resources": ["urn:pulumi:dev::proj::x::y"]}},
        {"deployment": {"resources": [{"urn": "not-a-urn"}]}},
        {"deployment": {"resources": [], "pending_operations": [{"resource": "x"}]}},
    ],
    ids=[
        "empty",
        "list",
        "deployment-list",
        "resources-object",
        "resource-string",
        "no-urn",
        "pending-string",
    ],
)
def test_what_is_not_an_export_is_one_sentence(exported: Any) -> None:
    with pytest.raises(ExportError) as raised:
        read_export(exported)
    assert "\n" not in str(raised.value)


def test_unrecorded_snapshots_are_deleted_only_when_named_and_old_enough() -> None:
    retained = snapshot(snapshot_id="snap-00000001", token=OTHER_TOKEN, owner="proj/dev/old")
    state = read_export(export(written=STARTED + timedelta(days=1, hours=2)))
    report = judge(state, [retained])
    assert named_unrecorded(report, state, []) == []
    assert named_unrecorded(report, state, ["SNAP-00000001"]) == [retained]
    too_soon = read_export(export(written=STARTED + timedelta(hours=2)))
    with pytest.raises(UnsureError, match="too recent"):
        named_unrecorded(judge(too_soon, [retained]), too_soon, ["snap-00000001"])
    with pytest.raises(UnsureError, match="not a snapshot of yours"):
        named_unrecorded(report, state, ["snap-0000000f"])


def test_a_named_snapshot_the_export_holds_is_refused() -> None:
    held = {"urn": urn("keep"), "type": SNAPSHOT_TYPE, "id": "snap-00000001"}
    state = read_export(export([held], written=STARTED + timedelta(days=2)))
    found = snapshot(snapshot_id="snap-00000001", token=OTHER_TOKEN)
    with pytest.raises(UnsureError, match="holds it"):
        named_unrecorded(judge(state, [found]), state, ["snap-00000001"])


def test_secrets_shown_by_show_secrets_are_read() -> None:
    """`pulumi stack export --show-secrets` writes each secret as JSON text under plaintext."""
    shown = {**SECRET, "plaintext": '["snap-0123456789abcdef0"]'}
    del shown["ciphertext"]
    series = {"urn": urn("series", SERIES_TYPE), "type": SERIES_TYPE}
    state = read_export(export([{**series, "outputs": {"snapshot_ids": shown}}]))
    assert only_verdict(state, snapshot()) == (False, "a resource of the export holds it")


def test_a_secret_serialized_provider_does_not_matter() -> None:
    """Pulumi's SDK encrypts ``__provider`` by default; it names no snapshot."""
    resource = {"urn": urn("snap"), "type": SNAPSHOT_TYPE, "inputs": {"__provider": SECRET}}
    state = read_export(export([resource]))
    assert only_verdict(state, snapshot())[0]
