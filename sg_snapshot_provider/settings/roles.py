"""Parsers of the roles to assume: ``aws:assumeRoles`` (and v5's ``aws:assumeRole``) and
``aws:assumeRoleWithWebIdentity``, with STS's own limits checked before any call is made."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from .keys import ASSUME_ROLE_KEY
from .reading import Config, Fields, fail, structured
from .record import AssumeRole, WebIdentity

#: The bounds pulumi-aws puts on a role session's ``duration``: 15 minutes to 12 hours.
SESSION_SECONDS_MIN, SESSION_SECONDS_MAX = 15 * 60, 12 * 60 * 60

#: An IAM role ARN (a path may precede the name).
_ROLE_ARN_RE: Final = re.compile(r"arn:aws[a-z0-9-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
_POLICY_ARN_RE: Final = re.compile(r"arn:aws[a-z0-9-]*:iam::(\d{12}|aws):policy/[\w+=,.@/-]+")
#: STS's RoleSessionName and SourceIdentity pattern and lengths.
_SESSION_NAME_RE: Final = re.compile(r"[\w+=,.@-]{2,64}")
_EXTERNAL_ID_RE: Final = re.compile(r"[\w+=,.@:/-]{2,1224}")
#: STS allows 10 managed session policies and 50 session tags.
_MAX_POLICY_ARNS, _MAX_SESSION_TAGS = 10, 50
_ROLE_ARN_EXAMPLE: Final = "arn:aws:iam::123456789012:role/deployer"
_ROLE_FIELDS: Final = (
    "roleArn",
    "sessionName",
    "externalId",
    "duration",
    "durationSeconds",
    "policy",
    "policyArns",
    "tags",
    "transitiveTagKeys",
    "sourceIdentity",
)
_WEB_IDENTITY_FIELDS: Final = (
    "roleArn",
    "sessionName",
    "webIdentityToken",
    "webIdentityTokenFile",
    "duration",
    "durationSeconds",
    "policy",
    "policyArns",
)
#: One term of a Go duration ("1h", "1.5h", "90m", "3600s"…): pulumi-aws's ``duration``.
_GO_DURATION_TERM: Final = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_GO_DURATION_UNITS: Final = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string such as ``1h30m`` (``time.ParseDuration``'s syntax),
    or None when it is not one."""
    body = text.strip()
    sign = -1.0 if body.startswith("-") else 1.0
    body = body.lstrip("+-")
    if body == "0":
        return 0.0
    if not body or _GO_DURATION_TERM.sub("", body) != "":
        return None
    terms = _GO_DURATION_TERM.findall(body)
    return sign * sum(float(amount) * _GO_DURATION_UNITS[unit] for amount, unit in terms)


class _RoleFields(Fields):
    """The fields of one role: the rules STS puts on each."""

    def role_arn(self) -> str:
        value = self.text("roleArn", _ROLE_ARN_RE, f"an IAM role ARN such as {_ROLE_ARN_EXAMPLE}")
        if value is None:
            self.fail(f"roleArn is required: the ARN of the role to assume ({_ROLE_ARN_EXAMPLE})")
        return value

    def session_name(self, name: str = "sessionName") -> str | None:
        rule = "2 to 64 letters, digits or + = , . @ _ -"
        return self.text(name, _SESSION_NAME_RE, rule)

    def duration_seconds(self) -> int | None:
        """``duration`` (pulumi-aws v6+: a Go duration such as ``1h``) or ``durationSeconds``
        (v5: a number of seconds), 15 minutes to 12 hours."""
        duration, seconds = self.raw.get("duration"), self.raw.get("durationSeconds")
        if duration not in (None, "") and seconds not in (None, ""):
            self.fail("set duration or durationSeconds, not both")
        rule = "between 15 minutes and 12 hours"
        if duration not in (None, ""):
            parsed = parse_go_duration(duration) if isinstance(duration, str) else None
            if parsed is None:
                self.fail(f"duration must be a duration such as 1h or 45m; got {duration!r}")
            if not SESSION_SECONDS_MIN <= parsed <= SESSION_SECONDS_MAX:
                self.fail(f"duration must be {rule} (15m to 12h); got {duration!r}")
            return int(parsed)
        if seconds in (None, ""):
            return None
        number: Any = seconds
        if isinstance(seconds, str) and seconds.strip().isdigit():
            number = int(seconds)
        if isinstance(number, float) and number.is_integer():
            number = int(number)
        if isinstance(number, bool) or not isinstance(number, int):
            self.fail(f"durationSeconds must be a whole number of seconds; got {seconds!r}")
        if not SESSION_SECONDS_MIN <= number <= SESSION_SECONDS_MAX:
            self.fail(f"durationSeconds must be {rule} (900 to 43200); got {seconds!r}")
        return number

    def policy(self) -> str | None:
        """An inline session policy: JSON text (an object is accepted and written as JSON)."""
        value = self.raw.get("policy")
        if value is None or value == "":
            return None
        if isinstance(value, Mapping):
            return json.dumps(value, sort_keys=True, separators=(",", ":"))
        if not isinstance(value, str):
            self.fail(f"policy must be an IAM policy document (JSON); got {type(value).__name__}")
        try:
            document = json.loads(value)
        except json.JSONDecodeError as err:
            self.fail(f"policy must be an IAM policy document in JSON; {err.msg}")
        if not isinstance(document, dict):
            self.fail("policy must be an IAM policy document: a JSON object")
        return value

    def policy_arns(self) -> tuple[str, ...]:
        arns = self.strings("policyArns")
        if len(arns) > _MAX_POLICY_ARNS:
            self.fail(f"policyArns may name at most {_MAX_POLICY_ARNS} policies; got {len(arns)}")
        for arn in arns:
            if not _POLICY_ARN_RE.fullmatch(arn):
                self.fail(
                    "policyArns must be IAM policy ARNs such as "
                    f"arn:aws:iam::aws:policy/ReadOnlyAccess; got {arn!r}"
                )
        return arns

    def session_tags(self) -> tuple[tuple[str, str], ...]:
        value = self.raw.get("tags")
        if value is None:
            return ()
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.fail("tags must be a map of strings to strings")
        if len(value) > _MAX_SESSION_TAGS:
            self.fail(f"at most {_MAX_SESSION_TAGS} session tags are allowed; got {len(value)}")
        for key, tag_value in value.items():
            if not 1 <= len(key) <= 128 or len(tag_value) > 256:
                self.fail(f"session tag {key!r}: keys are 1 to 128 characters, values at most 256")
        return tuple(sorted(value.items()))


def _entries(raw: Any, key: str, example: str) -> list[Mapping[str, Any]]:
    """A list of maps (a single map counts as a list of one)."""
    value = structured(raw, key, example)
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        fail(key, f"expected a list of roles such as {example}")
    return value


def assume_roles(config: Config, key: str) -> tuple[AssumeRole, ...]:
    """The roles of ``aws:assumeRoles`` (``key``), or the single role of v5's
    ``aws:assumeRole``, which fills the same field: one of the two, never both."""
    raw_roles, raw_role = config.get(key), config.get(ASSUME_ROLE_KEY)
    roles, role = raw_roles not in (None, ""), raw_role not in (None, "")
    if roles and role:
        fail(ASSUME_ROLE_KEY, f"set {key} or {ASSUME_ROLE_KEY}, not both")
    if not roles and not role:
        return ()
    given, raw = (key, raw_roles) if roles else (ASSUME_ROLE_KEY, raw_role)
    example = f'[{{"roleArn": "{_ROLE_ARN_EXAMPLE}", "sessionName": "pulumi"}}]'
    entries = _entries(raw, given, example)
    if given == ASSUME_ROLE_KEY and len(entries) > 1:
        fail(given, f"expected one role; chain several with {key}")
    return tuple(
        _assume_role(
            _RoleFields(
                entry, given, f"role {position}: " if len(entries) > 1 else "", _ROLE_FIELDS
            )
        )
        for position, entry in enumerate(entries, 1)
    )


def _assume_role(entry: _RoleFields) -> AssumeRole:
    external_rule = "2 to 1224 letters, digits or + = , . @ : / _ -"
    tags = entry.session_tags()
    transitive = entry.strings("transitiveTagKeys")
    untagged = sorted(set(transitive) - {key for key, _ in tags})
    if untagged:
        entry.fail(f"transitiveTagKeys must be keys of tags; not in tags: {', '.join(untagged)}")
    return AssumeRole(
        role_arn=entry.role_arn(),
        session_name=entry.session_name(),
        external_id=entry.text("externalId", _EXTERNAL_ID_RE, external_rule),
        duration_seconds=entry.duration_seconds(),
        policy=entry.policy(),
        policy_arns=entry.policy_arns(),
        tags=tags,
        transitive_tag_keys=tuple(sorted(set(transitive))),
        source_identity=entry.session_name("sourceIdentity"),
    )


def web_identity(config: Config, key: str) -> WebIdentity | None:
    """The role of ``aws:assumeRoleWithWebIdentity``, completed from the environment."""
    raw, environ = config.get(key), config.environ
    if raw is None or raw == "":
        return None
    example = f'{{"roleArn": "{_ROLE_ARN_EXAMPLE}", "webIdentityTokenFile": "/var/run/token"}}'
    value = structured(raw, key, example)
    if not isinstance(value, Mapping):
        fail(key, f"expected a map such as {example}")
    # As pulumi-aws: what the block leaves out comes from the variables a CI system sets.
    filled = dict(value)
    for name, variable in (
        ("roleArn", "AWS_ROLE_ARN"),
        ("webIdentityTokenFile", "AWS_WEB_IDENTITY_TOKEN_FILE"),
        ("sessionName", "AWS_ROLE_SESSION_NAME"),
    ):
        inline_token = name == "webIdentityTokenFile" and filled.get("webIdentityToken")
        if filled.get(name) in (None, "") and environ.get(variable) and not inline_token:
            filled[name] = environ[variable]
    entry = _RoleFields(filled, key, "", _WEB_IDENTITY_FIELDS)
    token = entry.text("webIdentityToken")
    token_file = entry.text("webIdentityTokenFile")
    if (token is None) == (token_file is None):
        entry.fail(
            "set one of webIdentityToken (the token) and webIdentityTokenFile (a file holding "
            "it, re-read at each refresh)"
        )
    return WebIdentity(
        role_arn=entry.role_arn(),
        session_name=entry.session_name(),
        web_identity_token=token,
        web_identity_token_file=token_file,
        duration_seconds=entry.duration_seconds(),
        policy=entry.policy(),
        policy_arns=entry.policy_arns(),
    )
