"""The resource's inputs: parse, validate and normalise them; compare old and new; tag arithmetic.

Pure: no I/O, no boto3, no Pulumi. The provider maps Pulumi's "unknown" markers (preview) to
:data:`UNKNOWN` before calling in here, and back on the way out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple


class Unknown:
    """A value Pulumi does not know yet (during preview). Use the :data:`UNKNOWN` singleton."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Final = Unknown()

# Input keys (DESIGN §2).
VOLUME_ARN = "volume_arn"
DESCRIPTION = "description"
TAGS = "tags"
WAIT_FOR_COMPLETION = "wait_for_completion"
COMPLETION_TIMEOUT_SECONDS = "completion_timeout_seconds"
TRIGGERS = "triggers"
INPUT_KEYS: Final = (
    VOLUME_ARN,
    DESCRIPTION,
    TAGS,
    WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS,
    TRIGGERS,
)

TAGS_ALL = "tags_all"
#: When the provider learnt of the snapshot (ISO 8601, UTC): the start of EC2's visibility
#: window, within which "not found" means "not visible yet".
CREATED_AT = "created_at"
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
)
PROVIDER_KEY = "__provider"

REPLACE_KEYS: Final = (VOLUME_ARN, DESCRIPTION, TRIGGERS)
UPDATE_KEYS: Final = (TAGS, TAGS_ALL, WAIT_FOR_COMPLETION, COMPLETION_TIMEOUT_SECONDS)

DEFAULT_WAIT_FOR_COMPLETION: Final = False
DEFAULT_COMPLETION_TIMEOUT_SECONDS: Final = 3600
#: A day: a snapshot of a large, busy volume can take hours, but a deployment that blocks for
#: longer than a day is a mistake, not a plan.
MAX_COMPLETION_TIMEOUT_SECONDS: Final = 86400

VOLUME_ARN_MIN, VOLUME_ARN_MAX = 50, 500
#: Storage Gateway's VolumeARN pattern, exactly as botocore's model writes it (a unit test
#: compares the two). The emulator validates with this same expression.
VOLUME_ARN_PATTERN: Final = (
    r"arn:(aws(|-cn|-us-gov|-iso[A-Za-z0-9_-]*|-eusc)):storagegateway:[a-z\-0-9]+:[0-9]+:"
    r"gateway\/(.+)\/volume\/vol-(\S+)"
)
VOLUME_ARN_RE: Final = re.compile(VOLUME_ARN_PATTERN)
DESCRIPTION_MAX = 255
MAX_TAGS = 50
#: The tag that makes create exactly-once: CreateSnapshot has no client token, so every create
#: puts a fresh UUID under this key and, when CreateSnapshot's answer is lost, looks the snapshot
#: up by it instead of making a second one. Users may not set it; read hides it.
CREATE_TOKEN_TAG: Final = "sg-snapshot-provider:create-token"
#: What a resource may use of EC2's 50 tags: one is the create token.
MAX_USER_TAGS = MAX_TAGS - 1
#: Storage Gateway allows 128, but EC2's own tag calls (used for every later change) allow 127.
TAG_KEY_MAX = 127
TAG_VALUE_MAX = 256
# \w covers Unicode letters, digits and "_"; \s white space; then the listed specials.
_TAG_CHARS_RE: Final = re.compile(r"[\w\s+\-=.:/@]*")
_RESERVED_TAG_PREFIX = "aws:"
_TOKEN_NOTE = f"(EC2 allows {MAX_TAGS}; the provider uses one for its {CREATE_TOKEN_TAG} tag)"

Scalar = str | int | float | bool


class Failure(NamedTuple):
    """One validation failure: the property path and the rule it broke, in words."""

    property: str
    reason: str


@dataclass(frozen=True)
class SnapshotArgs:
    """Validated, normalised inputs. A field is :data:`UNKNOWN` only during preview."""

    volume_arn: str | Unknown
    description: str | Unknown
    tags: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)
    wait_for_completion: bool | Unknown = DEFAULT_WAIT_FOR_COMPLETION
    completion_timeout_seconds: int | float | Unknown = DEFAULT_COMPLETION_TIMEOUT_SECONDS
    triggers: Mapping[str, Scalar | Unknown] | Unknown = field(default_factory=dict)
    #: ``tags`` merged over the provider's default tags (``aws:defaultTags``).
    tags_all: Mapping[str, str | Unknown] | Unknown = field(default_factory=dict)

    def to_props(self) -> dict[str, Any]:
        """The normalised inputs as a property dict (what check hands back to the engine)."""
        return {
            VOLUME_ARN: self.volume_arn,
            DESCRIPTION: self.description,
            TAGS: _copy(self.tags),
            WAIT_FOR_COMPLETION: self.wait_for_completion,
            COMPLETION_TIMEOUT_SECONDS: self.completion_timeout_seconds,
            TRIGGERS: _copy(self.triggers),
            TAGS_ALL: _copy(self.tags_all),
        }


def _copy(value: Mapping[str, Any] | Unknown) -> dict[str, Any] | Unknown:
    return value if isinstance(value, Unknown) else dict(value)


def path(parent: str, key: str) -> str:
    """Property path of a map entry, e.g. ``tags["cost center"]``."""
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


def contains_unknown(value: Any) -> bool:
    """True when ``value`` is, or holds somewhere inside, an unknown."""
    if isinstance(value, Unknown):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


# --- validation -----------------------------------------------------------------------------


def parse_args(
    props: Mapping[str, Any], default_tags: Mapping[str, str] | None = None
) -> tuple[SnapshotArgs | None, list[Failure]]:
    """Validate ``props`` (the resource's inputs) against DESIGN §1's rules.

    Returns the normalised arguments, or ``None`` and every failure found. Wrong types are
    failures, never exceptions. ``__provider`` and output-only keys are ignored; any other key
    that is not an input is a failure, so a typo does not silently vanish.
    """
    defaults = dict(default_tags or {})
    failures: list[Failure] = []
    for key in props:
        if key not in INPUT_KEYS and key not in OUTPUT_KEYS and key != PROVIDER_KEY:
            failures.append(
                Failure(key, f"unknown property; the inputs are {', '.join(INPUT_KEYS)}")
            )
    volume_arn = _check_volume_arn(props.get(VOLUME_ARN), failures)
    description = _check_description(props.get(DESCRIPTION), failures)
    tags = _check_tags(props.get(TAGS), failures)
    wait = _check_wait(props.get(WAIT_FOR_COMPLETION), failures)
    timeout = _check_timeout(props.get(COMPLETION_TIMEOUT_SECONDS), failures)
    triggers = _check_triggers(props.get(TRIGGERS), failures)
    tags_all: Mapping[str, str | Unknown] | Unknown = UNKNOWN
    if tags is not None and not isinstance(tags, Unknown):
        tags_all = merge_tags(defaults, tags)
        if len(tags_all) > MAX_USER_TAGS:
            failures.append(
                Failure(
                    TAGS,
                    f"tags merged with the {len(defaults)} aws:defaultTags make "
                    f"{len(tags_all)} tags; at most {MAX_USER_TAGS} are allowed {_TOKEN_NOTE}",
                )
            )
    if failures:
        return None, failures
    # No failure means every field parsed.
    assert volume_arn is not None
    assert description is not None
    assert tags is not None
    assert wait is not None
    assert timeout is not None
    assert triggers is not None
    args = SnapshotArgs(volume_arn, description, tags, wait, timeout, triggers, tags_all)
    return args, []


def _check_volume_arn(value: Any, failures: list[Failure]) -> str | Unknown | None:
    if isinstance(value, Unknown):
        return value
    reason = volume_arn_problem(value)
    if reason:
        failures.append(Failure(VOLUME_ARN, reason))
        return None
    return str(value)


def volume_arn_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid volume ARN, or None when it is."""
    if value is None:
        return "volume_arn is required"
    if not isinstance(value, str):
        return f"volume_arn must be a string; got {_type_name(value)}"
    if not VOLUME_ARN_MIN <= len(value) <= VOLUME_ARN_MAX:
        return (
            f"volume_arn must be {VOLUME_ARN_MIN} to {VOLUME_ARN_MAX} characters long; "
            f"got {len(value)}"
        )
    if not VOLUME_ARN_RE.fullmatch(value):
        return (
            "volume_arn must be a Storage Gateway volume ARN such as "
            "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/"
            f"vol-1122AABB; got {value!r}"
        )
    return None


def _check_description(value: Any, failures: list[Failure]) -> str | Unknown | None:
    if isinstance(value, Unknown):
        return value
    if value is None:
        failures.append(Failure(DESCRIPTION, "description is required"))
    elif not isinstance(value, str):
        failures.append(
            Failure(DESCRIPTION, f"description must be a string; got {_type_name(value)}")
        )
    elif not 1 <= len(value) <= DESCRIPTION_MAX:
        failures.append(
            Failure(
                DESCRIPTION,
                f"description must be 1 to {DESCRIPTION_MAX} characters long; got {len(value)}",
            )
        )
    else:
        return value
    return None


def _check_tags(
    value: Any, failures: list[Failure]
) -> Mapping[str, str | Unknown] | Unknown | None:
    if value is None:
        return {}
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, Mapping):
        failures.append(
            Failure(TAGS, f"tags must be a map of strings to strings; got {_type_name(value)}")
        )
        return None
    count = len(failures)
    if len(value) > MAX_USER_TAGS:
        failures.append(
            Failure(
                TAGS, f"at most {MAX_USER_TAGS} tags are allowed {_TOKEN_NOTE}; got {len(value)}"
            )
        )
    for key, tag_value in value.items():
        failures.extend(Failure(path(TAGS, str(key)), r) for r in tag_problems(key, tag_value))
    return None if len(failures) > count else dict(value)


def tag_problems(key: Any, value: Any) -> list[str]:
    """Every rule the tag ``key = value`` breaks (empty when it is valid)."""
    problems: list[str] = []
    if not isinstance(key, str):
        return [f"tag keys must be strings; got {_type_name(key)}"]
    if not 1 <= len(key) <= TAG_KEY_MAX:
        problems.append(f"tag keys must be 1 to {TAG_KEY_MAX} characters long; got {len(key)}")
    if not _TAG_CHARS_RE.fullmatch(key):
        problems.append(
            "tag keys may contain only letters, digits, white space and + - = . _ : / @"
        )
    if key.lower().startswith(_RESERVED_TAG_PREFIX):
        problems.append("tag keys may not start with aws: (reserved for AWS)")
    if key == CREATE_TOKEN_TAG:
        problems.append(
            f"the tag key {CREATE_TOKEN_TAG} is reserved: the provider sets it on every "
            "snapshot to create it exactly once"
        )
    if isinstance(value, Unknown):
        return problems
    if not isinstance(value, str):
        problems.append(f"tag values must be strings; got {_type_name(value)}")
        return problems
    if len(value) > TAG_VALUE_MAX:
        problems.append(
            f"tag values must be at most {TAG_VALUE_MAX} characters long; got {len(value)}"
        )
    if not _TAG_CHARS_RE.fullmatch(value):
        problems.append(
            "tag values may contain only letters, digits, white space and + - = . _ : / @"
        )
    return problems


def _check_wait(value: Any, failures: list[Failure]) -> bool | Unknown | None:
    if value is None:
        return DEFAULT_WAIT_FOR_COMPLETION
    if isinstance(value, bool | Unknown):
        return value
    failures.append(
        Failure(
            WAIT_FOR_COMPLETION,
            f"wait_for_completion must be true or false; got {_type_name(value)}",
        )
    )
    return None


def _check_timeout(value: Any, failures: list[Failure]) -> int | float | Unknown | None:
    if value is None:
        return DEFAULT_COMPLETION_TIMEOUT_SECONDS
    if isinstance(value, Unknown):
        return value
    rule = (
        "completion_timeout_seconds must be a number of seconds greater than 0 and at most "
        f"{MAX_COMPLETION_TIMEOUT_SECONDS} (one day)"
    )
    if isinstance(value, bool) or not isinstance(value, int | float):
        failures.append(Failure(COMPLETION_TIMEOUT_SECONDS, f"{rule}; got {_type_name(value)}"))
        return None
    if not (math.isfinite(value) and 0 < value <= MAX_COMPLETION_TIMEOUT_SECONDS):
        failures.append(Failure(COMPLETION_TIMEOUT_SECONDS, f"{rule}; got {value}"))
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
                f"got {_type_name(value)}",
            )
        )
        return None
    count = len(failures)
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool | Unknown):
            failures.append(
                Failure(
                    path(TRIGGERS, str(key)),
                    f"trigger values must be strings, numbers or booleans; got {_type_name(item)}",
                )
            )
    return None if len(failures) > count else dict(value)


def _type_name(value: Any) -> str:
    names = {dict: "a map", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, int | float):
        return f"the number {value}"
    return type(value).__name__


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
    WAIT_FOR_COMPLETION: DEFAULT_WAIT_FOR_COMPLETION,
    COMPLETION_TIMEOUT_SECONDS: DEFAULT_COMPLETION_TIMEOUT_SECONDS,
}


def diff_props(olds: Mapping[str, Any], news: Mapping[str, Any]) -> PropsDiff:
    """Compare old **outputs** with new (checked) inputs, as the engine's Diff does.

    Replace keys force a new snapshot (EC2 cannot change a snapshot's volume or description);
    update keys are changed in place. An unknown new value counts as a change, so an unknown
    replace key means replace. ``__provider`` and output-only keys are never compared, except
    ``tags_all`` which check computes from the inputs and read refreshes from EC2.
    """
    replaces = [k for k in REPLACE_KEYS if _differs(olds, news, k)]
    updates = [k for k in UPDATE_KEYS if _differs(olds, news, k)]
    return PropsDiff(replaces, updates)


def _differs(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> bool:
    if key == TAGS_ALL:
        if TAGS_ALL not in news:  # inputs that did not go through check: nothing to compare
            return False
        old = olds.get(TAGS_ALL, olds.get(TAGS, {}))
    else:
        old = olds.get(key, _EMPTY_DEFAULTS.get(key))
    new = news.get(key, _EMPTY_DEFAULTS.get(key))
    if contains_unknown(new):
        return True
    return bool(old != new)


# --- ARNs -----------------------------------------------------------------------------------


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


# --- tags -----------------------------------------------------------------------------------


def merge_tags(
    default_tags: Mapping[str, str], tags: Mapping[str, str | Unknown]
) -> dict[str, str | Unknown]:
    """``tags_all``: the provider's default tags with the resource's tags over them."""
    return {**default_tags, **tags}


def without_provider_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a user declared: EC2's tags without the provider's own create token."""
    return {key: value for key, value in tags.items() if key != CREATE_TOKEN_TAG}


def resource_tags_from_actual(
    actual: Mapping[str, str],
    default_tags: Mapping[str, str],
    previous_tags: Mapping[str, Any],
) -> dict[str, str]:
    """The resource's own ``tags`` as seen on EC2: every actual tag except those that are just
    an unchanged default tag the resource did not set itself. Out-of-band tags and changed
    values therefore show up in ``tags``, and the next diff wants to put them back."""
    return {
        key: value
        for key, value in actual.items()
        if key in previous_tags or default_tags.get(key) != value
    }


@dataclass(frozen=True)
class TagChanges:
    """How to turn one tag set into another with EC2's calls: keys to delete (DeleteTags) and
    tags to create or overwrite (CreateTags)."""

    to_delete: tuple[str, ...] = ()
    to_set: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.to_delete and not self.to_set

    def apply(self, tags: Mapping[str, str]) -> dict[str, str]:
        """The tag set after the changes (what EC2 will hold)."""
        result = {k: v for k, v in tags.items() if k not in self.to_delete}
        result.update(self.to_set)
        return result


def tag_changes(old: Mapping[str, str], new: Mapping[str, str]) -> TagChanges:
    """The least EC2 work that turns ``old`` into ``new``."""
    to_delete = tuple(sorted(k for k in old if k not in new))
    to_set = {k: v for k, v in new.items() if old.get(k) != v}
    return TagChanges(to_delete, to_set)
