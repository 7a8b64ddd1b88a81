"""Fixtures for the reliability suite: one fast-timing plugin per module, over the emulator."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REPO_ROOT
from tests.harness import PluginProcess
from tests.harness.faults_matrix import start_matrix_plugin


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The real plugin with fast retry bounds and a short read timeout (faults_matrix)."""
    process = start_matrix_plugin(emulator_server.url, cwd=REPO_ROOT)
    try:
        yield process
    finally:
        process.cleanup()
