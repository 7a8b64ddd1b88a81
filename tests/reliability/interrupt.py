"""Stack runs that get interrupted: a plugin per run (as each `pulumi` run starts its own), and
the plugin killed while a create waits. Plugins started here are stopped after each test by
the ``stop_started_plugins`` fixture of this folder's conftest."""

from __future__ import annotations

import threading
import time
from typing import Any

from sg_snapshot_harness import Engine, PluginError, PluginProcess
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT

_started: list[PluginProcess] = []


def plugin_for(emulator: Emulator) -> PluginProcess:
    """A new plugin, configured as a run's would be, stopped at the end of the test."""
    plugin = start_plugin(emulator.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    _started.append(plugin)
    plugin.configure({"aws:region": "us-east-1"})
    return plugin


def stop_started() -> None:
    while _started:
        _started.pop().cleanup()


def create_snapshot_answered(emulator: Emulator) -> bool:
    return any(c.operation == "CreateSnapshot" and c.status == 200 for c in emulator.calls())


def kill_plugin_mid_create(
    engine: Engine, emulator: Emulator, name: str, inputs: dict[str, Any]
) -> None:
    """Start a create of ``name`` that waits for completion, and SIGKILL the plugin (only) as
    soon as CreateSnapshot has been answered: the CLI lives, and records the create as failed."""
    emulator.set_pending_seconds(60)
    emulator.clear_calls()
    failures: list[BaseException] = []

    def up() -> None:
        try:
            engine.up(name, {**inputs, "wait_for_completion": True})
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
    emulator.set_pending_seconds(0)
    assert failures
    assert isinstance(failures[0], PluginError)
