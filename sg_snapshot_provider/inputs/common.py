"""Rules every resource of the package shares, and the one place the resource modules
(``snapshot.py``, ``series.py``, ``schedule.py``) import them from. Defined here: descriptions,
the create token, the owner tag's value from ``stack_resource``, and how Diff compares a key.
The rest lives by job and is re-exported here: ``values.py`` (unknowns, failures, naming a bad
value), ``arns.py`` (volume and snapshot ARNs), ``tags.py`` (tag rules and arithmetic). Pure:
no I/O, no boto3, no Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from .arns import (
    check_volume_arn,
)
from .tags import (
    MAX_TAGS,
    NO_IGNORED_TAGS,
    TAG_VALUE_MAX,
    IgnoreTags,
    check_tags,
    merged_tags,
    owner_tag_value,
    without_ignored_tags,
)
from .values import (
    Failure,
    Unknown,
    contains_unknown,
    item_path,
    not_a_number,
    number_as_written,
    type_name,
    unknown_keys,
)

DESCRIPTION_MAX = 255

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


__all__ = [
    "CREATE_TOKEN",
    "DESCRIPTION_MAX",
    "MAX_TAGS",
    "NO_IGNORED_TAGS",
    "TAG_VALUE_MAX",
    "Failure",
    "IgnoreTags",
    "Unknown",
    "check_description",
    "check_tags",
    "check_volume_arn",
    "contains_unknown",
    "create_token_of",
    "item_path",
    "key_differs",
    "merged_tags",
    "not_a_number",
    "number_as_written",
    "stack_resource_tag",
    "type_name",
    "unknown_keys",
    "without_ignored_tags",
]
