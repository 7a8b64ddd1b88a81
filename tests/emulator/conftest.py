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
#: botocore's own parameter validation off: the emulator must check what it is sent.
UNCHECKED = NO_RETRIES.merge(Config(parameter_validation=False))
OTHER_ACCOUNT_ID = "111122223333"


def make_client(
    service: Literal["storagegateway", "ec2"],
    emulator: Emulator,
    config: Config = NO_RETRIES,
    region: str = REGION,
    account_id: str | None = None,
) -> Any:
    """A client of the emulator; ``Any`` because the stubs type one client per literal name.
    ``account_id``: sign in as that account (moto's ``x-moto-account-id`` header)."""
    client = boto3.client(  # type: ignore[call-overload]
        service, region_name=region, endpoint_url=emulator.url, config=config
    )
    if account_id is not None:

        def add_account(request: Any, **_: Any) -> None:
            request.headers["x-moto-account-id"] = account_id

        client.meta.events.register("before-sign.*.*", add_account)
    return client


def gateway_error_code(error: ClientError) -> str:
    """``error.errorCode`` of an InvalidGatewayRequestException, as botocore parses it (the
    stubs' response type does not know this modeled member)."""
    response = cast(dict[str, Any], error.response)
    return str(response["error"]["errorCode"])


def error_code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def error_message(error: ClientError) -> str:
    return str(error.response["Error"]["Message"])


def http_status(error: ClientError) -> int:
    return int(error.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture
def sg_unchecked(emulator: Emulator) -> Any:
    """A Storage Gateway client that sends what it is given: the emulator must check it."""
    return make_client("storagegateway", emulator, UNCHECKED)


@pytest.fixture
def ec2_unchecked(emulator: Emulator) -> Any:
    """An EC2 client that sends what it is given: the emulator must check it."""
    return make_client("ec2", emulator, UNCHECKED)


@pytest.fixture
def sg(emulator: Emulator) -> Any:
    return make_client("storagegateway", emulator)


@pytest.fixture
def ec2(emulator: Emulator) -> Any:
    return make_client("ec2", emulator)
