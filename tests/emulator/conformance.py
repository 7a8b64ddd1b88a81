"""Check the emulator's answers against botocore's service models, the ground truth.

* Storage Gateway: the raw JSON body a client receives (botocore's ``before-parse`` event), walked
  recursively against the operation's output shape — JSON types, required members, ``pattern``,
  ``min``/``max`` (UTF-16 lengths and values), ``enum``, and no member the model does not define.
  An error must be one of the operation's error shapes (``__type``; for
  ``InvalidGatewayRequestException`` an ``error.errorCode`` of the model's ``ErrorCode`` enum), or
  one of the common errors AWS's JSON protocol answers before any operation runs (the API
  reference's "Common Errors" page and the Storage Gateway user guide's exception table).
* EC2: the answer as botocore parsed it, against the output shape (types, enums, patterns).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any, Final

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from sg_snapshot_provider.emulator.validation import java_pattern, service_model, utf16_length

#: Errors of AWS's JSON protocol that no operation lists; their body is ``__type`` and
#: ``message`` only.
COMMON_JSON_ERRORS: Final = frozenset(
    {"ValidationException", "SerializationException", "UnknownOperationException"}
)
#: The EC2 error codes the emulator answers, each listed on the EC2 API reference's "Error codes
#: for the Amazon EC2 API" page.
EC2_ERROR_CODES: Final = frozenset(
    {
        "FilterLimitExceeded",
        "IncorrectState",
        "InvalidAction",
        "InvalidParameterCombination",
        "InvalidParameterValue",
        "InvalidSnapshot.InUse",
        "InvalidSnapshot.NotFound",
        "InvalidSnapshotID.Malformed",
        "MissingParameter",
    }
)


@dataclass(frozen=True)
class RawAnswer:
    operation: str
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class RawAnswers:
    """Every raw HTTP answer a client receives, in order."""

    def __init__(self, client: Any) -> None:
        self.answers: list[RawAnswer] = []
        client.meta.events.register("before-parse.*.*", self._keep)

    def _keep(
        self, operation_model: OperationModel, response_dict: dict[str, Any], **_: Any
    ) -> None:
        self.answers.append(
            RawAnswer(operation_model.name, response_dict["status_code"], response_dict["body"])
        )

    @property
    def last(self) -> RawAnswer:
        return self.answers[-1]


# --- JSON (Storage Gateway) -----------------------------------------------------------------


def _size_problems(shape: Shape, size: int, what: str, path: str) -> list[str]:
    problems = []
    if "min" in shape.metadata and size < shape.metadata["min"]:
        problems.append(f"{path}: {what} {size} < min {shape.metadata['min']}")
    if "max" in shape.metadata and size > shape.metadata["max"]:
        problems.append(f"{path}: {what} {size} > max {shape.metadata['max']}")
    return problems


def _string_problems(shape: Shape, value: str, path: str) -> list[str]:
    problems = _size_problems(shape, utf16_length(value), "length", path)
    pattern = shape.metadata.get("pattern")
    if pattern and not java_pattern(pattern).fullmatch(value):
        problems.append(f"{path}: {value!r} does not match {pattern}")
    enum = shape.metadata.get("enum")
    if enum and value not in enum:
        problems.append(f"{path}: {value!r} is not one of {enum}")
    return problems


def json_problems(shape: Shape, value: Any, path: str = "$") -> list[str]:
    """Every way ``value`` (parsed JSON) breaks ``shape``; empty when it conforms."""
    kind = shape.type_name
    if value is None:
        return [f"{path}: null (AWS leaves a member out rather than send null)"]
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not an object ({shape.name})"]
        problems = [
            f"{path}.{name}: not a member of {shape.name}"
            for name in value
            if name not in shape.members
        ]
        problems += [
            f"{path}.{name}: required by {shape.name}, missing"
            for name in shape.required_members
            if name not in value
        ]
        for name, member in shape.members.items():
            if name in value:
                problems += json_problems(member, value[name], f"{path}.{name}")
        return problems
    if kind == "list":
        assert isinstance(shape, ListShape)
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__}, not a list ({shape.name})"]
        problems = _size_problems(shape, len(value), "length", path)
        for index, item in enumerate(value):
            problems += json_problems(shape.member, item, f"{path}[{index}]")
        return problems
    if kind == "map":
        assert isinstance(shape, MapShape)
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not an object ({shape.name})"]
        problems = []
        for key, item in value.items():
            problems += json_problems(shape.key, key, f"{path}<key {key!r}>")
            problems += json_problems(shape.value, item, f"{path}[{key!r}]")
        return problems
    if kind == "string":
        if not isinstance(value, str):
            return [f"{path}: {value!r} is not a string ({shape.name})"]
        return _string_problems(shape, value, path)
    if kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            return [f"{path}: {value!r} is not an integer ({shape.name})"]
        return _size_problems(shape, value, "value", path)
    if kind in ("double", "float"):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{path}: {value!r} is not a number ({shape.name})"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: {value!r} is not a boolean"]
    if kind == "timestamp":
        # JSON 1.1 sends timestamps as epoch seconds.
        if not isinstance(value, int | float) or isinstance(value, bool):
            return [f"{path}: {value!r} is not epoch seconds ({shape.name})"]
        return []
    if kind == "blob":
        return [] if isinstance(value, str) else [f"{path}: {value!r} is not base64 text"]
    return [f"{path}: unexpected shape type {kind}"]


def error_problems(operation: OperationModel, status: int, body: Any) -> list[str]:
    """Every way an error answer breaks the operation's error shapes."""
    if not isinstance(body, dict):
        return [f"the error body is {type(body).__name__}, not an object"]
    problems = [] if 400 <= status < 600 else [f"an error answered with HTTP {status}"]
    type_name = body.get("__type")
    error_names = {shape.name for shape in operation.error_shapes}
    if type_name in error_names:
        shape = operation.service_model.shape_for(str(type_name))
        fields = {key: value for key, value in body.items() if key != "__type"}
        problems += json_problems(shape, fields, f"${type_name}")
        if type_name == "InvalidGatewayRequestException" and "error" not in body:
            problems.append("InvalidGatewayRequestException without error.errorCode")
    elif type_name in COMMON_JSON_ERRORS:
        extra = set(body) - {"__type", "message"}
        if extra:
            problems.append(f"{type_name} has members {sorted(extra)} beyond __type and message")
        if not isinstance(body.get("message"), str):
            problems.append(f"{type_name} without a message")
    else:
        problems.append(
            f"__type {type_name!r} is neither an error of {operation.name} "
            f"({sorted(error_names)}) nor a common error"
        )
    return problems


def storage_gateway_problems(answer: RawAnswer) -> list[str]:
    """Every way a raw Storage Gateway answer breaks botocore's model."""
    operation = service_model("storagegateway").operation_model(answer.operation)
    try:
        body = answer.json()
    except ValueError as error:
        return [f"the body is not JSON: {error}"]
    if answer.status == 200:
        assert operation.output_shape is not None
        return json_problems(operation.output_shape, body)
    return error_problems(operation, answer.status, body)


# --- parsed answers (EC2) -------------------------------------------------------------------


def parsed_problems(shape: Shape | None, value: Any, path: str = "$") -> list[str]:
    """Every way an answer botocore parsed breaks ``shape`` (types, enums, patterns, sizes,
    required and unknown members)."""
    if shape is None:
        extra = set(value) - {"ResponseMetadata"}
        return [f"{path}: members {sorted(extra)} where the model has no output"] if extra else []
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__}, not a structure ({shape.name})"]
        top_level = {"ResponseMetadata"} if path == "$" else set()
        problems = [
            f"{path}.{name}: not a member of {shape.name}"
            for name in value
            if name not in shape.members and name not in top_level
        ]
        problems += [
            f"{path}.{name}: required by {shape.name}, missing"
            for name in shape.required_members
            if name not in value
        ]
        for name, member in shape.members.items():
            if name in value:
                problems += parsed_problems(member, value[name], f"{path}.{name}")
        return problems
    if kind == "list":
        assert isinstance(shape, ListShape)
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__}, not a list"]
        problems = _size_problems(shape, len(value), "length", path)
        for index, item in enumerate(value):
            problems += parsed_problems(shape.member, item, f"{path}[{index}]")
        return problems
    expected: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "long": int,
        "boolean": bool,
        "double": (int, float),
        "float": (int, float),
        "timestamp": datetime.datetime,
        "blob": bytes,
    }
    wanted = expected.get(kind)
    if wanted is None:
        return [f"{path}: unexpected shape type {kind}"]
    if not isinstance(value, wanted) or (kind in ("integer", "long") and isinstance(value, bool)):
        return [f"{path}: {value!r} is not a {kind} ({shape.name})"]
    if isinstance(value, str):
        return _string_problems(shape, value, path)
    if isinstance(value, int) and kind in ("integer", "long"):
        return _size_problems(shape, value, "value", path)
    return []


def ec2_problems(operation: str, parsed: dict[str, Any]) -> list[str]:
    shape = service_model("ec2").operation_model(operation).output_shape
    return parsed_problems(shape, parsed)
