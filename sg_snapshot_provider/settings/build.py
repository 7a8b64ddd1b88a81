"""Settings from the stack's config: one pass over the table of keys, plus the timings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .record import Settings
from .table import parse_keys
from .timings import TIMINGS_ENV, timings_from_env


def settings_from_config(
    get: Callable[[str], Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Build :class:`Settings` from a config getter such as ``pulumi.dynamic.Config.get`` and
    the process environment (``environ``: :data:`TIMINGS_ENV`, and the ``AWS_ROLE_ARN``,
    ``AWS_WEB_IDENTITY_TOKEN_FILE`` and ``AWS_ROLE_SESSION_NAME`` that fill in what
    ``aws:assumeRoleWithWebIdentity`` leaves out, as pulumi-aws does).

    Structured values arrive as JSON text and booleans as strings (that is how the engine
    hands config to a dynamic provider); already-parsed values are accepted too. A bad value
    raises :class:`ConfigurationError` naming the key, and never repeats a secret.
    """
    env = environ or {}
    return Settings(**parse_keys(get, env), timings=timings_from_env(env.get(TIMINGS_ENV)))


def settings_from_namespace(
    get: Callable[[str], Any], environ: Mapping[str, str] | None = None, namespace: str = "aws"
) -> Settings:
    """:func:`settings_from_config` over a getter of one namespace's bare keys, such as a Pulumi
    program's ``pulumi.Config("aws").get`` (``region``, ``profile``, ``endpoints``…). Code that
    runs in the program rather than the plugin (listing a gateway's volumes for a component)
    then reaches AWS exactly as the provider does, never through boto3's bare default chain."""
    prefix = f"{namespace}:"
    return settings_from_config(
        lambda key: get(key.removeprefix(prefix)) if key.startswith(prefix) else None, environ
    )
