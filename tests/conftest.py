"""Shared fixtures: every AWS call made by a test goes to the local emulator on 127.0.0.1.

The environment is pinned at import time, before any boto3 client exists, so that no test can
reach a real AWS account: dummy credentials, no profile, and the emulator's endpoint.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from sg_snapshot_harness import Engine, PluginProcess
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.settings import Settings, settings_from_config

for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)

REPO_ROOT = Path(__file__).resolve().parents[1]

# Hypothesis's per-example deadline is a timing assertion; on shared, noisy machines timings
# belong in benchmarks, not in pass/fail tests.
settings.register_profile("no-deadline", deadline=None)
settings.load_profile("no-deadline")

#: Time bounds of the plugins the engine and example tests start: short waits, and an EC2
#: visibility window short enough that a scenario can outwait it (VISIBILITY_WINDOW_SECONDS).
VISIBILITY_WINDOW_SECONDS = 0.5
PLUGIN_TIMINGS = {
    "poll_initial_seconds": 0.05,
    "poll_interval_seconds": 0.25,
    "backoff_initial_seconds": 0.05,
    "backoff_max_seconds": 0.2,
    "visibility_window_seconds": VISIBILITY_WINDOW_SECONDS,
}

#: moto's default account: EC2 calls made with the dummy credentials above land in it.
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
GATEWAY_ARN = f"arn:aws:storagegateway:{REGION}:{ACCOUNT_ID}:gateway/sgw-12A3456B"
VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-1122AABB"


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[Emulator]:
    """One emulator for the whole run, on a free port; AWS_ENDPOINT_URL points at it."""
    with Emulator(host="127.0.0.1", port=0) as emu:
        os.environ["AWS_ENDPOINT_URL"] = emu.url
        yield emu
        os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture
def emulator(emulator_server: Emulator) -> Iterator[Emulator]:
    """The session's emulator, reset to a known state: one connected cached-volume gateway
    holding VOLUME_ARN, no snapshots, no faults, an empty request log."""
    emulator_server.reset()
    emulator_server.add_volume(VOLUME_ARN)
    emulator_server.clear_calls()
    yield emulator_server
    emulator_server.reset()


@pytest.fixture
def engine(plugin: PluginProcess, emulator: Emulator) -> Engine:
    """Fresh engine state over the ``plugin`` fixture of the test's folder (one plugin process
    per module); the emulator is reset for each test."""
    plugin.clear_calls()
    return Engine(plugin, StorageGatewaySnapshotProvider())


@pytest.fixture
def ec2(emulator: Emulator) -> Ec2View:
    """EC2 as seen from outside the provider."""
    return Ec2View(emulator.url)


def settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """The provider's settings from a plain ``{"aws:region": …}`` mapping, as the engine's
    stack config gives them to ``configure``."""
    return settings_from_config(config.get, environ)
