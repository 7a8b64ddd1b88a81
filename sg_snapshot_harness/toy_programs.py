"""Toy programs for the harness's own tests (their ``__main__.py`` only calls one of these)."""

from __future__ import annotations

import pulumi

from .toy import ToyResource


def chain() -> None:
    """Toy resources named by config ``names`` (comma-separated), each registered after the one
    before it (its value waits for the previous ``toy_id``), so the registration order is fixed
    and each depends on the one before.

    ``prefix`` goes into every ``name`` input (changing it replaces every resource); the
    resource named by ``explode`` fails its create; with ``secret``, every value is that secret
    (and the resources are independent).
    """
    config = pulumi.Config()
    prefix = config.get("prefix") or "p"
    explode = config.get("explode") or ""
    secret = config.get("secret")
    previous: pulumi.Output[str] | None = None
    for name in filter(None, (config.get("names") or "").split(",")):
        plain = "explode" if name == explode else "1"
        value: pulumi.Input[str] = plain
        if secret:
            value = pulumi.Output.secret(secret)
        elif previous is not None:
            value = _after(previous, plain)
        resource = ToyResource(name, name=f"{prefix}{name}", value=value)
        previous = resource.toy_id
        pulumi.export(name, resource.toy_id)


def _after(previous: pulumi.Output[str], value: str) -> pulumi.Output[str]:
    """``value`` once ``previous`` is known: a dependency, and a fixed registration order."""
    return previous.apply(lambda _: value)
