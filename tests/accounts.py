"""Looking at the emulator as another AWS account, for the identity tests (assumed roles land in
the role's account, as moto decides it: the access key AssumeRole issued belongs to the account
of the role ARN)."""

from __future__ import annotations

from typing import Any

import boto3

from sg_snapshot_provider.emulator import Call, Emulator
from tests.conftest import REGION

#: moto's default account: where the dummy credentials' requests land.
BASE_ACCOUNT = "123456789012"
ROLE_ACCOUNT = "222222222222"
OTHER_ACCOUNT = "333333333333"


def role_arn(account: str, name: str = "deployer") -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def volume_arn_in(account: str, region: str = REGION) -> str:
    gateway = f"arn:aws:storagegateway:{region}:{account}:gateway/sgw-{account[:8]}"
    return f"{gateway}/volume/vol-{account[-8:]}"


def ec2_as(emulator: Emulator, account: str, region: str = REGION) -> Any:
    """An EC2 client that the emulator (and moto) serve in ``account``: moto's own
    ``x-moto-account-id`` header, with the dummy credentials."""
    client = boto3.client(
        "ec2",
        region_name=region,
        endpoint_url=emulator.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )

    def add_header(request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = account

    client.meta.events.register("before-sign.ec2", add_header)
    return client


def snapshot_ids_in(emulator: Emulator, account: str, region: str = REGION) -> set[str]:
    pages = ec2_as(emulator, account, region).get_paginator("describe_snapshots")
    return {
        s["SnapshotId"] for page in pages.paginate(OwnerIds=["self"]) for s in page["Snapshots"]
    }


def by_operation(calls: list[Call], *operations: str) -> list[Call]:
    return [call for call in calls if call.operation in operations]


def resource_calls(calls: list[Call]) -> list[Call]:
    """The Storage Gateway and EC2 calls (not the identity's STS calls)."""
    return [call for call in calls if call.service in ("storagegateway", "ec2")]
