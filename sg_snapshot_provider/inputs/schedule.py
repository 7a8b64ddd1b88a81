"""The snapshot schedule resource's inputs: parse, validate and normalise them; compare old and
new. Pure: no I/O, no boto3, no Pulumi.

The rules are Storage Gateway's for ``UpdateSnapshotSchedule`` (botocore's model and the API
reference), checked here so that a bad value fails in ``pulumi preview``, naming the property,
before any AWS call:

* ``start_at``: a whole hour, 0 to 23, in the gateway's time zone (the model's ``HourOfDay``).
* ``recurrence_in_hours``: one of 1, 2, 4, 8, 12, 24. The model's ``RecurrenceInHours`` is an
  integer from 1 to 24, but a model can only say "range"; the service's rule, as the API
  reference of API version 2012-06-30 words it, is "Valid Values: One of the values 1 | 2 | 4 |
  8 | 12 | 24" (the console offers the same six). Today's reference is generated from the model
  and so only repeats the range. Refusing 3 in preview is better than AWS refusing it in the
  middle of an update; the emulator enforces the same six values.
* ``description``: 1 to 255 characters, optional. The API cannot clear a description (it has a
  minimum length of 1 and leaving it out keeps the old one), so an absent description is not
  managed: it is neither sent nor compared.
* ``tags``: the snapshot's rules for each tag (``tag_problems``), at most 50 in all with
  ``aws:defaultTags`` (``UpdateSnapshotSchedule`` takes "up to 50 tags"; no create token is
  needed here, so all 50 are the user's).

* ``retention`` and ``retention_trigger``: optional; the rules that prune the snapshots the
  schedule takes, and a value whose every change runs them (``inputs.retention``). With
  ``retention`` the schedule carries the tag ``sg-snapshot-provider:schedule`` (49 tags are
  left for the user); a change of either is an update in place.

Pulumi's wire format carries every number as a double: ``2.0`` is accepted as ``2``; ``2.5``
and booleans are refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .common import (
    MAX_TAGS,
    Failure,
    Unknown,
    check_description,
    check_tags,
    check_volume_arn,
    contains_unknown,
    key_differs,
    merged_tags,
    not_a_number,
    unknown_keys,
)
from .retention import (
    LAST_PRUNED_SNAPSHOT_IDS,
    PRUNE_PENDING_SNAPSHOT_IDS,
    RETENTION,
    RETENTION_TRIGGER,
    RetentionRules,
    check_retention,
    check_retention_trigger,
    check_schedule_tag_room,
    planned_prune,
    refuse_schedule_tag,
)
from .snapshot import PropsDiff

# Input keys (the resource class's arguments, snake_case).
VOLUME_ARN = "volume_arn"
START_AT = "start_at"
RECURRENCE_IN_HOURS = "recurrence_in_hours"
DESCRIPTION = "description"
TAGS = "tags"
INPUT_KEYS: Final = (
    VOLUME_ARN,
    START_AT,
    RECURRENCE_IN_HOURS,
    DESCRIPTION,
    TAGS,
    RETENTION,
    RETENTION_TRIGGER,
)

TAGS_ALL = "tags_all"
TIMEZONE = "timezone"
#: Keys only the provider sets. ``tags_all`` is computed by check, so it is an input of the
#: engine's diff too; ``timezone`` is known once DescribeSnapshotSchedule answered (a refresh).
OUTPUT_KEYS: Final = (
    TAGS_ALL,
    TIMEZONE,
    "gateway_arn",
    "region",
    LAST_PRUNED_SNAPSHOT_IDS,
    PRUNE_PENDING_SNAPSHOT_IDS,
)

REPLACE_KEYS: Final = (VOLUME_ARN,)
UPDATE_KEYS: Final = (
    START_AT,
    RECURRENCE_IN_HOURS,
    DESCRIPTION,
    TAGS,
    TAGS_ALL,
    RETENTION,
    RETENTION_TRIGGER,
)
#: The keys UpdateSnapshotSchedule sends: a change of only the others (retention) makes none.
SCHEDULE_KEYS: Final = (START_AT, RECURRENCE_IN_HOURS, DESCRIPTION, TAGS, TAGS_ALL)

HOUR_MIN, HOUR_MAX = 0, 23
#: The only recurrences Storage Gateway offers (see the module docstring).
RECURRENCE_HOURS: Final = (1, 2, 4, 8, 12, 24)
#: UpdateSnapshotSchedule's Tags: "A list of up to 50 tags".
MAX_SCHEDULE_TAGS: Final = MAX_TAGS


@dataclass(frozen=True)
class ScheduleArgs:
    """Validated, normalised inputs. A field is :data:`UNKNOWN` only during preview."""

    volume_arn: str | Unknown
    start_at: int | Unknown
    recurrence_in_hours: int | Unknown
    #: None: not managed (see the module docstring).
    description: str | Unknown | None = None
    tags: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)
    #: ``tags`` merged over the provider's default tags (``aws:defaultTags``).
    tags_all: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)
    #: None: no retention (``inputs.retention``).
    retention: RetentionRules | Unknown | None = None
    retention_trigger: str | int | float | bool | Unknown | None = None

    def to_props(self) -> dict[str, Any]:
        """The normalised inputs as a property dict (what check hands back to the engine)."""
        props: dict[str, Any] = {
            VOLUME_ARN: self.volume_arn,
            START_AT: self.start_at,
            RECURRENCE_IN_HOURS: self.recurrence_in_hours,
            TAGS: _copy(self.tags),
            TAGS_ALL: _copy(self.tags_all),
        }
        if self.description is not None:
            props[DESCRIPTION] = self.description
        if self.retention is not None:
            rules = self.retention
            props[RETENTION] = rules if isinstance(rules, Unknown) else rules.to_props()
        if self.retention_trigger is not None:
            props[RETENTION_TRIGGER] = self.retention_trigger
        return props

    @property
    def has_unknowns(self) -> bool:
        return contains_unknown(self.to_props())


def _copy(value: Mapping[str, Any] | Unknown) -> dict[str, Any] | Unknown:
    return value if isinstance(value, Unknown) else dict(value)


# --- validation -----------------------------------------------------------------------------


def parse_schedule_args(
    props: Mapping[str, Any], default_tags: Mapping[str, str] | None = None
) -> tuple[ScheduleArgs | None, list[Failure]]:
    """Validate ``props`` (the resource's inputs). Returns the normalised arguments, or
    ``None`` and every failure found, each naming its property. Wrong types are failures,
    never exceptions; ``__provider`` and output-only keys are ignored; any other unknown key is
    a failure, so a typo does not silently vanish."""
    failures = unknown_keys(props, INPUT_KEYS, OUTPUT_KEYS)
    volume_arn = check_volume_arn(props.get(VOLUME_ARN), failures)
    start_at = check_start_at(props.get(START_AT), failures)
    recurrence = check_recurrence(props.get(RECURRENCE_IN_HOURS), failures)
    description = check_description(props.get(DESCRIPTION), failures, required=False)
    tags = check_schedule_tags(props.get(TAGS), failures)
    tags_all = merged_tags(
        tags, dict(default_tags or {}), failures, limit=MAX_SCHEDULE_TAGS, why="on a schedule"
    )
    retention = check_retention(props.get(RETENTION), failures)
    retention_trigger = check_retention_trigger(props.get(RETENTION_TRIGGER), failures)
    refuse_schedule_tag(tags, failures)
    if retention is not None:
        check_schedule_tag_room(volume_arn, tags_all, MAX_SCHEDULE_TAGS, failures)
    if retention_trigger is not None and props.get(RETENTION) is None:
        failures.append(
            Failure(RETENTION_TRIGGER, "retention_trigger runs the retention: set retention too")
        )
    if failures:
        return None, failures
    assert volume_arn is not None
    assert start_at is not None
    assert recurrence is not None
    assert tags is not None
    args = ScheduleArgs(
        volume_arn,
        start_at,
        recurrence,
        description,
        tags,
        tags_all,
        retention,
        retention_trigger,
    )
    return args, []


def _whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a finite whole number (2 or 2.0), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value)


def check_start_at(value: Any, failures: list[Failure]) -> int | Unknown | None:
    """The hour the schedule starts at, or None after adding the failure."""
    if isinstance(value, Unknown):
        return value
    rule = (
        f"start_at must be a whole hour from {HOUR_MIN} to {HOUR_MAX} (in the gateway's time zone)"
    )
    if value is None:
        failures.append(Failure(START_AT, f"start_at is required: {rule}"))
        return None
    hour = _whole_number(value)
    if hour is None:
        failures.append(Failure(START_AT, f"{rule}; got {not_a_number(value)}"))
        return None
    if not HOUR_MIN <= hour <= HOUR_MAX:
        failures.append(Failure(START_AT, f"{rule}; got {hour}"))
        return None
    return hour


def check_recurrence(value: Any, failures: list[Failure]) -> int | Unknown | None:
    """The hours between snapshots, or None after adding the failure."""
    if isinstance(value, Unknown):
        return value
    allowed = ", ".join(map(str, RECURRENCE_HOURS[:-1])) + f" or {RECURRENCE_HOURS[-1]}"
    rule = f"recurrence_in_hours must be one of {allowed} (hours between snapshots)"
    if value is None:
        failures.append(Failure(RECURRENCE_IN_HOURS, f"recurrence_in_hours is required: {rule}"))
        return None
    hours = _whole_number(value)
    if hours is None or hours not in RECURRENCE_HOURS:
        got = not_a_number(value) if hours is None else str(hours)
        failures.append(Failure(RECURRENCE_IN_HOURS, f"{rule}; got {got}"))
        return None
    return hours


def check_schedule_tags(
    value: Any, failures: list[Failure]
) -> Mapping[str, str | Unknown] | Unknown | None:
    """The tags, each held to the snapshot's rules (``tag_problems``: lengths, characters,
    ``aws:`` and the provider's reserved keys); a schedule takes up to 50."""
    return check_tags(
        value,
        failures,
        limit=MAX_SCHEDULE_TAGS,
        too_many="a snapshot schedule takes at most {limit} tags",
    )


# --- diff -----------------------------------------------------------------------------------


def diff_schedule(olds: Mapping[str, Any], news: Mapping[str, Any]) -> PropsDiff:
    """Compare old **outputs** with new (checked) inputs, as the engine's Diff does.

    A new volume is a new resource (replace); everything else is one UpdateSnapshotSchedule
    (update). An unknown new value counts as a change, so an unknown ``volume_arn`` means
    replace. An absent description is not managed, so it never differs. Numbers compare by
    value (the engine hands ``2`` back as ``2.0``).
    """
    replaces = [k for k in REPLACE_KEYS if _differs(olds, news, k)]
    updates = [k for k in UPDATE_KEYS if _differs(olds, news, k)]
    if not updates and news.get(RETENTION) is not None and planned_prune(olds):
        # An earlier prune could not delete everything: this up tries again.
        updates.append(PRUNE_PENDING_SNAPSHOT_IDS)
    return PropsDiff(replaces, updates)


def schedule_changed(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether UpdateSnapshotSchedule has anything to send: a schedule key changed, or
    retention was set or removed (which adds or removes the schedule's marker tag)."""
    marker_changed = (olds.get(RETENTION) is None) != (news.get(RETENTION) is None)
    return marker_changed or any(_differs(olds, news, k) for k in SCHEDULE_KEYS)


def _differs(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    if key == DESCRIPTION and news.get(key) is None:
        return False  # not managed: the schedule keeps the description AWS has
    return key_differs(olds, news, key, {TAGS: {}})
