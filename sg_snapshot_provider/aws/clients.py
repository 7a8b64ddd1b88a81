"""boto3 clients: one per (service, region, settings) per process, made lazily and thread-safely.

boto3 itself is imported when the first client is made, so that importing the package stays
cheap (``pulumi preview`` loads it in every plugin start).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..settings import Settings

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_storagegateway import StorageGatewayClient

_cache_lock = threading.Lock()
_sessions: dict[Settings, boto3.session.Session] = {}
_clients: dict[tuple[str, str | None, Settings], Any] = {}


def storagegateway_client(region: str | None, settings: Settings) -> StorageGatewayClient:
    client: StorageGatewayClient = _client("storagegateway", region, settings)
    return client


def ec2_client(region: str | None, settings: Settings) -> EC2Client:
    client: EC2Client = _client("ec2", region, settings)
    return client


def clear_client_cache() -> None:
    """Forget every session and client (tests use it after changing the environment)."""
    with _cache_lock:
        _sessions.clear()
        _clients.clear()


def _client(service: str, region: str | None, settings: Settings) -> Any:
    """Made under a lock because boto3 sessions are not thread-safe (the plugin serves many
    calls at once); clients are."""
    key = (service, region, settings)
    with _cache_lock:
        client = _clients.get(key)
        if client is None:
            client = _make_client(service, region, settings)
            _clients[key] = client
        return client


def _make_client(service: str, region: str | None, settings: Settings) -> Any:
    import boto3.session
    from botocore.config import Config

    session = _sessions.get(settings)
    if session is None:
        session = boto3.session.Session(
            profile_name=settings.profile,
            aws_access_key_id=settings.access_key,
            aws_secret_access_key=settings.secret_key,
            aws_session_token=settings.token,
        )
        _sessions[settings] = session
    config = Config(
        # botocore would retry 5xx and lost connections blindly, and a blind CreateSnapshot retry
        # makes a duplicate snapshot: every retry is ours (retry.call_with_retries). Exactly one
        # attempt needs total_max_attempts: max_attempts=1 still means one *retry*.
        retries={"mode": "standard", "total_max_attempts": 1},
        connect_timeout=settings.timings.connect_timeout_seconds,
        read_timeout=settings.timings.read_timeout_seconds,
        user_agent_extra="sg-snapshot-provider",
    )
    return session.client(
        service,  # type: ignore[call-overload]
        region_name=region or settings.region,
        endpoint_url=settings.endpoint(service),
        verify=False if settings.insecure else None,
        config=config,
    )
