"""Keeping secret inputs secret through a provider that never sees them as secrets.

The dynamic-provider plugin tells the engine it does not accept secrets, so the engine sends
every input in plain text and, on each answer, marks secret only the keys whose *program* input
held a secret (``annotateSecrets`` in ``pkg/resource/plugin/provider_plugin.go`` of pulumi). A
value the provider computes from a secret under another key, such as ``tags_all`` from
``tags``, would be stored in plain text. These helpers run in the program, where secrets are
still known: they give each computed key the program input it is computed from, so the engine
marks it secret whenever that input holds a secret.

``tags_all`` is also computed from the stack's ``aws:defaultTags``, which the provider reads
from the config in plain text. When that key was set with ``--secret``, only the program knows:
then ``tags_all`` is sent as a secret, whatever ``tags`` holds.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any, Generic, TypeVar

import pulumi
from pulumi.runtime.config import is_config_secret

from .settings.keys import DEFAULT_TAGS_KEY

T = TypeVar("T")

#: Computed key → the input it is computed from (check replaces the value sent).
COMPUTED_FROM: Mapping[str, str] = {"tags_all": "tags"}


def with_secret_carriers(props: dict[str, Any]) -> dict[str, Any]:
    """``props`` with each computed key set to the input it is computed from: the provider's
    check computes the real value, and the engine keeps the secrecy of the input."""
    for computed, source in COMPUTED_FROM.items():
        if props.get(source) is not None:
            props[computed] = props[source]
    if is_config_secret(DEFAULT_TAGS_KEY):
        props["tags_all"] = pulumi.Output.secret(props.get("tags") or {})
    return props


def refuse_secret(value: pulumi.Input[T] | None, name: str, why: str) -> pulumi.Input[T] | None:
    """``value``, failing the resource (before any call to the provider) when it is a secret
    that could not stay one: ``why`` says where it would be written in plain text."""
    if not (isinstance(value, pulumi.Output) or inspect.isawaitable(value)):
        return value  # plain: a secret is always an Output
    output = pulumi.Output.from_input(value)

    async def plain() -> T:
        if await output.is_secret():
            raise ValueError(f"{name} is a secret, but {why}: pass it as a plain value")
        # Read as the engine would: an unknown stays unknown in a preview.
        return await output.future(with_unknowns=True)  # type: ignore[return-value]

    return pulumi.Output(
        _Lazy(output.resources), plain(), _Lazy(output.is_known), _Lazy(output.is_secret)
    )


class _Lazy(Generic[T]):
    """An awaitable that starts ``make()`` only when awaited: once ``plain()`` fails, the
    Output never awaits the rest, and a coroutine made up front would be reported as never
    awaited."""

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make

    def __await__(self) -> Generator[Any, None, T]:
        return self._make().__await__()
