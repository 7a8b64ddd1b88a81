"""The gateway's snapshot schedule, saved before the lane touches it and put back after.

The schedule scenario changes the volume's real schedule and its destroy deletes it. Whoever
relies on that schedule (the gateway's own nightly snapshots) would be hurt if the lane left it
changed, so the schedule is read before the first change, and restored afterwards whatever
happened (a failed step, Ctrl-C): restored means DescribeSnapshotSchedule answers as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

#: Storage Gateway's answer for a volume with no schedule (after DeleteSnapshotSchedule).
_NO_SCHEDULE_CODES = ("SnapshotScheduleNotFound",)


@dataclass(frozen=True)
class Schedule:
    """What DescribeSnapshotSchedule says of a volume's schedule."""

    start_at: int
    recurrence_in_hours: int
    description: str | None
    tags: tuple[tuple[str, str], ...]
    timezone: str

    def text(self) -> str:
        described = f', "{self.description}"' if self.description else ""
        return (
            f"every {self.recurrence_in_hours} h from {self.start_at:02d}:00 "
            f"({self.timezone}){described}, {len(self.tags)} tag(s)"
        )


def _error_detail(error: ClientError) -> tuple[str, str]:
    """The error code, and Storage Gateway's inner ``error.errorCode`` when it sends one."""
    response: dict[str, Any] = dict(error.response)
    body = response.get("Error", {})
    inner = response.get("error", {}) or {}
    return str(body.get("Code", "")), str(inner.get("errorCode", ""))


def read_schedule(storagegateway: Any, volume_arn: str) -> Schedule | None:
    """The volume's schedule, or None when it has none."""
    try:
        answer = storagegateway.describe_snapshot_schedule(VolumeARN=volume_arn)
    except ClientError as error:
        if any(code in _NO_SCHEDULE_CODES for code in _error_detail(error)):
            return None
        raise
    if answer.get("RecurrenceInHours") is None:
        return None
    return Schedule(
        start_at=int(answer["StartAt"]),
        recurrence_in_hours=int(answer["RecurrenceInHours"]),
        description=answer.get("Description") or None,
        tags=tuple(sorted((tag["Key"], tag["Value"]) for tag in answer.get("Tags", []))),
        timezone=str(answer.get("Timezone", "GMT")),
    )


def restore_schedule(storagegateway: Any, volume_arn: str, saved: Schedule | None) -> str:
    """Put ``saved`` back (None: the volume had no schedule) unless the volume already has
    it; says what was done. Raises when the schedule still differs afterwards."""
    current = read_schedule(storagegateway, volume_arn)
    if current == saved:
        return "the volume's snapshot schedule is as it was before the run"
    if _must_delete_first(current, saved):
        storagegateway.delete_snapshot_schedule(VolumeARN=volume_arn)
    if saved is not None:
        request: dict[str, Any] = {
            "VolumeARN": volume_arn,
            "StartAt": saved.start_at,
            "RecurrenceInHours": saved.recurrence_in_hours,
            "Tags": [{"Key": key, "Value": value} for key, value in saved.tags],
        }
        if saved.description is not None:
            request["Description"] = saved.description
        storagegateway.update_snapshot_schedule(**request)
    after = read_schedule(storagegateway, volume_arn)
    if after != saved:
        raise RuntimeError(
            f"the snapshot schedule of {volume_arn} could not be restored: it was "
            f"{_text(saved)} before the run and is {_text(after)} now; set it back by hand "
            "(aws storagegateway update-snapshot-schedule)"
        )
    return f"the volume's snapshot schedule was restored: {_text(saved)}"


def _must_delete_first(current: Schedule | None, saved: Schedule | None) -> bool:
    """No schedule before, or one without a description where there is one now:
    UpdateSnapshotSchedule cannot take a description off, so the schedule goes first."""
    if current is None:
        return False
    return saved is None or (current.description is not None and saved.description is None)


def _text(schedule: Schedule | None) -> str:
    return "none" if schedule is None else schedule.text()


def hour_away_from_now(schedule: Schedule | None, utc_hour: int, offset: int) -> int:
    """An hour of the gateway's day ``offset`` hours from now (in its time zone, ``GMT``,
    ``GMT-5:00``…): a start hour far from now, so that the gateway takes no scheduled
    snapshot while the lane's schedule is in place."""
    return (utc_hour + _zone_offset_hours(schedule) + offset) % 24


def _zone_offset_hours(schedule: Schedule | None) -> int:
    zone = "GMT" if schedule is None else schedule.timezone
    sign_and_time = zone.removeprefix("GMT")
    if not sign_and_time:
        return 0
    hours = sign_and_time.split(":", 1)[0]
    try:
        return int(hours)
    except ValueError:
        return 0
