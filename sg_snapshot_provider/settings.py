"""Connection settings from the stack's ``aws:…`` configuration, the keys pulumi-aws users know.

Pure: no I/O, no boto3, no Pulumi. It parses and validates; building sessions and credentials
from the result is ``aws/clients.py``'s job. Settings live only in process memory: they are never
pickled into state (see :meth:`Settings.__reduce__`) and credentials never appear in ``repr``.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from .errors import ConfigurationError
from .inputs import NO_IGNORED_TAGS, IgnoreTags, tag_problems

REGION_KEY = "aws:region"
PROFILE_KEY = "aws:profile"
ACCESS_KEY_KEY = "aws:accessKey"
SECRET_KEY_KEY = "aws:secretKey"
TOKEN_KEY = "aws:token"
ENDPOINTS_KEY = "aws:endpoints"
DEFAULT_TAGS_KEY = "aws:defaultTags"
IGNORE_TAGS_KEY = "aws:ignoreTags"
MAX_RETRIES_KEY = "aws:maxRetries"
RETRY_MODE_KEY = "aws:retryMode"
INSECURE_KEY = "aws:insecure"
CUSTOM_CA_BUNDLE_KEY = "aws:customCaBundle"
HTTP_PROXY_KEY = "aws:httpProxy"
HTTPS_PROXY_KEY = "aws:httpsProxy"
NO_PROXY_KEY = "aws:noProxy"
ASSUME_ROLES_KEY = "aws:assumeRoles"
#: pulumi-aws v5's single role (v6 made it the list ``aws:assumeRoles``).
ASSUME_ROLE_KEY = "aws:assumeRole"
WEB_IDENTITY_KEY = "aws:assumeRoleWithWebIdentity"
SHARED_CONFIG_FILES_KEY = "aws:sharedConfigFiles"
SHARED_CREDENTIALS_FILES_KEY = "aws:sharedCredentialsFiles"
ALLOWED_ACCOUNT_IDS_KEY = "aws:allowedAccountIds"
FORBIDDEN_ACCOUNT_IDS_KEY = "aws:forbiddenAccountIds"
STS_REGION_KEY = "aws:stsRegion"
USE_FIPS_ENDPOINT_KEY = "aws:useFipsEndpoint"
USE_DUALSTACK_ENDPOINT_KEY = "aws:useDualstackEndpoint"
USER_AGENTS_KEY = "aws:userAgents"
EC2_METADATA_ENDPOINT_KEY = "aws:ec2MetadataServiceEndpoint"
EC2_METADATA_ENDPOINT_MODE_KEY = "aws:ec2MetadataServiceEndpointMode"

#: Every key that changes what the provider does (README, "Configuration", says how).
HONOURED_KEYS: Final = frozenset(
    {
        REGION_KEY,
        PROFILE_KEY,
        ACCESS_KEY_KEY,
        SECRET_KEY_KEY,
        TOKEN_KEY,
        ENDPOINTS_KEY,
        DEFAULT_TAGS_KEY,
        IGNORE_TAGS_KEY,
        MAX_RETRIES_KEY,
        RETRY_MODE_KEY,
        INSECURE_KEY,
        CUSTOM_CA_BUNDLE_KEY,
        HTTP_PROXY_KEY,
        HTTPS_PROXY_KEY,
        NO_PROXY_KEY,
        ASSUME_ROLES_KEY,
        ASSUME_ROLE_KEY,
        WEB_IDENTITY_KEY,
        SHARED_CONFIG_FILES_KEY,
        SHARED_CREDENTIALS_FILES_KEY,
        ALLOWED_ACCOUNT_IDS_KEY,
        FORBIDDEN_ACCOUNT_IDS_KEY,
        STS_REGION_KEY,
        USE_FIPS_ENDPOINT_KEY,
        USE_DUALSTACK_ENDPOINT_KEY,
        USER_AGENTS_KEY,
        EC2_METADATA_ENDPOINT_KEY,
        EC2_METADATA_ENDPOINT_MODE_KEY,
    }
)
#: pulumi-aws keys accepted without effect: they tune pulumi-aws itself (its validation calls,
#: its rate limiter, its tag policies) or a service this provider never calls (S3).
NO_EFFECT_KEYS: Final = frozenset(
    {
        "aws:skipCredentialsValidation",
        "aws:skipMetadataApiCheck",
        "aws:skipRegionValidation",
        "aws:skipRequestingAccountId",
        "aws:tagPolicyCompliance",
        "aws:tokenBucketRateLimiterCapacity",
        "aws:s3UsEast1RegionalEndpoint",
        "aws:s3UsePathStyle",
    }
)

#: The entries of ``aws:endpoints`` this provider uses (STS for roles and the account check);
#: pulumi-aws's other services are ignored.
ENDPOINT_SERVICES: Final = ("storagegateway", "ec2", "sts")
MAX_RETRIES_LIMIT = 100
#: Retries after the first attempt when aws:maxRetries is not set (botocore's standard mode
#: makes 3 attempts; one more rides out a short burst of throttling).
DEFAULT_MAX_RETRIES = 3
#: ``aws:retryMode`` values, as pulumi-aws (the AWS SDK for Go) accepts them.
RETRY_MODES: Final = ("standard", "adaptive")
#: The bounds pulumi-aws puts on a role session's ``duration``: 15 minutes to 12 hours.
SESSION_SECONDS_MIN, SESSION_SECONDS_MAX = 15 * 60, 12 * 60 * 60


@dataclass(frozen=True)
class Timings:
    """Time bounds of the provider's waits and retries. How many times one request is sent
    comes from ``aws:maxRetries`` instead. Tests that run the plugin in a subprocess shorten
    them with the ``SG_SNAPSHOT_PROVIDER_TIMINGS`` environment variable (:data:`TIMINGS_ENV`);
    field names are stable: add fields, never rename them."""

    #: How long to keep retrying a gateway in a transient state (GatewayNotConnected, …).
    transient_retry_seconds: float = 120.0
    #: How long DeleteSnapshot retries InvalidSnapshot.InUse (an AMI may be deregistering).
    in_use_retry_seconds: float = 120.0
    backoff_initial_seconds: float = 2.0
    backoff_max_seconds: float = 20.0
    #: After CreateSnapshot's answer was lost, how long to let a request that may still be in
    #: flight land before looking for the snapshot it made.
    ambiguous_settle_seconds: float = 5.0
    #: The longest pause between two DescribeSnapshots polls while waiting for completion.
    poll_interval_seconds: float = 15.0
    #: The first pause between polls; later pauses grow with the wait (a fifth of the time
    #: waited so far) up to ``poll_interval_seconds``.
    poll_initial_seconds: float = 1.0
    #: Report progress at least this often even when it did not change.
    progress_every_seconds: float = 60.0
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0
    #: EC2 is eventually consistent: for this long after the provider made a snapshot,
    #: InvalidSnapshot.NotFound means "not visible yet" and is retried, not believed.
    visibility_window_seconds: float = 120.0


#: Environment variable holding JSON overrides of :class:`Timings` fields, e.g.
#: ``{"transient_retry_seconds": 1}``. Read when settings are read (``configure``).
TIMINGS_ENV: Final = "SG_SNAPSHOT_PROVIDER_TIMINGS"


def timings_from_env(text: str | None) -> Timings:
    """:class:`Timings` with the overrides of :data:`TIMINGS_ENV` (None or empty: the
    defaults); raises :class:`ConfigurationError` naming the variable."""
    if not text:
        return Timings()
    names = ", ".join(f.name for f in dataclasses.fields(Timings))
    try:
        overrides = json.loads(text)
    except ValueError as err:
        _fail(TIMINGS_ENV, f"expected a JSON object of {names}; {err}")
    if not isinstance(overrides, dict):
        _fail(TIMINGS_ENV, f"expected a JSON object of {names}")
    unknown = sorted(set(overrides) - {f.name for f in dataclasses.fields(Timings)})
    if unknown:
        _fail(TIMINGS_ENV, f"unknown field {', '.join(unknown)}; the fields are {names}")
    values: dict[str, float] = {}
    for name, value in overrides.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            _fail(TIMINGS_ENV, f"{name} must be a number of seconds, 0 or more; got {value!r}")
        values[name] = float(value)
    return dataclasses.replace(Timings(), **values)


@dataclass(frozen=True)
class AssumeRole:
    """One role to assume: an entry of ``aws:assumeRoles`` (or ``aws:assumeRole``). Field
    names are the AssumeRole request's, in snake case."""

    role_arn: str
    session_name: str | None = None
    #: Not a secret by AWS's definition, but it guards a cross-account trust: kept out of
    #: ``repr`` and messages all the same.
    external_id: str | None = field(default=None, repr=False)
    duration_seconds: int | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None

    def __reduce__(self) -> NoReturn:
        raise TypeError("role settings are never pickled")


@dataclass(frozen=True)
class WebIdentity:
    """``aws:assumeRoleWithWebIdentity``: a role assumed with an OIDC token (CI systems), the
    token given inline or, re-read at each refresh, from a file."""

    role_arn: str
    session_name: str | None = None
    web_identity_token: str | None = field(default=None, repr=False)
    web_identity_token_file: str | None = None
    duration_seconds: int | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()

    def __reduce__(self) -> NoReturn:
        raise TypeError("role settings are never pickled")


@dataclass(frozen=True)
class Settings:
    """How to reach AWS. Empty fields mean "use boto3's own chain" (``AWS_PROFILE``,
    ``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, ``~/.aws/config``…). Hashable, so it can key
    a client cache."""

    region: str | None = None
    profile: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    #: (service, URL) pairs from ``aws:endpoints``.
    endpoints: tuple[tuple[str, str], ...] = ()
    #: (key, value) pairs from ``aws:defaultTags``.
    default_tags: tuple[tuple[str, str], ...] = ()
    #: Tags never diffed, removed or reported (``aws:ignoreTags``).
    ignore_tags: IgnoreTags = NO_IGNORED_TAGS
    #: Retries after the first attempt (``aws:maxRetries``); None = DEFAULT_MAX_RETRIES.
    max_retries: int | None = None
    #: ``aws:retryMode``: None (boto3's chain decides, standard unless it says adaptive),
    #: ``standard`` or ``adaptive``.
    retry_mode: str | None = None
    #: Skip TLS certificate verification (``aws:insecure``).
    insecure: bool = False
    custom_ca_bundle: str | None = None
    #: Proxy URLs may hold a user name and password: kept out of ``repr``.
    http_proxy: str | None = field(default=None, repr=False)
    https_proxy: str | None = field(default=None, repr=False)
    no_proxy: str | None = None
    #: Roles to assume in order, each with the credentials of the one before
    #: (``aws:assumeRoles``); the first with the base credentials.
    assume_roles: tuple[AssumeRole, ...] = ()
    #: The base credentials from an OIDC token instead (``aws:assumeRoleWithWebIdentity``).
    web_identity: WebIdentity | None = None
    #: Candidates for boto3's config and credentials files: the first that exists is used.
    shared_config_files: tuple[str, ...] = ()
    shared_credentials_files: tuple[str, ...] = ()
    allowed_account_ids: tuple[str, ...] = ()
    forbidden_account_ids: tuple[str, ...] = ()
    #: The region of the STS calls (roles, account check); None = ``region``'s.
    sts_region: str | None = None
    use_fips_endpoint: bool = False
    use_dualstack_endpoint: bool = False
    #: Product tokens appended to the User-Agent of every request (``aws:userAgents``).
    user_agents: tuple[str, ...] = ()
    ec2_metadata_service_endpoint: str | None = None
    #: ``ipv4`` or ``ipv6``.
    ec2_metadata_service_endpoint_mode: str | None = None
    #: Time bounds of waits and retries (``SG_SNAPSHOT_PROVIDER_TIMINGS``).
    timings: Timings = field(default_factory=Timings)

    def endpoint(self, service: str) -> str | None:
        """The endpoint URL configured for ``service``, if any."""
        return dict(self.endpoints).get(service)

    @property
    def max_attempts(self) -> int:
        """How many times one AWS request may be sent (the first try plus the retries)."""
        retries = DEFAULT_MAX_RETRIES if self.max_retries is None else self.max_retries
        return retries + 1

    @property
    def default_tags_map(self) -> dict[str, str]:
        return dict(self.default_tags)

    @property
    def checks_account(self) -> bool:
        """Whether the account of the credentials must be checked before the first call."""
        return bool(self.allowed_account_ids or self.forbidden_account_ids)

    def __reduce__(self) -> NoReturn:
        # Settings may hold credentials: refuse to be pickled (and so to land in state).
        raise TypeError("Settings hold credentials and are never pickled")


def account_refusal(settings: Settings, account_id: str) -> str | None:
    """The stack-config key that rules out working in ``account_id``
    (``aws:forbiddenAccountIds`` lists it, or ``aws:allowedAccountIds`` does not), or None."""
    if account_id in settings.forbidden_account_ids:
        return FORBIDDEN_ACCOUNT_IDS_KEY
    if settings.allowed_account_ids and account_id not in settings.allowed_account_ids:
        return ALLOWED_ACCOUNT_IDS_KEY
    return None


def ignored_keys(keys: Iterable[str]) -> list[str]:
    """The ``aws:`` keys among ``keys`` that this provider neither honours nor accepts as a
    pulumi-aws-only key: the plugin names each once on stderr, never fails on one."""
    return sorted(
        key
        for key in set(keys)
        if key.startswith("aws:") and key not in HONOURED_KEYS and key not in NO_EFFECT_KEYS
    )


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
    access_key = _optional_str(get, ACCESS_KEY_KEY)
    secret_key = _optional_str(get, SECRET_KEY_KEY)
    if bool(access_key) != bool(secret_key):
        missing = SECRET_KEY_KEY if access_key else ACCESS_KEY_KEY
        _fail(missing, f"set both {ACCESS_KEY_KEY} and {SECRET_KEY_KEY}, or neither")
    token = _optional_str(get, TOKEN_KEY)
    if token and not access_key:
        _fail(TOKEN_KEY, f"a session token goes with {ACCESS_KEY_KEY} and {SECRET_KEY_KEY}")
    allowed = _account_ids(get(ALLOWED_ACCOUNT_IDS_KEY), ALLOWED_ACCOUNT_IDS_KEY)
    forbidden = _account_ids(get(FORBIDDEN_ACCOUNT_IDS_KEY), FORBIDDEN_ACCOUNT_IDS_KEY)
    if allowed and forbidden:
        _fail(
            FORBIDDEN_ACCOUNT_IDS_KEY,
            f"set {ALLOWED_ACCOUNT_IDS_KEY} or {FORBIDDEN_ACCOUNT_IDS_KEY}, not both",
        )
    return Settings(
        region=_optional_str(get, REGION_KEY),
        profile=_optional_str(get, PROFILE_KEY),
        access_key=access_key,
        secret_key=secret_key,
        token=token,
        endpoints=_endpoints(get(ENDPOINTS_KEY)),
        default_tags=_default_tags(get(DEFAULT_TAGS_KEY)),
        ignore_tags=_ignore_tags(get(IGNORE_TAGS_KEY)),
        max_retries=_max_retries(get(MAX_RETRIES_KEY)),
        retry_mode=_choice(get(RETRY_MODE_KEY), RETRY_MODE_KEY, RETRY_MODES),
        insecure=_boolean(get(INSECURE_KEY), INSECURE_KEY),
        custom_ca_bundle=_optional_str(get, CUSTOM_CA_BUNDLE_KEY),
        http_proxy=_proxy(get, HTTP_PROXY_KEY),
        https_proxy=_proxy(get, HTTPS_PROXY_KEY),
        no_proxy=_optional_str(get, NO_PROXY_KEY),
        assume_roles=_assume_roles(get(ASSUME_ROLES_KEY), get(ASSUME_ROLE_KEY)),
        web_identity=_web_identity(get(WEB_IDENTITY_KEY), env),
        shared_config_files=_paths(get(SHARED_CONFIG_FILES_KEY), SHARED_CONFIG_FILES_KEY),
        shared_credentials_files=_paths(
            get(SHARED_CREDENTIALS_FILES_KEY), SHARED_CREDENTIALS_FILES_KEY
        ),
        allowed_account_ids=allowed,
        forbidden_account_ids=forbidden,
        sts_region=_optional_str(get, STS_REGION_KEY),
        use_fips_endpoint=_boolean(get(USE_FIPS_ENDPOINT_KEY), USE_FIPS_ENDPOINT_KEY),
        use_dualstack_endpoint=_boolean(
            get(USE_DUALSTACK_ENDPOINT_KEY), USE_DUALSTACK_ENDPOINT_KEY
        ),
        user_agents=_user_agents(get(USER_AGENTS_KEY)),
        ec2_metadata_service_endpoint=_url(get, EC2_METADATA_ENDPOINT_KEY),
        ec2_metadata_service_endpoint_mode=_choice(
            get(EC2_METADATA_ENDPOINT_MODE_KEY), EC2_METADATA_ENDPOINT_MODE_KEY, ("ipv4", "ipv6")
        ),
        timings=timings_from_env(env.get(TIMINGS_ENV)),
    )


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


def settings_from_mapping(
    config: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """:func:`settings_from_config` over a plain ``{"aws:region": …}`` mapping."""
    return settings_from_config(config.get, environ)


def _fail(key: str, reason: str) -> NoReturn:
    raise ConfigurationError(key, reason)


def _optional_str(get: Callable[[str], Any], key: str) -> str | None:
    value = get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        # Never echo the value: it may be a credential.
        _fail(key, f"expected a string, got {type(value).__name__}")
    return value


def _structured(value: Any, key: str, example: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as err:
        _fail(key, f"expected JSON such as {example}; {err.msg} at position {err.pos}")


def _endpoints(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None or raw == "":
        return ()
    example = '[{"storagegateway": "http://localhost:4566", "ec2": "http://localhost:4566"}]'
    value = _structured(raw, ENDPOINTS_KEY, example)
    if isinstance(value, Mapping):  # tolerate a single map instead of a list of maps
        value = [value]
    if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
        _fail(ENDPOINTS_KEY, f"expected a list of service-to-URL maps such as {example}")
    found: dict[str, str] = {}
    for entry in value:
        for service, url in entry.items():
            if service not in ENDPOINT_SERVICES or url in (None, ""):
                continue
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                _fail(ENDPOINTS_KEY, f"the {service} endpoint must be an http(s) URL; got {url!r}")
            found[service] = url
    return tuple(sorted(found.items()))


def _default_tags(raw: Any) -> tuple[tuple[str, str], ...]:
    if raw is None or raw == "":
        return ()
    example = '{"tags": {"team": "storage"}}'
    value = _structured(raw, DEFAULT_TAGS_KEY, example)
    if not isinstance(value, Mapping):
        _fail(DEFAULT_TAGS_KEY, f"expected a map such as {example}")
    tags = value.get("tags")
    if tags is None:
        return ()
    if not isinstance(tags, Mapping):
        _fail(DEFAULT_TAGS_KEY, f"'tags' must be a map of strings to strings, as in {example}")
    for key, tag_value in tags.items():
        problems = tag_problems(key, tag_value)
        if problems:
            _fail(DEFAULT_TAGS_KEY, f"tag {key!r}: {'; '.join(problems)}")
    return tuple(sorted(tags.items()))


def _ignore_tags(raw: Any) -> IgnoreTags:
    if raw is None or raw == "":
        return NO_IGNORED_TAGS
    example = '{"keys": ["CostCenter"], "keyPrefixes": ["backup:"]}'
    value = _structured(raw, IGNORE_TAGS_KEY, example)
    if not isinstance(value, Mapping):
        _fail(IGNORE_TAGS_KEY, f"expected a map such as {example}")
    fields = _Entry(value, IGNORE_TAGS_KEY, "", ("keys", "keyPrefixes"))
    keys = fields.strings("keys")
    prefixes = fields.strings("keyPrefixes")
    if "" in keys or "" in prefixes:
        _fail(IGNORE_TAGS_KEY, "keys and key prefixes may not be empty")
    return IgnoreTags(tuple(sorted(set(keys))), tuple(sorted(set(prefixes))))


def _max_retries(raw: Any) -> int | None:
    if raw is None or raw == "":
        return None
    rule = f"expected a whole number of retries from 0 to {MAX_RETRIES_LIMIT}"
    if isinstance(raw, bool):
        _fail(MAX_RETRIES_KEY, f"{rule}; got {raw!r}")
    try:
        value = int(raw) if isinstance(raw, str) else raw
    except ValueError:
        _fail(MAX_RETRIES_KEY, f"{rule}; got {raw!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= MAX_RETRIES_LIMIT:
        _fail(MAX_RETRIES_KEY, f"{rule}; got {raw!r}")
    return value


def _boolean(raw: Any, key: str) -> bool:
    if raw is None or raw == "":
        return False
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return _fail(key, f"expected true or false; got {raw!r}")


def _choice(raw: Any, key: str, choices: tuple[str, ...]) -> str | None:
    """One of ``choices`` (compared without case, returned as written there), or None."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and raw.strip().lower() in choices:
        return raw.strip().lower()
    return _fail(key, f"expected one of {', '.join(choices)}; got {raw!r}")


def _url(get: Callable[[str], Any], key: str) -> str | None:
    value = _optional_str(get, key)
    if value is not None and not value.startswith(("http://", "https://")):
        _fail(key, f"expected an http:// or https:// URL; got {value!r}")
    return value


def _proxy(get: Callable[[str], Any], key: str) -> str | None:
    value = _optional_str(get, key)
    if value is not None and not value.startswith(("http://", "https://")):
        # Not echoed: a proxy URL may hold a password.
        _fail(key, "expected an http:// or https:// URL such as http://proxy.example.com:3128")
    return value


def _string_list(raw: Any, key: str, example: str) -> tuple[str, ...]:
    """A list of strings given as JSON text or a list; a lone string counts as a list of one."""
    if raw is None or raw == "":
        return ()
    value = raw
    if isinstance(raw, str):
        stripped = raw.strip()
        value = _structured(raw, key, example) if stripped.startswith("[") else [raw]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        _fail(key, f"expected a list of strings such as {example}")
    return tuple(value)


def _paths(raw: Any, key: str) -> tuple[str, ...]:
    paths = _string_list(raw, key, '["~/.aws/config"]')
    if any(not path for path in paths):
        _fail(key, "paths may not be empty")
    return paths


def _user_agents(raw: Any) -> tuple[str, ...]:
    agents = _string_list(raw, USER_AGENTS_KEY, '["my-platform/1.2 (ci)"]')
    if any(not agent.strip() or "\n" in agent or "\r" in agent for agent in agents):
        _fail(USER_AGENTS_KEY, "each product must be one line of text, such as my-platform/1.2")
    return agents


_ACCOUNT_ID_RE: Final = re.compile(r"\d{12}")


def _account_ids(raw: Any, key: str) -> tuple[str, ...]:
    if raw is None or raw == "":
        return ()
    example = '["123456789012"]'
    value = _structured(raw, key, example)
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        _fail(key, f"expected a list of 12-digit AWS account IDs such as {example}")
    ids: list[str] = []
    for item in value:
        # A YAML number loses leading zeros: put them back.
        text = str(item).zfill(12) if isinstance(item, int) and not isinstance(item, bool) else item
        if not isinstance(text, str) or not _ACCOUNT_ID_RE.fullmatch(text):
            _fail(key, f"expected 12-digit AWS account IDs such as {example}; got {item!r}")
        ids.append(text)
    return tuple(sorted(set(ids)))


# --- roles ----------------------------------------------------------------------------------

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
    return sign * sum(float(number) * _GO_DURATION_UNITS[unit] for number, unit in terms)


class _Entry:
    """The fields of one structured value (a role, the ignore rules): every error names the
    config key and the entry, and unknown fields are refused (a misspelt ``roleArn`` must not
    quietly run as another identity)."""

    def __init__(self, raw: Mapping[str, Any], key: str, where: str, known: tuple[str, ...]):
        self.raw, self.key, self.where = raw, key, where
        unknown = sorted(str(name) for name in raw if name not in known)
        if unknown:
            self.fail(f"unknown field {', '.join(unknown)}; the fields are {', '.join(known)}")

    def fail(self, reason: str) -> NoReturn:
        _fail(self.key, f"{self.where}{reason}")

    def text(self, name: str, pattern: re.Pattern[str] | None = None, rule: str = "") -> str | None:
        """A string field (absent or empty: None); values are never echoed."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.fail(f"{name} must be a string; got {type(value).__name__}")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(f"{name} must be {rule}")
        return value

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.fail(f"{name} must be a list of strings")
        return tuple(value)

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
    value = _structured(raw, key, example)
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(entry, Mapping) for entry in value):
        _fail(key, f"expected a list of roles such as {example}")
    return value


def _assume_roles(raw_roles: Any, raw_role: Any) -> tuple[AssumeRole, ...]:
    roles, role = raw_roles not in (None, ""), raw_role not in (None, "")
    if roles and role:
        _fail(ASSUME_ROLE_KEY, f"set {ASSUME_ROLES_KEY} or {ASSUME_ROLE_KEY}, not both")
    key, raw = (ASSUME_ROLES_KEY, raw_roles) if roles else (ASSUME_ROLE_KEY, raw_role)
    if not roles and not role:
        return ()
    example = f'[{{"roleArn": "{_ROLE_ARN_EXAMPLE}", "sessionName": "pulumi"}}]'
    entries = _entries(raw, key, example)
    if key == ASSUME_ROLE_KEY and len(entries) > 1:
        _fail(key, f"expected one role; chain several with {ASSUME_ROLES_KEY}")
    return tuple(
        _assume_role(
            _Entry(entry, key, f"role {number}: " if len(entries) > 1 else "", _ROLE_FIELDS)
        )
        for number, entry in enumerate(entries, 1)
    )


def _assume_role(entry: _Entry) -> AssumeRole:
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


def _web_identity(raw: Any, environ: Mapping[str, str]) -> WebIdentity | None:
    if raw is None or raw == "":
        return None
    example = f'{{"roleArn": "{_ROLE_ARN_EXAMPLE}", "webIdentityTokenFile": "/var/run/token"}}'
    value = _structured(raw, WEB_IDENTITY_KEY, example)
    if not isinstance(value, Mapping):
        _fail(WEB_IDENTITY_KEY, f"expected a map such as {example}")
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
    entry = _Entry(filled, WEB_IDENTITY_KEY, "", _WEB_IDENTITY_FIELDS)
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
