"""A gateway's volumes, listed through Storage Gateway (``ListVolumes``, every page)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from .errors import translate
from .retry import RetryPolicy, call_with_retries

if TYPE_CHECKING:
    from mypy_boto3_storagegateway import StorageGatewayClient

LISTING = "listing the volumes of gateway"


def list_volume_arns(
    client: StorageGatewayClient, gateway_arn: str, policy: RetryPolicy
) -> list[str]:
    """The ARN of every volume of ``gateway_arn``, in the order Storage Gateway lists them.
    Each page is one ListVolumes request, retried like every other call (it is read-only)."""
    arns: list[str] = []
    marker: str | None = None
    while True:
        request: dict[str, Any] = {"GatewayARN": gateway_arn}
        if marker is not None:
            request["Marker"] = marker
        try:
            page = call_with_retries(functools.partial(client.list_volumes, **request), policy)
        except (ClientError, BotoCoreError) as err:
            raise translate(err, LISTING, gateway_arn, "storagegateway:ListVolumes") from err
        arns += [str(volume["VolumeARN"]) for volume in page.get("VolumeInfos", [])]
        marker = page.get("Marker")
        if not marker:
            return arns
