"""A series' restore test (``verify_restore``): the input's rules and the ``last_restore_check``
output. Pure: no I/O, no boto3, no Pulumi.

``verify_restore="us-east-1a"``, or ``verify_restore={"availability_zone": "us-east-1a",
"keep_volume": False}``: each new snapshot
of the series is restored to an EBS volume in that zone (of the volume's region), the volume is
checked (``available``, at least the snapshot's size) and deleted again, unless
``keep_volume``: then the latest check's volume stays (named in ``last_restore_check``) until
the next check or the series' destroy deletes it. Left out, nothing is tested (and nothing
changes for series made before the input existed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from .values import Failure, Unknown, contains_unknown, item_path, type_name

VERIFY_RESTORE: Final = "verify_restore"
LAST_RESTORE_CHECK: Final = "last_restore_check"
AVAILABILITY_ZONE: Final = "availability_zone"
KEEP_VOLUME: Final = "keep_volume"
#: A zone name: its region and one letter (``us-east-1a``), or a Local Zone's name
#: (``us-west-2-lax-1a``).
_ZONE_RE: Final = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+(-[a-z]+-[0-9]+)?[a-z]")


@dataclass(frozen=True)
class RestoreCheck:
    """Where to restore each new snapshot, and whether the volume stays afterwards."""

    availability_zone: str
    keep_volume: bool = False

    def to_props(self) -> dict[str, Any]:
        return {AVAILABILITY_ZONE: self.availability_zone, KEEP_VOLUME: self.keep_volume}


def check_verify_restore(
    value: Any, region: str | Unknown | None, failures: list[Failure]
) -> RestoreCheck | Unknown | None:
    """The restore test asked for, or None (not asked, or refused: then failures name the
    property). ``region``: the series volume's, which the zone must be in."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, str):  # the zone alone: the volume is deleted after the test
        value = {AVAILABILITY_ZONE: value}
    rule = (
        f'{VERIFY_RESTORE} must be an availability zone such as "us-east-1a", or a map '
        f'such as {{"{AVAILABILITY_ZONE}": "us-east-1a", "{KEEP_VOLUME}": false}}'
    )
    if not isinstance(value, Mapping):
        failures.append(Failure(VERIFY_RESTORE, f"{rule}; got {type_name(value)}"))
        return None
    count = len(failures)
    for key in value:
        if key not in (AVAILABILITY_ZONE, KEEP_VOLUME):
            failures.append(Failure(item_path(VERIFY_RESTORE, str(key)), f"unknown key; {rule}"))
    zone, keep = value.get(AVAILABILITY_ZONE), value.get(KEEP_VOLUME, False)
    zone_path = item_path(VERIFY_RESTORE, AVAILABILITY_ZONE)
    if zone is None:
        failures.append(Failure(zone_path, f"{AVAILABILITY_ZONE} is required: {rule}"))
    elif not isinstance(zone, str | Unknown) or (
        isinstance(zone, str) and not _ZONE_RE.fullmatch(zone)
    ):
        failures.append(
            Failure(zone_path, f"{AVAILABILITY_ZONE} must be a zone name such as us-east-1a")
        )
    elif isinstance(zone, str) and isinstance(region, str) and not _in_region(zone, region):
        failures.append(
            Failure(
                zone_path,
                f"{AVAILABILITY_ZONE} must be a zone of the volume's region {region} (EC2 "
                f"restores a snapshot in its own region only); got {zone}",
            )
        )
    if not isinstance(keep, bool | Unknown):
        failures.append(
            Failure(item_path(VERIFY_RESTORE, KEEP_VOLUME), f"{KEEP_VOLUME} must be true or false")
        )
    if len(failures) > count:
        return None
    if contains_unknown(dict(value)):
        return Unknown()
    return RestoreCheck(str(zone), bool(keep))


def _in_region(zone: str, region: str) -> bool:
    """``us-east-1a`` and ``us-east-1-bos-1a`` are zones of ``us-east-1``; ``us-east-11a`` is
    not."""
    rest = zone[len(region) :] if zone.startswith(region) else ""
    return bool(re.fullmatch(r"(-[a-z]+-[0-9]+)?[a-z]", rest))


@dataclass(frozen=True)
class RestoreResult:
    """What one restore test found: the ``last_restore_check`` output."""

    checked_at: str
    snapshot_id: str
    result: str
    volume_id: str | None = None
    volume_size_gib: int | None = None

    def to_output(self) -> dict[str, Any]:
        output: dict[str, Any] = {
            "time": self.checked_at,
            "snapshot_id": self.snapshot_id,
            "result": self.result,
        }
        if self.volume_size_gib is not None:
            output["volume_size_gib"] = self.volume_size_gib
        if self.volume_id is not None:
            output["volume_id"] = self.volume_id
        return output


def kept_volume_of(outputs: Mapping[str, Any]) -> str | None:
    """The volume the last check kept (``keep_volume``), which the next check or the destroy
    deletes."""
    last = outputs.get(LAST_RESTORE_CHECK)
    volume_id = last.get("volume_id") if isinstance(last, Mapping) else None
    return volume_id if isinstance(volume_id, str) else None
