"""boto3 clients for the emulator tests: no retries, so every fault is seen as it is."""

from __future__ import annotations

from typing import Any, Literal, cast

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REGION

# Careful: in a client Config, botocore reads retries["max_attempts"] as *retries* (it adds one
# for the first call, botocore/args.py), so {"max_attempts": 1} still retries once.
# total_max_attempts counts the first call: 1 = exactly one request.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def make_client(
    service: Literal["storagegateway", "ec2"],
    emulator: Emulator,
    config: Config = NO_RETRIES,
    region: str = REGION,
) -> Any:
    """A client of the emulator; ``Any`` because the stubs type one client per literal name."""
    return boto3.client(  # type: ignore[call-overload]
        service, region_name=region, endpoint_url=emulator.url, config=config
    )


def gateway_error_code(error: ClientError) -> str:
    """``error.errorCode`` of an InvalidGatewayRequestException, as botocore parses it (the
    stubs' response type does not know this modeled member)."""
    response = cast(dict[str, Any], error.response)
    return str(response["error"]["errorCode"])


@pytest.fixture
def sg_unchecked(emulator: Emulator) -> Any:
    """A Storage Gateway client that sends what it is given: the emulator must check it."""
    config = NO_RETRIES.merge(Config(parameter_validation=False))
    return make_client("storagegateway", emulator, config)


@pytest.fixture
def sg(emulator: Emulator) -> Any:
    return make_client("storagegateway", emulator)


@pytest.fixture
def ec2(emulator: Emulator) -> Any:
    return make_client("ec2", emulator)
