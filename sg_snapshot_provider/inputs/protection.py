"""The archive tier and the snapshot lock of a snapshot or a series: parse and validate their
inputs, and say which lock changes EC2 would refuse. Pure: no I/O, no boto3, no Pulumi.

Inputs (each optional; a resource that leaves them all out is neither archived nor locked by
the provider, and state written before they existed plans no change):

* ``storage_tier``: ``"standard"`` or ``"archive"`` (EC2's ``StorageTier``). Archive needs a
  completed snapshot (ModifySnapshotTier); from archive back to standard is a permanent restore
  (RestoreSnapshotTier ``PermanentRestore``), which EC2 may take up to 72 hours to finish.
* ``restore_tier_days``: with ``storage_tier="archive"`` on a snapshot only, a temporary
  restore of that many days (1 to 180); the snapshot is re-archived by EC2 afterwards.
* ``lock_mode``: ``"governance"`` or ``"compliance"`` (LockSnapshot's ``LockMode``), with
  exactly one of ``lock_duration_days`` (1 to 36,500) and ``lock_expiration_date`` (ISO 8601
  with a UTC offset), and, in compliance mode only, ``lock_cool_off_hours`` (1 to 72). A series
  locks each snapshot it takes for ``lock_duration_days``: one date for every snapshot would
  leave the newest ones unlockable once it passed, so a series refuses ``lock_expiration_date``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .common import Failure, Unknown, type_name

STORAGE_TIER = "storage_tier"
RESTORE_TIER_DAYS = "restore_tier_days"
LOCK_MODE = "lock_mode"
LOCK_DURATION_DAYS = "lock_duration_days"
LOCK_EXPIRATION_DATE = "lock_expiration_date"
LOCK_COOL_OFF_HOURS = "lock_cool_off_hours"
TIER_KEYS: Final = (STORAGE_TIER, RESTORE_TIER_DAYS)
LOCK_KEYS: Final = (LOCK_MODE, LOCK_DURATION_DAYS, LOCK_EXPIRATION_DATE, LOCK_COOL_OFF_HOURS)
#: Every protection input; each is changed in place (no replace).
PROTECTION_KEYS: Final = (*TIER_KEYS, *LOCK_KEYS)

#: Outputs: the lock as EC2 last described it (DescribeLockedSnapshots' names, snake_case).
LOCK_STATE = "lock_state"
LOCK_EXPIRES_ON = "lock_expires_on"
LOCK_COOL_OFF_EXPIRES_ON = "lock_cool_off_expires_on"
LOCK_DURATION_START_TIME = "lock_duration_start_time"
LOCK_OUTPUT_KEYS: Final = (
    LOCK_STATE,
    LOCK_EXPIRES_ON,
    LOCK_COOL_OFF_EXPIRES_ON,
    LOCK_DURATION_START_TIME,
)
#: Series outputs: snapshot ID → when its lock ends (ISO 8601), for the members a rotation
#: could not delete yet; and the IDs of the members the series archived.
LOCKED_UNTIL = "locked_until"
ARCHIVED_SNAPSHOT_IDS = "archived_snapshot_ids"

STANDARD, ARCHIVE = "standard", "archive"
STORAGE_TIERS: Final = (STANDARD, ARCHIVE)
GOVERNANCE, COMPLIANCE = "governance", "compliance"
LOCK_MODES: Final = (GOVERNANCE, COMPLIANCE)
#: LockSnapshot's ``RetentionPeriodRequestDays`` and ``CoolOffPeriodRequestHours``.
LOCK_DURATION_DAYS_RANGE: Final = (1, 36500)
LOCK_COOL_OFF_HOURS_RANGE: Final = (1, 72)
#: A temporary restore's length, as the EBS user guide states it (the model gives no bounds).
RESTORE_TIER_DAYS_RANGE: Final = (1, 180)


@dataclass(frozen=True)
class LockSpec:
    """A declared lock, every value known."""

    mode: str
    duration_days: int | None = None
    #: ISO 8601, UTC (``…Z``).
    expiration_date: str | None = None
    cool_off_hours: int | None = None

    def expires_on(self, duration_start: datetime | None) -> datetime | None:
        """When the lock ends: its date, or its duration from when the duration started (None
        while EC2 has not started it: a pending snapshot)."""
        if self.expiration_date is not None:
            return parse_moment(self.expiration_date)
        if duration_start is None or self.duration_days is None:
            return None
        return duration_start + timedelta(days=self.duration_days)


@dataclass(frozen=True)
class Protection:
    """The protection inputs, validated; a field is :data:`UNKNOWN` only during preview."""

    storage_tier: str | Unknown | None = None
    restore_tier_days: int | Unknown | None = None
    lock_mode: str | Unknown | None = None
    lock_duration_days: int | Unknown | None = None
    lock_expiration_date: str | Unknown | None = None
    lock_cool_off_hours: int | Unknown | None = None

    def to_props(self) -> dict[str, Any]:
        """Only the declared keys: a resource without them keeps the inputs it had."""
        values = {
            STORAGE_TIER: self.storage_tier,
            RESTORE_TIER_DAYS: self.restore_tier_days,
            LOCK_MODE: self.lock_mode,
            LOCK_DURATION_DAYS: self.lock_duration_days,
            LOCK_EXPIRATION_DATE: self.lock_expiration_date,
            LOCK_COOL_OFF_HOURS: self.lock_cool_off_hours,
        }
        return {key: value for key, value in values.items() if value is not None}

    @property
    def lock(self) -> LockSpec | None:
        """The declared lock (None when none is, or during preview)."""
        if not isinstance(self.lock_mode, str):
            return None
        days, date, hours = (
            self.lock_duration_days,
            self.lock_expiration_date,
            self.lock_cool_off_hours,
        )
        if isinstance(days, Unknown) or isinstance(date, Unknown) or isinstance(hours, Unknown):
            return None
        return LockSpec(self.lock_mode, days, date, hours)


def parse_protection(
    props: Mapping[str, Any], failures: list[Failure], *, series: bool = False
) -> Protection:
    """The protection inputs of ``props``; each problem is added to ``failures`` (naming its
    property and the rule), and the field left None."""
    tier = _choice(props.get(STORAGE_TIER), STORAGE_TIER, STORAGE_TIERS, failures)
    restore = _whole(
        props.get(RESTORE_TIER_DAYS), RESTORE_TIER_DAYS, RESTORE_TIER_DAYS_RANGE, failures
    )
    mode = _choice(props.get(LOCK_MODE), LOCK_MODE, LOCK_MODES, failures)
    days = _whole(
        props.get(LOCK_DURATION_DAYS), LOCK_DURATION_DAYS, LOCK_DURATION_DAYS_RANGE, failures
    )
    date = _moment(props.get(LOCK_EXPIRATION_DATE), failures)
    hours = _whole(
        props.get(LOCK_COOL_OFF_HOURS), LOCK_COOL_OFF_HOURS, LOCK_COOL_OFF_HOURS_RANGE, failures
    )
    _check_restore(props, restore, series, failures)
    _check_lock(props, mode, series, failures)
    return Protection(tier, restore, mode, days, date, hours)


def _check_restore(
    props: Mapping[str, Any], restore: Any, series: bool, failures: list[Failure]
) -> None:
    if props.get(RESTORE_TIER_DAYS) is None:
        return
    tier = props.get(STORAGE_TIER)
    if series:
        failures.append(
            Failure(
                RESTORE_TIER_DAYS,
                "restore_tier_days restores one archived snapshot for a while: declare it on a "
                "StorageGatewaySnapshot, not on a series",
            )
        )
    elif restore is not None and not isinstance(tier, Unknown) and tier != ARCHIVE:
        failures.append(
            Failure(
                RESTORE_TIER_DAYS,
                "restore_tier_days is a temporary restore of an archived snapshot: it needs "
                'storage_tier="archive" (storage_tier="standard" restores it for good)',
            )
        )


def _check_lock(props: Mapping[str, Any], mode: Any, series: bool, failures: list[Failure]) -> None:
    declared = [key for key in LOCK_KEYS[1:] if props.get(key) is not None]
    if props.get(LOCK_MODE) is None:
        failures.extend(
            Failure(key, f'{key} needs lock_mode ("governance" or "compliance")')
            for key in declared
        )
        return
    if series and props.get(LOCK_EXPIRATION_DATE) is not None:
        failures.append(
            Failure(
                LOCK_EXPIRATION_DATE,
                "a series locks each snapshot it takes for lock_duration_days from then: one "
                "expiration date would leave later snapshots unlockable once it passed",
            )
        )
    has_days = props.get(LOCK_DURATION_DAYS) is not None
    has_date = props.get(LOCK_EXPIRATION_DATE) is not None
    if has_days == has_date:
        failures.append(
            Failure(
                LOCK_MODE,
                "a lock needs exactly one of lock_duration_days (1 to 36500) and "
                f"lock_expiration_date; got {'both' if has_days else 'neither'}",
            )
        )
    if props.get(LOCK_COOL_OFF_HOURS) is not None and mode == GOVERNANCE:
        failures.append(
            Failure(
                LOCK_COOL_OFF_HOURS,
                'lock_cool_off_hours only applies to lock_mode="compliance" (a governance lock '
                "can be changed at any time)",
            )
        )


def _choice(value: Any, name: str, allowed: tuple[str, ...], failures: list[Failure]) -> Any:
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, str) and value in allowed:
        return value
    shown = f'"{value}"' if isinstance(value, str) and len(value) <= 20 else type_name(value)
    options = " or ".join(f'"{option}"' for option in allowed)
    failures.append(Failure(name, f"{name} must be {options}; got {shown}"))
    return None


def _whole(value: Any, name: str, bounds: tuple[int, int], failures: list[Failure]) -> Any:
    """A whole number within ``bounds`` (the wire sends 7 as 7.0)."""
    if value is None or isinstance(value, Unknown):
        return value
    low, high = bounds
    rule = f"{name} must be a whole number from {low} to {high}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        failures.append(Failure(name, f"{rule}; got {type_name(value)}"))
        return None
    if not (math.isfinite(value) and float(value).is_integer() and low <= value <= high):
        failures.append(Failure(name, f"{rule}; got {value:g}"))
        return None
    return int(value)


def _moment(value: Any, failures: list[Failure]) -> Any:
    if value is None or isinstance(value, Unknown):
        return value
    rule = (
        "lock_expiration_date must be a moment in ISO 8601 with a UTC offset, such as "
        '"2030-01-31T00:00:00Z"'
    )
    moment = parse_moment(value) if isinstance(value, str) else None
    if moment is None:
        failures.append(Failure(LOCK_EXPIRATION_DATE, f"{rule}; got {type_name(value)}"))
        return None
    return moment_text(moment)


def parse_moment(value: Any) -> datetime | None:
    """An ISO 8601 moment with its offset (``Z`` allowed); None for anything else, a moment
    without an offset included (its zone could be any)."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def moment_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- what EC2 refuses of a lock change ---------------------------------------------------------


def lock_change_refusal(
    olds: Mapping[str, Any], news: Mapping[str, Any], now: datetime
) -> str | None:
    """One sentence when the new inputs would shorten, weaken or remove a compliance lock whose
    cooling-off period is over (EC2 only lets such a lock be lengthened), else None. ``olds``
    are the old outputs (the lock as EC2 last described it), ``news`` the checked inputs."""
    if not _compliance_fixed(olds, now):
        return None
    until = parse_moment(olds.get(LOCK_EXPIRES_ON))
    when = f"until {moment_text(until)}" if until else "for its declared time"
    why = (
        f"lock_mode: the snapshot is locked in compliance mode {when} and its cooling-off period "
        "is over, so EC2 only lets the lock be lengthened"
    )
    mode = news.get(LOCK_MODE)
    if mode is None:
        return f"{why}: the lock cannot be removed; declare it again (lock_mode and its duration)"
    if isinstance(mode, Unknown):
        return None
    if mode != COMPLIANCE:
        return f'{why}: it cannot become a {mode} lock; keep lock_mode="compliance"'
    new_end = _new_end(olds, news)
    if until is not None and new_end is not None and new_end < until:
        return (
            f"{why}: the declared lock would end at {moment_text(new_end)}; declare an end on "
            f"or after {moment_text(until)}"
        )
    old_days, new_days = olds.get(LOCK_DURATION_DAYS), news.get(LOCK_DURATION_DAYS)
    if until is None and _fewer(new_days, old_days):
        return f"{why}: lock_duration_days cannot drop from {old_days:g} to {new_days:g}"
    return None


def _fewer(new: Any, old: Any) -> bool:
    """Whether both are numbers and ``new`` is the smaller (a pending snapshot's lock, whose
    end EC2 does not know yet, is compared by its days)."""
    return isinstance(new, int | float) and isinstance(old, int | float) and new < old


def _compliance_fixed(olds: Mapping[str, Any], now: datetime) -> bool:
    """Whether the old lock is a compliance lock past its cooling-off period, not expired."""
    if olds.get(LOCK_MODE) != COMPLIANCE:
        return False
    state = olds.get(LOCK_STATE)
    until = parse_moment(olds.get(LOCK_EXPIRES_ON))
    if state == "expired" or (until is not None and until <= now):
        return False
    if state == COMPLIANCE:
        return True
    cool_off_end = parse_moment(olds.get(LOCK_COOL_OFF_EXPIRES_ON))
    return state == "compliance-cooloff" and cool_off_end is not None and cool_off_end <= now


def _new_end(olds: Mapping[str, Any], news: Mapping[str, Any]) -> datetime | None:
    date = parse_moment(news.get(LOCK_EXPIRATION_DATE))
    if date is not None:
        return date
    days = news.get(LOCK_DURATION_DAYS)
    start = parse_moment(olds.get(LOCK_DURATION_START_TIME))
    if isinstance(days, int | float) and not isinstance(days, bool) and start is not None:
        return start + timedelta(days=float(days))
    return None


# --- a series' locked members ----------------------------------------------------------------


def still_locked(outputs: Mapping[str, Any], now: datetime) -> dict[str, datetime]:
    """The series members whose lock had not ended at ``now``, with when it ends (a lock whose
    end is unknown, the snapshot still pending, counts as holding)."""
    recorded = outputs.get(LOCKED_UNTIL)
    if not isinstance(recorded, Mapping):
        return {}
    far = datetime.max.replace(tzinfo=UTC)
    held = {str(sid): parse_moment(until) or far for sid, until in recorded.items()}
    return {sid: until for sid, until in held.items() if until > now}
