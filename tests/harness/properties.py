"""Property bags on the wire: Python dicts to and from the protobuf Structs the engine sends.

The conversion is the Pulumi SDK's own (``pulumi.runtime.rpc``), so values look exactly as they
do in a deployment: numbers come back as floats, ``None`` at the top level is dropped, and an
unknown value travels as the string sentinel ``pulumi.runtime.rpc.UNKNOWN``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import UNKNOWN as PULUMI_UNKNOWN
from pulumi.output import Unknown
from pulumi.runtime import rpc

from sg_snapshot_provider.inputs import PROVIDER_KEY

#: Put this (or any ``pulumi.output.Unknown``) anywhere in a preview's inputs for a value that is
#: not known yet, e.g. an output of a resource that does not exist yet.
UNKNOWN: Unknown = PULUMI_UNKNOWN


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Serialize a property bag (``Unknown`` at any depth becomes the wire sentinel)."""
    loop = asyncio.new_event_loop()
    try:
        struct: struct_pb2.Struct = loop.run_until_complete(
            rpc.serialize_properties(dict(props), {})
        )
    finally:
        loop.close()
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Deserialize a property bag, keeping unknowns as ``pulumi.output.Unknown``."""
    props = rpc.deserialize_properties(struct, keep_unknowns=True)
    return {key: rpc.unwrap_rpc_secret(value) for key, value in dict(props).items()}


def public(props: Mapping[str, Any]) -> dict[str, Any]:
    """The bag without the serialized provider (what a user sees)."""
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}
