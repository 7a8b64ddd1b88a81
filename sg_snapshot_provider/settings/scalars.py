"""Parsers of the keys that are not roles: strings, booleans, numbers, URLs, lists, maps.

Each is a :data:`~.reading.Parse`: it reads its key from the config and returns the value of a
Settings field, or raises ConfigurationError naming the key. A secret's value is never repeated
in a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from ..inputs import NO_IGNORED_TAGS, IgnoreTags, tag_problems
from .reading import Config, Fields, Parse, fail, structured

#: The entries of ``aws:endpoints`` this provider uses (STS for roles and the account check);
#: pulumi-aws's other services are ignored.
ENDPOINT_SERVICES: Final = ("storagegateway", "ec2", "sts")
MAX_RETRIES_LIMIT = 100
#: ``aws:retryMode`` values, as pulumi-aws (the AWS SDK for Go) accepts them.
RETRY_MODES: Final = ("standard", "adaptive")


def text(config: Config, key: str) -> str | None:
    value = config.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        # Never echo the value: it may be a credential.
        fail(key, f"expected a string, got {type(value).__name__}")
    return value


def endpoints(config: Config, key: str) -> tuple[tuple[str, str], ...]:
    raw = config.get(key)
    if raw is None or raw == "":
        return ()
    example = '[{"storagegateway": "http://localhost:4566", "ec2": "http://localhost:4566"}]'
    value = structured(raw, key, example)
    if isinstance(value, Mapping):  # tolerate a single map instead of a list of maps
        value = [value]
    if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
        fail(key, f"expected a list of service-to-URL maps such as {example}")
    found: dict[str, str] = {}
    for entry in value:
        for service, url in entry.items():
            if service not in ENDPOINT_SERVICES or url in (None, ""):
                continue
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                fail(key, f"the {service} endpoint must be an http(s) URL; got {url!r}")
            found[service] = url
    return tuple(sorted(found.items()))


def default_tags(config: Config, key: str) -> tuple[tuple[str, str], ...]:
    raw = config.get(key)
    if raw is None or raw == "":
        return ()
    example = '{"tags": {"team": "storage"}}'
    value = structured(raw, key, example)
    if not isinstance(value, Mapping):
        fail(key, f"expected a map such as {example}")
    tags = value.get("tags")
    if tags is None:
        return ()
    if not isinstance(tags, Mapping):
        fail(key, f"'tags' must be a map of strings to strings, as in {example}")
    for tag_key, tag_value in tags.items():
        problems = tag_problems(tag_key, tag_value)
        if problems:
            fail(key, f"tag {tag_key!r}: {'; '.join(problems)}")
    return tuple(sorted(tags.items()))


def ignore_tags(config: Config, key: str) -> IgnoreTags:
    raw = config.get(key)
    if raw is None or raw == "":
        return NO_IGNORED_TAGS
    example = '{"keys": ["CostCenter"], "keyPrefixes": ["backup:"]}'
    value = structured(raw, key, example)
    if not isinstance(value, Mapping):
        fail(key, f"expected a map such as {example}")
    fields = Fields(value, key, "", ("keys", "keyPrefixes"))
    keys = fields.strings("keys")
    prefixes = fields.strings("keyPrefixes")
    if "" in keys or "" in prefixes:
        fail(key, "keys and key prefixes may not be empty")
    return IgnoreTags(tuple(sorted(set(keys))), tuple(sorted(set(prefixes))))


def max_retries(config: Config, key: str) -> int | None:
    raw = config.get(key)
    if raw is None or raw == "":
        return None
    rule = f"expected a whole number of retries from 0 to {MAX_RETRIES_LIMIT}"
    if isinstance(raw, bool):
        fail(key, f"{rule}; got {raw!r}")
    try:
        value = int(raw) if isinstance(raw, str) else raw
    except ValueError:
        fail(key, f"{rule}; got {raw!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_RETRIES_LIMIT:
        fail(key, f"{rule}; got {raw!r}")
    return value


def boolean(config: Config, key: str) -> bool:
    raw = config.get(key)
    if raw is None or raw == "":
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return fail(key, f"expected true or false; got {raw!r}")


def choice(*choices: str) -> Parse:
    """A parser of one of ``choices`` (compared without case, returned as written there), or
    None."""

    def parse(config: Config, key: str) -> str | None:
        raw = config.get(key)
        if raw is None or raw == "":
            return None
        if isinstance(raw, str) and raw.strip().lower() in choices:
            return raw.strip().lower()
        return fail(key, f"expected one of {', '.join(choices)}; got {raw!r}")

    return parse


def url(config: Config, key: str) -> str | None:
    value = text(config, key)
    if value is not None and not value.startswith(("http://", "https://")):
        fail(key, f"expected an http:// or https:// URL; got {value!r}")
    return value


def proxy(config: Config, key: str) -> str | None:
    value = text(config, key)
    if value is not None and not value.startswith(("http://", "https://")):
        # Not echoed: a proxy URL may hold a password.
        fail(key, "expected an http:// or https:// URL such as http://proxy.example.com:3128")
    return value


def _string_list(raw: Any, key: str, example: str) -> tuple[str, ...]:
    """A list of strings given as JSON text or a list; a lone string counts as a list of one."""
    if raw is None or raw == "":
        return ()
    value = raw
    if isinstance(raw, str):
        stripped = raw.strip()
        value = structured(raw, key, example) if stripped.startswith("[") else [raw]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        fail(key, f"expected a list of strings such as {example}")
    return tuple(value)


def paths(config: Config, key: str) -> tuple[str, ...]:
    found = _string_list(config.get(key), key, '["~/.aws/config"]')
    if any(not path for path in found):
        fail(key, "paths may not be empty")
    return found


def user_agents(config: Config, key: str) -> tuple[str, ...]:
    agents = _string_list(config.get(key), key, '["my-platform/1.2 (ci)"]')
    if any(not agent.strip() or "\n" in agent or "\r" in agent for agent in agents):
        fail(key, "each product must be one line of text, such as my-platform/1.2")
    return agents


_ACCOUNT_ID_RE: Final = re.compile(r"\d{12}")


def account_ids(config: Config, key: str) -> tuple[str, ...]:
    raw = config.get(key)
    if raw is None or raw == "":
        return ()
    example = '["123456789012"]'
    value = structured(raw, key, example)
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        fail(key, f"expected a list of 12-digit AWS account IDs such as {example}")
    ids: list[str] = []
    for item in value:
        # A YAML number loses leading zeros: put them back.
        number = isinstance(item, int) and not isinstance(item, bool)
        digits = str(item).zfill(12) if number else item
        if not isinstance(digits, str) or not _ACCOUNT_ID_RE.fullmatch(digits):
            fail(key, f"expected 12-digit AWS account IDs such as {example}; got {item!r}")
        ids.append(digits)
    return tuple(sorted(set(ids)))
