"""Keeping a resource's free-text inputs out of what the provider says.

AWS error messages may quote a request's values ("Value (…) for parameter … is invalid"), and
the provider cannot know which of its inputs was a secret: the engine sends every input in
plain text. So while an engine call runs, the resource's descriptions, tag values and triggers
are hidden from AWS's error messages as they arrive (before botocore raises them), and from
any other exception that would carry them to the engine. The provider's own sentences never
quote an input, and are left alone: a tag value ``storage`` must not blank out "storage tier".

No pulumi, no boto3: the AWS layer's client hook (``aws.clients``) uses it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

PLACEHOLDER = "[an input value]"
#: Shorter values would blank out ordinary words of a message; a secret that short is not one.
MIN_LENGTH = 4
#: The inputs whose values are free text a user may hold secret.
FREE_TEXT_KEYS = ("description", "tags", "tags_all", "triggers", "trigger")

_hidden: ContextVar[frozenset[str]] = ContextVar("hidden_values", default=frozenset())


def free_text_values(*props: Any) -> frozenset[str]:
    """The texts of :data:`FREE_TEXT_KEYS` in each mapping of ``props`` (values of mappings,
    items of lists, recursively)."""
    found: set[str] = set()
    for mapping in props:
        if isinstance(mapping, Mapping):
            for key in FREE_TEXT_KEYS:
                _collect(mapping.get(key), found)
    return frozenset(text for text in found if len(text) >= MIN_LENGTH)


def _collect(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        found.add(value)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, found)


@contextmanager
def hiding(values: frozenset[str]) -> Iterator[None]:
    """Hide ``values`` from :func:`hide` in this context (one engine call's thread)."""
    token = _hidden.set(_hidden.get() | values)
    try:
        yield
    finally:
        _hidden.reset(token)


def hide(text: str) -> str:
    """``text`` with each hidden value replaced by :data:`PLACEHOLDER` where it stands alone
    (longest first, so that a value holding another is hidden whole)."""
    for value in sorted(_hidden.get(), key=len, reverse=True):
        text = _standing_alone(value).sub(PLACEHOLDER, text)
    return text


def _standing_alone(value: str) -> re.Pattern[str]:
    """``value`` where it is not part of a longer name: a tag value ``storage`` or
    ``us-east-1`` must not blank out part of ``arn:aws:storagegateway:us-east-1:…``. AWS
    quotes a value between spaces, quotes, brackets or before a full stop."""
    return re.compile(rf"(?<![\w\-:/.]){re.escape(value)}(?![\w\-:/]|\.\w)")


def hide_in_exception(err: BaseException, ours: type[BaseException]) -> BaseException:
    """``err``, or an exception that says the same with the hidden values hidden. Exceptions of
    type ``ours`` (whose sentences never quote an input) are kept as they are; any other that
    quotes a hidden value has it hidden. When one in ``err``'s chain of causes quoted one, the
    chain is cut: the plugin sends the engine the whole traceback, causes included."""
    if not _hidden.get():
        return err
    chain = list(_chain(err))
    if all(isinstance(e, ours) or hide(str(e)) == str(e) for e in chain):
        return err
    err.__cause__ = None
    err.__context__ = None
    err.__suppress_context__ = True
    if isinstance(err, ours) or hide(str(err)) == str(err):
        return err
    return RuntimeError(hide(str(err)))


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
