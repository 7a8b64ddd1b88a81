"""The table of honoured keys: each ``aws:`` key, the Settings field it fills, and its parser.

Rows are parsed top to bottom, so a row's ``check`` sees the fields of the rows above it. The
credentials and the account rules come first: a half-given key pair is the error reported,
whatever else is wrong.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from . import roles, scalars
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
from .reading import Config, Parse, fail

#: A rule across rows, given the fields parsed so far (by Settings field name).
Check = Callable[[Mapping[str, Any]], None]


@dataclass(frozen=True)
class Key:
    """One row: a key, the Settings field its parser fills, and an optional cross-row rule."""

    name: str
    #: None for a key that another row's parser reads (v5's ``aws:assumeRole``).
    field: str | None
    parse: Parse | None = None
    check: Check | None = None


def _credentials_paired(fields: Mapping[str, Any]) -> None:
    access_key, secret_key = fields["access_key"], fields["secret_key"]
    if bool(access_key) != bool(secret_key):
        missing = SECRET_KEY_KEY if access_key else ACCESS_KEY_KEY
        fail(missing, f"set both {ACCESS_KEY_KEY} and {SECRET_KEY_KEY}, or neither")


def _token_with_keys(fields: Mapping[str, Any]) -> None:
    if fields["token"] and not fields["access_key"]:
        fail(TOKEN_KEY, f"a session token goes with {ACCESS_KEY_KEY} and {SECRET_KEY_KEY}")


def _one_account_rule(fields: Mapping[str, Any]) -> None:
    if fields["allowed_account_ids"] and fields["forbidden_account_ids"]:
        fail(
            FORBIDDEN_ACCOUNT_IDS_KEY,
            f"set {ALLOWED_ACCOUNT_IDS_KEY} or {FORBIDDEN_ACCOUNT_IDS_KEY}, not both",
        )


#: Every key that changes what the provider does (docs/configuration.md says how).
KEYS: Final[tuple[Key, ...]] = (
    Key(ACCESS_KEY_KEY, "access_key", scalars.text),
    Key(SECRET_KEY_KEY, "secret_key", scalars.text, _credentials_paired),
    Key(TOKEN_KEY, "token", scalars.text, _token_with_keys),
    Key(ALLOWED_ACCOUNT_IDS_KEY, "allowed_account_ids", scalars.account_ids),
    Key(FORBIDDEN_ACCOUNT_IDS_KEY, "forbidden_account_ids", scalars.account_ids, _one_account_rule),
    Key(REGION_KEY, "region", scalars.text),
    Key(PROFILE_KEY, "profile", scalars.text),
    Key(ENDPOINTS_KEY, "endpoints", scalars.endpoints),
    Key(DEFAULT_TAGS_KEY, "default_tags", scalars.default_tags),
    Key(IGNORE_TAGS_KEY, "ignore_tags", scalars.ignore_tags),
    Key(MAX_RETRIES_KEY, "max_retries", scalars.max_retries),
    Key(RETRY_MODE_KEY, "retry_mode", scalars.choice(*scalars.RETRY_MODES)),
    Key(INSECURE_KEY, "insecure", scalars.boolean),
    Key(CUSTOM_CA_BUNDLE_KEY, "custom_ca_bundle", scalars.text),
    Key(HTTP_PROXY_KEY, "http_proxy", scalars.proxy),
    Key(HTTPS_PROXY_KEY, "https_proxy", scalars.proxy),
    Key(NO_PROXY_KEY, "no_proxy", scalars.text),
    Key(ASSUME_ROLES_KEY, "assume_roles", roles.assume_roles),
    Key(ASSUME_ROLE_KEY, None),
    Key(WEB_IDENTITY_KEY, "web_identity", roles.web_identity),
    Key(SHARED_CONFIG_FILES_KEY, "shared_config_files", scalars.paths),
    Key(SHARED_CREDENTIALS_FILES_KEY, "shared_credentials_files", scalars.paths),
    Key(STS_REGION_KEY, "sts_region", scalars.text),
    Key(USE_FIPS_ENDPOINT_KEY, "use_fips_endpoint", scalars.boolean),
    Key(USE_DUALSTACK_ENDPOINT_KEY, "use_dualstack_endpoint", scalars.boolean),
    Key(USER_AGENTS_KEY, "user_agents", scalars.user_agents),
    Key(EC2_METADATA_ENDPOINT_KEY, "ec2_metadata_service_endpoint", scalars.url),
    Key(
        EC2_METADATA_ENDPOINT_MODE_KEY,
        "ec2_metadata_service_endpoint_mode",
        scalars.choice("ipv4", "ipv6"),
    ),
)

HONOURED_KEYS: Final = frozenset(key.name for key in KEYS)


def parse_keys(get: Callable[[str], Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Every row's field, by Settings field name, parsed and checked top to bottom."""
    config = Config(get, environ)
    fields: dict[str, Any] = {}
    for key in KEYS:
        if key.field is not None and key.parse is not None:
            fields[key.field] = key.parse(config, key.name)
        if key.check is not None:
            key.check(fields)
    return fields


def ignored_keys(keys: Iterable[str]) -> list[str]:
    """The ``aws:`` keys among ``keys`` that this provider neither honours nor accepts as a
    pulumi-aws-only key: the plugin names each once on stderr, never fails on one."""
    return sorted(
        key
        for key in set(keys)
        if key.startswith("aws:") and key not in HONOURED_KEYS and key not in NO_EFFECT_KEYS
    )


def ignored_key_message(key: str) -> str:
    """The line naming an ignored key, with the closest key this provider knows when there is
    one (``aws:regoin`` is a typo of ``aws:region``, and the region it set is not used)."""
    known = {name.lower(): name for name in HONOURED_KEYS | NO_EFFECT_KEYS}
    closest = difflib.get_close_matches(key.lower(), sorted(known), n=1)
    hint = f"; did you mean {known[closest[0]]}?" if closest else ""
    return f"{key} is ignored by sg-snapshot-provider{hint}"
