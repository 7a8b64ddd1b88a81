"""Storage Gateway input validation driven by botocore's model, as AWS's front end does it.

Real behaviour reproduced, and from where:

* Every member of every request is checked against its shape in botocore's ``storagegateway``
  service model (``botocore/data/storagegateway/2013-06-30/service-2.json``) before the
  operation runs: JSON type, ``required``, ``min``/``max`` (length of strings and lists, value of
  numbers), ``pattern`` and ``enum``.
* A member of the wrong JSON type fails deserialisation first: ``SerializationException``
  (AWS's JSON protocol; a JSON ``true`` is not an Integer, nor is ``"3"``).
* Every broken constraint is then reported at once in a ``ValidationException`` worded as AWS's
  front end words it: ``1 validation error detected: Value 'fake_gateway' at 'gatewayARN' failed
  to satisfy constraint: Member must have length greater than or equal to 50`` (member paths in
  lower camel case, list items as ``tags.1.member.key``; the AWS SDK for JavaScript's integration
  test ``features/storagegateway/storagegateway.feature`` expects this answer for ListVolumes).
* Lengths count UTF-16 code units, as the service (Java) does; patterns are Java regular
  expressions matched against the whole value (``Matcher.matches``): ``\\p{L}``, ``\\p{Z}``,
  ``\\p{N}`` are Unicode general categories taken from :mod:`unicodedata` — so a tab or a newline
  is *not* ``\\p{Z}`` although ``str.isspace()`` says it is space — and ``\\s``, ``\\S``, ``\\d``,
  ``\\w`` are ASCII-only, as in Java.
* Members the model does not define are ignored, as AWS's JSON protocol ignores them.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any

import botocore.session
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from .exceptions import SerializationException, ValidationException

_INTEGER_TYPES = ("integer", "long")
_NUMBER_TYPES = ("double", "float")


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service`` (``storagegateway``, ``ec2``), loaded once."""
    return botocore.session.get_session().get_service_model(service)


# --- Java patterns --------------------------------------------------------------------------


@functools.cache
def _categories() -> bytes:
    """The first letter of the Unicode general category of every code point, as one byte each."""
    return bytes(ord(unicodedata.category(chr(cp))[0]) for cp in range(sys.maxunicode + 1))


@functools.cache
def _category_class(category: str) -> str:
    """The body of a character class (no brackets) holding every code point of ``category``
    (``L``, ``Z``, ``N``… or a two-letter one such as ``Lu``)."""
    if len(category) == 1:
        runs = [
            (run.start(), run.end() - 1)
            for run in re.finditer(re.escape(category.encode()) + b"+", _categories())
        ]
    else:
        points = [
            cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) == category
        ]
        runs = []
        for cp in points:
            if runs and runs[-1][1] == cp - 1:
                runs[-1] = (runs[-1][0], cp)
            else:
                runs.append((cp, cp))
    parts = []
    for start, end in runs:
        first, last = re.escape(chr(start)), re.escape(chr(end))
        parts.append(first if start == end else f"{first}-{last}")
    return "".join(parts)


#: An atom with two quantifiers in a row (``[0-9a-zA-Z]{11}{0,1011}`` in Recycle Bin's rule
#: ARN): Java repeats the repeated atom, Python refuses ("multiple repeat").
_DOUBLE_QUANTIFIER = re.compile(r"(\[[^\]]*\]|\\.|[^\\\]])(\{\d+(?:,\d*)?\})(\{\d+(?:,\d*)?\})")


def _translate(pattern: str) -> str:
    """A Java regular expression as Python ``re`` reads it (the subset AWS's models use)."""
    pattern = _DOUBLE_QUANTIFIER.sub(r"(?:\1\2)\3", pattern)
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            if escaped in "pP" and pattern[i + 2 : i + 3] == "{":
                end = pattern.index("}", i)
                body = _category_class(pattern[i + 3 : end])
                if in_class and escaped == "P":
                    raise ValueError(f"unsupported pattern {pattern!r}: \\P{{…}} in a class")
                if in_class:
                    out.append(body)
                else:
                    out.append(f"[{'^' if escaped == 'P' else ''}{body}]")
                i = end + 1
                continue
            out.append("\\Z" if escaped == "z" else pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def java_pattern(pattern: str) -> re.Pattern[str]:
    """``pattern`` (Java syntax, as in AWS's models) compiled for ``fullmatch``."""
    return re.compile(_translate(pattern), re.ASCII)


def utf16_length(text: str) -> int:
    """The length Java (and so AWS) measures: UTF-16 code units."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


# --- validation -----------------------------------------------------------------------------


def _member_path(parent: str, name: str) -> str:
    member = name[:1].lower() + name[1:]
    return f"{parent}.{member}" if parent else member


def _java_type(shape: Shape) -> str:
    return {
        "string": "a String",
        "integer": "an Integer",
        "long": "a Long",
        "boolean": "a Boolean",
        "double": "a Double",
        "float": "a Float",
        "timestamp": "a Date",
        "blob": "a ByteBuffer",
    }.get(shape.type_name, f"a {shape.type_name}")


def _json_token(value: Any) -> str:
    if isinstance(value, bool):
        return "TRUE_VALUE" if value else "FALSE_VALUE"
    if isinstance(value, int | float):
        return "NUMBER_VALUE"
    if isinstance(value, str):
        return "STRING_VALUE"
    return "VALUE"


def _check_types(shape: Shape, value: Any) -> None:
    """Raise ``SerializationException`` at the first member whose JSON type does not fit."""
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise SerializationException(_unexpected(value, "Start of structure"))
        assert isinstance(shape, StructureShape)
        for name, member in shape.members.items():
            _check_types(member, value.get(name))
        return
    if kind == "list":
        if not isinstance(value, list):
            raise SerializationException(_unexpected(value, "Start of list"))
        assert isinstance(shape, ListShape)
        for item in value:
            _check_types(shape.member, item)
        return
    if kind == "map":
        if not isinstance(value, dict):
            raise SerializationException(_unexpected(value, "Start of structure or map"))
        assert isinstance(shape, MapShape)
        for item in value.values():
            _check_types(shape.value, item)
        return
    if isinstance(value, dict | list):
        where = "Start of structure or map" if isinstance(value, dict) else "Start of list"
        raise SerializationException(f"{where} found where not expected.")
    fits = {
        "string": isinstance(value, str),
        "blob": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "timestamp": isinstance(value, int | float) and not isinstance(value, bool),
    }.get(kind)
    if kind in _INTEGER_TYPES:
        fits = isinstance(value, int) and not isinstance(value, bool)
    elif kind in _NUMBER_TYPES:
        fits = isinstance(value, int | float) and not isinstance(value, bool)
    if not fits:
        raise SerializationException(
            f"{_json_token(value)} can not be converted to {_java_type(shape)}"
        )


def _unexpected(value: Any, expected: str) -> str:
    return f"{_json_token(value)} found where {expected.lower()} was expected."


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "'[" + ", ".join(str(item) for item in value) + "]'"
    return f"'{value}'"


def _violations(shape: Shape, value: Any, path: str) -> Iterator[str]:
    """Every broken constraint of ``value`` (already known to have the right types)."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        for name, member in shape.members.items():
            member_path = _member_path(path, name)
            member_value = value.get(name)
            if member_value is None:
                if name in shape.required_members:
                    yield f"Value null at '{member_path}' failed to satisfy constraint: " + (
                        "Member must not be null"
                    )
                continue
            yield from _violations(member, member_value, member_path)
        return
    prefix = f"Value {_shown(value)} at '{path}' failed to satisfy constraint: Member must"
    if kind in ("string", "list", "map", "blob"):
        size = utf16_length(value) if kind == "string" else len(value)
        if "max" in meta and size > meta["max"]:
            yield f"{prefix} have length less than or equal to {meta['max']}"
        if "min" in meta and size < meta["min"]:
            yield f"{prefix} have length greater than or equal to {meta['min']}"
    elif kind in (*_INTEGER_TYPES, *_NUMBER_TYPES):
        if "max" in meta and value > meta["max"]:
            yield f"{prefix} have value less than or equal to {meta['max']}"
        if "min" in meta and value < meta["min"]:
            yield f"{prefix} have value greater than or equal to {meta['min']}"
    if kind == "string":
        if "pattern" in meta and not java_pattern(meta["pattern"]).fullmatch(value):
            yield f"{prefix} satisfy regular expression pattern: {meta['pattern']}"
        enum = meta.get("enum")
        if enum and value not in enum:
            yield f"{prefix} satisfy enum value set: [{', '.join(enum)}]"
    elif kind == "list":
        assert isinstance(shape, ListShape)
        for index, item in enumerate(value, start=1):
            if item is not None:
                yield from _violations(shape.member, item, f"{path}.{index}.member")
    elif kind == "map":
        assert isinstance(shape, MapShape)
        for key, item in value.items():
            yield from _violations(shape.key, key, path)
            if item is not None:
                yield from _violations(shape.value, item, path)


def validate_input(operation: OperationModel, params: dict[str, Any]) -> None:
    """Raise ``SerializationException`` or ``ValidationException`` as AWS would for ``params``
    (the parsed JSON body) of ``operation``; return when the request may run."""
    shape = operation.input_shape
    if shape is None:
        return
    _check_types(shape, params)
    violations = list(_violations(shape, params, ""))
    if violations:
        raise ValidationException(violations)


def warm_up() -> None:
    """Load the models now, not on a client's first request. (The Unicode classes of the tag
    key pattern, ~0.1 s, are built on the first request that needs them.)"""
    service_model("storagegateway")
    service_model("ec2")
