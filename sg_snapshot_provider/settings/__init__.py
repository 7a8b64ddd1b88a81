"""Connection settings from the stack's ``aws:…`` configuration, the keys pulumi-aws users know.

Pure: no I/O, no boto3, no Pulumi. It parses and validates; building sessions and credentials
from the result is ``aws/clients.py``'s job. Settings live only in process memory: they are never
pickled into state and credentials never appear in ``repr``.

One module per job:

- ``keys.py``: the key names, and the pulumi-aws keys accepted without effect;
- ``table.py``: the honoured keys, one row each: the key, the Settings field it fills, its parser
  and any rule across keys; what is honoured and what is ignored follows from it;
- ``record.py``: :class:`Settings` and the roles in it;
- ``build.py``: :func:`settings_from_config` and its variants, one pass over the table;
- ``scalars.py``: the parsers of strings, booleans, numbers, URLs, lists and maps;
- ``roles.py``: the parsers of the roles to assume and of the web identity;
- ``reading.py``: what the parsers share (the error naming the key, JSON or parsed values);
- ``timings.py``: :class:`Timings` and ``SG_SNAPSHOT_PROVIDER_TIMINGS``.

To honour a new ``aws:`` key:

1. add its row to ``KEYS`` in ``table.py``: the key, the Settings field, the parser;
2. add the field to :class:`Settings` in ``record.py``, with the default that means "not set"
   (the parser returns that default when the key is absent);
3. give the key its row in the table of ``docs/configuration.md`` (a test requires one per key);
4. only if no parser in ``scalars.py`` or ``roles.py`` fits (most keys are a ``text``,
   ``boolean``, ``url``, ``paths`` or ``choice``), write one there.

Name the key in ``keys.py`` as well only when code outside the table needs the name. Tests check
that every Settings field but ``timings`` has exactly one row, and that an empty config gives
``Settings()``.
"""

from __future__ import annotations

from .build import (
    settings_from_config,
    settings_from_namespace,
)
from .keys import (
    ACCESS_KEY_KEY,
    ALLOWED_ACCOUNT_IDS_KEY,
    ASSUME_ROLE_KEY,
    ASSUME_ROLES_KEY,
    CUSTOM_CA_BUNDLE_KEY,
    DEFAULT_TAGS_KEY,
    EC2_METADATA_ENDPOINT_KEY,
    EC2_METADATA_ENDPOINT_MODE_KEY,
    ENDPOINTS_KEY,
    FORBIDDEN_ACCOUNT_IDS_KEY,
    HTTP_PROXY_KEY,
    HTTPS_PROXY_KEY,
    IGNORE_TAGS_KEY,
    INSECURE_KEY,
    MAX_RETRIES_KEY,
    NO_EFFECT_KEYS,
    NO_PROXY_KEY,
    PROFILE_KEY,
    REGION_KEY,
    RETRY_MODE_KEY,
    SECRET_KEY_KEY,
    SHARED_CONFIG_FILES_KEY,
    SHARED_CREDENTIALS_FILES_KEY,
    STS_REGION_KEY,
    TOKEN_KEY,
    USE_DUALSTACK_ENDPOINT_KEY,
    USE_FIPS_ENDPOINT_KEY,
    USER_AGENTS_KEY,
    WEB_IDENTITY_KEY,
)
from .record import (
    DEFAULT_MAX_RETRIES,
    AssumeRole,
    Settings,
    WebIdentity,
    account_refusal,
)
from .roles import (
    SESSION_SECONDS_MAX,
    SESSION_SECONDS_MIN,
    parse_go_duration,
)
from .scalars import (
    ENDPOINT_SERVICES,
    MAX_RETRIES_LIMIT,
    RETRY_MODES,
)
from .table import (
    HONOURED_KEYS,
    KEYS,
    Key,
    ignored_key_message,
    ignored_keys,
)
from .timings import (
    TIMINGS_ENV,
    Timings,
    timings_from_env,
)

__all__ = [
    "ACCESS_KEY_KEY",
    "ALLOWED_ACCOUNT_IDS_KEY",
    "ASSUME_ROLES_KEY",
    "ASSUME_ROLE_KEY",
    "CUSTOM_CA_BUNDLE_KEY",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TAGS_KEY",
    "EC2_METADATA_ENDPOINT_KEY",
    "EC2_METADATA_ENDPOINT_MODE_KEY",
    "ENDPOINTS_KEY",
    "ENDPOINT_SERVICES",
    "FORBIDDEN_ACCOUNT_IDS_KEY",
    "HONOURED_KEYS",
    "HTTPS_PROXY_KEY",
    "HTTP_PROXY_KEY",
    "IGNORE_TAGS_KEY",
    "INSECURE_KEY",
    "KEYS",
    "MAX_RETRIES_KEY",
    "MAX_RETRIES_LIMIT",
    "NO_EFFECT_KEYS",
    "NO_PROXY_KEY",
    "PROFILE_KEY",
    "REGION_KEY",
    "RETRY_MODES",
    "RETRY_MODE_KEY",
    "SECRET_KEY_KEY",
    "SESSION_SECONDS_MAX",
    "SESSION_SECONDS_MIN",
    "SHARED_CONFIG_FILES_KEY",
    "SHARED_CREDENTIALS_FILES_KEY",
    "STS_REGION_KEY",
    "TIMINGS_ENV",
    "TOKEN_KEY",
    "USER_AGENTS_KEY",
    "USE_DUALSTACK_ENDPOINT_KEY",
    "USE_FIPS_ENDPOINT_KEY",
    "WEB_IDENTITY_KEY",
    "AssumeRole",
    "Key",
    "Settings",
    "Timings",
    "WebIdentity",
    "account_refusal",
    "ignored_key_message",
    "ignored_keys",
    "parse_go_duration",
    "settings_from_config",
    "settings_from_namespace",
    "timings_from_env",
]
