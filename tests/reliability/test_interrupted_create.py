"""A create interrupted after CreateSnapshot was answered, before the engine recorded the result.

Two cases, as the engine tells them apart (``createSnapshotMutation`` in pulumi's
``pkg/backend/snapshot.go``): when only the plugin dies, the CLI gets an error for Create and
removes its ``creating`` operation, so the checkpoint keeps no trace; when the CLI itself dies
(with its plugin), the checkpoint keeps the ``creating`` operation, and later runs carry it
forward. Either way the snapshot is left with no state, and ``python -m sg_snapshot_provider
orphans`` finds it by its owner tag, then deletes it."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import OWNER_TAG
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT, VOLUME_ARN
from tests.harness import Engine, PluginError, PluginProcess
from tests.harness.ec2 import Ec2View
from tests.harness.plugin import plugin_environment, start_plugin

PROJECT = "orphans-test"


def inputs(stack: str, **extra: Any) -> dict[str, Any]:
    return {
        "volume_arn": VOLUME_ARN,
        "description": "interrupted",
        "stack_resource": f"{PROJECT}/{stack}/snap",
        **extra,
    }


_started: list[PluginProcess] = []


@pytest.fixture(autouse=True)
def stop_plugins() -> Iterator[None]:
    """Every plugin a test starts (each stack run has its own) is stopped after it."""
    yield
    while _started:
        _started.pop().cleanup()


def plugin_for(emulator: Emulator) -> PluginProcess:
    plugin = start_plugin(emulator.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    _started.append(plugin)
    plugin.configure({"aws:region": "us-east-1"})
    return plugin


def engine_for(stack: str, emulator: Emulator) -> Engine:
    return Engine(
        plugin_for(emulator), StorageGatewaySnapshotProvider(), project=PROJECT, stack=stack
    )


def create_snapshot_answered(emulator: Emulator) -> bool:
    return any(c.operation == "CreateSnapshot" and c.status == 200 for c in emulator.calls())


def kill_cli_after_create_snapshot(engine: Engine, emulator: Emulator, stack: str) -> None:
    """Start a create that waits for completion, and kill the CLI (and so its plugin) as soon
    as CreateSnapshot has been answered."""
    emulator.set_pending_seconds(60)
    emulator.clear_calls()
    engine.up_and_die(
        "snap",
        inputs(stack, wait_for_completion=True),
        when=lambda: create_snapshot_answered(emulator),
    )
    emulator.set_pending_seconds(0)


def kill_after_create_snapshot(engine: Engine, emulator: Emulator, stack: str) -> None:
    """Start a create that waits for completion, and SIGKILL the plugin (only) as soon as
    CreateSnapshot has been answered."""
    emulator.set_pending_seconds(60)
    emulator.clear_calls()
    failures: list[BaseException] = []

    def up() -> None:
        try:
            engine.up("snap", inputs(stack, wait_for_completion=True))
        except BaseException as error:
            failures.append(error)

    creating = threading.Thread(target=up)
    creating.start()
    deadline = time.monotonic() + 60
    while not create_snapshot_answered(emulator):
        assert time.monotonic() < deadline, "CreateSnapshot was never answered"
        time.sleep(0.02)
    engine.plugin.kill()
    creating.join()
    assert failures
    assert isinstance(failures[0], PluginError)
    emulator.set_pending_seconds(0)


def orphans(state: dict[str, Any], tmp_path: Path, emulator: Emulator, *extra: str) -> str:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state))
    done = subprocess.run(
        [sys.executable, "-m", "sg_snapshot_provider", "orphans", "--state", str(path), *extra],
        env=plugin_environment(emulator.url),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def crashed(emulator: Emulator) -> tuple[Engine, str]:
    """A stack whose CLI died creating "snap": the engine, and the snapshot left behind."""
    engine = engine_for("ci", emulator)
    kill_cli_after_create_snapshot(engine, emulator, "ci")
    assert engine.state("snap") is None
    assert list(engine.pending_creates()) == ["snap"]
    (leftover,) = Ec2View(emulator.url).snapshot_ids()
    return engine, leftover


def test_a_plugin_killed_mid_create_fails_the_create_and_leaves_nothing_pending(
    emulator: Emulator, ec2: Ec2View
) -> None:
    engine = engine_for("ci", emulator)
    kill_after_create_snapshot(engine, emulator, "ci")
    assert engine.state("snap") is None
    assert engine.pending_creates() == {}
    assert engine.export()["deployment"]["pending_operations"] == []
    assert len(ec2.snapshot_ids()) == 1  # the snapshot exists, unknown to the checkpoint


def test_the_next_run_carries_the_pending_create_until_a_refresh(
    crashed: tuple[Engine, str], emulator: Emulator
) -> None:
    engine, _ = crashed
    later = Engine.from_export(engine.export(), plugin_for(emulator), engine.serialized_provider)
    assert (later.project, later.stack) == (PROJECT, "ci")
    later.up("snap", inputs("ci"))
    assert list(later.pending_creates()) == ["snap"]
    later.refresh_all()
    assert later.pending_creates() == {}


def test_the_leftover_is_listed_then_deleted(
    crashed: tuple[Engine, str], emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    engine, leftover = crashed
    assert ec2.snapshot(leftover) is not None
    listed = orphans(engine.export(), tmp_path, emulator)
    assert leftover in listed
    assert "resource snap" in listed
    assert ec2.snapshot_ids() == {leftover}  # listing deletes nothing

    deleted = orphans(engine.export(), tmp_path, emulator, "--delete")
    assert f"deleted {leftover}" in deleted
    assert ec2.snapshot_ids() == set()


def test_a_second_create_leaves_other_stacks_alone(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    other = engine_for("other", emulator)
    theirs = other.up("snap", inputs("other")).id
    assert ec2.snapshot(theirs) is not None
    raw = {t["Key"]: t["Value"] for t in (ec2.snapshot(theirs) or {}).get("Tags", [])}
    assert raw[OWNER_TAG] == f"{PROJECT}/other/snap"

    ours = engine_for("ci", emulator)
    kill_cli_after_create_snapshot(ours, emulator, "ci")
    (leftover,) = ec2.snapshot_ids() - {theirs}

    again = Engine.from_export(ours.export(), plugin_for(emulator), ours.serialized_provider)
    recreated = again.up("snap", inputs("ci")).id
    assert ec2.snapshot_ids() == {theirs, leftover, recreated}  # nothing adopted or deleted

    listed = orphans(again.export(), tmp_path, emulator, "--delete")
    assert leftover in listed
    assert theirs not in listed
    assert recreated not in listed
    assert ec2.snapshot_ids() == {theirs, recreated}
    assert "no orphaned snapshots" in orphans(other.export(), tmp_path, emulator)


def test_a_state_that_holds_the_snapshot_lists_nothing(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    engine = engine_for("ci", emulator)
    created = engine.up("snap", inputs("ci")).id
    listed = orphans(engine.export(), tmp_path, emulator, "--delete")
    assert "no orphaned snapshots of stack orphans-test/ci in us-east-1" in listed
    assert ec2.snapshot_ids() == {created}


def test_not_an_export_is_a_clear_error(tmp_path: Path, emulator: Emulator) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"resources": []}))
    done = subprocess.run(
        [sys.executable, "-m", "sg_snapshot_provider", "orphans", "--state", str(path)],
        env=plugin_environment(emulator.url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "pulumi stack export" in done.stderr
