"""Connection settings from the stack's ``aws:…`` configuration, the keys pulumi-aws users know.

Pure: no I/O, no boto3, no Pulumi. Settings live only in process memory; they are never pickled
into state (see :meth:`Settings.__reduce__`) and credentials never appear in ``repr``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

from .errors import ConfigurationError
from .inputs import tag_problems

REGION_KEY = "aws:region"
PROFILE_KEY = "aws:profile"
ACCESS_KEY_KEY = "aws:accessKey"
SECRET_KEY_KEY = "aws:secretKey"
TOKEN_KEY = "aws:token"
ENDPOINTS_KEY = "aws:endpoints"
DEFAULT_TAGS_KEY = "aws:defaultTags"
MAX_RETRIES_KEY = "aws:maxRetries"
INSECURE_KEY = "aws:insecure"

#: The entries of ``aws:endpoints`` this provider uses; pulumi-aws's other services are ignored.
ENDPOINT_SERVICES: Final = ("storagegateway", "ec2")
MAX_RETRIES_LIMIT = 100
#: Retries after the first attempt when aws:maxRetries is not set (botocore's standard mode
#: makes 3 attempts; one more rides out a short burst of throttling).
DEFAULT_MAX_RETRIES = 3


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
    #: Retries after the first attempt (``aws:maxRetries``); None = DEFAULT_MAX_RETRIES.
    max_retries: int | None = None
    #: Skip TLS certificate verification (``aws:insecure``).
    insecure: bool = False
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

    def __reduce__(self) -> NoReturn:
        # Settings may hold credentials: refuse to be pickled (and so to land in state).
        raise TypeError("Settings hold credentials and are never pickled")


def settings_from_config(
    get: Callable[[str], Any], environ: Mapping[str, str] | None = None
) -> Settings:
    """Build :class:`Settings` from a config getter such as ``pulumi.dynamic.Config.get`` and
    the process environment (``environ``: only :data:`TIMINGS_ENV` is read from it).

    Structured values arrive as JSON text and booleans as strings (that is how the engine
    hands config to a dynamic provider); already-parsed values are accepted too. A bad value
    raises :class:`ConfigurationError` naming the key.
    """
    access_key = _optional_str(get, ACCESS_KEY_KEY)
    secret_key = _optional_str(get, SECRET_KEY_KEY)
    if bool(access_key) != bool(secret_key):
        missing = SECRET_KEY_KEY if access_key else ACCESS_KEY_KEY
        _fail(missing, f"set both {ACCESS_KEY_KEY} and {SECRET_KEY_KEY}, or neither")
    return Settings(
        region=_optional_str(get, REGION_KEY),
        profile=_optional_str(get, PROFILE_KEY),
        access_key=access_key,
        secret_key=secret_key,
        token=_optional_str(get, TOKEN_KEY),
        endpoints=_endpoints(get(ENDPOINTS_KEY)),
        default_tags=_default_tags(get(DEFAULT_TAGS_KEY)),
        max_retries=_max_retries(get(MAX_RETRIES_KEY)),
        insecure=_boolean(get(INSECURE_KEY), INSECURE_KEY),
        timings=timings_from_env((environ or {}).get(TIMINGS_ENV)),
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
