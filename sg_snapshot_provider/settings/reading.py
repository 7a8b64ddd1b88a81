"""What every parser of a config value shares: the error that names the key, values that arrive
as JSON text or already parsed, and the fields of one structured value."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from ..errors import ConfigurationError


@dataclass(frozen=True)
class Config:
    """What a parser reads: the config getter (``aws:…`` keys) and the process environment."""

    get: Callable[[str], Any]
    environ: Mapping[str, str]


#: A parser of the table: the config and the key of its row → the value of the row's Settings
#: field, or ConfigurationError naming the key.
Parse = Callable[[Config, str], Any]


def fail(key: str, reason: str) -> NoReturn:
    raise ConfigurationError(key, reason)


def structured(value: Any, key: str, example: str) -> Any:
    """A structured value: the engine hands a dynamic provider JSON text, a caller may hand it
    already parsed."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        fail(key, f"expected JSON such as {example}; {err.msg} at position {err.pos}")


class Fields:
    """The fields of one structured value (a role, the ignore rules): every error names the
    config key and the entry, and unknown fields are refused (a misspelt ``roleArn`` must not
    quietly run as another identity)."""

    def __init__(self, raw: Mapping[str, Any], key: str, where: str, known: tuple[str, ...]):
        self.raw, self.key, self.where = raw, key, where
        unknown = sorted(str(name) for name in raw if name not in known)
        if unknown:
            self.fail(f"unknown field {', '.join(unknown)}; the fields are {', '.join(known)}")

    def fail(self, reason: str) -> NoReturn:
        fail(self.key, f"{self.where}{reason}")

    def text(self, name: str, pattern: re.Pattern[str] | None = None, rule: str = "") -> str | None:
        """A string field (absent or empty: None); values are never echoed."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.fail(f"{name} must be a string; got {type(value).__name__}")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(f"{name} must be {rule}")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(f"{name} must be a list of strings")
        return tuple(value)
