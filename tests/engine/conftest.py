"""Fixtures for driving the real plugin: one plugin process per test module, an engine per test."""

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
#: What `pulumi config set aws:region us-east-1` would send; the volume ARN decides anyway.
STACK_CONFIG = {"aws:region": "us-east-1"}


@pytest.fixture(scope="module")
def plugin(emulator_server: Emulator) -> Iterator[PluginProcess]:
    """The dynamic-provider plugin, configured once like the engine does, calling the emulator."""
    process = start_plugin(emulator_server.url, cwd=REPO_ROOT)
    try:
        process.configure(STACK_CONFIG)
        yield process
    finally:
        process.cleanup()


@pytest.fixture
def engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    """A fresh engine state over the module's plugin; the emulator is reset for each test."""
    plugin.clear_calls()
    return Engine(plugin, StorageGatewaySnapshotProvider())


@pytest.fixture
def ec2(emulator: Emulator) -> Ec2View:
    """EC2 as seen from outside the provider."""
    return Ec2View(emulator.url)
