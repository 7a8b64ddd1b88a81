"""Fixtures for running the example programs: one plugin per test module, an engine per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.testing import PluginProcess
from sg_snapshot_provider.testing.plugin import start_plugin
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
