"""Fixtures for running the example programs: one plugin per test module, an engine per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg_snapshot_harness import Engine, PluginProcess
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The real dynamic-provider plugin, calling the emulator."""
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    try:
        process.configure({"aws:region": "us-east-1"})
        yield process
    finally:
        process.cleanup()


@pytest.fixture(scope="module")
def preview_plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """A second plugin for the previews: `pulumi up` previews in a plugin process of its own."""
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    try:
        process.configure({"aws:region": "us-east-1"})
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def engine(plugin: PluginProcess, preview_plugin: PluginProcess, emulator: Emulator) -> Engine:
    """Every example runs as `pulumi up` runs it: preview (Check and Diff only, in the other
    plugin), then the update."""
    plugin.clear_calls()
    return Engine(plugin, StorageGatewaySnapshotProvider(), preview_plugin=preview_plugin)
