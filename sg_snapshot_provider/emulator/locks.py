"""EBS snapshot lock as EC2 answers it (moto serves none of it): LockSnapshot, UnlockSnapshot,
DescribeLockedSnapshots, and DeleteSnapshot refused while a lock holds.

Real behaviour reproduced, and from where (botocore's ``ec2`` model: the operations' docs and
the ``LockSnapshotRequest``/``LockedSnapshotsInfo`` shapes; the EBS user guide's snapshot lock
pages):

* ``LockMode`` is ``governance`` or ``compliance``; exactly one of ``LockDuration`` (1 to
  36,500 days) and ``ExpirationDate`` (a future moment); ``CoolOffPeriod`` (1 to 72 hours) only
  in compliance mode ("If you lock a snapshot in governance mode, omit CoolOffPeriod").
* Only a ``pending`` or ``completed`` snapshot can be locked; locked while pending for a
  duration, the duration starts once the snapshot is completed (``LockDurationStartTime``).
* Lock states: ``compliance-cooloff`` while a compliance lock is in its cooling-off period,
  ``governance``, ``compliance``, ``expired`` once the lock's time is over.
* LockSnapshot on a locked snapshot modifies the lock: anything goes in governance mode and in
  the cooling-off period; after it, only a later expiry, in compliance mode, without
  ``CoolOffPeriod``.
* UnlockSnapshot works in governance mode and in the cooling-off period, never after it.
* DeleteSnapshot of a snapshot whose lock has not expired is refused.

The error code for a refused lock change or a refused delete is EC2's generic
``IncorrectState`` ("the resource is in an incorrect state for the request"): the API
reference this was written from names no more specific code, so a client (the provider
included) must tell a lock by DescribeLockedSnapshots, not by the code.

Time: every moment comes from :class:`Clock`, which a test moves forward through the control
API (``PUT /_emulator/clock {"advance_seconds": …}``) instead of sleeping.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .exceptions import (
    Ec2Error,
    InvalidParameterCombination,
    InvalidParameterValue,
    InvalidSnapshotIdMalformed,
    MissingParameter,
)
from .responses import Answer

LOCK_MODES: Final = ("governance", "compliance")
LOCK_DURATION_DAYS: Final = range(1, 36501)
COOL_OFF_HOURS: Final = range(1, 73)
DESCRIBE_MAX_RESULTS: Final = range(5, 1001)
LOCKABLE_STATES: Final = ("pending", "completed")
LOCK_STATES: Final = ("compliance-cooloff", "governance", "compliance", "expired")


class IncorrectState(Ec2Error):  # noqa: N818 (EC2's name)
    code = "IncorrectState"


class Clock:
    """The emulator's "now" for locks and tiers: the real UTC time plus what tests advanced."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += timedelta(seconds=seconds)

    def reset(self) -> None:
        self.offset = timedelta()


@dataclass
class Lock:
    snapshot_id: str
    owner_id: str
    mode: str
    created_on: datetime
    duration_days: int | None = None
    #: Known once the duration started (a lock by date knows it at once).
    expires_on: datetime | None = None
    duration_start: datetime | None = None
    cool_off_hours: int | None = None
    cool_off_expires_on: datetime | None = None

    def state(self, now: datetime) -> str:
        if self.expires_on is not None and now >= self.expires_on:
            return "expired"
        if (
            self.mode == "compliance"
            and self.cool_off_expires_on
            and now < self.cool_off_expires_on
        ):
            return "compliance-cooloff"
        return self.mode

    def to_xml(self, now: datetime) -> str:
        fields = {
            "ownerId": self.owner_id,
            "snapshotId": self.snapshot_id,
            "lockState": self.state(now),
            "lockDuration": self.duration_days,
            "coolOffPeriod": self.cool_off_hours,
            "coolOffPeriodExpiresOn": self.cool_off_expires_on,
            "lockCreatedOn": self.created_on,
            "lockDurationStartTime": self.duration_start,
            "lockExpiresOn": self.expires_on,
        }
        return "".join(f"<{k}>{_text(v)}</{k}>" for k, v in fields.items() if v is not None)


def _text(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
            f"{value.microsecond // 1000:03d}Z"
        )
    return str(value)


def _integer(params: dict[str, str], name: str, allowed: range) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    value = int(raw)  # the type check of ec2.py ran first
    if value not in allowed:
        raise InvalidParameterValue(
            f"Value ({value}) for parameter {name} is invalid. Expected a value between "
            f"{allowed[0]} and {allowed[-1]}."
        )
    return value


def _timestamp(params: dict[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameterValue(f"Value ({raw}) for parameter {name} is invalid.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: The snapshot behind an ID (EC2's own NotFound/Malformed errors otherwise).
FindSnapshot = Callable[[str], Any]


class SnapshotLocks:
    """Every lock the emulator holds, by snapshot ID."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.locks: dict[str, Lock] = {}

    def reset(self) -> None:
        self.locks.clear()
        self.clock.reset()

    def _current(self, snapshot: Any) -> Lock | None:
        """The snapshot's lock, with its duration started once the snapshot is completed."""
        lock = self.locks.get(snapshot.id)
        if lock is not None and lock.expires_on is None and snapshot.status == "completed":
            lock.duration_start = self.clock.now()
            lock.expires_on = lock.duration_start + timedelta(days=lock.duration_days or 0)
        return lock

    def is_locked(self, snapshot: Any) -> Lock | None:
        lock = self._current(snapshot)
        return lock if lock is not None and lock.state(self.clock.now()) != "expired" else None

    # DeleteSnapshot

    def refuse_delete(self, snapshot: Any) -> None:
        lock = self.is_locked(snapshot)
        if lock is None:
            self.locks.pop(snapshot.id, None)
            return
        until = f" until {_text(lock.expires_on)}" if lock.expires_on else ""
        raise IncorrectState(
            f"The snapshot {snapshot.id} is locked in {lock.mode} mode{until} and can't be deleted."
        )

    # LockSnapshot

    def lock(self, params: dict[str, str], find: FindSnapshot, owner_id: str) -> str:
        snapshot_id = params.get("SnapshotId")
        if not snapshot_id:
            raise MissingParameter("SnapshotId")
        mode = params.get("LockMode")
        if not mode:
            raise MissingParameter("LockMode")
        if mode not in LOCK_MODES:
            raise InvalidParameterValue(
                f"Value ({mode}) for parameter LockMode is invalid. Expected one of "
                f"{', '.join(LOCK_MODES)}."
            )
        days = _integer(params, "LockDuration", LOCK_DURATION_DAYS)
        cool_off = _integer(params, "CoolOffPeriod", COOL_OFF_HOURS)
        expiration = _timestamp(params, "ExpirationDate")
        now = self.clock.now()
        _check_lock_request(mode, days, expiration, cool_off, now)
        snapshot = find(snapshot_id)
        if snapshot.status not in LOCKABLE_STATES:
            raise IncorrectState(
                f"The snapshot {snapshot.id} is in the {snapshot.status} state; only a pending "
                "or completed snapshot can be locked."
            )
        old = self.is_locked(snapshot)
        new = Lock(snapshot.id, owner_id, mode, old.created_on if old else now, days)
        if days is not None and snapshot.status == "completed":
            new.duration_start = now
            new.expires_on = now + timedelta(days=days)
        elif expiration is not None:
            new.expires_on = expiration
        if cool_off is not None:
            new.cool_off_hours = cool_off
            new.cool_off_expires_on = now + timedelta(hours=cool_off)
        if old is not None and old.state(now) == "compliance":
            _check_compliance_change(old, new, cool_off)
            new.cool_off_hours, new.cool_off_expires_on = (
                old.cool_off_hours,
                old.cool_off_expires_on,
            )
        self.locks[snapshot.id] = new
        return new.to_xml(now)

    # UnlockSnapshot

    def unlock(self, params: dict[str, str], find: FindSnapshot) -> str:
        snapshot_id = params.get("SnapshotId")
        if not snapshot_id:
            raise MissingParameter("SnapshotId")
        snapshot = find(snapshot_id)
        lock = self.is_locked(snapshot)
        if lock is None:
            raise IncorrectState(f"The snapshot {snapshot.id} is not locked.")
        if lock.state(self.clock.now()) == "compliance":
            raise IncorrectState(
                f"The snapshot {snapshot.id} is locked in compliance mode and its cooling-off "
                "period has expired: it can't be unlocked."
            )
        del self.locks[snapshot.id]
        return f"<snapshotId>{snapshot.id}</snapshotId>"

    # DescribeLockedSnapshots

    def describe(
        self,
        snapshot_ids: list[str],
        states: list[str] | None,
        params: dict[str, str],
        snapshots: dict[str, Any],
        find: FindSnapshot,
    ) -> str:
        for snapshot_id in snapshot_ids:
            find(snapshot_id)  # malformed or missing IDs fail the call, as DescribeSnapshots
        max_results = _integer(params, "MaxResults", DESCRIBE_MAX_RESULTS)
        if max_results is not None and snapshot_ids:
            raise InvalidParameterCombination(
                "The parameter SnapshotIds cannot be used with the parameter MaxResults"
            )
        now = self.clock.now()
        chosen = []
        for snapshot_id, lock in sorted(self.locks.items()):
            snapshot = snapshots.get(snapshot_id)
            if snapshot is None or (snapshot_ids and snapshot_id not in snapshot_ids):
                continue
            self._current(snapshot)
            if states is None or lock.state(now) in states:
                chosen.append(lock)
        start = _start(params.get("NextToken"), len(chosen))
        end = len(chosen) if max_results is None else start + max_results
        items = "".join(f"<item>{lock.to_xml(now)}</item>" for lock in chosen[start:end])
        token = f"<nextToken>{end}</nextToken>" if end < len(chosen) else ""
        return f"<snapshotSet>{items}</snapshotSet>{token}"


def _start(token: str | None, total: int) -> int:
    if token is None:
        return 0
    if not token.isdigit() or int(token) > total:
        raise InvalidParameterValue(f"Invalid NextToken: {token}")
    return int(token)


def _check_lock_request(
    mode: str,
    days: int | None,
    expiration: datetime | None,
    cool_off: int | None,
    now: datetime,
) -> None:
    if (days is None) == (expiration is None):
        raise InvalidParameterCombination(
            "You must specify either LockDuration or ExpirationDate, but not both."
        )
    if expiration is not None and expiration <= now:
        raise InvalidParameterValue("The ExpirationDate must be in the future.")
    if cool_off is not None and mode == "governance":
        raise InvalidParameterCombination(
            "CoolOffPeriod can only be specified when locking a snapshot in compliance mode."
        )


def _check_compliance_change(old: Lock, new: Lock, cool_off: int | None) -> None:
    """After the cooling-off period a compliance lock can only be lengthened."""
    if new.mode != "compliance":
        raise IncorrectState(
            f"The snapshot {old.snapshot_id} is locked in compliance mode: its lock mode can't "
            "be changed after the cooling-off period."
        )
    if cool_off is not None:
        raise InvalidParameterCombination(
            "CoolOffPeriod can't be specified for a snapshot whose cooling-off period has expired."
        )
    if old.expires_on is not None and (new.expires_on is None or new.expires_on < old.expires_on):
        raise IncorrectState(
            f"The snapshot {old.snapshot_id} is locked in compliance mode until "
            f"{_text(old.expires_on)}: the lock can only be extended."
        )


def lock_states_filter(filters: list[dict[str, str]]) -> list[str] | None:
    """The ``lock-state`` filter's values (None: no such filter); another filter name is
    refused, as the model documents only ``lock-state``."""
    states: list[str] | None = None
    for entry in filters:
        name = entry.get("Name")
        if name != "lock-state":
            raise InvalidParameterValue(f"The filter '{name}' is invalid")
        values = [v for k, v in sorted(entry.items()) if k.startswith("Value.")]
        states = (states or []) + values
    return states


def check_snapshot_id(snapshot_id: str, pattern: Any) -> None:
    if not pattern.fullmatch(snapshot_id):
        raise InvalidSnapshotIdMalformed(snapshot_id)


def xml_answer(action: str, inner: str) -> Answer:
    """An EC2 query-protocol answer of our own (moto serves none of the lock actions)."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<{action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
        f"<requestId>{uuid.uuid4()}</requestId>{inner}</{action}Response>"
    )
    return Answer(200, [("Content-Type", "text/xml")], body.encode())


LOCK_ACTIONS: Final = ("LockSnapshot", "UnlockSnapshot", "DescribeLockedSnapshots")


def lock_action(layer: Any, request: Any, _: Any) -> Answer:
    """LockSnapshot, UnlockSnapshot, DescribeLockedSnapshots, served here for the EC2 layer
    (``layer``: its ``locks`` and its ``visible_snapshot`` lookup)."""
    locks: SnapshotLocks = layer.locks
    params: dict[str, str] = request.params

    def find(snapshot_id: str) -> Any:
        return layer.visible_snapshot(request, snapshot_id)

    if request.action == "LockSnapshot":
        inner = locks.lock(params, find, request.account_id)
    elif request.action == "UnlockSnapshot":
        inner = locks.unlock(params, find)
    else:
        states = lock_states_filter(request.structures("Filter"))
        snapshots = request.backend.snapshots
        inner = locks.describe(request.members("SnapshotId"), states, params, snapshots, find)
    return xml_answer(request.action, inner)
