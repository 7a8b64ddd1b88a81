"""Retention: which snapshots a series or a schedule keeps, and which it deletes. Pure: no I/O,
no boto3, no Pulumi; "now" is always an argument.

Two users of these rules:

* ``SnapshotSeries`` ``keep_days`` (besides ``keep``): a snapshot of the series is deleted only
  when **both** rules would delete it, i.e. it is beyond the newest ``keep`` *and* older than
  ``keep_days`` days; whichever rule keeps more wins. The newest snapshot is never deleted.
  A snapshot whose age is unknown is kept by ``keep_days``. A series never holds more than
  :data:`~sg_snapshot_provider.inputs.series.MAX_KEEP` snapshots, whatever their age.
* ``VolumeSnapshotSchedule`` ``retention`` (a map of ``keep``, ``keep_days``, ``keep_daily``,
  ``keep_weekly``, ``keep_monthly``; at least one): grandfather-father-son over the snapshots
  the gateway's schedule took of the volume. A snapshot is kept when **any** rule keeps it:
  one of the newest ``keep``; younger than ``keep_days`` days; the newest of one of the
  ``keep_daily`` most recent days (UTC calendar days) that have a snapshot; likewise per ISO
  week and per calendar month. The newest is always kept. Everything else is deleted, unless
  :func:`prune_verdicts` finds a reason to spare it (locked, shared, held by a resource).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from .tags import CREATE_TOKEN_TAG, OWNER_TAG, TAG_VALUE_MAX
from .values import UNKNOWN, Failure, Unknown, item_path, type_name

#: The series' input: keep snapshots younger than this many days (besides ``keep``).
KEEP_DAYS: Final = "keep_days"
#: The schedule's inputs: the rules (a map), and a value whose every change runs them.
RETENTION: Final = "retention"
RETENTION_TRIGGER: Final = "retention_trigger"
#: The schedule's outputs: what the last run deleted, and what it could not delete (the next
#: ``pulumi up`` tries again: the diff plans an update while this list is not empty).
LAST_PRUNED_SNAPSHOT_IDS: Final = "last_pruned_snapshot_ids"
PRUNE_PENDING_SNAPSHOT_IDS: Final = "prune_pending_snapshot_ids"

RULE_KEYS: Final = ("keep", "keep_days", "keep_daily", "keep_weekly", "keep_monthly")
#: Bounds: a day count of 100 years; a count of snapshots as large as a series may hold.
MAX_DAYS: Final = 36500
MAX_COUNT: Final = 1000

#: The tag the schedule resource adds to the schedule when ``retention`` is set. Storage
#: Gateway gives the snapshots a schedule takes the schedule's tags, so this tag (value: the
#: volume ARN) is what marks a snapshot as made by that volume's schedule. Refused in user
#: tags; never shown in ``tags``/``tags_all``.
SCHEDULE_TAG: Final = "sg-snapshot-provider:schedule"
#: Tags that say a snapshot belongs to a resource of this package (a snapshot, a series, or an
#: adopted snapshot): retention never deletes a snapshot carrying one.
HELD_TAGS: Final = (OWNER_TAG, CREATE_TOKEN_TAG)
#: Any tag under this prefix other than SCHEDULE_TAG also marks the snapshot as held.
PACKAGE_TAG_PREFIX: Final = "sg-snapshot-provider:"


# --- validation -----------------------------------------------------------------------------


def whole_number(
    value: Any, name: str, failures: list[Failure], *, high: int, meaning: str
) -> int | Unknown | None:
    """A positive whole number (``7.0`` is 7) up to ``high``, or None after adding the
    failure. None in, None out (the input is optional)."""
    if value is None or isinstance(value, Unknown):
        return value
    rule = f"{name} must be a whole number from 1 to {high} ({meaning})"
    if isinstance(value, bool) or not isinstance(value, int | float):
        failures.append(Failure(name, f"{rule}; got {type_name(value)}"))
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        failures.append(Failure(name, f"{rule}; got {value}"))
        return None
    if not 1 <= value <= high:
        failures.append(Failure(name, f"{rule}; got {int(value)}"))
        return None
    return int(value)


def check_keep_days(value: Any, failures: list[Failure]) -> int | Unknown | None:
    """The series' ``keep_days`` (None: not set)."""
    return whole_number(
        value,
        KEEP_DAYS,
        failures,
        high=MAX_DAYS,
        meaning="snapshots younger than this many days are kept besides the newest keep",
    )


@dataclass(frozen=True)
class RetentionRules:
    """The schedule's retention rules; None: that rule keeps nothing."""

    keep: int | None = None
    keep_days: int | None = None
    keep_daily: int | None = None
    keep_weekly: int | None = None
    keep_monthly: int | None = None

    def to_props(self) -> dict[str, int]:
        return {key: value for key in RULE_KEYS if (value := getattr(self, key)) is not None}


_MEANINGS: Final = {
    "keep": ("the newest snapshots kept", MAX_COUNT),
    "keep_days": ("snapshots younger than this many days are kept", MAX_DAYS),
    "keep_daily": ("the newest snapshot of each of this many days is kept", MAX_DAYS),
    "keep_weekly": ("the newest snapshot of each of this many weeks is kept", MAX_DAYS),
    "keep_monthly": ("the newest snapshot of each of this many months is kept", MAX_DAYS),
}


def check_retention(value: Any, failures: list[Failure]) -> RetentionRules | Unknown | None:
    """The schedule's ``retention`` map, or None (not set, or after adding the failures)."""
    if value is None or isinstance(value, Unknown):
        return value
    rule = f"retention must be a map of {', '.join(RULE_KEYS)} (at least one)"
    if not isinstance(value, Mapping):
        failures.append(Failure(RETENTION, f"{rule}; got {type_name(value)}"))
        return None
    count = len(failures)
    for key in value:
        if key not in RULE_KEYS:
            failures.append(Failure(item_path(RETENTION, str(key)), f"unknown rule: {rule}"))
    parsed: dict[str, Any] = {}
    for key in RULE_KEYS:
        meaning, high = _MEANINGS[key]
        parsed[key] = whole_number(
            value.get(key), item_path(RETENTION, key), failures, high=high, meaning=meaning
        )
    if len(failures) > count:
        return None
    if any(isinstance(v, Unknown) for v in parsed.values()):
        return UNKNOWN
    if all(v is None for v in parsed.values()):
        failures.append(Failure(RETENTION, f"{rule}; got an empty map"))
        return None
    return RetentionRules(**parsed)


def check_retention_trigger(
    value: Any, failures: list[Failure]
) -> str | int | float | bool | Unknown | None:
    """``retention_trigger``: a string, a number or a boolean (None: not set)."""
    if value is None or isinstance(value, Unknown | str | bool):
        return value
    if isinstance(value, int | float) and math.isfinite(value):
        return int(value) if isinstance(value, float) and value.is_integer() else value
    failures.append(
        Failure(
            RETENTION_TRIGGER,
            "retention_trigger must be a string, a finite number or a boolean (each new value "
            f"runs the retention); got {type_name(value)}",
        )
    )
    return None


def check_schedule_tag_room(
    volume_arn: Any, tags_all: Any, limit: int, failures: list[Failure]
) -> None:
    """With ``retention`` the schedule carries :data:`SCHEDULE_TAG` = the volume ARN: one of
    its tags, and a tag value of at most 256 characters."""
    if isinstance(volume_arn, str) and len(volume_arn) > TAG_VALUE_MAX:
        failures.append(
            Failure(
                RETENTION,
                f"retention marks the schedule's snapshots with the tag {SCHEDULE_TAG} = the "
                f"volume ARN, and a tag value holds at most {TAG_VALUE_MAX} characters; this "
                f"ARN has {len(volume_arn)}",
            )
        )
    if isinstance(tags_all, Mapping) and len(tags_all) + 1 > limit:
        failures.append(
            Failure(
                "tags",
                f"with retention the schedule uses one of its {limit} tags for {SCHEDULE_TAG}: "
                f"at most {limit - 1} tags (aws:defaultTags included); got {len(tags_all)}",
            )
        )


def refuse_schedule_tag(tags: Any, failures: list[Failure]) -> None:
    if isinstance(tags, Mapping) and SCHEDULE_TAG in tags:
        failures.append(
            Failure(
                item_path("tags", SCHEDULE_TAG),
                f"the tag key {SCHEDULE_TAG} is reserved: retention marks the schedule's "
                "snapshots with it",
            )
        )


# --- series ---------------------------------------------------------------------------------


def series_deletes(
    ages: Sequence[tuple[str, datetime | None]],
    keep: int,
    keep_days: int | None,
    now: datetime,
    hard_limit: int,
) -> list[str]:
    """The snapshot IDs a series deletes, oldest first. ``ages``: (ID, when taken), newest
    first. Beyond ``keep`` and (when ``keep_days`` is set) older than ``keep_days`` days;
    beyond ``hard_limit`` whatever the age; never the newest."""
    doomed: list[str] = []
    for index, (snapshot_id, taken) in enumerate(ages):
        if index == 0 or index < keep:
            continue
        if index >= hard_limit or keep_days is None or _older(taken, keep_days, now):
            doomed.append(snapshot_id)
    return list(reversed(doomed))


def _older(taken: datetime | None, days: int, now: datetime) -> bool:
    return taken is not None and now - taken > timedelta(days=days)


# --- grandfather-father-son -----------------------------------------------------------------


def gfs_keeps(
    taken: Sequence[tuple[str, datetime]], rules: RetentionRules, now: datetime
) -> set[str]:
    """The IDs the rules keep among ``taken`` (ID, start time) in any order."""
    newest_first = sorted(taken, key=lambda item: item[1], reverse=True)
    kept = {snapshot_id for snapshot_id, _ in newest_first[:1]}
    if rules.keep:
        kept.update(snapshot_id for snapshot_id, _ in newest_first[: rules.keep])
    if rules.keep_days:
        kept.update(sid for sid, when in newest_first if not _older(when, rules.keep_days, now))
    buckets: tuple[tuple[int | None, Callable[[datetime], object]], ...] = (
        (rules.keep_daily, lambda when: when.date()),
        (rules.keep_weekly, lambda when: when.isocalendar()[:2]),
        (rules.keep_monthly, lambda when: (when.year, when.month)),
    )
    for count, bucket_of in buckets:
        if count:
            kept.update(_newest_per_bucket(newest_first, bucket_of, count))
    return kept


def _newest_per_bucket(
    newest_first: Sequence[tuple[str, datetime]],
    bucket_of: Callable[[datetime], object],
    count: int,
) -> list[str]:
    """The newest snapshot of each of the ``count`` most recent buckets that have one."""
    chosen: list[str] = []
    seen: set[object] = set()
    for snapshot_id, when in newest_first:
        bucket = bucket_of(when)
        if bucket in seen:
            continue
        seen.add(bucket)
        chosen.append(snapshot_id)
        if len(chosen) == count:
            break
    return chosen


# --- what a prune may touch -----------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A snapshot found under the schedule's tag: what the verdict needs to know of it."""

    snapshot_id: str
    start_time: datetime | None
    tags: Mapping[str, str]
    state: str = "completed"


@dataclass(frozen=True)
class Verdicts:
    """The IDs to delete (oldest first) and, for every other candidate, why it stays."""

    delete: list[str]
    kept: dict[str, str]


def held_by_a_resource(tags: Mapping[str, str]) -> bool:
    """A tag of this package other than the schedule's own: a snapshot, a series or an
    adopted snapshot holds it."""
    return any(key.startswith(PACKAGE_TAG_PREFIX) and key != SCHEDULE_TAG for key in tags)


def prune_verdicts(
    candidates: Iterable[Candidate],
    rules: RetentionRules,
    now: datetime,
    *,
    locked: Iterable[str] = (),
    shared: Iterable[str] = (),
) -> Verdicts:
    """Which of the schedule's snapshots a prune deletes. Never deleted: one held by a
    resource (a tag of this package), one without a start time or not ``completed`` (still
    being taken, or failed: nothing to restore from, but not ours to judge), one the rules keep,
    a locked one and a shared one. The rules count only the completed snapshots."""
    locked_ids, shared_ids = set(locked), set(shared)
    kept: dict[str, str] = {}
    timed: list[tuple[str, datetime]] = []
    for candidate in candidates:
        sid = candidate.snapshot_id
        if held_by_a_resource(candidate.tags):
            kept[sid] = "held by a resource of this package (its tags say so)"
        elif candidate.start_time is None or candidate.state != "completed":
            kept[sid] = f"not completed ({candidate.state})"
        else:
            timed.append((sid, candidate.start_time))
    keeps = gfs_keeps(timed, rules, now)
    delete: list[str] = []
    for sid, _ in sorted(timed, key=lambda item: item[1]):
        if sid in keeps:
            kept[sid] = "kept by the retention rules"
        elif sid in locked_ids:
            kept[sid] = "locked"
        elif sid in shared_ids:
            kept[sid] = "shared with another account (createVolumePermission)"
        else:
            delete.append(sid)
    return Verdicts(delete, kept)


def planned_prune(outputs: Mapping[str, Any]) -> list[str]:
    """The IDs an earlier prune could not delete (the schedule's outputs)."""
    pending = outputs.get(PRUNE_PENDING_SNAPSHOT_IDS)
    return [str(s) for s in pending if isinstance(s, str)] if isinstance(pending, list) else []
