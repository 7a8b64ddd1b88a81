"""`python -m sg_snapshot_provider orphans`, through the real plugin and a faithful engine: it
deletes what a create interrupted with its CLI left, and nothing a state could still own.

Each case it must never delete comes first, each built the way it happens: a snapshot kept on
purpose (``retain_on_delete``), one of a same-named stack in another backend, one adopted by
another stack, one newer than the export, and an export whose values are secret. The leftover
itself is made by killing the CLI while Create (or a series' rotating Update) is in flight, so
the checkpoint keeps the pending operation with the inputs Check returned, as pulumi's does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sg_snapshot_harness import Engine, Options, Secret
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import plugin_environment
from sg_snapshot_provider import SnapshotSeriesProvider, StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SERIES_TYPE
from tests.conftest import REPO_ROOT, VOLUME_ARN
from tests.reliability.interrupt import kill_plugin_mid_create, plugin_for

PROJECT = "proj"
#: The bound of the wait of each create that is killed: the leftover's create "must have
#: ended" this long after its snapshot started.
WAIT_SECONDS = 2
#: No margin beyond that wait: the tests cannot wait the default hour.
NO_MARGIN = ("--settle-seconds", "0")


def stack(emulator: Emulator, name: str = "dev", *, series: bool = False) -> Engine:
    """A new run of stack ``proj/<name>``, with nothing in state (a backend of its own)."""
    if series:
        return Engine(
            plugin_for(emulator),
            SnapshotSeriesProvider(),
            type_token=SERIES_TYPE,
            project=PROJECT,
            stack=name,
        )
    return Engine(
        plugin_for(emulator), StorageGatewaySnapshotProvider(), project=PROJECT, stack=name
    )


def next_run(engine: Engine, emulator: Emulator) -> Engine:
    """The next `pulumi` run of the stack, from the checkpoint the last one left."""
    return Engine.from_export(
        engine.export(show_secrets=True),
        plugin_for(emulator),
        engine.serialized_provider,
        type_token=engine.type_token,
    )


def snapshot(engine: Engine, name: str, **extra: Any) -> dict[str, Any]:
    return {
        "volume_arn": VOLUME_ARN,
        "description": name,
        "stack_resource": f"{engine.project}/{engine.stack}/{name}",
        **extra,
    }


def series(engine: Engine, trigger: str, **extra: Any) -> dict[str, Any]:
    return {
        "volume_arn": VOLUME_ARN,
        "trigger": trigger,
        "keep": 3,
        "stack_resource": f"{engine.project}/{engine.stack}/nightly",
        **extra,
    }


def die_mid_create(
    engine: Engine, emulator: Emulator, ec2: Ec2View, name: str, inputs: dict[str, Any]
) -> str:
    """Kill the CLI while the step for ``name`` waits for its new snapshot; that snapshot."""
    before = ec2.snapshot_ids()
    emulator.set_pending_seconds(60)
    emulator.clear_calls()
    engine.up_and_die(
        name,
        {**inputs, "wait_for_completion": True, "completion_timeout_seconds": WAIT_SECONDS},
        when=lambda: any(
            c.operation == "CreateSnapshot" and c.status == 200 for c in emulator.calls()
        ),
    )
    emulator.set_pending_seconds(0)
    (leftover,) = ec2.snapshot_ids() - before
    return leftover


def settle(ec2: Ec2View, snapshot_id: str) -> None:
    """Let the killed create's wait bound pass (EC2's start time plus WAIT_SECONDS), so that a
    checkpoint written from now on is later than that create could have run."""
    started = (ec2.snapshot(snapshot_id) or {})["StartTime"]
    remaining = (started + timedelta(seconds=WAIT_SECONDS) - datetime.now(UTC)).total_seconds()
    time.sleep(max(0.0, remaining) + 0.1)


def orphans(
    export: dict[str, Any], tmp_path: Path, emulator: Emulator, *extra: str, code: int = 0
) -> str:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(export))
    done = subprocess.run(
        [sys.executable, "-m", "sg_snapshot_provider", "orphans", "--state", str(path), *extra],
        env=plugin_environment(emulator.url),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout + done.stderr


def leftover_and_later_run(
    emulator: Emulator, ec2: Ec2View, engine: Engine
) -> tuple[str, Engine, str]:
    """The CLI of ``engine``'s stack dies creating "snap"; the next run creates it again after
    the killed create's bound. The leftover, that run, and the snapshot it made."""
    leftover = die_mid_create(engine, emulator, ec2, "snap", snapshot(engine, "snap"))
    settle(ec2, leftover)
    later = next_run(engine, emulator)
    recreated = later.up("snap", snapshot(later, "snap")).id
    assert list(later.pending_creates()) == ["snap"]  # carried forward
    return leftover, later, recreated


def test_the_leftover_of_a_dead_cli_is_deleted_by_its_token(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    engine = stack(emulator)
    leftover = die_mid_create(engine, emulator, ec2, "snap", snapshot(engine, "snap"))

    # The checkpoint of the dead run was written before its snapshot began: it cannot show
    # that the create never reached a state.
    early = orphans(engine.export(), tmp_path, emulator, "--delete", *NO_MARGIN)
    assert "too recent" in early
    assert ec2.snapshot_ids() == {leftover}

    settle(ec2, leftover)
    later = next_run(engine, emulator)
    recreated = later.up("snap", snapshot(later, "snap")).id
    # With the default margin (an hour beyond the create's wait) it is still too recent.
    assert "too recent" in orphans(later.export(), tmp_path, emulator, "--delete")
    assert ec2.snapshot_ids() == {leftover, recreated}

    listed = orphans(later.export(), tmp_path, emulator, *NO_MARGIN)
    assert "1 snapshot(s) of stack proj/dev in us-east-1 left by unfinished creates" in listed
    assert ec2.snapshot_ids() == {leftover, recreated}  # listing deletes nothing

    deleted = orphans(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)
    assert f"deleting 1 snapshot(s): {leftover}" in deleted
    assert f"deleted {leftover}" in deleted
    assert ec2.snapshot_ids() == {recreated}
    assert later.refresh("snap").id == recreated


def test_retained_snapshots_are_never_deleted(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    """The snapshot-history pattern: each release replaces the snapshot and keeps the old."""
    engine = stack(emulator)
    keep = Options(retain_on_delete=True)
    first = engine.up("release", snapshot(engine, "release", triggers={"r": "1"}), keep).id
    second = engine.up("release", snapshot(engine, "release", triggers={"r": "2"}), keep).id
    assert ec2.snapshot_ids() == {first, second}
    leftover, later, recreated = leftover_and_later_run(emulator, ec2, engine)

    report = orphans(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)

    assert f"deleted {leftover}" in report
    assert f"deleted {first}" not in report
    assert first in report  # listed among the kept, with the reason
    assert "kept on purpose (retain_on_delete)" in report
    assert ec2.snapshot_ids() == {first, second, recreated}


def test_a_same_named_stack_in_another_backend_keeps_its_snapshot(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    """Two developers' local `proj/dev`: one account, one owner tag, two states."""
    theirs = stack(emulator)
    their_snapshot = theirs.up("snap", snapshot(theirs, "snap")).id
    ours = stack(emulator)
    leftover, later, recreated = leftover_and_later_run(emulator, ec2, ours)

    report = orphans(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)

    assert f"deleted {leftover}" in report
    assert f"deleted {their_snapshot}" not in report
    assert ec2.snapshot_ids() == {their_snapshot, recreated}
    assert theirs.refresh("snap").id == their_snapshot  # their state still holds it


def test_a_leftover_adopted_by_another_stack_is_never_deleted(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    dev = stack(emulator)
    leftover = die_mid_create(dev, emulator, ec2, "snap", snapshot(dev, "snap"))
    staging = stack(emulator, "staging")
    adopted = {
        "volume_arn": VOLUME_ARN,
        "adopt_snapshot_id": leftover,
        "adopt_from_owner": "proj/dev/snap",
        "stack_resource": "proj/staging/taken",
    }
    assert staging.up("taken", adopted).id == leftover
    settle(ec2, leftover)
    later = next_run(dev, emulator)
    later.up("other", snapshot(later, "other"))  # a later run writes the checkpoint

    report = orphans(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)

    assert f"deleted {leftover}" not in report
    assert "adopted by another resource" in report
    assert leftover in ec2.snapshot_ids()
    assert staging.refresh("taken").id == leftover


def test_an_export_older_than_the_latest_up_deletes_nothing(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    """An export taken before the series' latest rotation does not hold its newest snapshot."""
    engine = stack(emulator, series=True)
    engine.up("nightly", series(engine, "1"))
    stale = engine.export()
    newest = engine.up("nightly", series(engine, "2")).outputs["latest_snapshot_id"]
    time.sleep(0.1)

    report = orphans(stale, tmp_path, emulator, "--delete", *NO_MARGIN)

    assert newest in report
    assert "deleting" not in report
    assert newest in ec2.snapshot_ids()


def test_an_interrupted_series_rotation_is_matched_by_its_token(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    engine = stack(emulator, series=True)
    first = engine.up("nightly", series(engine, "1")).outputs["latest_snapshot_id"]
    leftover = die_mid_create(engine, emulator, ec2, "nightly", series(engine, "2"))
    (operation,) = engine.export()["deployment"]["pending_operations"]
    assert operation["type"] == "updating"
    settle(ec2, leftover)
    later = next_run(engine, emulator)
    second = later.up("nightly", series(later, "2")).outputs["latest_snapshot_id"]

    report = orphans(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)

    assert f"deleted {leftover}" in report
    assert ec2.snapshot_ids() == {first, second}
    assert later.refresh("nightly").outputs["snapshot_ids"] == [second, first]


def test_an_export_with_secrets_of_its_snapshots_is_refused(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    engine = stack(emulator)
    hidden = engine.up("hidden", snapshot(engine, "hidden", description=Secret("private"))).id
    leftover, later, recreated = leftover_and_later_run(emulator, ec2, engine)

    refused = orphans(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN, code=3)

    assert "secret" in refused
    assert "nothing deleted" in refused
    assert ec2.snapshot_ids() == {hidden, leftover, recreated}
    shown = orphans(later.export(show_secrets=True), tmp_path, emulator, "--delete", *NO_MARGIN)
    assert f"deleted {leftover}" in shown
    assert ec2.snapshot_ids() == {hidden, recreated}


def test_a_create_whose_plugin_died_is_listed_never_deleted_unasked(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    """The CLI lived and recorded the create as failed: no pending operation, so nothing
    proves whose the snapshot is. Listed with the way out, and deleted only when named and
    older than the export by the longest a create can run (a day and the margin)."""
    engine = stack(emulator)
    before = ec2.snapshot_ids()
    kill_plugin_mid_create(engine, emulator, "snap", snapshot(engine, "snap"))
    (unrecorded,) = ec2.snapshot_ids() - before
    assert engine.pending_creates() == {}
    later = stack(emulator)  # the next run, with the same (empty) checkpoint
    later.up("snap", snapshot(later, "snap"))

    report = orphans(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)
    assert "deleting" not in report
    assert "--delete-unrecorded" in report
    assert unrecorded in ec2.snapshot_ids()

    named = ("--delete-unrecorded", unrecorded, *NO_MARGIN)
    too_new = orphans(later.export(), tmp_path, emulator, *named, code=3)
    assert "too recent" in too_new
    assert "nothing deleted" in too_new
    assert unrecorded in ec2.snapshot_ids()
