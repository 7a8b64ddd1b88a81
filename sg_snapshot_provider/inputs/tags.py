"""Tags: the rules a tag is held to (EC2's and Storage Gateway's), the provider's reserved tags
and the tag budget, ``aws:defaultTags`` and ``aws:ignoreTags`` arithmetic, and the least EC2
work that turns one tag set into another. Pure: no I/O, no boto3, no Pulumi.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from .values import UNKNOWN, Failure, Unknown, item_path, type_name

MAX_TAGS = 50


#: The tag that makes create exactly-once: CreateSnapshot has no client token, so every create
#: puts a fresh UUID under this key and, when CreateSnapshot's answer is lost, looks the snapshot
#: up by it instead of making a second one. Users may not set it; read hides it.
CREATE_TOKEN_TAG: Final = "sg-snapshot-provider:create-token"


#: The stack and resource a snapshot was made for (``project/stack/resource``), so that one
#: made by a deployment that died before recording it can be found (``python -m
#: sg_snapshot_provider orphans``). Set only while the tag budget allows it (see MAX_USER_TAGS).
OWNER_TAG: Final = "sg-snapshot-provider:owner"


#: Set by an adoption that takes a snapshot over from another owner (``adopt_from_owner``): that
#: owner's tag value. If its resource still holds the snapshot, it forgets it rather than
#: delete it under the adopter (:func:`taken_over_by`). A stack renamed since its snapshots were
#: made carries no such tag, so its deletes go on as before.
TAKEN_FROM_TAG: Final = "sg-snapshot-provider:taken-from"


#: The provider's own tags: refused in user tags, never shown, diffed or removed.
RESERVED_TAGS: Final = (CREATE_TOKEN_TAG, OWNER_TAG, TAKEN_FROM_TAG)


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
    if key == TAKEN_FROM_TAG:
        problems.append(
            f"the tag key {TAKEN_FROM_TAG} is reserved: the provider sets it on a snapshot "
            "adopted from another owner"
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


def without_ignored_tags(props: Mapping[str, Any], ignore: IgnoreTags) -> dict[str, Any]:
    """``props`` with the ignored tags (``aws:ignoreTags``) left out of ``tags`` and
    ``tags_all``, so that a diff never sees them."""
    return {
        key: ignore.without(value)
        if key in ("tags", "tags_all") and isinstance(value, Mapping)
        else value
        for key, value in props.items()
    }


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


def taken_over_by(tags: Mapping[str, str], me: object) -> str | None:
    """The owner that took this snapshot over from ``me`` (an owner tag value), or None: its
    :data:`TAKEN_FROM_TAG` names ``me`` and its owner tag someone else."""
    owner = tags.get(OWNER_TAG)
    if not isinstance(me, str) or tags.get(TAKEN_FROM_TAG) != me or owner in (None, me):
        return None
    return owner


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
