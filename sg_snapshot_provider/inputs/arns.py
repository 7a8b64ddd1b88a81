"""Storage Gateway volume ARNs (the rule, checked as botocore's model states it, and their parts)
and EBS snapshot ARNs. Pure: no I/O, no boto3, no Pulumi.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from .values import Failure, Unknown, type_name

VOLUME_ARN_MIN, VOLUME_ARN_MAX = 50, 500


#: Storage Gateway's VolumeARN pattern, exactly as botocore's model writes it (a unit test
#: compares the two). The emulator validates with this same expression.
VOLUME_ARN_PATTERN: Final = (
    r"arn:(aws(|-cn|-us-gov|-iso[A-Za-z0-9_-]*|-eusc)):storagegateway:[a-z\-0-9]+:[0-9]+:"
    r"gateway\/(.+)\/volume\/vol-(\S+)"
)


VOLUME_ARN_RE: Final = re.compile(VOLUME_ARN_PATTERN)


def volume_arn_problem(value: Any, name: str = "volume_arn") -> str | None:
    """Why ``value`` is not a valid volume ARN, or None when it is."""
    if value is None:
        return f"{name} is required"
    if not isinstance(value, str):
        return f"{name} must be a string; got {type_name(value)}"
    # The shape first: a bare vol-… ID or an empty string is not "too short", it is not an ARN.
    if not VOLUME_ARN_RE.fullmatch(value):
        return (
            f"{name} must be a Storage Gateway volume ARN such as "
            "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/"
            # Never the value itself: any input may be a secret.
            f"vol-1122AABB; got {len(value)} characters that are not one"
        )
    if not VOLUME_ARN_MIN <= len(value) <= VOLUME_ARN_MAX:
        return (
            f"{name} must be {VOLUME_ARN_MIN} to {VOLUME_ARN_MAX} characters long; got {len(value)}"
        )
    return None


def check_volume_arn(
    value: Any, failures: list[Failure], name: str = "volume_arn"
) -> str | Unknown | None:
    """The volume ARN, or None after adding the failure (an unknown passes)."""
    if isinstance(value, Unknown):
        return value
    reason = volume_arn_problem(value, name)
    if reason:
        failures.append(Failure(name, reason))
        return None
    return str(value)


@dataclass(frozen=True)
class VolumeArn:
    """The parts of a Storage Gateway volume ARN."""

    arn: str
    partition: str
    region: str
    account_id: str
    gateway_arn: str
    volume_id: str


def parse_volume_arn(arn: str) -> VolumeArn:
    """Split a volume ARN; raises ``ValueError`` with the rule when it is not one."""
    problem = volume_arn_problem(arn)
    if problem:
        raise ValueError(problem)
    _arn, partition, _service, region, account_id, _rest = arn.split(":", 5)
    gateway_arn, _, volume = arn.rpartition("/volume/")
    return VolumeArn(
        arn=arn,
        partition=partition,
        region=region,
        account_id=account_id,
        gateway_arn=gateway_arn,
        volume_id=volume,
    )


def snapshot_arn(partition: str, region: str, snapshot_id: str) -> str:
    """The EBS snapshot's ARN (snapshots have no account in their ARN)."""
    return f"arn:{partition}:ec2:{region}::snapshot/{snapshot_id.lower()}"
