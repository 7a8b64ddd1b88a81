"""Storage Gateway ARNs: what a gateway or volume ARN is made of, and where an ARN lives.

Real behaviour reproduced, and from where: the ``VolumeARN`` pattern of botocore's
``storagegateway`` model, and its ``GatewayId``/``VolumeId`` lengths (12 to 30 characters). A
substitute never borrows the rules of the code under test, so these are the model's, not the
package's.
"""

from __future__ import annotations

import re

from .exceptions import ControlError
from .validation import java_pattern, service_model

_GATEWAY_ARN_PARTS = re.compile(
    r"^arn:(?P<partition>[a-z-]+):storagegateway:(?P<region>[a-z0-9-]+):(?P<account>[0-9]+):"
    r"gateway/(?P<gateway_id>sgw-[0-9A-Za-z]+)$"
)
_VOLUME_ARN_PARTS = re.compile(
    r"^(?P<gateway_arn>arn:[a-z-]+:storagegateway:[a-z0-9-]+:[0-9]+:gateway/sgw-[0-9A-Za-z]+)"
    r"/volume/(?P<volume_id>vol-[0-9A-Za-z]+)$"
)
#: The model's GatewayId and VolumeId: 12 to 30 characters.
ID_LENGTHS = range(12, 31)

#: Storage Gateway's VolumeARN pattern, from botocore's model.
_VOLUME_ARN_RE = java_pattern(
    service_model("storagegateway").shape_for("VolumeARN").metadata["pattern"]
)


def parse_gateway_arn(arn: str) -> re.Match[str]:
    """The parts of a gateway ARN (``partition``, ``region``, ``account``, ``gateway_id``);
    ``ControlError`` for anything else (seeding is the only caller that needs the parts)."""
    match = _GATEWAY_ARN_PARTS.fullmatch(arn)
    if match is None or len(match["gateway_id"]) not in ID_LENGTHS:
        raise ControlError(
            f"{arn!r} is not a gateway ARN (arn:aws:storagegateway:…:gateway/sgw-…, a gateway "
            "ID of 12 to 30 characters)"
        )
    return match


def parse_volume_arn(arn: str) -> re.Match[str]:
    """The parts of a volume ARN (``gateway_arn``, ``volume_id``); ``ControlError`` for
    anything else."""
    match = _VOLUME_ARN_PARTS.fullmatch(arn)
    if (
        match is None
        or not _VOLUME_ARN_RE.fullmatch(arn)
        or len(match["volume_id"]) not in ID_LENGTHS
    ):
        raise ControlError(
            f"{arn!r} is not a volume ARN (…:gateway/sgw-…/volume/vol-…, IDs of 12 to 30 "
            "characters)"
        )
    return match


def is_gateway_arn(arn: str) -> bool:
    """Whether ``arn`` has the form of a gateway ARN (IDs of any length)."""
    return _GATEWAY_ARN_PARTS.fullmatch(arn) is not None


def gateway_arn_of(volume_arn: str) -> str:
    return volume_arn.split("/volume/", 1)[0]


def account_and_region(arn: object) -> tuple[str, str] | None:
    """Where an ARN lives (``arn:partition:service:REGION:ACCOUNT:…``), or ``None`` when
    ``arn`` is no ARN at all."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 6 or parts[0] != "arn" or not parts[3] or not parts[4]:
        return None
    return parts[4], parts[3]
