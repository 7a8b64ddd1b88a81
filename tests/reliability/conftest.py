"""Fixtures for the reliability suite: one fast-timing plugin per module, over the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.testing import Engine, PluginProcess
from sg_snapshot_provider.testing.ec2 import Ec2View
from sg_snapshot_provider.testing.faults_matrix import start_matrix_plugin

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The real plugin with fast retry bounds and a short read timeout (faults_matrix)."""
    process = start_matrix_plugin(emulator_server.url, cwd=REPO_ROOT)
    try:
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    plugin.clear_calls()
    return Engine(plugin, StorageGatewaySnapshotProvider())


@pytest.fixture
def ec2(emulator: Emulator) -> Ec2View:
    return Ec2View(emulator.url)
