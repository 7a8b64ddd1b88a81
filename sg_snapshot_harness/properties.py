"""Property bags on the wire and in state: Python dicts to and from the protobuf Structs the engine
sends, and the engine's handling of secrets.

The conversion is the Pulumi SDK's own (``pulumi.runtime.rpc``), so values look exactly as they
do in a deployment: numbers come back as floats, ``None`` at the top level is dropped, and an
unknown value travels as the string sentinel ``pulumi.runtime.rpc.UNKNOWN``.

Secrets: in state a secret value is a :class:`Secret` (at any depth). The dynamic-provider plugin
answers ``Configure`` with ``acceptSecrets: false`` (``pulumi/dynamic/__main__.py``), so the
engine strips every secret from what it sends it and, on the way back, marks secret the
properties that were secret in the request (``annotateSecrets`` in
``pkg/resource/plugin/provider_plugin.go``): :func:`strip_secrets` and :func:`annotate_secrets`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from pulumi.output import UNKNOWN as PULUMI_UNKNOWN
from pulumi.output import Unknown
from pulumi.runtime import rpc

from sg_snapshot_provider.inputs import PROVIDER_KEY

#: Put this (or any ``pulumi.output.Unknown``) anywhere in a preview's inputs for a value that is
#: not known yet, e.g. an output of a resource that does not exist yet.
UNKNOWN: Unknown = PULUMI_UNKNOWN
#: The key and value that mark a secret in a checkpoint and on the wire (``sig.Secret``).
SECRET_SIG_KEY: str = rpc._special_sig_key
SECRET_SIG: str = rpc._special_secret_sig
#: The key this process's ciphertexts are made with: opaque to anyone reading an export, and
#: readable by :func:`decode_secret` in this process (``Engine.from_export``).
_CIPHER_KEY = os.urandom(32)
_CIPHER_PREFIX = "harness-v1:"


@dataclass(frozen=True)
class Secret:
    """A secret value in state, or an input given as secret (``pulumi.Output.secret``)."""

    value: Any

    def __repr__(self) -> str:  # never print the value by accident
        return "Secret([secret])"


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Serialize a property bag (``Unknown`` at any depth becomes the wire sentinel, a
    :class:`Secret` a wire secret)."""
    loop = asyncio.new_event_loop()
    try:
        struct: struct_pb2.Struct = loop.run_until_complete(
            rpc.serialize_properties(to_rpc_secrets(dict(props)), {})
        )
    finally:
        loop.close()
    return struct


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Deserialize a property bag, keeping unknowns as ``pulumi.output.Unknown`` and secrets as
    :class:`Secret` (the engine unmarshals with ``KeepSecrets: true``)."""
    props = rpc.deserialize_properties(struct, keep_unknowns=True)
    return {key: with_secrets(value) for key, value in dict(props).items()}


def public(props: Mapping[str, Any]) -> dict[str, Any]:
    """The bag without the serialized provider (what a user sees)."""
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


# -- secrets ----------------------------------------------------------------------------------


def with_secrets(value: Any) -> Any:
    """``value`` with every SDK secret (``{"4dabf…": "1b47…", "value": v}``, what a program's
    ``pulumi.Output.secret`` reaches the monitor as) turned into a :class:`Secret`."""
    if rpc.is_rpc_secret(value):
        return Secret(strip_secrets(with_secrets(value["value"])))
    if isinstance(value, Secret):
        return Secret(strip_secrets(value.value))
    if isinstance(value, Mapping):
        return {key: with_secrets(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [with_secrets(item) for item in value]
    return value


def to_rpc_secrets(value: Any) -> Any:
    """``value`` with every :class:`Secret` as the SDK's secret dict (for the wire)."""
    if isinstance(value, Secret):
        return rpc.wrap_rpc_secret(to_rpc_secrets(value.value))
    if isinstance(value, Mapping):
        return {key: to_rpc_secrets(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_rpc_secrets(item) for item in value]
    return value


def strip_secrets(value: Any) -> Any:
    """The plain value: what the engine sends a provider that does not accept secrets
    (``MarshalProperties`` with ``KeepSecrets: false``)."""
    if isinstance(value, Secret):
        return strip_secrets(value.value)
    if rpc.is_rpc_secret(value):
        return strip_secrets(value["value"])
    if isinstance(value, Mapping):
        return {key: strip_secrets(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [strip_secrets(item) for item in value]
    return value


def contains_secrets(value: Any) -> bool:
    """Whether ``value`` is or holds a secret (``PropertyValue.ContainsSecrets``)."""
    if isinstance(value, Secret) or rpc.is_rpc_secret(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_secrets(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(contains_secrets(item) for item in value)
    return False


def annotate_secrets(outs: Mapping[str, Any], ins: Mapping[str, Any]) -> dict[str, Any]:
    """``annotateSecrets`` (``pkg/resource/plugin/provider_plugin.go``): for each key of ``ins``
    that ``outs`` has too, recurse where both are objects; otherwise, when the input value
    contains a secret, the whole output value becomes secret. Keys only ``outs`` has (computed
    outputs) stay as the provider returned them."""
    result = dict(outs)
    for key, in_value in ins.items():
        if key not in result:
            continue
        out_value = result[key]
        if _is_object(out_value) and _is_object(in_value):
            result[key] = annotate_secrets(out_value, in_value)
        elif not isinstance(out_value, Secret) and contains_secrets(in_value):
            result[key] = Secret(out_value)
    return result


def _is_object(value: Any) -> bool:
    return isinstance(value, Mapping) and not rpc.is_rpc_secret(value)


def secret_keys(props: Mapping[str, Any]) -> frozenset[str]:
    """The top-level keys whose value is or holds a secret."""
    return frozenset(key for key, value in props.items() if contains_secrets(value))


# -- secrets in a checkpoint ----------------------------------------------------------------


def encode_secrets(value: Any, *, show_secrets: bool = False) -> Any:
    """``value`` as a checkpoint holds it: each :class:`Secret` as ``{"4dabf…": "1b47…",
    "ciphertext": …}`` (``pulumi stack export``), or ``"plaintext"`` (the JSON text of the value)
    with ``show_secrets`` (``pulumi stack export --show-secrets``)."""
    if isinstance(value, Secret):
        text = json.dumps(strip_secrets(value.value))
        if show_secrets:
            return {SECRET_SIG_KEY: SECRET_SIG, "plaintext": text}
        return {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": _encrypt(text)}
    if isinstance(value, Mapping):
        return {key: encode_secrets(item, show_secrets=show_secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode_secrets(item, show_secrets=show_secrets) for item in value]
    return value


def decode_secrets(value: Any) -> Any:
    """The inverse of :func:`encode_secrets` (ciphertexts of this process only)."""
    if isinstance(value, Mapping) and value.get(SECRET_SIG_KEY) == SECRET_SIG:
        if "plaintext" in value:
            return Secret(json.loads(value["plaintext"]))
        if "ciphertext" in value:
            return Secret(json.loads(_decrypt(value["ciphertext"])))
        return Secret(decode_secrets(value.get("value")))
    if isinstance(value, Mapping):
        return {key: decode_secrets(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [decode_secrets(item) for item in value]
    return value


def _keystream(nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(_CIPHER_KEY, nonce + i.to_bytes(4, "big"), hashlib.sha256).digest()
        for i in range(blocks)
    )[:length]


def _encrypt(text: str) -> str:
    """Opaque text (a random nonce, then the value XORed with an HMAC keystream): never the
    plain text, and different for two equal values, as a real secrets provider's."""
    data = text.encode()
    nonce = os.urandom(16)
    sealed = bytes(a ^ b for a, b in zip(data, _keystream(nonce, len(data)), strict=True))
    return _CIPHER_PREFIX + base64.b64encode(nonce + sealed).decode()


def _decrypt(ciphertext: str) -> str:
    if not ciphertext.startswith(_CIPHER_PREFIX):
        raise ValueError("not a ciphertext of this harness process")
    raw = base64.b64decode(ciphertext[len(_CIPHER_PREFIX) :])
    nonce, sealed = raw[:16], raw[16:]
    return bytes(
        a ^ b for a, b in zip(sealed, _keystream(nonce, len(sealed)), strict=True)
    ).decode()


def plain_strings(value: Any) -> set[str]:
    """Every string (keys included) in a JSON-like value."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, Mapping):
        found = {str(key) for key in value}
        for item in value.values():
            found |= plain_strings(item)
        return found
    if isinstance(value, list | tuple):
        return set().union(*(plain_strings(item) for item in value)) if value else set()
    return set()
