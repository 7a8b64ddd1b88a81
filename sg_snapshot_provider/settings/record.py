"""The records parsing produces: :class:`Settings` (how to reach AWS) and the roles in it.

Settings live only in process memory: they are never pickled into state (see
:meth:`Settings.__reduce__`) and credentials never appear in ``repr``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from ..inputs import NO_IGNORED_TAGS, IgnoreTags
from .keys import ALLOWED_ACCOUNT_IDS_KEY, FORBIDDEN_ACCOUNT_IDS_KEY
from .timings import Timings

#: Retries after the first attempt when aws:maxRetries is not set (botocore's standard mode
#: makes 3 attempts; one more rides out a short burst of throttling).
DEFAULT_MAX_RETRIES = 3


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
