"""boto3 clients: one per (service, region, settings) per process, made lazily and thread-safely,
acting as the identity the stack config describes.

The identity is botocore's own machinery, configured from :class:`~..settings.Settings`: the
session's profile and shared files (``aws:profile``, ``aws:sharedConfigFiles``,
``aws:sharedCredentialsFiles``) or static keys give the base credentials, or
``aws:assumeRoleWithWebIdentity`` does (``AssumeRoleWithWebIdentityCredentialFetcher``); each role
of ``aws:assumeRoles`` is then assumed in order with the credentials before it
(``AssumeRoleCredentialFetcher``). Each step is a ``DeferredRefreshableCredentials``: the role is
assumed on the first signed request, and assumed again before its session runs out, so a wait of
hours keeps working. With ``aws:allowedAccountIds``/``aws:forbiddenAccountIds`` the account is
checked once (``GetCallerIdentity``) before the first client of those settings is handed out.

boto3 itself is imported when the first client is made, so that importing the package stays
cheap (``pulumi preview`` loads it in every plugin start).

Size: the client cache and the identity chain (profile, static keys, role chain, account
check) belong together: each step hands the next its credentials.
"""

from __future__ import annotations

import functools
import os
import threading
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from ..errors import AccountNotAllowedError, ConfigurationError
from ..hidden_values import hide
from ..settings import (
    ASSUME_ROLE_KEY,
    ASSUME_ROLES_KEY,
    CUSTOM_CA_BUNDLE_KEY,
    PROFILE_KEY,
    WEB_IDENTITY_KEY,
    AssumeRole,
    Settings,
    WebIdentity,
    account_refusal,
)

if TYPE_CHECKING:
    import boto3
    import botocore.session
    from botocore.config import Config
    from botocore.credentials import Credentials
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_storagegateway import StorageGatewayClient

USER_AGENT: Final = "sg-snapshot-provider"
#: STS's default session length when a role sets no duration.
DEFAULT_SESSION_SECONDS: Final = 3600
#: When no region is configured anywhere for the STS calls (AWS's global STS lives there).
FALLBACK_STS_REGION: Final = "us-east-1"

_cache_lock = threading.Lock()
_sessions: dict[Settings, boto3.session.Session] = {}
_clients: dict[tuple[str, str | None, Settings], Any] = {}
#: The account of each settings' credentials, asked once (GetCallerIdentity) when checked.
_account_lock = threading.Lock()
_accounts: dict[Settings, str] = {}


def storagegateway_client(region: str | None, settings: Settings) -> StorageGatewayClient:
    client: StorageGatewayClient = _client("storagegateway", region, settings)
    return client


def ec2_client(region: str | None, settings: Settings) -> EC2Client:
    client: EC2Client = _client("ec2", region, settings)
    return client


def kms_client(region: str | None, settings: Settings) -> Any:
    """KMS, only to tell the default EBS key (``alias/aws/ebs``) before sharing a snapshot."""
    return _client("kms", region, settings)


def program_client(service: str, region: str | None, settings: Settings) -> Any:
    """A new client of any ``service`` with the identity and connection of ``settings``
    (endpoint, proxies, CA bundle, FIPS, user agents) and, unlike the provider's own clients,
    botocore's retries (``aws:maxRetries``): for code of a Pulumi program, which has no retry
    loop of its own. The account check applies as to every client."""
    check_account(settings)
    with _cache_lock:
        botocore_session = _session(settings)._session
    return _new_client(botocore_session, service, region, settings, botocore_retries=True)


def session(settings: Settings) -> boto3.session.Session:
    """The boto3 session with the identity of ``settings`` (cached): for code that needs a
    client of another service with the provider's identity."""
    with _cache_lock:
        return _session(settings)


def account_id(settings: Settings) -> str:
    """The AWS account of the credentials ``settings`` describe: one ``GetCallerIdentity`` per
    settings and process, remembered once it succeeded."""
    with _account_lock:
        found = _accounts.get(settings)
        if found is None:
            found = _caller_account(settings)
            _accounts[settings] = found
        return found


def check_account(settings: Settings) -> None:
    """Raise :class:`AccountNotAllowedError` when the account of the credentials is ruled out
    by ``aws:allowedAccountIds``/``aws:forbiddenAccountIds`` (nothing to do without them)."""
    if not settings.checks_account:
        return
    account = account_id(settings)
    key = account_refusal(settings, account)
    if key is not None:
        raise AccountNotAllowedError(account, key, settings.allowed_account_ids)


def clear_client_cache() -> None:
    """Forget every session, client and account (tests use it after changing the environment)."""
    with _cache_lock:
        _sessions.clear()
        _clients.clear()
    with _account_lock:
        _accounts.clear()


def _client(service: str, region: str | None, settings: Settings) -> Any:
    """Every client handed out passes the account check first: an operation in an account the
    stack rules out fails before its first request."""
    check_account(settings)
    return _cached_client(service, region, settings)


def _cached_client(service: str, region: str | None, settings: Settings) -> Any:
    """Made under a lock because boto3 sessions are not thread-safe (the plugin serves many
    calls at once); clients are."""
    key = (service, region, settings)
    with _cache_lock:
        client = _clients.get(key)
        if client is None:
            boto3_session = _session(settings)
            client = _new_client(boto3_session._session, service, region, settings)
            # AWS's messages may quote a request's values, which may have been secrets.
            client.meta.events.register("after-call", hide_in_aws_message)
            if service in ("ec2", "storagegateway"):
                from .ratelimit import install_rate_limiter

                # One per cached client, so one per account and Region in a plugin.
                install_rate_limiter(client)
            _clients[key] = client
        return client


def hide_in_aws_message(parsed: Any = None, **_: Any) -> None:
    """Hide the engine call's free-text inputs in an error's message before botocore raises it
    (``after-call`` runs first), so that no copy of the raw message exists."""
    error = parsed.get("Error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and isinstance(error.get("Message"), str):
        error["Message"] = hide(error["Message"])


def _caller_account(settings: Settings) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    from .errors import translate

    sts = _cached_client("sts", _sts_region(settings), settings)
    try:
        return str(sts.get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "checking the AWS account of", "the credentials in use", "sts:GetCallerIdentity"
        ) from err


# --- sessions and credentials ---------------------------------------------------------------


def _session(settings: Settings) -> boto3.session.Session:
    """The boto3 session of ``settings`` (call with ``_cache_lock`` held)."""
    import boto3.session

    cached = _sessions.get(settings)
    if cached is None:
        base = _botocore_session(settings)
        top = base
        if settings.web_identity is not None or settings.assume_roles:
            credentials = _assumed_credentials(settings, base)
            top = _botocore_session(settings)
            _use_credentials(top, credentials)
        cached = boto3.session.Session(botocore_session=top)
        _sessions[settings] = cached
    return cached


def _botocore_session(settings: Settings) -> botocore.session.Session:
    """A botocore session with the profile, files, CA bundle, metadata endpoint and static keys
    of ``settings``; everything else from botocore's chain (environment, profile)."""
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    session = botocore.session.Session(profile=settings.profile)
    variables = {
        "config_file": _first_existing(settings.shared_config_files),
        "credentials_file": _first_existing(settings.shared_credentials_files),
        "ca_bundle": _ca_bundle(settings),
        "ec2_metadata_service_endpoint": settings.ec2_metadata_service_endpoint,
        "ec2_metadata_service_endpoint_mode": settings.ec2_metadata_service_endpoint_mode,
    }
    for name, value in variables.items():
        if value is not None:
            session.set_config_variable(name, value)
    if settings.access_key and settings.secret_key:
        session.set_credentials(settings.access_key, settings.secret_key, settings.token)
    if settings.profile is not None:
        try:
            session.get_scoped_config()
        except ProfileNotFound:
            files = settings.shared_config_files + settings.shared_credentials_files
            where = ", ".join(files) if files else "~/.aws/config nor ~/.aws/credentials"
            raise ConfigurationError(
                PROFILE_KEY, f"there is no profile {settings.profile!r} in {where}"
            ) from None
    return session


def _first_existing(paths: tuple[str, ...]) -> str | None:
    """The first of ``paths`` that exists, as pulumi-aws picks one (the first one when none
    does: botocore then reads nothing from it); None for no paths (botocore's default)."""
    for path in paths:
        if os.path.isfile(os.path.expanduser(path)):
            return os.path.expanduser(path)
    return os.path.expanduser(paths[0]) if paths else None


def _ca_bundle(settings: Settings) -> str | None:
    path = settings.custom_ca_bundle
    if path is not None and not os.path.isfile(os.path.expanduser(path)):
        raise ConfigurationError(CUSTOM_CA_BUNDLE_KEY, f"there is no file {path}")
    return None if path is None else os.path.expanduser(path)


def _use_credentials(session: botocore.session.Session, credentials: Credentials) -> None:
    """Make ``credentials`` the only source of ``session``'s credentials, through botocore's
    credential resolver (its documented extension point)."""
    from botocore.credentials import CredentialProvider, CredentialResolver

    class AssumedRoleProvider(CredentialProvider):
        METHOD = "sg-snapshot-provider-assume-role"
        CANONICAL_NAME = "custom-sg-snapshot-provider-assume-role"

        def load(self) -> Credentials:
            return credentials

    session.register_component("credential_provider", CredentialResolver([AssumedRoleProvider()]))


def _assumed_credentials(settings: Settings, base: botocore.session.Session) -> Credentials:
    """The web identity role, then every role of ``aws:assumeRoles`` in order, each assumed
    with the credentials before it (the first with ``base``'s)."""
    credentials: Credentials | None
    if settings.web_identity is not None:
        credentials = _web_identity_credentials(settings, base, settings.web_identity)
    else:
        credentials = base.get_credentials()
        if credentials is None:
            raise ConfigurationError(
                ASSUME_ROLES_KEY if len(settings.assume_roles) > 1 else ASSUME_ROLE_KEY,
                f"no credentials to assume {settings.assume_roles[0].role_arn} with: configure "
                "aws:profile, aws:accessKey/aws:secretKey or AWS_PROFILE",
            )
    for role in settings.assume_roles:
        credentials = _role_credentials(settings, base, credentials, role)
    return credentials


def _role_credentials(
    settings: Settings, base: botocore.session.Session, source: Credentials, role: AssumeRole
) -> Credentials:
    from botocore.credentials import AssumeRoleCredentialFetcher

    extra: dict[str, Any] = {
        "RoleSessionName": role.session_name,
        "ExternalId": role.external_id,
        "DurationSeconds": role.duration_seconds,
        "Policy": role.policy,
        "PolicyArns": [{"arn": arn} for arn in role.policy_arns] or None,
        "Tags": [{"Key": key, "Value": value} for key, value in role.tags] or None,
        "TransitiveTagKeys": list(role.transitive_tag_keys) or None,
        "SourceIdentity": role.source_identity,
    }
    seconds = role.duration_seconds or DEFAULT_SESSION_SECONDS
    fetcher = AssumeRoleCredentialFetcher(
        _sts_creator(settings, base),
        source,
        role.role_arn,
        extra_args={name: value for name, value in extra.items() if value is not None},
        cache=_NoCache(),
        expiry_window_seconds=_advisory_seconds(seconds),
    )
    return _role_credentials_class()(fetcher.fetch_credentials, "assume-role", seconds)


def _web_identity_credentials(
    settings: Settings, base: botocore.session.Session, web: WebIdentity
) -> Credentials:
    from botocore.credentials import AssumeRoleWithWebIdentityCredentialFetcher
    from botocore.utils import FileWebIdentityTokenLoader

    loader: Callable[[], str]
    if web.web_identity_token_file is not None:
        path = os.path.expanduser(web.web_identity_token_file)
        if not os.path.isfile(path):
            raise ConfigurationError(
                WEB_IDENTITY_KEY, f"webIdentityTokenFile: there is no file {path}"
            )
        loader = FileWebIdentityTokenLoader(path)
    else:
        token = str(web.web_identity_token)
        loader = lambda: token  # noqa: E731  (the token stays in this closure, in memory)
    extra: dict[str, Any] = {
        "RoleSessionName": web.session_name,
        "DurationSeconds": web.duration_seconds,
        "Policy": web.policy,
        "PolicyArns": [{"arn": arn} for arn in web.policy_arns] or None,
    }
    seconds = web.duration_seconds or DEFAULT_SESSION_SECONDS
    fetcher = AssumeRoleWithWebIdentityCredentialFetcher(
        _sts_creator(settings, base),
        loader,
        web.role_arn,
        extra_args={name: value for name, value in extra.items() if value is not None},
        cache=_NoCache(),
        expiry_window_seconds=_advisory_seconds(seconds),
    )
    return _role_credentials_class()(
        fetcher.fetch_credentials, "assume-role-with-web-identity", seconds
    )


def _now() -> datetime:
    """The clock the role credentials refresh by (tests move it forward)."""
    return datetime.now(UTC)


@functools.cache
def _role_credentials_class() -> Callable[[Callable[[], Any], str, int], Credentials]:
    from botocore.credentials import DeferredRefreshableCredentials

    class RoleCredentials(DeferredRefreshableCredentials):
        """botocore's deferred refreshable credentials, with refresh windows that fit the
        session's length: botocore's (refresh 15 minutes before expiry, block at 10) would
        assume a 15-minute role again before every request."""

        def __init__(self, refresh_using: Callable[[], Any], method: str, seconds: int) -> None:
            super().__init__(refresh_using, method, time_fetcher=lambda: _now())
            self._advisory_refresh_timeout = _advisory_seconds(seconds)
            self._mandatory_refresh_timeout = min(10 * 60, seconds // 5)

    return RoleCredentials


def _advisory_seconds(seconds: int) -> int:
    """Assume a role again this long before its session ends: botocore's 15 minutes, or a
    third of a shorter session."""
    return min(15 * 60, seconds // 3)


class _NoCache(dict[str, Any]):
    """A fetcher cache that keeps nothing: the credentials object alone decides when to assume
    the role again (botocore's cache exists to share credentials between processes through
    files, which a plugin does not do)."""

    def __setitem__(self, key: str, value: Any) -> None:
        pass


def _sts_region(settings: Settings) -> str | None:
    return settings.sts_region or settings.region


def _sts_creator(settings: Settings, base: botocore.session.Session) -> Callable[..., Any]:
    """The client factory botocore's fetchers call for their STS clients: the configured STS
    region and endpoint, proxies, CA bundle and retries."""

    def create(service_name: str, config: Config | None = None, **credentials: Any) -> Any:
        region = _sts_region(settings) or base.get_config_variable("region") or FALLBACK_STS_REGION
        return _new_client(base, service_name, region, settings, config, **credentials)

    return create


# --- clients --------------------------------------------------------------------------------


def _new_client(
    session: botocore.session.Session,
    service: str,
    region: str | None,
    settings: Settings,
    extra_config: Config | None = None,
    *,
    botocore_retries: bool = False,
    **credentials: Any,
) -> Any:
    from botocore.config import Config

    if service == "sts":
        region = region or session.get_config_variable("region") or FALLBACK_STS_REGION
    if service == "sts" or botocore_retries:
        # Nothing of ours retries STS (botocore's fetchers call it while signing), nor a
        # program's own calls: botocore does, aws:maxRetries times.
        retries: Any = {
            "mode": _retry_mode(settings, session),
            "total_max_attempts": settings.max_attempts,
        }
    else:
        # botocore would retry 5xx and lost connections blindly, and a blind CreateSnapshot
        # retry makes a duplicate snapshot: every retry is ours (retry.call_with_retries).
        # Exactly one attempt needs total_max_attempts: max_attempts=1 still means one *retry*.
        # The adaptive mode keeps botocore's client-side rate limiter, which then paces our
        # own retries after throttling.
        retries = {"mode": _retry_mode(settings, session), "total_max_attempts": 1}
    proxies = _proxies(settings)
    config = Config(
        retries=retries,
        connect_timeout=settings.timings.connect_timeout_seconds,
        read_timeout=settings.timings.read_timeout_seconds,
        user_agent_extra=" ".join((USER_AGENT, *settings.user_agents)),
        use_fips_endpoint=settings.use_fips_endpoint or None,
        use_dualstack_endpoint=settings.use_dualstack_endpoint or None,
        proxies=proxies,
    )
    if extra_config is not None:
        config = config.merge(extra_config)
    arguments: dict[str, Any] = {
        "region_name": region or settings.region,
        "endpoint_url": settings.endpoint(service),
        "verify": False if settings.insecure else None,
        **credentials,
    }
    client = session.create_client(service, config=config, **arguments)  # type: ignore[call-overload]
    if proxies and _bypasses_proxy(client.meta.endpoint_url, settings):
        direct = config.merge(Config(proxies={"http": "", "https": ""}))
        client = session.create_client(service, config=direct, **arguments)  # type: ignore[call-overload]
    return client


def _retry_mode(settings: Settings, session: botocore.session.Session) -> str:
    """``aws:retryMode``, else boto3's chain (``AWS_RETRY_MODE``, the profile) when it says
    adaptive; standard otherwise (botocore's legacy mode has no meaning here)."""
    if settings.retry_mode is not None:
        return settings.retry_mode
    return "adaptive" if session.get_config_variable("retry_mode") == "adaptive" else "standard"


def _proxies(settings: Settings) -> dict[str, str] | None:
    """The proxies of ``aws:httpProxy``/``aws:httpsProxy`` over the environment's (as the AWS
    SDK for Go falls back to ``HTTP_PROXY``/``HTTPS_PROXY``); None leaves botocore to its own
    environment handling when none of the three keys is set."""
    if not (settings.http_proxy or settings.https_proxy or settings.no_proxy):
        return None
    environment = urllib.request.getproxies_environment()
    proxies = {
        scheme: environment[scheme] for scheme in ("http", "https") if environment.get(scheme)
    }
    if settings.http_proxy:
        proxies["http"] = settings.http_proxy
    if settings.https_proxy:
        proxies["https"] = settings.https_proxy
    return proxies or None


def _bypasses_proxy(endpoint_url: str, settings: Settings) -> bool:
    """Whether ``aws:noProxy`` (else ``NO_PROXY``) exempts the endpoint's host: ``*``, the host
    itself, or a domain it is in (``example.com`` and ``.example.com`` both cover
    ``sgw.example.com``); ports are not compared."""
    from urllib.parse import urlsplit

    no_proxy = settings.no_proxy or urllib.request.getproxies_environment().get("no") or ""
    host = (urlsplit(endpoint_url).hostname or "").lower()
    for entry in (part.strip().lower() for part in no_proxy.split(",")):
        name = entry.rsplit(":", 1)[0] if entry.count(":") == 1 else entry
        domain = name.lstrip(".")
        if entry == "*" or (domain and (host == domain or host.endswith(f".{domain}"))):
            return True
    return False
