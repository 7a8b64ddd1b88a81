"""The snapshot series' inputs and its rotation rules: parse, validate and normalise the inputs;
compare old and new; decide which snapshots a series keeps. Pure: no I/O, no boto3, no Pulumi.

A series is one resource that holds up to ``keep`` snapshots of one volume, newest first. Each
new ``trigger`` value takes one snapshot; the oldest beyond ``keep`` are then deleted. The rules:

* ``volume_arn``: the snapshot's rule (Storage Gateway's pattern); a change replaces the series.
* ``trigger``: required; a string, a number or a boolean (Pulumi's wire format carries numbers
  as doubles: ``7.0`` is ``7``). Each change takes a new snapshot (an update in place).
* ``keep``: a whole number from 1 to :data:`MAX_KEEP` (``7.0`` is accepted as 7).
* ``description``: optional. Every snapshot of the series is described
  ``"{description} ({trigger})"`` (:func:`snapshot_description`), with
  :data:`DEFAULT_SERIES_DESCRIPTION` when none is given; that text must fit Storage Gateway's
  1 to 255 characters, so check refuses a description and trigger too long together. EC2 cannot
  edit a description: a new one applies to the snapshots taken from then on (no replace).
* ``tags``, ``wait_for_completion``, ``completion_timeout_seconds``: as for the snapshot
  resource; tags go on every snapshot of the series (49 with ``aws:defaultTags``), and tags
  ``aws:ignoreTags`` names are never sent, diffed, removed or reported.
* ``keep_days``: optional, a whole number of days (``inputs.retention``). A snapshot is then
  deleted only when it is beyond ``keep`` *and* older than ``keep_days``: whichever rule keeps
  more wins. A change is an update in place (no new snapshot) that prunes by the new rule.

Size: the series' whole input contract and its rotation rules, the page a reader checks an
input against; the lifecycle inputs' own rules live in ``inputs.retention``,
``inputs.protection``, ``inputs.sharing`` and ``inputs.restore_check``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from .common import (
    CREATE_TOKEN,
    DESCRIPTION_MAX,
    NO_IGNORED_TAGS,
    Failure,
    IgnoreTags,
    Unknown,
    check_description,
    check_tags,
    check_volume_arn,
    contains_unknown,
    create_token_of,
    key_differs,
    merged_tags,
    not_a_number,
    stack_resource_tag,
    type_name,
    unknown_keys,
    without_ignored_tags,
)
from .protection import (
    ARCHIVED_SNAPSHOT_IDS,
    LOCKED_UNTIL,
    PROTECTION_KEYS,
    Protection,
    parse_protection,
    still_locked,
)
from .restore_check import (
    LAST_RESTORE_CHECK,
    VERIFY_RESTORE,
    RestoreCheck,
    check_verify_restore,
)
from .retention import KEEP_DAYS, check_keep_days, series_deletes
from .sharing import (
    SHARE_WITH_ACCOUNT_IDS,
    AccountIds,
    check_account_ids,
    refuse_sharing_archived,
)

# The snapshot resource's rules for these two inputs are the series' too.
from .snapshot import (
    DEFAULT_COMPLETION_TIMEOUT_SECONDS,
    DEFAULT_WAIT_FOR_COMPLETION,
    PropsDiff,
    Scalar,
    check_completion_timeout,
    check_wait_for_completion,
)

# Input keys (the resource class's arguments, snake_case).
VOLUME_ARN = "volume_arn"
TRIGGER = "trigger"
KEEP = "keep"
DESCRIPTION = "description"
TAGS = "tags"
WAIT_FOR_COMPLETION = "wait_for_completion"
COMPLETION_TIMEOUT_SECONDS = "completion_timeout_seconds"
#: ``project/stack/resource``, set by the resource class: the owner tag of every snapshot of
#: the series (so that ``orphans`` sees them). Never diffed.
STACK_RESOURCE = "stack_resource"
INPUT_KEYS: Final = (
    VOLUME_ARN,
    TRIGGER,
    KEEP,
    DESCRIPTION,
    TAGS,
    WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS,
    STACK_RESOURCE,
    CREATE_TOKEN,
    KEEP_DAYS,
    *PROTECTION_KEYS,
    SHARE_WITH_ACCOUNT_IDS,
    VERIFY_RESTORE,
)

TAGS_ALL = "tags_all"
#: The series' snapshot IDs, newest first: at most ``keep``, more only while the delete of an
#: older one keeps failing (it stays here, so it is never forgotten).
SNAPSHOT_IDS = "snapshot_ids"
LATEST_SNAPSHOT_ID = "latest_snapshot_id"
#: Snapshot ID → when the provider took it (ISO 8601, UTC): the start of EC2's visibility
#: window, within which "not found" means "not visible yet".
SNAPSHOT_CREATED_AT = "snapshot_created_at"
#: Keys only the provider sets. ``tags_all`` is computed by check, so it is an input of the
#: engine's diff too.
OUTPUT_KEYS: Final = (
    SNAPSHOT_IDS,
    LATEST_SNAPSHOT_ID,
    SNAPSHOT_CREATED_AT,
    "region",
    "account_id",
    "gateway_arn",
    "volume_id",
    TAGS_ALL,
    LOCKED_UNTIL,
    ARCHIVED_SNAPSHOT_IDS,
    LAST_RESTORE_CHECK,
)

REPLACE_KEYS: Final = (VOLUME_ARN,)
UPDATE_KEYS: Final = (
    TRIGGER,
    KEEP,
    DESCRIPTION,
    TAGS,
    TAGS_ALL,
    WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS,
    KEEP_DAYS,
    *PROTECTION_KEYS,
    SHARE_WITH_ACCOUNT_IDS,
    VERIFY_RESTORE,
)

#: What the series' snapshots are described as when no description is given.
DEFAULT_SERIES_DESCRIPTION: Final = "Snapshot series"
#: EC2's CreateTags takes up to 1000 resource IDs, so a series of at most 1000 snapshots is
#: re-tagged with one call per tag operation; it also keeps the state of a series small.
MAX_KEEP: Final = 1000


@dataclass(frozen=True)
class SeriesArgs:
    """Validated, normalised inputs. A field is :data:`UNKNOWN` only during preview."""

    volume_arn: str | Unknown
    trigger: Scalar | Unknown
    keep: int | Unknown
    #: None: :data:`DEFAULT_SERIES_DESCRIPTION` describes the snapshots.
    description: str | Unknown | None = None
    tags: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)
    wait_for_completion: bool | Unknown = DEFAULT_WAIT_FOR_COMPLETION
    completion_timeout_seconds: int | float | Unknown = DEFAULT_COMPLETION_TIMEOUT_SECONDS
    #: ``tags`` merged over the provider's default tags (``aws:defaultTags``).
    tags_all: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)
    #: The owner tag's value (a tag value already), when the program said.
    stack_resource: str | Unknown | None = None
    #: The token the series' next snapshot carries (made by check for each new trigger); None
    #: in inputs written before check made them.
    create_token: str | None = None
    #: None: ``keep`` alone decides (see ``inputs.retention``).
    keep_days: int | Unknown | None = None
    #: The archive tier and the lock of the series' snapshots (``inputs.protection``).
    protection: Protection = field(default_factory=Protection)
    #: The accounts every snapshot is shared with (sorted); None: sharing is not managed.
    share_with_account_ids: AccountIds | Unknown | None = None
    #: The restore test of each new snapshot; None: none.
    verify_restore: RestoreCheck | Unknown | None = None

    def to_props(self) -> dict[str, Any]:
        """The normalised inputs as a property dict (what check hands back to the engine)."""
        props: dict[str, Any] = {
            VOLUME_ARN: self.volume_arn,
            TRIGGER: self.trigger,
            KEEP: self.keep,
            TAGS: _copy(self.tags),
            WAIT_FOR_COMPLETION: self.wait_for_completion,
            COMPLETION_TIMEOUT_SECONDS: self.completion_timeout_seconds,
            TAGS_ALL: _copy(self.tags_all),
        }
        if self.description is not None:
            props[DESCRIPTION] = self.description
        if self.stack_resource is not None:
            props[STACK_RESOURCE] = self.stack_resource
        if self.create_token is not None:
            props[CREATE_TOKEN] = self.create_token
        if self.keep_days is not None:
            props[KEEP_DAYS] = self.keep_days
        props.update(self.protection.to_props())
        share = self.share_with_account_ids
        if share is not None:
            props[SHARE_WITH_ACCOUNT_IDS] = share if isinstance(share, Unknown) else list(share)
        restore = self.verify_restore
        if restore is not None:
            props[VERIFY_RESTORE] = restore if isinstance(restore, Unknown) else restore.to_props()
        return props

    @property
    def has_unknowns(self) -> bool:
        return contains_unknown(self.to_props())

    @property
    def snapshot_description(self) -> str:
        """What the next snapshot of the series is described as (known inputs only)."""
        assert not isinstance(self.description, Unknown)
        assert not isinstance(self.trigger, Unknown)
        return snapshot_description(self.description, self.trigger)


def _copy(value: Mapping[str, Any] | Unknown) -> dict[str, Any] | Unknown:
    return value if isinstance(value, Unknown) else dict(value)


def trigger_text(trigger: Scalar) -> str:
    """A trigger as the snapshot description shows it: ``true``/``false`` for booleans, whole
    numbers without ``.0`` (the wire sends ``7`` as ``7.0``)."""
    if isinstance(trigger, bool):
        return "true" if trigger else "false"
    if isinstance(trigger, float) and trigger.is_integer():
        return str(int(trigger))
    return str(trigger)


def snapshot_description(description: str | None, trigger: Scalar) -> str:
    """The description of the snapshot a series takes for ``trigger``:
    ``"{description} ({trigger})"``, e.g. ``"Nightly root (2026.11)"``."""
    return f"{description or DEFAULT_SERIES_DESCRIPTION} ({trigger_text(trigger)})"


def same_trigger(old: Any, new: Any) -> bool:
    """Whether two trigger values are the same value: ``7`` and ``7.0`` are, ``1`` and
    ``True`` are not (Python alone would say they are)."""
    return isinstance(old, bool) == isinstance(new, bool) and bool(old == new)


# --- validation -----------------------------------------------------------------------------


def parse_series_args(
    props: Mapping[str, Any],
    default_tags: Mapping[str, str] | None = None,
    ignore_tags: IgnoreTags = NO_IGNORED_TAGS,
) -> tuple[SeriesArgs | None, list[Failure]]:
    """Validate ``props`` (the series' inputs). Returns the normalised arguments, or ``None``
    and every failure found, each naming its property. Wrong types are failures, never
    exceptions; ``__provider`` and output-only keys are ignored; any other key is a failure,
    so a typo does not silently vanish. ``tags_all`` is the default tags under ``tags``,
    without the ignored ones (``aws:ignoreTags``)."""
    defaults = dict(default_tags or {})
    failures = unknown_keys(props, INPUT_KEYS, OUTPUT_KEYS)
    volume_arn = check_volume_arn(props.get(VOLUME_ARN), failures)
    trigger = check_trigger(props.get(TRIGGER), failures)
    keep = check_keep(props.get(KEEP), failures)
    description = check_description(props.get(DESCRIPTION), failures, required=False)
    tags = check_tags(props.get(TAGS), failures)
    wait = check_wait_for_completion(props.get(WAIT_FOR_COMPLETION), failures)
    timeout = check_completion_timeout(props.get(COMPLETION_TIMEOUT_SECONDS), failures)
    keep_days = check_keep_days(props.get(KEEP_DAYS), failures)
    _check_description_fits(props.get(DESCRIPTION), description, trigger, failures)
    tags_all = merged_tags(tags, defaults, failures, ignore=ignore_tags)
    protection = parse_protection(props, failures, series=True)
    share = check_account_ids(props.get(SHARE_WITH_ACCOUNT_IDS), failures)
    refuse_sharing_archived(share, protection.storage_tier, failures)
    restore = check_verify_restore(props.get(VERIFY_RESTORE), _region(volume_arn), failures)
    if failures:
        return None, failures
    # No failure means every field parsed.
    assert volume_arn is not None
    assert trigger is not None
    assert keep is not None
    assert tags is not None
    assert wait is not None
    assert timeout is not None
    args = SeriesArgs(
        volume_arn,
        trigger,
        keep,
        description,
        tags,
        wait,
        timeout,
        tags_all,
        stack_resource_tag(props.get(STACK_RESOURCE)),
        create_token_of(props),
        keep_days,
        protection,
        share,
        restore,
    )
    return args, []


def _region(volume_arn: str | Unknown | None) -> str | Unknown | None:
    """The region of a valid volume ARN (the restore test's zone must be in it)."""
    if not isinstance(volume_arn, str):
        return volume_arn
    return volume_arn.split(":")[3]


def check_trigger(value: Any, failures: list[Failure]) -> Scalar | Unknown | None:
    """The trigger (a whole float made an int), or None after adding the failure."""
    if isinstance(value, Unknown | bool | str):
        return value
    rule = "trigger must be a string, a number or a boolean (each new value takes a snapshot)"
    if value is None:
        failures.append(Failure(TRIGGER, f"trigger is required: {rule}"))
        return None
    if not isinstance(value, int | float):
        failures.append(Failure(TRIGGER, f"{rule}; got {type_name(value)}"))
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            failures.append(Failure(TRIGGER, f"{rule}, and a number must be finite; got {value}"))
            return None
        if value.is_integer():
            return int(value)
    return value


def check_keep(value: Any, failures: list[Failure]) -> int | Unknown | None:
    """How many snapshots the series keeps, or None after adding the failure."""
    if isinstance(value, Unknown):
        return value
    rule = f"keep must be a whole number from 1 to {MAX_KEEP} (the snapshots the series keeps)"
    if value is None:
        failures.append(Failure(KEEP, f"keep is required: {rule}"))
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        failures.append(Failure(KEEP, f"{rule}; got {not_a_number(value)}"))
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        failures.append(Failure(KEEP, f"{rule}; got {value}"))
        return None
    if not 1 <= value <= MAX_KEEP:
        failures.append(Failure(KEEP, f"{rule}; got {int(value)}"))
        return None
    return int(value)


def _check_description_fits(
    raw: Any,
    description: str | Unknown | None,
    trigger: Scalar | Unknown | None,
    failures: list[Failure],
) -> None:
    """The snapshot description a valid description and trigger make must fit Storage
    Gateway's 255 characters. Named on ``description`` when one was given, else on
    ``trigger``."""
    if raw is not None and description is None:
        return  # the description itself was refused
    if trigger is None or isinstance(trigger, Unknown) or isinstance(description, Unknown):
        return
    text = snapshot_description(description, trigger)
    if len(text) <= DESCRIPTION_MAX:
        return
    name = DESCRIPTION if description is not None else TRIGGER
    failures.append(
        Failure(
            name,
            f'the series\' snapshots are described "{{description}} ({{trigger}})", and '
            f"Storage Gateway takes at most {DESCRIPTION_MAX} characters; description and "
            f"trigger together make {len(text)}: shorten the {name}",
        )
    )


# --- diff -----------------------------------------------------------------------------------

#: A pseudo-key in a diff's updates: the series holds more snapshots than it keeps (an earlier
#: delete failed), so an update is planned to delete them again.
OVERDUE_DELETES: Final = "snapshot_ids"

_EMPTY_DEFAULTS: Final[dict[str, Any]] = {
    TAGS: {},
    WAIT_FOR_COMPLETION: DEFAULT_WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS: DEFAULT_COMPLETION_TIMEOUT_SECONDS,
}


def diff_series(
    olds: Mapping[str, Any], news: Mapping[str, Any], ignore_tags: IgnoreTags = NO_IGNORED_TAGS
) -> PropsDiff:
    """Compare old **outputs** with new (checked) inputs, as the engine's Diff does.

    Only a new volume replaces the series; every other change is an update in place (a new
    ``trigger`` takes a snapshot within it). An unknown new value counts as a change, so an
    unknown ``volume_arn`` means replace. ``stack_resource`` and output-only keys are never
    compared, except ``tags_all``; ignored tags (``aws:ignoreTags``) never are. A series that
    holds more snapshots than the new ``keep`` (an earlier delete failed) plans an update,
    which deletes them again.
    """
    if ignore_tags:
        olds, news = (
            without_ignored_tags(olds, ignore_tags),
            without_ignored_tags(news, ignore_tags),
        )
    replaces = [k for k in REPLACE_KEYS if _differs(olds, news, k)]
    updates = [k for k in UPDATE_KEYS if _differs(olds, news, k)]
    if not updates and _overdue(olds, news):
        updates.append(OVERDUE_DELETES)
    return PropsDiff(replaces, updates)


def same_series_snapshot(old_inputs: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether new (checked) inputs take no new snapshot: there are old inputs, and neither the
    volume nor the trigger changed. Then check keeps the old create token; otherwise the next
    snapshot (the first, a rotation's, or a replacement's) gets a new one."""
    return bool(old_inputs) and not any(
        _differs(old_inputs, news, key) for key in (*REPLACE_KEYS, TRIGGER)
    )


def _differs(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    if key == TRIGGER:  # 7 and 7.0 are one trigger; 1 and true are two
        old, new = olds.get(key), news.get(key)
        return contains_unknown(new) or not same_trigger(old, new)
    return key_differs(olds, news, key, _EMPTY_DEFAULTS)


def _overdue(olds: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether the series holds a snapshot its rules delete: beyond ``keep`` (an earlier
    delete failed) or, with ``keep_days``, one that has aged past it since the last update
    (the age the outputs recorded: no AWS call)."""
    keep = news.get(KEEP)
    held = olds.get(SNAPSHOT_IDS)
    if not isinstance(keep, int | float) or isinstance(keep, bool) or not isinstance(held, list):
        return False
    # A member whose lock holds cannot be deleted yet: it plans nothing until its lock ends.
    locked = still_locked(olds, datetime.now(UTC))
    keep_days = news.get(KEEP_DAYS)
    if not isinstance(keep_days, int | float) or isinstance(keep_days, bool):
        return any(sid not in locked for sid in held[int(keep) :])
    deletable = series_to_delete(members_from_outputs(olds), int(keep), int(keep_days))
    return any(member.snapshot_id not in locked for member in deletable)


# --- the series' snapshots ------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One snapshot of a series: its ID and, when the provider took it, when (ISO 8601)."""

    snapshot_id: str
    created_at: str | None = None


def members_from_outputs(outputs: Mapping[str, Any]) -> list[Member]:
    """The series' snapshots as its outputs hold them, newest first."""
    ids = outputs.get(SNAPSHOT_IDS)
    created = outputs.get(SNAPSHOT_CREATED_AT)
    created_at = created if isinstance(created, Mapping) else {}
    if not isinstance(ids, list):
        return []
    return [
        Member(str(sid).lower(), _text(created_at.get(sid)))
        for sid in ids
        if isinstance(sid, str) and sid
    ]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def members_to_outputs(members: Sequence[Member]) -> dict[str, Any]:
    """The outputs that name the series' snapshots."""
    return {
        SNAPSHOT_IDS: [m.snapshot_id for m in members],
        LATEST_SNAPSHOT_ID: members[0].snapshot_id if members else None,
        SNAPSHOT_CREATED_AT: {m.snapshot_id: m.created_at for m in members if m.created_at},
    }


def beyond_keep(members: Sequence[Member], keep: int) -> list[Member]:
    """The snapshots to delete so that ``keep`` remain: the oldest first."""
    return list(reversed(members[keep:]))


def series_to_delete(
    members: Sequence[Member], keep: int, keep_days: int | None, now: datetime | None = None
) -> list[Member]:
    """The snapshots the series deletes, oldest first: beyond ``keep`` and, with
    ``keep_days``, older than that (``inputs.retention.series_deletes``); an unknown age is
    kept by ``keep_days``."""
    ages = [(m.snapshot_id, _parsed(m.created_at)) for m in members]
    doomed = set(series_deletes(ages, keep, keep_days, now or datetime.now(UTC), MAX_KEEP))
    return [m for m in reversed(members) if m.snapshot_id in doomed]


def _parsed(text: str | None) -> datetime | None:
    """A recorded ISO 8601 time with its UTC offset, or None (unknown age)."""
    try:
        when = datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def series_tags_from_actual(
    actual: Sequence[Mapping[str, str]], declared: Mapping[str, Any]
) -> dict[str, str]:
    """``tags_all`` of a series as its snapshots (``actual``, newest first, the provider's own
    tags left out) have them, such that diffing it with the declared ``tags_all`` plans the
    re-tag that puts every snapshot right:

    * a tag every snapshot has with one value is reported as it is;
    * a declared key missing from some snapshot, or with different values, is left out (the
      update sets it on every snapshot);
    * an undeclared key some snapshot has is reported with the newest value (the update
      deletes it from every snapshot).
    """
    if not actual:
        return {str(k): str(v) for k, v in declared.items()}
    keys: dict[str, None] = {}
    for tags in actual:
        keys.update(dict.fromkeys(tags))
    result: dict[str, str] = {}
    for key in keys:
        values = [tags.get(key) for tags in actual]
        first = values[0]
        if first is not None and all(value == first for value in values):
            result[key] = first
        elif key not in declared:
            result[key] = next(value for value in values if value is not None)
    return result
