"""The snapshot resource's inputs: parse, validate and normalise them; compare old and new.

Pure: no I/O, no boto3, no Pulumi. The provider maps Pulumi's "unknown" markers (preview) to
:data:`UNKNOWN` before calling in here, and back on the way out.

Size: the snapshot's whole input contract (keys, parsing, normalisation, diff rules) in one
place, the page a reader checks an input against; the lifecycle inputs' own rules live in
``inputs.protection`` and ``inputs.sharing``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from .common import (
    CREATE_TOKEN,
    NO_IGNORED_TAGS,
    TAG_VALUE_MAX,
    Failure,
    IgnoreTags,
    Unknown,
    check_description,
    check_tags,
    check_volume_arn,
    create_token_of,
    item_path,
    key_differs,
    merged_tags,
    not_a_number,
    number_as_written,
    stack_resource_tag,
    type_name,
    unknown_keys,
    without_ignored_tags,
)
from .protection import LOCK_OUTPUT_KEYS, PROTECTION_KEYS, Protection, parse_protection
from .sharing import (
    SHARE_WITH_ACCOUNT_IDS,
    AccountIds,
    check_account_ids,
    refuse_sharing_archived,
)

# Input keys (the resource class's arguments, snake_case).
VOLUME_ARN = "volume_arn"
DESCRIPTION = "description"
TAGS = "tags"
WAIT_FOR_COMPLETION = "wait_for_completion"
COMPLETION_TIMEOUT_SECONDS = "completion_timeout_seconds"
TRIGGERS = "triggers"
#: ``project/stack/resource``, set by the resource class (not a user argument): the value of
#: the owner tag. Never diffed: resources made before it existed plan no change.
STACK_RESOURCE = "stack_resource"
#: Take the snapshot from the volume's latest recovery point (cached volumes only).
FROM_RECOVERY_POINT = "from_recovery_point"
#: Take over an existing snapshot instead of making one.
ADOPT_SNAPSHOT_ID = "adopt_snapshot_id"
#: With ``adopt_snapshot_id``: the owner tag value (``project/stack/resource``) the user
#: expects on a snapshot another resource let go, to take it over. Only read by create, never
#: diffed: adding or dropping it plans nothing.
ADOPT_FROM_OWNER = "adopt_from_owner"
INPUT_KEYS: Final = (
    VOLUME_ARN,
    DESCRIPTION,
    TAGS,
    WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS,
    TRIGGERS,
    FROM_RECOVERY_POINT,
    ADOPT_SNAPSHOT_ID,
    STACK_RESOURCE,
    CREATE_TOKEN,
    ADOPT_FROM_OWNER,
    *PROTECTION_KEYS,
    SHARE_WITH_ACCOUNT_IDS,
)

TAGS_ALL = "tags_all"
#: When the provider learnt of the snapshot (ISO 8601, UTC): the start of EC2's visibility
#: window, within which "not found" means "not visible yet".
CREATED_AT = "created_at"
#: When the recovery point a snapshot was taken from was made (``from_recovery_point``).
RECOVERY_POINT_TIME = "volume_recovery_point_time"
#: Keys only the provider sets. ``tags_all`` is computed by check, so it is an input of the
#: engine's diff too.
OUTPUT_KEYS: Final = (
    "snapshot_id",
    "arn",
    "region",
    "account_id",
    "gateway_arn",
    "volume_id",
    TAGS_ALL,
    "state",
    "progress",
    "start_time",
    "volume_size_gib",
    "encrypted",
    "kms_key_id",
    "owner_id",
    CREATED_AT,
    RECOVERY_POINT_TIME,
    *LOCK_OUTPUT_KEYS,
)

REPLACE_KEYS: Final = (VOLUME_ARN, DESCRIPTION, TRIGGERS, FROM_RECOVERY_POINT, ADOPT_SNAPSHOT_ID)
UPDATE_KEYS: Final = (
    TAGS,
    TAGS_ALL,
    WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS,
    *PROTECTION_KEYS,
    SHARE_WITH_ACCOUNT_IDS,
)

DEFAULT_WAIT_FOR_COMPLETION: Final = False
DEFAULT_COMPLETION_TIMEOUT_SECONDS: Final = 3600
#: A day: a snapshot of a large, busy volume can take hours, but a deployment that blocks for
#: longer than a day is a mistake, not a plan.
MAX_COMPLETION_TIMEOUT_SECONDS: Final = 86400

Scalar = str | int | float | bool


@dataclass(frozen=True)
class SnapshotArgs:
    """Validated, normalised inputs. A field is :data:`UNKNOWN` only during preview."""

    volume_arn: str | Unknown
    #: None only when adopting a snapshot (its description is EC2's).
    description: str | Unknown | None
    tags: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)
    wait_for_completion: bool | Unknown = DEFAULT_WAIT_FOR_COMPLETION
    completion_timeout_seconds: int | float | Unknown = DEFAULT_COMPLETION_TIMEOUT_SECONDS
    triggers: Mapping[str, Scalar | Unknown] | Unknown = field(default_factory=dict)
    #: ``tags`` merged over the provider's default tags (``aws:defaultTags``).
    tags_all: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)
    #: The owner tag's value (a tag value already), when the program said.
    stack_resource: str | Unknown | None = None
    from_recovery_point: bool | Unknown = False
    #: Lower case; None when the provider makes the snapshot.
    adopt_snapshot_id: str | Unknown | None = None
    #: The token the next create's snapshot carries (made by check); None in inputs written
    #: before check made them.
    create_token: str | None = None
    #: The owner tag value a snapshot to adopt may carry (None: only an unowned one or one's own).
    adopt_from_owner: str | Unknown | None = None
    #: The archive tier and the lock (``inputs.protection``); none declared by default.
    protection: Protection = field(default_factory=Protection)
    #: The accounts the snapshot is shared with (sorted); None: sharing is not managed.
    share_with_account_ids: AccountIds | Unknown | None = None

    def to_props(self) -> dict[str, Any]:
        """The normalised inputs as a property dict (what check hands back to the engine)."""
        props: dict[str, Any] = {
            VOLUME_ARN: self.volume_arn,
            DESCRIPTION: self.description,
            TAGS: _copy(self.tags),
            WAIT_FOR_COMPLETION: self.wait_for_completion,
            COMPLETION_TIMEOUT_SECONDS: self.completion_timeout_seconds,
            TRIGGERS: _copy(self.triggers),
            TAGS_ALL: _copy(self.tags_all),
        }
        if self.description is None:  # adopting: EC2's description is the output
            del props[DESCRIPTION]
        if self.from_recovery_point is not False:
            props[FROM_RECOVERY_POINT] = self.from_recovery_point
        if self.adopt_snapshot_id is not None:
            props[ADOPT_SNAPSHOT_ID] = self.adopt_snapshot_id
        if self.stack_resource is not None:
            props[STACK_RESOURCE] = self.stack_resource
        if self.create_token is not None:
            props[CREATE_TOKEN] = self.create_token
        if self.adopt_from_owner is not None:
            props[ADOPT_FROM_OWNER] = self.adopt_from_owner
        props.update(self.protection.to_props())
        if self.share_with_account_ids is not None:
            props[SHARE_WITH_ACCOUNT_IDS] = _listed(self.share_with_account_ids)
        return props


def _copy(value: Mapping[str, Any] | Unknown) -> dict[str, Any] | Unknown:
    return value if isinstance(value, Unknown) else dict(value)


def _listed(value: AccountIds | Unknown) -> list[str] | Unknown:
    return value if isinstance(value, Unknown) else list(value)


# --- validation -----------------------------------------------------------------------------


def parse_args(
    props: Mapping[str, Any],
    default_tags: Mapping[str, str] | None = None,
    ignore_tags: IgnoreTags = NO_IGNORED_TAGS,
) -> tuple[SnapshotArgs | None, list[Failure]]:
    """Validate ``props`` (the resource's inputs) against the rules of Storage Gateway's and
    EC2's API models (ARN pattern, description and tag limits). ``tags_all`` is the default
    tags under ``tags``, without the ignored ones (``aws:ignoreTags``).

    Returns the normalised arguments, or ``None`` and every failure found. Wrong types are
    failures, never exceptions. ``__provider`` and output-only keys are ignored; any other key
    that is not an input is a failure, so a typo does not silently vanish.
    """
    defaults = dict(default_tags or {})
    failures = unknown_keys(props, INPUT_KEYS, OUTPUT_KEYS)
    volume_arn = check_volume_arn(props.get(VOLUME_ARN), failures)
    adopt = _check_snapshot_id(props.get(ADOPT_SNAPSHOT_ID), failures)
    # An adopted snapshot has its description already: it may be left out, even when the ID
    # itself is refused (its own failure says what is wrong).
    adopting = props.get(ADOPT_SNAPSHOT_ID) is not None
    description = check_description(props.get(DESCRIPTION), failures, required=not adopting)
    from_recovery_point = _check_flag(props.get(FROM_RECOVERY_POINT), FROM_RECOVERY_POINT, failures)
    if adopt is not None and from_recovery_point is True:
        failures.append(
            Failure(
                ADOPT_SNAPSHOT_ID,
                "adopt_snapshot_id takes over an existing snapshot, from_recovery_point makes a "
                "new one: set one of them",
            )
        )
    adopt_from_owner = _check_adopt_from_owner(props, failures)
    tags = check_tags(props.get(TAGS), failures)
    wait = check_wait_for_completion(props.get(WAIT_FOR_COMPLETION), failures)
    timeout = check_completion_timeout(props.get(COMPLETION_TIMEOUT_SECONDS), failures)
    triggers = _check_triggers(props.get(TRIGGERS), failures)
    tags_all = merged_tags(tags, defaults, failures, ignore=ignore_tags)
    protection = parse_protection(props, failures)
    share = check_account_ids(props.get(SHARE_WITH_ACCOUNT_IDS), failures)
    refuse_sharing_archived(share, protection.storage_tier, failures)
    if failures:
        return None, failures
    # No failure means every field parsed.
    assert volume_arn is not None
    assert description is not None or adopt is not None
    assert from_recovery_point is not None
    assert tags is not None
    assert wait is not None
    assert timeout is not None
    assert triggers is not None
    args = SnapshotArgs(
        volume_arn,
        description,
        tags,
        wait,
        timeout,
        triggers,
        tags_all,
        stack_resource_tag(props.get(STACK_RESOURCE)),
        from_recovery_point,
        adopt,
        create_token_of(props),
        adopt_from_owner,
        protection,
        share,
    )
    return args, []


#: EC2's snapshot ID: ``snap-`` and 8 or 17 hexadecimal digits (Storage Gateway's SnapshotId
#: pattern; EC2 wants them in lower case).
_SNAPSHOT_ID_RE: Final = re.compile(r"snap-([0-9a-f]{8}|[0-9a-f]{17})")


def _check_snapshot_id(value: Any, failures: list[Failure]) -> str | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, str) and _SNAPSHOT_ID_RE.fullmatch(value.lower()):
        return value.lower()
    failures.append(
        Failure(
            ADOPT_SNAPSHOT_ID,
            "adopt_snapshot_id must be an EBS snapshot ID such as snap-0123456789abcdef0 "
            f"(snap- and 8 or 17 hexadecimal digits); got {_shown(value)}",  # never the value
        )
    )
    return None


def _check_adopt_from_owner(
    props: Mapping[str, Any], failures: list[Failure]
) -> str | Unknown | None:
    """The owner tag value the user expects on the snapshot to adopt: text a tag value can be
    (it is compared with one), and only together with ``adopt_snapshot_id``."""
    value = props.get(ADOPT_FROM_OWNER)
    if value is None or isinstance(value, Unknown):
        return value
    if props.get(ADOPT_SNAPSHOT_ID) is None:
        failures.append(
            Failure(
                ADOPT_FROM_OWNER,
                "adopt_from_owner only applies with adopt_snapshot_id: set adopt_snapshot_id "
                "or leave adopt_from_owner out",
            )
        )
        return None
    if isinstance(value, str) and 1 <= len(value) <= TAG_VALUE_MAX:
        return value
    failures.append(
        Failure(
            ADOPT_FROM_OWNER,
            "adopt_from_owner must be the owner tag's value on the snapshot to take over "
            f"(project/stack/resource, 1 to {TAG_VALUE_MAX} characters); got {type_name(value)}",
        )
    )
    return None


def _check_flag(value: Any, name: str, failures: list[Failure]) -> bool | Unknown | None:
    if value is None:
        return False
    if isinstance(value, bool | Unknown):
        return value
    failures.append(Failure(name, f"{name} must be true or false; got {type_name(value)}"))
    return None


def _shown(value: Any) -> str:
    """What a bad value was, without the value: any input may be a secret."""
    return f"{len(value)} characters" if isinstance(value, str) else type_name(value)


def check_wait_for_completion(value: Any, failures: list[Failure]) -> bool | Unknown | None:
    if value is None:
        return DEFAULT_WAIT_FOR_COMPLETION
    if isinstance(value, bool | Unknown):
        return value
    failures.append(
        Failure(
            WAIT_FOR_COMPLETION,
            f"wait_for_completion must be true or false; got {type_name(value)}",
        )
    )
    return None


def check_completion_timeout(value: Any, failures: list[Failure]) -> int | float | Unknown | None:
    if value is None:
        return DEFAULT_COMPLETION_TIMEOUT_SECONDS
    if isinstance(value, Unknown):
        return value
    rule = (
        "completion_timeout_seconds must be a number of seconds greater than 0 and at most "
        f"{MAX_COMPLETION_TIMEOUT_SECONDS} (one day)"
    )
    if isinstance(value, bool) or not isinstance(value, int | float):
        got = not_a_number(value, "float")
        failures.append(Failure(COMPLETION_TIMEOUT_SECONDS, f"{rule}; got {got}"))
        return None
    if not (math.isfinite(value) and 0 < value <= MAX_COMPLETION_TIMEOUT_SECONDS):
        failures.append(
            Failure(COMPLETION_TIMEOUT_SECONDS, f"{rule}; got {number_as_written(value)}")
        )
        return None
    # The engine's wire format turns every number into a float: show 3600, not 3600.0.
    return int(value) if float(value).is_integer() else value


def _check_triggers(
    value: Any, failures: list[Failure]
) -> Mapping[str, Scalar | Unknown] | Unknown | None:
    if value is None:
        return {}
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, Mapping):
        failures.append(
            Failure(
                TRIGGERS,
                f"triggers must be a map of strings to strings, numbers or booleans; "
                f"got {type_name(value)}",
            )
        )
        return None
    count = len(failures)
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool | Unknown):
            failures.append(
                Failure(
                    item_path(TRIGGERS, str(key)),
                    f"trigger values must be strings, numbers or booleans; got {type_name(item)}",
                )
            )
    return None if len(failures) > count else dict(value)


# --- diff -----------------------------------------------------------------------------------


class PropsDiff(NamedTuple):
    """What changed between the old outputs and the new inputs."""

    replaces: list[str]
    updates: list[str]

    @property
    def changes(self) -> bool:
        return bool(self.replaces or self.updates)


_EMPTY_DEFAULTS: Final[dict[str, Any]] = {
    TAGS: {},
    TRIGGERS: {},
    FROM_RECOVERY_POINT: False,
    WAIT_FOR_COMPLETION: DEFAULT_WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS: DEFAULT_COMPLETION_TIMEOUT_SECONDS,
}


def diff_props(
    olds: Mapping[str, Any], news: Mapping[str, Any], ignore_tags: IgnoreTags = NO_IGNORED_TAGS
) -> PropsDiff:
    """Compare old **outputs** with new (checked) inputs, as the engine's Diff does.

    Replace keys force a new snapshot (EC2 cannot change a snapshot's volume or description);
    update keys are changed in place. An unknown new value counts as a change, so an unknown
    replace key means replace. ``__provider`` and output-only keys are never compared, except
    ``tags_all`` which check computes from the inputs and read refreshes from EC2. Ignored
    tags (``aws:ignoreTags``) are never compared.
    """
    if ignore_tags:
        olds, news = (
            without_ignored_tags(olds, ignore_tags),
            without_ignored_tags(news, ignore_tags),
        )
    replaces = [k for k in REPLACE_KEYS if _differs(olds, news, k)]
    updates = [k for k in UPDATE_KEYS if _differs(olds, news, k)]
    return PropsDiff(replaces, updates)


def same_snapshot(old_inputs: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
    """Whether new (checked) inputs still describe the snapshot of ``old_inputs``: there are
    old inputs and no replace key changed. Then check keeps the old create token; otherwise
    the next create is a new one and gets a new token (a token is never shared by two
    snapshots, so the lookup of a create whose answer was lost finds only its own)."""
    return bool(old_inputs) and not any(_differs(old_inputs, news, k) for k in REPLACE_KEYS)


def _differs(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    if key == DESCRIPTION and news.get(DESCRIPTION) is None and news.get(ADOPT_SNAPSHOT_ID):
        return False  # an adopted snapshot keeps the description EC2 has
    return key_differs(olds, news, key, _EMPTY_DEFAULTS)
