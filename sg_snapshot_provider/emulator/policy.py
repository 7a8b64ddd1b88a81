"""IAM identity-policy evaluation, for the emulator's policy mode.

What IAM does with the identity policies of one principal, for one action on one resource
(the IAM User Guide's "Policy evaluation logic" and "Condition operators"):

* an explicit ``Deny`` that matches wins; else an ``Allow`` that matches allows; else the
  request is denied by default;
* ``Action``/``NotAction`` match ``service:Action`` case-insensitively, with ``*`` and ``?``;
* ``Resource``/``NotResource`` match the resource's ARN case-sensitively, with ``*`` and ``?``;
* every operator of a ``Condition`` must hold, every key under an operator must hold, and a
  key holds when any of its policy values matches (``ForAnyValue:``/``ForAllValues:`` compare
  a multivalued key such as ``aws:TagKeys`` value by value; ``…IfExists`` holds when the key
  is absent; ``Null`` tests whether the key is present). Condition key names are
  case-insensitive; an absent key fails every operator except the negated ones (IAM's rule).

moto's own access control (``INITIAL_NO_AUTH_ACTION_COUNT``) is not used: it authorizes EC2
actions against the resource ``*`` and ignores conditions, so it could not tell a snapshot
the provider made from any other. A document IAM would refuse (an unknown operator or
element, a policy variable, a ``Principal`` in an identity policy) raises ``PolicyError``
when it is loaded, never later.

Pure: nothing here knows HTTP, moto or the rest of the emulator (``authorization`` turns a
request into ``RequestContext`` values and a denial into AWS's answer).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

VERSION: Final = "2012-10-17"
_STATEMENT_KEYS: Final = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_SET_PREFIXES: Final = ("ForAnyValue:", "ForAllValues:")
_IF_EXISTS: Final = "IfExists"


class PolicyError(ValueError):
    """A policy document IAM would refuse; the message names the element and the rule."""


class Decision(enum.Enum):
    ALLOW = "allow"
    #: No statement allowed the request (IAM's default deny).
    IMPLICIT_DENY = "implicit deny"
    EXPLICIT_DENY = "explicit deny"


@dataclass(frozen=True)
class RequestContext:
    """One authorization question: ``action`` (``ec2:DeleteSnapshot``) on ``resource`` (an
    ARN, or ``*`` for actions without resource-level permissions) with the condition keys
    the request carries (each a list of values; a key that is absent is left out)."""

    action: str
    resource: str = "*"
    keys: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def values(self, key: str) -> Sequence[str] | None:
        wanted = key.lower()
        for name, values in self.keys.items():
            if name.lower() == wanted:
                return values
        return None


# --- matching ---------------------------------------------------------------------------------


@functools.cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one character, nothing else."""
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.compile(regex, (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def glob_matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _string_like(policy: str, value: str) -> bool:
    return glob_matches(policy, value)


def _arn_like(policy: str, value: str) -> bool:
    """ARN matching compares the six colon-separated parts one by one (a ``*`` does not run
    across a colon into the next part, except in the last one)."""
    wanted, actual = policy.split(":", 5), value.split(":", 5)
    if len(wanted) != len(actual):
        return False
    return all(glob_matches(w, a) for w, a in zip(wanted, actual, strict=True))


def _bool(policy: str, value: str) -> bool:
    return policy.lower() == value.lower()


#: Positive operators (the base name, without a set prefix or IfExists): how one policy value
#: matches one request value. The negated operators below hold when no value matches.
_MATCHERS: Final[dict[str, Callable[[str, str], bool]]] = {
    "StringEquals": lambda policy, value: policy == value,
    "StringEqualsIgnoreCase": lambda policy, value: policy.lower() == value.lower(),
    "StringLike": _string_like,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": _bool,
}
_NEGATED: Final = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


# --- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Condition:
    """One key under one operator: ``StringEquals: {"aws:ResourceTag/k": ["a", "b"]}``."""

    operator: str
    key: str
    values: tuple[str, ...]

    @functools.cached_property
    def parts(self) -> tuple[str | None, str, bool]:
        """(set prefix, base operator, IfExists)."""
        name, prefix = self.operator, None
        for candidate in _SET_PREFIXES:
            if name.startswith(candidate):
                prefix, name = candidate.rstrip(":"), name[len(candidate) :]
        if_exists = name.endswith(_IF_EXISTS) and name != _IF_EXISTS
        return prefix, name[: -len(_IF_EXISTS)] if if_exists else name, if_exists

    def holds(self, context: RequestContext) -> bool:
        prefix, base, if_exists = self.parts
        present = context.values(self.key)
        if base == "Null":
            return (present is None or not present) == (self.values[0].lower() == "true")
        negated = base in _NEGATED
        match = _MATCHERS[_NEGATED.get(base, base)]

        def one(value: str) -> bool:
            return any(match(policy, value) for policy in self.values)

        if prefix == "ForAllValues":
            # Every value the request has must satisfy it (none at all: it holds).
            return all(one(value) != negated for value in present or [])
        if present is None or not present:
            return if_exists or (negated and prefix is None)
        if prefix == "ForAnyValue":
            return any(one(value) != negated for value in present)
        # A single-valued key: negated operators hold when no policy value matches.
        return one(present[0]) != negated


def _parse_conditions(raw: Any, where: str) -> tuple[_Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where}.Condition must be an object of operators")
    found: list[_Condition] = []
    for operator, block in raw.items():
        condition = _Condition(str(operator), "", ())
        _prefix, base, _ = condition.parts
        if base not in _MATCHERS and base not in _NEGATED and base != "Null":
            raise PolicyError(
                f"{where}.Condition: the operator {operator!r} is not one this evaluator "
                f"knows ({', '.join(sorted([*_MATCHERS, *_NEGATED, 'Null']))}, with "
                "ForAnyValue:/ForAllValues: and IfExists)"
            )
        if not isinstance(block, Mapping) or not block:
            raise PolicyError(f"{where}.Condition.{operator} must map condition keys to values")
        for key, values in block.items():
            listed = _strings(values, f"{where}.Condition.{operator}.{key}")
            if any("${" in value for value in listed):
                raise PolicyError(
                    f"{where}.Condition.{operator}.{key}: policy variables (${{…}}) are not "
                    "supported by the emulator's evaluator"
                )
            if base == "Null" and (len(listed) != 1 or listed[0].lower() not in ("true", "false")):
                raise PolicyError(f'{where}.Condition.Null.{key} must be "true" or "false"')
            found.append(_Condition(str(operator), str(key), tuple(listed)))
    return tuple(found)


def _strings(raw: Any, where: str) -> list[str]:
    values = [raw] if isinstance(raw, str | bool) else raw
    if not isinstance(values, list) or not values:
        raise PolicyError(f"{where} must be a string or a non-empty list of strings")
    if not all(isinstance(value, str | bool) for value in values):
        raise PolicyError(f"{where} must hold strings only")
    return [str(value).lower() if isinstance(value, bool) else value for value in values]


# --- statements and policies ------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    actions_negated: bool
    resources: tuple[str, ...]
    resources_negated: bool
    conditions: tuple[_Condition, ...]
    sid: str = ""

    def applies(self, context: RequestContext) -> bool:
        action_hit = any(
            glob_matches(pattern, context.action, ignore_case=True) for pattern in self.actions
        )
        if action_hit == self.actions_negated:
            return False
        resource_hit = any(
            pattern == "*" or glob_matches(pattern, context.resource) for pattern in self.resources
        )
        if resource_hit == self.resources_negated:
            return False
        return all(condition.holds(context) for condition in self.conditions)


def _parse_statement(raw: Any, where: str) -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"{where} must be an object")
    unknown = sorted(set(raw) - _STATEMENT_KEYS)
    if unknown:
        raise PolicyError(
            f"{where}: {', '.join(unknown)} is not an element of an identity-based policy "
            "statement (Principal belongs in resource-based policies)"
        )
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f'{where}.Effect must be "Allow" or "Deny"')
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError(f"{where} needs exactly one of Action and NotAction")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyError(f"{where} needs exactly one of Resource and NotResource")
    action_key = "Action" if "Action" in raw else "NotAction"
    resource_key = "Resource" if "Resource" in raw else "NotResource"
    actions = _strings(raw[action_key], f"{where}.{action_key}")
    for action in actions:
        if action != "*" and not re.fullmatch(r"[a-zA-Z0-9-]+:[a-zA-Z0-9*?]+", action):
            raise PolicyError(f"{where}.{action_key}: {action!r} is not service:Action")
    return Statement(
        effect=str(effect),
        actions=tuple(actions),
        actions_negated=action_key == "NotAction",
        resources=tuple(_strings(raw[resource_key], f"{where}.{resource_key}")),
        resources_negated=resource_key == "NotResource",
        conditions=_parse_conditions(raw.get("Condition"), where),
        sid=str(raw.get("Sid", "")),
    )


@dataclass(frozen=True)
class Policy:
    """One identity-based policy document, checked as IAM checks it when it is attached."""

    statements: tuple[Statement, ...]

    @classmethod
    def parse(cls, document: Any, name: str = "policy") -> Policy:
        if not isinstance(document, Mapping):
            raise PolicyError(f"{name} must be a JSON object")
        if document.get("Version") != VERSION:
            raise PolicyError(f'{name}.Version must be "{VERSION}"')
        raw = document.get("Statement")
        listed = [raw] if isinstance(raw, Mapping) else raw
        if not isinstance(listed, list) or not listed:
            raise PolicyError(f"{name}.Statement must be a statement or a list of them")
        return cls(
            tuple(
                _parse_statement(item, f"{name}.Statement[{index}]")
                for index, item in enumerate(listed)
            )
        )


def decide(policies: Iterable[Policy], context: RequestContext) -> Decision:
    """IAM's answer for one action on one resource under these policies together."""
    allowed = False
    for policy in policies:
        for statement in policy.statements:
            if statement.applies(context):
                if statement.effect == "Deny":
                    return Decision.EXPLICIT_DENY
                allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def decide_all(
    policies: Sequence[Policy], contexts: Iterable[RequestContext]
) -> tuple[Decision, RequestContext | None]:
    """A request naming several resources (CreateTags on many snapshots) is allowed only when
    each one is: the first refusal and the context it refused, else (ALLOW, None)."""
    for context in contexts:
        decision = decide(policies, context)
        if decision is not Decision.ALLOW:
            return decision, context
    return Decision.ALLOW, None
