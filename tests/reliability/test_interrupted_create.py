"""A create interrupted after CreateSnapshot was answered, before the engine recorded the result.

Two cases, as the engine tells them apart (``createSnapshotMutation`` in pulumi's
``pkg/backend/snapshot.go``): when only the plugin dies, the CLI gets an error for Create and
removes its ``creating`` operation, so the checkpoint keeps no trace; when the CLI itself dies
(with its plugin), the checkpoint keeps the ``creating`` operation, and later runs carry it
forward. Either way the snapshot is left with no state; what ``orphans`` then deletes (and never
deletes) is ``test_orphans.py``."""

from __future__ import annotations

from typing import Any

import pytest

from sg_snapshot_harness import Engine
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import VOLUME_ARN
from tests.reliability.interrupt import create_snapshot_answered, kill_plugin_mid_create, plugin_for

PROJECT = "orphans-test"


def inputs(stack: str, **extra: Any) -> dict[str, Any]:
    return {
        "volume_arn": VOLUME_ARN,
        "description": "interrupted",
        "stack_resource": f"{PROJECT}/{stack}/snap",
        **extra,
    }


def engine_for(stack: str, emulator: Emulator) -> Engine:
    return Engine(
        plugin_for(emulator), StorageGatewaySnapshotProvider(), project=PROJECT, stack=stack
    )


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
    kill_plugin_mid_create(engine, emulator, "snap", inputs("ci"))
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
