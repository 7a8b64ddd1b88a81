"""Fixtures for driving the real plugin: one plugin process per test module, an engine per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg_snapshot_harness import PluginProcess
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT

#: What `pulumi config set aws:region us-east-1` would send; the volume ARN decides anyway.
STACK_CONFIG = {"aws:region": "us-east-1"}


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The dynamic-provider plugin, configured once like the engine does, calling the emulator."""
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS)
    try:
        process.configure(STACK_CONFIG)
        yield process
    finally:
        process.cleanup()
