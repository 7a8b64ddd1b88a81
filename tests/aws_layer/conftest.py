"""Fixtures for provider tests against the emulator: fast retry bounds, a configured provider."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from mypy_boto3_ec2 import EC2Client
from pulumi.dynamic import Config, ConfigureRequest

from sg_snapshot_provider import StorageGatewaySnapshotProvider, aws
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.settings import TIMINGS_ENV, Timings
from tests.conftest import REGION

#: Bounds small enough that every retry test takes well under a second.
FAST = Timings(
    transient_retry_seconds=0.4,
    in_use_retry_seconds=0.4,
    backoff_initial_seconds=0.05,
    backoff_max_seconds=0.1,
    poll_interval_seconds=0.1,
    progress_every_seconds=0.3,
    poll_initial_seconds=0.05,
    visibility_window_seconds=0.5,
    # Throttling counted against aws:maxRetries at once: the retry tests count attempts.
    throttled_retry_seconds=0.0,
    connect_timeout_seconds=5.0,
    read_timeout_seconds=10.0,
)
#: What the aws module's functions get from a provider configured with FAST timings.
POLICY = aws.RetryPolicy(timings=FAST)
DEFAULT_TAGS = {"owner": "ops", "team": "platform"}
#: Deliberately not the volume's region: the snapshot must follow the volume ARN.
CONFIG_REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def fast_timings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Providers configured in these tests read FAST from the environment, as the plugin
    does."""
    monkeypatch.setenv(TIMINGS_ENV, json.dumps(dataclasses.asdict(FAST)))


@pytest.fixture(autouse=True, scope="session")
def fresh_clients() -> Iterator[None]:
    """Clients are cached per process; start and end these tests with none (making a client
    costs a few hundred milliseconds, so they are shared between tests)."""
    aws.clear_client_cache()
    yield
    aws.clear_client_cache()


def configure(config: dict[str, Any]) -> StorageGatewaySnapshotProvider:
    """A provider configured the way the plugin does it."""
    provider = StorageGatewaySnapshotProvider()
    provider.configure(ConfigureRequest(Config(raw_config=config, project_name="test")))
    return provider


@pytest.fixture
def provider(emulator: Emulator) -> StorageGatewaySnapshotProvider:
    return configure(
        {
            "aws:region": CONFIG_REGION,
            "aws:maxRetries": "1",
            "aws:defaultTags": json.dumps({"tags": DEFAULT_TAGS}),
        }
    )


@pytest.fixture
def ec2(emulator: Emulator) -> EC2Client:
    """A plain boto3 client to look at (and tamper with) EC2 behind the provider's back."""
    return boto3.client("ec2", region_name=REGION, endpoint_url=emulator.url)
