"""Storage Gateway answers built from botocore's shapes, as moto builds its own.

A handler gives the backend's values keyed by the model's member names; ``serialize`` walks
the operation's output shape (or an error's shape) in botocore's ``storagegateway`` model and
emits exactly the members it declares, as AWS's JSON 1.1 protocol puts them on the wire:

* a member's JSON name is its ``serialization`` name, else its member name;
* ``None`` means absent: the member is left out (AWS never sends ``null``);
* timestamps are epoch seconds (the JSON protocol's ``unixTimestamp``), from a ``datetime`` or
  a number; blobs are base64 text; lists are JSON arrays; maps and structures JSON objects.

A value the shape does not declare, a required member missing, or a value of the wrong type is
a bug of the emulator, never something to send: ``serialize`` raises ``ShapeMismatch``, which the
server answers as ``InternalServerError`` with the traceback logged. Constraints on values
(patterns, lengths, enums) stay the backend's rules; ``tests/emulator/conformance.py`` checks
every answer against them.

Errors: the operations' error shapes (``InvalidGatewayRequestException``, ``InternalServerError``,
``ServiceUnavailableError``) are serialized like outputs, with ``__type`` added. The common
errors AWS's JSON protocol answers before any operation runs (``ValidationException``,
``SerializationException``, ``UnknownOperationException``, and throttling codes a fault may
inject) have no shape in the model: their body is ``__type`` and ``message``, nothing else.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from .validation import service_model

SERVICE = "storagegateway"


class ShapeMismatch(Exception):  # noqa: N818 (a bug of ours, named for what went wrong)
    """A value does not fit the shape it is serialized as (a bug of the emulator)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")


def output_body(operation: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of ``operation``'s answer, from the backend's ``values``."""
    shape = service_model(SERVICE).operation_model(operation).output_shape
    if shape is None:
        if values:
            raise ShapeMismatch(operation, f"has no output, got {sorted(values)}")
        return {}
    body: dict[str, Any] = serialize(shape, values, operation)
    return body


def error_body(type_name: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of an error: ``__type`` and the members of its shape in the model, or
    ``__type`` and ``message`` for an error the model has no shape for."""
    model = service_model(SERVICE)
    if type_name in model.shape_names:
        shape = model.shape_for(type_name)
        if shape.metadata.get("exception"):
            return {"__type": type_name, **serialize(shape, values, type_name)}
    extra = set(values) - {"message"}
    if extra:
        raise ShapeMismatch(type_name, f"a common error has no members {sorted(extra)}")
    message = values.get("message")
    if not isinstance(message, str):
        raise ShapeMismatch(f"{type_name}.message", f"{message!r} is not a string")
    return {"__type": type_name, "message": message}


def serialize(shape: Shape, value: Any, path: str) -> Any:
    """``value`` as the JSON of ``shape``; ``ShapeMismatch`` where it does not fit."""
    kind = shape.type_name
    if isinstance(shape, StructureShape):
        return _structure(shape, value, path)
    if isinstance(shape, ListShape):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise ShapeMismatch(path, f"{value!r} is not a list ({shape.name})")
        return [serialize(shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(shape, MapShape):
        if not isinstance(value, Mapping):
            raise ShapeMismatch(path, f"{value!r} is not a mapping ({shape.name})")
        return {
            serialize(shape.key, key, f"{path}<key>"): serialize(
                shape.value, item, f"{path}[{key}]"
            )
            for key, item in value.items()
        }
    if value is None:
        raise ShapeMismatch(path, f"null where {shape.name} is expected")
    if kind == "string" and isinstance(value, str):
        return value
    if kind in ("integer", "long") and _is_integer(value):
        return value
    if kind in ("double", "float") and (_is_integer(value) or isinstance(value, float)):
        return value
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "timestamp":
        return _timestamp(shape, value, path)
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise ShapeMismatch(path, f"{value!r} is not a {kind} ({shape.name})")


def _structure(shape: StructureShape, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ShapeMismatch(path, f"{value!r} is not a mapping of members ({shape.name})")
    undeclared = sorted(set(value) - set(shape.members))
    if undeclared:
        raise ShapeMismatch(path, f"{undeclared} are not members of {shape.name}")
    missing = [name for name in shape.required_members if value.get(name) is None]
    if missing:
        raise ShapeMismatch(path, f"{missing} are required by {shape.name}")
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        member_value = value.get(name)
        if member_value is not None:
            json_name = member.serialization.get("name", name)
            out[json_name] = serialize(member, member_value, f"{path}.{name}")
    return out


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _timestamp(shape: Shape, value: Any, path: str) -> int | float:
    stated = shape.serialization.get("timestampFormat")
    if stated not in (None, "unixTimestamp"):
        raise ShapeMismatch(path, f"timestamp format {stated!r} is not supported")
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ShapeMismatch(path, f"{value!r} has no time zone")
        return value.timestamp()
    if _is_integer(value) or isinstance(value, float):
        return value  # type: ignore[no-any-return]
    raise ShapeMismatch(path, f"{value!r} is not a datetime or epoch seconds ({shape.name})")
