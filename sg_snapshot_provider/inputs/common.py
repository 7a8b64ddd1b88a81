"""Rules every resource of the package shares: unknowns, failures, volume ARNs, descriptions,
tags and their arithmetic. Pure: no I/O, no boto3, no Pulumi.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple, TypeVar


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

#: The key under which the engine sends the serialized provider with every request.
PROVIDER_KEY = "__provider"

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
#: The stack and resource a snapshot was made for (``project/stack/resource``), so that one
#: made by a deployment that died before recording it can be found (``python -m
#: sg_snapshot_provider orphans``). Set only while the tag budget allows it (see MAX_USER_TAGS).
OWNER_TAG: Final = "sg-snapshot-provider:owner"
#: The provider's own tags: refused in user tags, never shown, diffed or removed.
RESERVED_TAGS: Final = (CREATE_TOKEN_TAG, OWNER_TAG)
#: The input key under which check puts the create token of the resource's next create (the
#: value its snapshot will carry under CREATE_TOKEN_TAG). Made in check, it is in the inputs the
#: engine records for an unfinished create (``pending_operations`` of ``pulumi stack export``),
#: so a snapshot that create left behind is matched exactly, by token (the ``orphans`` command).
#: Never diffed; kept from the old inputs while they describe the same snapshot.
CREATE_TOKEN: Final = "create_token"
#: A create token: a UUID (``uuid.uuid4()`` in text), lower case.
_CREATE_TOKEN_RE: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
#: What a resource may use of EC2's 50 tags: one is the create token. (The owner tag is left
#: off a snapshot whose 49 tags leave no room for it: resources declared before it existed
#: must keep working.)
MAX_USER_TAGS = MAX_TAGS - 1
#: Storage Gateway allows 128, but EC2's own tag calls (used for every later change) allow 127.
TAG_KEY_MAX = 127
TAG_VALUE_MAX = 256
#: Besides letters (\p{L}), separators (\p{Z}) and digits (\p{N}): Storage Gateway's TagKey
#: pattern, ``^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$``. Tabs and new lines are not \p{Z}.
_TAG_PUNCTUATION: Final = frozenset("_.:/=+-@")
_RESERVED_TAG_PREFIX = "aws:"
_TOKEN_NOTE = f"(EC2 allows {MAX_TAGS}; the provider uses one for its {CREATE_TOKEN_TAG} tag)"


class Failure(NamedTuple):
    """One validation failure: the property path and the rule it broke, in words."""

    property: str
    reason: str


def item_path(parent: str, key: str) -> str:
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


def check_description(
    value: Any, failures: list[Failure], name: str = "description", *, required: bool = True
) -> str | Unknown | None:
    """A 1 to 255 character description, or None (after adding the failure when required or
    malformed; an unknown passes)."""
    if isinstance(value, Unknown):
        return value
    if value is None:
        if required:
            failures.append(Failure(name, f"{name} is required"))
    elif not isinstance(value, str):
        failures.append(Failure(name, f"{name} must be a string; got {type_name(value)}"))
    elif not 1 <= len(value) <= DESCRIPTION_MAX:
        failures.append(
            Failure(
                name,
                f"{name} must be 1 to {DESCRIPTION_MAX} characters long; got {len(value)}",
            )
        )
    else:
        return value
    return None


def check_tags(
    value: Any,
    failures: list[Failure],
    name: str = "tags",
    *,
    limit: int = MAX_USER_TAGS,
    too_many: str = f"at most {{limit}} tags are allowed {_TOKEN_NOTE}",
) -> Mapping[str, str | Unknown] | Unknown | None:
    """The tags (None in the inputs: none), or None after adding every failure, each naming its
    entry (``tags["bad key"]``). More than ``limit`` tags is a failure worded ``too_many``."""
    if value is None:
        return {}
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, Mapping):
        failures.append(
            Failure(name, f"{name} must be a map of strings to strings; got {type_name(value)}")
        )
        return None
    count = len(failures)
    if len(value) > limit:
        failures.append(Failure(name, f"{too_many.format(limit=limit)}; got {len(value)}"))
    for key, tag_value in value.items():
        failures.extend(Failure(item_path(name, str(key)), r) for r in tag_problems(key, tag_value))
    return None if len(failures) > count else dict(value)


def stack_resource_tag(value: Any) -> str | Unknown | None:
    """The owner tag's value from ``stack_resource`` (``project/stack/resource``). Set by the
    resource classes, so never a failure: anything but text is ignored, and text is made a valid
    tag value."""
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, str) or not value:
        return None
    project, _, rest = value.partition("/")
    stack, _, resource = rest.partition("/")
    return owner_tag_value(project, stack, resource)


def create_token_of(props: Mapping[str, Any]) -> str | None:
    """The create token in ``props`` (checked inputs), or None when there is none: inputs
    written before tokens were made in check, or anything that is not a token."""
    value = props.get(CREATE_TOKEN)
    return value if isinstance(value, str) and _CREATE_TOKEN_RE.fullmatch(value) else None


def unknown_keys(
    props: Mapping[str, Any], input_keys: tuple[str, ...], output_keys: tuple[str, ...]
) -> list[Failure]:
    """A failure for each key that is neither an input, an output nor ``__provider``: a typo
    must not vanish silently."""
    return [
        Failure(key, f"unknown property; the inputs are {', '.join(input_keys)}")
        for key in props
        if key not in input_keys and key not in output_keys and key != PROVIDER_KEY
    ]


def merged_tags(
    tags: Mapping[str, str | Unknown] | Unknown | None,
    default_tags: Mapping[str, str],
    failures: list[Failure],
    *,
    ignore: IgnoreTags | None = None,
    limit: int = MAX_USER_TAGS,
    why: str = _TOKEN_NOTE,
) -> Mapping[str, str | Unknown] | Unknown:
    """``tags_all``: the default tags under ``tags``, without the ignored ones; a failure
    (on ``tags``) when they make more than ``limit`` (``why`` says where the limit comes
    from). Unknown while ``tags`` is, or did not parse."""
    if tags is None or isinstance(tags, Unknown):
        return UNKNOWN
    tags_all = merge_tags(default_tags, tags)
    if ignore is not None:
        tags_all = ignore.without(tags_all)
    if len(tags_all) > limit:
        failures.append(
            Failure(
                "tags",
                f"tags merged with the {len(default_tags)} aws:defaultTags make "
                f"{len(tags_all)} tags; at most {limit} are allowed {why}".rstrip(),
            )
        )
    return tags_all


def key_differs(
    olds: Mapping[str, Any], news: Mapping[str, Any], key: str, defaults: Mapping[str, Any]
) -> bool:
    """Whether ``key`` changed from the old outputs to the new (checked) inputs, as a
    provider's Diff sees it: a missing value is its default, an unknown new value is a change,
    and ``tags_all`` is compared only when check computed it (against the old ``tags_all``, or
    the old ``tags`` in state from before ``tags_all`` existed)."""
    if key == "tags_all":
        if key not in news:  # inputs that did not go through check: nothing to compare
            return False
        old = olds.get("tags_all", olds.get("tags")) or {}
    else:
        old = olds.get(key, defaults.get(key))
    new = news.get(key, defaults.get(key))
    return contains_unknown(new) or bool(old != new)


def without_ignored_tags(props: Mapping[str, Any], ignore: IgnoreTags) -> dict[str, Any]:
    """``props`` with the ignored tags (``aws:ignoreTags``) left out of ``tags`` and
    ``tags_all``, so that a diff never sees them."""
    return {
        key: ignore.without(value)
        if key in ("tags", "tags_all") and isinstance(value, Mapping)
        else value
        for key, value in props.items()
    }


def _has_only_tag_characters(text: str) -> bool:
    return all(unicodedata.category(char)[0] in "LZN" or char in _TAG_PUNCTUATION for char in text)


def tag_problems(key: Any, value: Any) -> list[str]:
    """Every rule the tag ``key = value`` breaks (empty when it is valid)."""
    problems: list[str] = []
    if not isinstance(key, str):
        return [f"tag keys must be strings; got {type_name(key)}"]
    if not 1 <= len(key) <= TAG_KEY_MAX:
        problems.append(f"tag keys must be 1 to {TAG_KEY_MAX} characters long; got {len(key)}")
    if not _has_only_tag_characters(key):
        problems.append("tag keys may contain only letters, digits, spaces and + - = . _ : / @")
    if key.lower().startswith(_RESERVED_TAG_PREFIX):
        problems.append("tag keys may not start with aws: (reserved for AWS)")
    if key == CREATE_TOKEN_TAG:
        problems.append(
            f"the tag key {CREATE_TOKEN_TAG} is reserved: the provider sets it on every "
            "snapshot to create it exactly once"
        )
    if key == OWNER_TAG:
        problems.append(
            f"the tag key {OWNER_TAG} is reserved: the provider sets it to the stack and "
            "resource a snapshot belongs to"
        )
    if isinstance(value, Unknown):
        return problems
    if not isinstance(value, str):
        problems.append(f"tag values must be strings; got {type_name(value)}")
        return problems
    if len(value) > TAG_VALUE_MAX:
        problems.append(
            f"tag values must be at most {TAG_VALUE_MAX} characters long; got {len(value)}"
        )
    if not _has_only_tag_characters(value):
        problems.append("tag values may contain only letters, digits, spaces and + - = . _ : / @")
    return problems


def number_as_written(value: float) -> str:
    """A number as the user wrote it: the engine's wire format makes every number a float, so
    5 arrives as 5.0 and must be shown as 5."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def type_name(value: Any) -> str:
    """How a wrong value is named in a failure: "a map", "the number 5", …"""
    names = {dict: "a map", list: "a list", str: "a string", bool: "a boolean"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, Mapping):
        return "a map"
    if isinstance(value, int | float):
        return f"the number {number_as_written(value)}"
    return type(value).__name__


#: A number written as text ("2", " 3600", "1.5"): what ``pulumi.Config.require`` returns.
_NUMBER_TEXT: Final = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def not_a_number(value: Any, convert: str = "int") -> str:
    """How a numeric input's value that is not a number is named in its failure. A number
    written as text (``pulumi.Config.require`` returns text) is shown with the fix (``convert``:
    ``int`` or ``float``), since it looks right in the program; anything else by its type. Only
    text that is a number is repeated: a number's value is shown anyway."""
    if isinstance(value, str) and _NUMBER_TEXT.fullmatch(value.strip()):
        return (
            f'the text "{value.strip()}", not a number: read it with '
            f"pulumi.Config().require_{convert} (require returns text), or convert it with "
            f"{convert}()"
        )
    return type_name(value)


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


_V = TypeVar("_V")


@dataclass(frozen=True)
class IgnoreTags:
    """Tags that are never diffed, removed or reported (``aws:ignoreTags``, as in pulumi-aws):
    keys matched exactly or by prefix, typically set by someone else (a tag policy, a backup
    tool). They are left out of ``tags_all``, of what read reports and of every tag change."""

    keys: tuple[str, ...] = ()
    key_prefixes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.keys or self.key_prefixes)

    def ignores(self, key: str) -> bool:
        return key in self.keys or key.startswith(self.key_prefixes)

    def without(self, tags: Mapping[str, _V]) -> dict[str, _V]:
        """``tags`` without the ignored ones."""
        return {key: value for key, value in tags.items() if not self.ignores(key)}


#: No tag is ignored (``aws:ignoreTags`` unset).
NO_IGNORED_TAGS: Final = IgnoreTags()


def merge_tags(
    default_tags: Mapping[str, str], tags: Mapping[str, str | Unknown]
) -> dict[str, str | Unknown]:
    """``tags_all``: the provider's default tags with the resource's tags over them."""
    return {**default_tags, **tags}


def without_provider_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a user declared: EC2's tags without the provider's own (RESERVED_TAGS)."""
    return {key: value for key, value in tags.items() if key not in RESERVED_TAGS}


def owner_tag_value(project: str, stack: str, resource: str) -> str:
    """``project/stack/resource`` as a tag value: characters a tag may not hold become ``_``,
    and it is cut to the 256 a value may have (the stack part, which ``orphans`` matches,
    comes first)."""
    text = "".join(
        char if _has_only_tag_characters(char) else "_" for char in f"{project}/{stack}/{resource}"
    )
    return text[:TAG_VALUE_MAX]


def resource_tags_from_actual(
    actual: Mapping[str, str],
    default_tags: Mapping[str, str],
    previous_tags: Mapping[str, Any],
    ignore: IgnoreTags = NO_IGNORED_TAGS,
) -> dict[str, str]:
    """The resource's own ``tags`` as seen on EC2: every actual tag except those that are just
    an unchanged default tag the resource did not set itself. Out-of-band tags and changed
    values therefore show up in ``tags``, and the next diff wants to put them back. Ignored
    tags are never reported: those on EC2 are left out, those the resource declares are kept
    as declared (so a refresh never makes them look changed)."""
    tags = {
        key: value
        for key, value in ignore.without(actual).items()
        if key in previous_tags or default_tags.get(key) != value
    }
    tags.update({key: value for key, value in previous_tags.items() if ignore.ignores(key)})
    return tags


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


def tag_changes(
    old: Mapping[str, str], new: Mapping[str, str], ignore: IgnoreTags = NO_IGNORED_TAGS
) -> TagChanges:
    """The least EC2 work that turns ``old`` into ``new``; ignored tags are never touched."""
    old, new = ignore.without(old), ignore.without(new)
    to_delete = tuple(sorted(k for k in old if k not in new))
    to_set = {k: v for k, v in new.items() if old.get(k) != v}
    return TagChanges(to_delete, to_set)
