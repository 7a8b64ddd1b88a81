"""Fixtures for running the example programs: one plugin per test module, an engine per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.testing import Engine, PluginProcess
from sg_snapshot_provider.testing.ec2 import Ec2View
from sg_snapshot_provider.testing.plugin import start_plugin

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The real dynamic-provider plugin, calling the emulator."""
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT)
    try:
        process.configure({"aws:region": "us-east-1"})
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    """Fresh engine state; the program's own snapshots carry their serialized provider."""
    return Engine(plugin, StorageGatewaySnapshotProvider())


@pytest.fixture
def ec2(emulator: Emulator) -> Ec2View:
    """EC2 as seen from outside the provider."""
    return Ec2View(emulator.url)
