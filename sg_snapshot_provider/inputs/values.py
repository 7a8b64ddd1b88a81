"""The vocabulary of validation every input module shares: the unknown of a preview, a
failure (property and rule), and how a bad value is named in one (never quoting it: any input
may be a secret). Pure: no I/O, no boto3, no Pulumi.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
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


#: The key under which the engine sends the serialized provider with every request.
PROVIDER_KEY = "__provider"


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
