"""Fixtures for the reliability suite: one fast-timing plugin per module, over the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg_snapshot_harness import PluginProcess
from sg_snapshot_harness.faults_matrix import start_matrix_plugin
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REPO_ROOT
from tests.reliability.interrupt import stop_started


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The real plugin with fast retry bounds and a short read timeout (faults_matrix)."""
    process = start_matrix_plugin(emulator_server.url, cwd=REPO_ROOT)
    try:
        yield process
    finally:
        process.cleanup()


@pytest.fixture(autouse=True)
def stop_started_plugins() -> Iterator[None]:
    """Every plugin a test started for a stack run (``interrupt.plugin_for``) is stopped."""
    yield
    stop_started()
