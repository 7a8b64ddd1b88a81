"""`orphans --delete` meeting a locked leftover, a lock it cannot read, and a snapshot another
run deleted first. Who could be hurt, each a test here (against the emulator, the command run
in this process so that a concurrent run can be played between its listing and its deletes):

- a locked leftover (EBS snapshot lock): kept and listed with when its lock ends, never
  unlocked; the other leftovers are still deleted; exit 4 says something is not deleted yet;
- a leftover whose lock read fails (denied, throttled beyond the retries): kept, never taken
  for "not locked", even when it is in fact not locked;
- a locked snapshot the stack holds, keeps on purpose, or another stack's: never unlocked,
  never deleted;
- a lock set between the listing and the delete: kept, the run goes on;
- a concurrent run that deleted a leftover first: "already gone", done, the run goes on;
- a snapshot that only looks gone (EC2's eventual consistency right after a create): retried
  until the visibility window ends, never reported gone while EC2 still has it.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import plugin_environment
from sg_snapshot_provider import __main__ as command
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG, OWNER_TAG
from sg_snapshot_provider.orphans import Snapshot, delete_snapshots, lock_holds
from sg_snapshot_provider.settings import TIMINGS_ENV, settings_from_config
from sg_snapshot_provider.type_tokens import SNAPSHOT_TYPE
from tests.conftest import REGION, VOLUME_ARN

#: Fast retries; a visibility window short enough that a gone snapshot is believed soon.
TIMINGS = {
    "backoff_initial_seconds": 0.01,
    "backoff_max_seconds": 0.05,
    "transient_retry_seconds": 0.5,
    "throttled_retry_seconds": 0.5,
    "ambiguous_settle_seconds": 0.0,
    "visibility_window_seconds": 1.0,
}
NO_MARGIN = ("--settle-seconds", "0")
EXIT_NOT_YET = 4


@pytest.fixture
def aws_env(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Point this process at the emulator, as the plugin is (the command runs in-process)."""

    def point(**timings: float) -> None:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            monkeypatch.delenv(name)
        extra = {TIMINGS_ENV: json.dumps({**TIMINGS, **timings})}
        for name, value in plugin_environment(emulator.url, extra).items():
            monkeypatch.setenv(name, value)

    point()
    return point


def client(emulator: Emulator, service: str) -> Any:
    make: Any = boto3.client
    return make(
        service,
        region_name=REGION,
        endpoint_url=emulator.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def make(emulator: Emulator, resource: str, *, token: str | None = None, stack: str = "dev") -> str:
    """A snapshot tagged as the provider tags one (owner tag; create token when given)."""
    tags = {OWNER_TAG: f"proj/{stack}/{resource}"}
    if token:
        tags[CREATE_TOKEN_TAG] = token
    answer = client(emulator, "storagegateway").create_snapshot(
        VolumeARN=VOLUME_ARN,
        SnapshotDescription=resource,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )
    return str(answer["SnapshotId"])


def pending(resource: str, token: str) -> dict[str, Any]:
    """The pending operation a CLI killed mid-create leaves in the checkpoint."""
    return {
        "type": "creating",
        "resource": {
            "urn": f"urn:pulumi:dev::proj::{SNAPSHOT_TYPE}::{resource}",
            "type": SNAPSHOT_TYPE,
            "inputs": {
                "volume_arn": VOLUME_ARN,
                "description": resource,
                "stack_resource": f"proj/dev/{resource}",
                "create_token": token,
            },
        },
    }


def held(resource: str, snapshot_id: str) -> dict[str, Any]:
    """A resource of the export that holds ``snapshot_id``."""
    return {
        "urn": f"urn:pulumi:dev::proj::{SNAPSHOT_TYPE}::{resource}",
        "type": SNAPSHOT_TYPE,
        "id": snapshot_id,
        "inputs": {"volume_arn": VOLUME_ARN, "stack_resource": f"proj/dev/{resource}"},
        "outputs": {"snapshot_id": snapshot_id},
    }


def export(
    operations: list[dict[str, Any]],
    resources: list[dict[str, Any]] | None = None,
    written: datetime | None = None,
) -> dict[str, Any]:
    stack = {"urn": "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", "type": "x"}
    moment = written or datetime.now(UTC) + timedelta(seconds=1)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"time": moment.isoformat().replace("+00:00", "Z")},
            "resources": [stack, *(resources or [])],
            "pending_operations": operations,
        },
    }


def leftovers(emulator: Emulator, *names: str) -> tuple[list[str], dict[str, Any]]:
    """One leftover of an unfinished create per name, and the export that shows them."""
    tokens = {name: str(uuid.uuid4()) for name in names}
    ids = [make(emulator, name, token=tokens[name]) for name in names]
    return ids, export([pending(name, tokens[name]) for name in names])


def orphans(
    state: dict[str, Any], tmp_path: Any, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    code = command.main(["orphans", "--state", str(path), *NO_MARGIN, *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def lock(emulator: Emulator, snapshot_id: str, mode: str = "governance") -> None:
    request: dict[str, Any] = {"SnapshotId": snapshot_id, "LockMode": mode, "LockDuration": 3}
    if mode == "compliance":
        request["CoolOffPeriod"] = 1
    client(emulator, "ec2").lock_snapshot(**request)


def lock_state(emulator: Emulator, snapshot_id: str) -> str:
    answer = client(emulator, "ec2").describe_locked_snapshots(SnapshotIds=[snapshot_id])
    return str(answer["Snapshots"][0]["LockState"]) if answer["Snapshots"] else "none"


def calls_of(emulator: Emulator, operation: str) -> int:
    return sum(1 for c in emulator.calls() if c.operation == operation)


def assert_never_unlocked(emulator: Emulator) -> None:
    assert calls_of(emulator, "UnlockSnapshot") == 0


def one_sentence(err: str) -> str:
    (line,) = err.strip().splitlines()
    assert line.startswith("orphans: ")
    return line


# --- a locked leftover -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["governance", "compliance"])
def test_a_locked_leftover_is_kept_with_its_lock_end_and_the_others_are_deleted(
    mode: str,
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (locked, free), state = leftovers(emulator, "locked", "free")
    lock(emulator, locked, mode)
    ends = client(emulator, "ec2").describe_locked_snapshots(SnapshotIds=[locked])["Snapshots"][0][
        "LockExpiresOn"
    ]
    emulator.clear_calls()

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == EXIT_NOT_YET, out + err
    assert not ec2.exists(free)
    assert f"deleting 1 snapshot(s): {free}\n" in out  # the locked one is not announced
    assert f"deleted {free}" in out
    assert ec2.exists(locked)
    assert lock_state(emulator, locked) == (
        "governance" if mode == "governance" else "compliance-cooloff"
    )
    assert_never_unlocked(emulator)
    assert f"{locked}" in out
    assert f"locked in {mode} mode" in out
    assert f"until {ends:%Y-%m-%dT%H:%M}" in out
    sentence = one_sentence(err)
    assert locked in sentence
    assert "not deleted yet" in sentence
    assert "locked" in sentence
    assert free not in sentence


def test_listing_shows_a_locked_leftover_as_not_deletable_now(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (locked,), state = leftovers(emulator, "locked")
    lock(emulator, locked)
    emulator.clear_calls()

    code, out, _ = orphans(state, tmp_path, capsys)

    assert code == 0
    assert "locked in governance mode until" in out
    assert calls_of(emulator, "DeleteSnapshot") == 0
    assert_never_unlocked(emulator)


def test_a_lock_set_after_the_listing_keeps_the_leftover_and_the_run_goes_on(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The lock comes after orphans read the locks: EC2 refuses the delete; that is a lock too."""
    (first, second), state = leftovers(emulator, "first", "second")
    real = lock_holds

    def then_lock(*args: Any) -> Any:
        holds = real(*args)
        lock(emulator, first)
        return holds

    monkeypatch.setattr(command, "lock_holds", then_lock)

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == EXIT_NOT_YET, out + err
    assert ec2.exists(first)
    assert lock_state(emulator, first) == "governance"
    assert not ec2.exists(second)
    assert first in one_sentence(err)
    assert_never_unlocked(emulator)


# --- a lock that cannot be read ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code_", "status"),
    [
        ("UnauthorizedOperation", 403),
        ("RequestLimitExceeded", 503),
        ("InternalError", 500),
        ("InvalidSnapshot.NotFound", 400),
    ],
    ids=["denied", "throttled-beyond-retries", "server-error", "not-found-by-the-lock-read"],
)
def test_a_leftover_whose_lock_cannot_be_read_is_not_deleted(
    code_: str,
    status: int,
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Neither is locked, but orphans cannot know: it deletes nothing, and says why."""
    ids, state = leftovers(emulator, "first", "second")
    emulator.inject_fault("DescribeLockedSnapshots", code_, status=status, times=None)
    emulator.clear_calls()

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == EXIT_NOT_YET, out + err
    assert all(ec2.exists(i) for i in ids)
    assert calls_of(emulator, "DeleteSnapshot") == 0
    sentence = one_sentence(err)
    assert all(i in sentence for i in ids)
    assert "lock could not be read" in sentence
    assert code_ in sentence
    if code_ == "UnauthorizedOperation":
        assert "ec2:DescribeLockedSnapshots" in sentence  # the permission to add


def test_a_lock_read_throttled_once_is_retried(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (locked, free), state = leftovers(emulator, "locked", "free")
    lock(emulator, locked)
    emulator.inject_fault("DescribeLockedSnapshots", "RequestLimitExceeded", status=503, times=1)

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == EXIT_NOT_YET, out + err
    assert ec2.exists(locked)
    assert not ec2.exists(free)
    assert "locked in governance mode" in one_sentence(err)


# --- locked snapshots that are no leftovers ----------------------------------------------


def test_locked_snapshots_held_retained_adopted_or_another_stacks_are_never_unlocked_or_deleted(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    live = make(emulator, "live", token=str(uuid.uuid4()))
    retained = make(emulator, "release", token=str(uuid.uuid4()))
    theirs_token = str(uuid.uuid4())
    theirs = make(emulator, "snap", token=theirs_token, stack="dev")  # a same-named stack's
    (leftover,), state = leftovers(emulator, "snap")
    state["deployment"]["resources"].append(held("live", live))
    adopted_token = str(uuid.uuid4())  # the leftover of "taken", since adopted by proj/staging
    adopted = make(emulator, "taken", token=adopted_token, stack="staging")
    state["deployment"]["pending_operations"].append(pending("taken", adopted_token))
    for snapshot_id in (live, retained, theirs, adopted):
        lock(emulator, snapshot_id)
    emulator.clear_calls()

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == 0, out + err
    assert not ec2.exists(leftover)
    assert all(ec2.exists(i) for i in (live, retained, theirs, adopted))
    assert "adopted by another resource" in out
    deletes = [c for c in emulator.calls() if c.operation == "DeleteSnapshot"]
    assert len(deletes) == 1
    assert_never_unlocked(emulator)


def test_a_locked_snapshot_named_for_deletion_is_kept_and_said(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--delete-unrecorded: the user named it, but a lock still holds it."""
    named = make(emulator, "failed", token=str(uuid.uuid4()))
    lock(emulator, named)
    state = export([], written=datetime.now(UTC) + timedelta(days=2))

    code, out, err = orphans(
        state, tmp_path, capsys, "--delete-unrecorded", named, "--region", REGION
    )

    assert code == EXIT_NOT_YET, out + err
    assert ec2.exists(named)
    assert named in one_sentence(err)
    assert_never_unlocked(emulator)


# --- a concurrent run, and what only looks gone ------------------------------------------


def test_a_leftover_a_concurrent_run_deleted_first_is_already_gone_and_the_run_goes_on(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The other run deletes the first leftover between this run's listing and its deletes."""
    (first, second, third), state = leftovers(emulator, "a", "b", "c")
    real = lock_holds

    def other_run_deletes_first(*args: Any) -> Any:
        holds = real(*args)
        ec2.delete_out_of_band(first)
        return holds

    monkeypatch.setattr(command, "lock_holds", other_run_deletes_first)

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == 0, out + err
    assert "orphans:" not in err  # no failure (EC2's lag may be reported while waited out)
    assert f"{first} already gone" in out
    assert f"deleted {first}" not in out
    assert f"deleted {second}" in out
    assert f"deleted {third}" in out
    assert not any(ec2.exists(i) for i in (first, second, third))


def test_a_delete_answered_not_found_by_a_concurrent_run_is_already_gone(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The other run's delete lands between this run's last look and its own delete."""
    ids, state = leftovers(emulator, "a", "b")
    emulator.inject_fault("DeleteSnapshot", "InvalidSnapshot.NotFound", mode="after", times=1)

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == 0, out + err
    gone = [i for i in ids if f"{i} already gone" in out]
    deleted = [i for i in ids if f"deleted {i}" in out]
    assert len(gone) == len(deleted) == 1
    assert set(gone + deleted) == set(ids)
    assert not any(ec2.exists(i) for i in ids)


def test_two_runs_at_once_each_delete_every_leftover_once_and_both_succeed(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both runs list the same leftovers; the second deletes after the first."""
    ids, state = leftovers(emulator, "a", "b", "c")
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    real = lock_holds
    outputs: list[tuple[int, str]] = []

    def the_other_run_goes_first(*args: Any) -> Any:
        holds = real(*args)
        monkeypatch.setattr(command, "lock_holds", real)
        other = command.main(["orphans", "--state", str(path), *NO_MARGIN, "--delete"])
        outputs.append((other, capsys.readouterr().out))
        return holds

    monkeypatch.setattr(command, "lock_holds", the_other_run_goes_first)
    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    ((other_code, other_out),) = outputs
    assert (code, other_code) == (0, 0), out + err
    for snapshot_id in ids:
        assert f"deleted {snapshot_id}" in other_out
        assert f"{snapshot_id} already gone" in out
        assert not ec2.exists(snapshot_id)


def settings() -> Any:
    return settings_from_config(lambda _key: None, os.environ)


def as_found(emulator: Emulator, snapshot_id: str) -> Snapshot:
    info = client(emulator, "ec2").describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0]
    tags = {t["Key"]: t["Value"] for t in info.get("Tags", [])}
    return Snapshot(
        snapshot_id,
        REGION,
        tags[OWNER_TAG],
        tags.get(CREATE_TOKEN_TAG, ""),
        info["StartTime"],
        info.get("VolumeSize"),
        info["State"],
    )


def outcomes(snapshot: Snapshot) -> Iterator[tuple[str, str]]:
    for outcome in delete_snapshots([snapshot], {}, settings()):
        yield outcome.snapshot_id, outcome.kind


@pytest.mark.parametrize("operation", ["DescribeSnapshots", "DeleteSnapshot"])
def test_a_new_snapshot_answering_not_found_once_is_deleted_not_called_gone(
    operation: str, emulator: Emulator, ec2: Ec2View, aws_env: Callable[..., None]
) -> None:
    """Right after a create, NotFound is EC2's lag, not proof: retried in the window."""
    aws_env(visibility_window_seconds=30.0)
    (leftover,), _ = leftovers(emulator, "young")
    found = as_found(emulator, leftover)
    emulator.inject_fault(operation, "InvalidSnapshot.NotFound", times=1)

    assert list(outcomes(found)) == [(leftover, "deleted")]
    assert not ec2.exists(leftover)


def test_a_snapshot_ec2_still_shows_is_never_reported_gone(
    emulator: Emulator, ec2: Ec2View, aws_env: Callable[..., None]
) -> None:
    """DeleteSnapshot keeps answering NotFound while DescribeSnapshots shows the snapshot."""
    (leftover,), _ = leftovers(emulator, "young")
    found = as_found(emulator, leftover)
    emulator.inject_fault("DeleteSnapshot", "InvalidSnapshot.NotFound", times=None)

    ((snapshot_id, kind),) = outcomes(found)

    assert (snapshot_id, kind) == (leftover, "not deleted yet")
    assert ec2.exists(leftover)


def test_a_leftover_whose_lock_has_expired_is_deleted(
    emulator: Emulator,
    ec2: Ec2View,
    aws_env: Callable[..., None],
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (leftover,), state = leftovers(emulator, "snap")
    lock(emulator, leftover)  # for three days
    emulator.advance_clock(4 * 86400)
    assert lock_state(emulator, leftover) == "expired"

    code, out, err = orphans(state, tmp_path, capsys, "--delete")

    assert code == 0, out + err
    assert f"deleted {leftover}" in out
    assert not ec2.exists(leftover)
    assert_never_unlocked(emulator)
