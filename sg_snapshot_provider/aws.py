"""Everything that talks to AWS: clients, retries, the Storage Gateway and EC2 calls, waiting,
and turning AWS errors into one clear sentence. Knows nothing of Pulumi.

boto3 itself is imported lazily (when the first client is made) so that importing the package
stays cheap.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from .errors import (
    AwsOperationError,
    SnapshotFailedError,
    SnapshotInUseError,
    SnapshotNotFoundError,
    SnapshotTimeoutError,
)
from .inputs import TagChanges
from .settings import Settings

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import SnapshotTypeDef
    from mypy_boto3_storagegateway import StorageGatewayClient

T = TypeVar("T")

# --- timings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timings:
    """Bounds of the waits and retries this module does itself (botocore's standard retry mode
    handles throttling and 5xx). Tests swap :data:`DEFAULT_TIMINGS` for fast ones."""

    #: How long to keep retrying a gateway in a transient state (GatewayNotConnected, …).
    transient_retry_seconds: float = 120.0
    #: How long DeleteSnapshot retries InvalidSnapshot.InUse (an AMI may be deregistering).
    in_use_retry_seconds: float = 120.0
    backoff_initial_seconds: float = 2.0
    backoff_max_seconds: float = 20.0
    #: Pause between DescribeSnapshots polls while waiting for completion.
    poll_interval_seconds: float = 15.0
    #: Report progress at least this often even when it did not change.
    progress_every_seconds: float = 60.0
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0


#: Environment variable holding JSON overrides of :class:`Timings` fields, e.g.
#: ``{"transient_retry_seconds": 1}``: how tests that run the real plugin in a subprocess keep
#: retries short.
TIMINGS_ENV = "SG_SNAPSHOT_PROVIDER_TIMINGS"


def timings_from_env(text: str | None) -> Timings:
    """:class:`Timings` with the overrides of ``TIMINGS_ENV`` (None or empty: the defaults)."""
    if not text:
        return Timings()
    try:
        overrides = json.loads(text)
        if not isinstance(overrides, dict):
            raise TypeError("expected a JSON object")
        return dataclasses.replace(Timings(), **{k: float(v) for k, v in overrides.items()})
    except (ValueError, TypeError) as err:
        names = ", ".join(f.name for f in dataclasses.fields(Timings))
        raise ValueError(f"{TIMINGS_ENV} must be a JSON object of {names}: {err}") from err


DEFAULT_TIMINGS = timings_from_env(os.environ.get(TIMINGS_ENV))


def current_timings() -> Timings:
    """The timings in force (read at call time, so tests can replace DEFAULT_TIMINGS)."""
    return DEFAULT_TIMINGS


# --- clients --------------------------------------------------------------------------------

_cache_lock = threading.Lock()
_sessions: dict[Settings, boto3.session.Session] = {}
_clients: dict[tuple[str, str | None, Settings], Any] = {}


def _client(service: str, region: str | None, settings: Settings) -> Any:
    """One client per (service, region, settings) per process. Made under a lock because boto3
    sessions are not thread-safe (the plugin serves calls on 4 threads); clients are."""
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
    retries: dict[str, Any] = {"mode": "standard"}
    if settings.max_retries is not None:
        retries["total_max_attempts"] = settings.max_retries + 1  # first try + retries
    timings = current_timings()
    config = Config(
        retries=retries,  # type: ignore[arg-type]
        connect_timeout=timings.connect_timeout_seconds,
        read_timeout=timings.read_timeout_seconds,
        user_agent_extra="sg-snapshot-provider",
    )
    return session.client(
        service,  # type: ignore[call-overload]
        region_name=region or settings.region,
        endpoint_url=settings.endpoint(service),
        verify=False if settings.insecure else None,
        config=config,
    )


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


# --- error classification -------------------------------------------------------------------

TRANSIENT_GATEWAY_CODES: Final = frozenset(
    {"GatewayNotConnected", "VolumeNotReady", "GatewayProxyNetworkConnectionBusy"}
)
_ACCESS_DENIED_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)
_THROTTLING_CODES: Final = frozenset(
    {"ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"}
)


def error_code(err: ClientError) -> str:
    """The most specific AWS error code. Storage Gateway answers most failures with the generic
    InvalidGatewayRequestException and puts the real reason in ``error.errorCode``."""
    detail = err.response.get("error")
    if isinstance(detail, Mapping) and detail.get("errorCode"):
        return str(detail["errorCode"])
    return str(err.response.get("Error", {}).get("Code", "Unknown"))


def error_message(err: ClientError) -> str:
    message = err.response.get("Error", {}).get("Message") or err.response.get("message")
    return str(message or "no message")


def _status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def is_volume_not_found(err: ClientError) -> bool:
    return error_code(err) == "VolumeNotFound"


def is_gateway_transient(err: ClientError) -> bool:
    return error_code(err) in TRANSIENT_GATEWAY_CODES


def is_snapshot_not_found(err: ClientError) -> bool:
    return error_code(err) == "InvalidSnapshot.NotFound"


def is_snapshot_in_use(err: ClientError) -> bool:
    return error_code(err) == "InvalidSnapshot.InUse"


def is_access_denied(err: ClientError) -> bool:
    return error_code(err) in _ACCESS_DENIED_CODES


def is_throttling(err: ClientError) -> bool:
    return error_code(err) in _THROTTLING_CODES or _status(err) == 429


_HINTS: Final = {
    "VolumeNotFound": "Check that the volume ARN is right and the volume still exists.",
    "VolumeNotReady": (
        "The volume stayed not ready (bootstrapping or restoring); "
        "try again once its status is AVAILABLE."
    ),
    "GatewayNotConnected": (
        "The gateway stayed disconnected; check that the gateway VM is running and can reach AWS."
    ),
    "GatewayProxyNetworkConnectionBusy": (
        "The gateway's proxy connection stayed busy; try again later."
    ),
    "InvalidParameters": "Check the volume ARN, the description and the tags.",
    "NotSupported": (
        "Only cached and stored volume gateways support snapshots; check the gateway's type."
    ),
    "InvalidSnapshot.NotFound": "Check the snapshot ID and the region.",
}


def _hint(err: ClientError, iam_action: str, retried_seconds: float | None) -> str:
    code = error_code(err)
    if is_access_denied(err):
        return f"Allow {iam_action} for the credentials in use (aws:profile, aws:accessKey, …)."
    if is_throttling(err):
        return "AWS kept throttling the request; raise aws:maxRetries or try again later."
    if _status(err) >= 500:
        return "AWS had an internal problem; try again later."
    hint = _HINTS.get(code, "")
    if hint and retried_seconds is not None and code in TRANSIENT_GATEWAY_CODES:
        hint = f"{hint} (retried for {retried_seconds:g} s)"
    return hint


def translate(
    err: ClientError | BotoCoreError,
    operation: str,
    subject: str,
    iam_action: str,
    retried_seconds: float | None = None,
) -> AwsOperationError:
    """Turn a boto error into one clear sentence: operation, subject, code, message, fix."""
    if isinstance(err, ClientError):
        return AwsOperationError(
            operation,
            subject,
            error_code(err),
            error_message(err),
            _hint(err, iam_action, retried_seconds),
        )
    hint = (
        "Configure credentials: aws:profile, aws:accessKey/aws:secretKey, or AWS_PROFILE."
        if isinstance(err, NoCredentialsError)
        else "Check the network and the endpoint (aws:endpoints, AWS_ENDPOINT_URL)."
    )
    return AwsOperationError(operation, subject, type(err).__name__, str(err), hint)


def _retrying(
    call: Callable[[], T], retryable: Callable[[ClientError], bool], budget_seconds: float
) -> T:
    """Call, retrying errors that botocore does not know are transient, with exponential
    backoff, for at most ``budget_seconds``; then the last error propagates."""
    timings = current_timings()
    deadline = time.monotonic() + budget_seconds
    delay = timings.backoff_initial_seconds
    while True:
        try:
            return call()
        except ClientError as err:
            if not retryable(err) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, timings.backoff_max_seconds)


# --- the snapshot ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CreatedSnapshot:
    """What CreateSnapshot answered. The ID is lower case, as EC2 wants it."""

    snapshot_id: str
    volume_arn: str


@dataclass(frozen=True)
class SnapshotInfo:
    """One EBS snapshot as DescribeSnapshots sees it."""

    snapshot_id: str
    state: str
    progress: str | None = None
    description: str | None = None
    start_time: datetime | None = None
    volume_size_gib: int | None = None
    encrypted: bool | None = None
    kms_key_id: str | None = None
    owner_id: str | None = None
    state_message: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


def create_snapshot(
    client: StorageGatewayClient, volume_arn: str, description: str, tags: Mapping[str, str]
) -> CreatedSnapshot:
    """CreateSnapshot, retrying transient gateway states for a bounded time."""
    budget = current_timings().transient_retry_seconds
    request: dict[str, Any] = {"VolumeARN": volume_arn, "SnapshotDescription": description}
    if tags:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    try:
        response = _retrying(
            lambda: client.create_snapshot(**request), is_gateway_transient, budget
        )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err,
            "creating Storage Gateway snapshot of volume",
            volume_arn,
            "storagegateway:CreateSnapshot",
            retried_seconds=budget,
        ) from err
    return CreatedSnapshot(response["SnapshotId"].lower(), response.get("VolumeARN", volume_arn))


def find_snapshot_by_id(client: EC2Client, snapshot_id: str) -> SnapshotInfo:
    """Exactly one snapshot, or :class:`SnapshotNotFoundError` (never None)."""
    snapshot_id = snapshot_id.lower()
    try:
        response = client.describe_snapshots(SnapshotIds=[snapshot_id])
    except ClientError as err:
        if is_snapshot_not_found(err):
            raise SnapshotNotFoundError(snapshot_id, client.meta.region_name) from err
        raise translate(err, "reading EBS snapshot", snapshot_id, "ec2:DescribeSnapshots") from err
    except BotoCoreError as err:
        raise translate(err, "reading EBS snapshot", snapshot_id, "ec2:DescribeSnapshots") from err
    snapshots = [s for s in response.get("Snapshots", []) if s.get("SnapshotId") == snapshot_id]
    if not snapshots:
        raise SnapshotNotFoundError(snapshot_id, client.meta.region_name)
    return _snapshot_info(snapshots[0])


def _snapshot_info(snapshot: SnapshotTypeDef) -> SnapshotInfo:
    return SnapshotInfo(
        snapshot_id=snapshot["SnapshotId"],
        state=snapshot.get("State", "pending"),
        progress=snapshot.get("Progress") or None,
        description=snapshot.get("Description"),
        start_time=snapshot.get("StartTime"),
        volume_size_gib=snapshot.get("VolumeSize"),
        encrypted=snapshot.get("Encrypted"),
        kms_key_id=snapshot.get("KmsKeyId") or None,
        owner_id=snapshot.get("OwnerId"),
        state_message=snapshot.get("StateMessage") or None,
        tags={t["Key"]: t["Value"] for t in snapshot.get("Tags", [])},
    )


def update_snapshot_tags(client: EC2Client, snapshot_id: str, changes: TagChanges) -> None:
    """At most one DeleteTags (removed keys only: an empty DeleteTags would delete *every* tag)
    and one CreateTags (added or changed); nothing when nothing changed."""
    snapshot_id = snapshot_id.lower()
    try:
        if changes.to_delete:
            client.delete_tags(
                Resources=[snapshot_id], Tags=[{"Key": k} for k in changes.to_delete]
            )
        if changes.to_set:
            client.create_tags(
                Resources=[snapshot_id],
                Tags=[{"Key": k, "Value": v} for k, v in changes.to_set.items()],
            )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "updating tags of EBS snapshot", snapshot_id, "ec2:CreateTags and ec2:DeleteTags"
        ) from err


_AMI_RE: Final = re.compile(r"\bami-[0-9a-f]+\b")


def delete_snapshot(client: EC2Client, snapshot_id: str) -> bool:
    """DeleteSnapshot. Returns False when it was already gone (which is fine). While a
    registered AMI uses the snapshot, retries for a bounded time (the AMI may be on its way
    out), then raises :class:`SnapshotInUseError` naming the AMI."""
    snapshot_id = snapshot_id.lower()
    budget = current_timings().in_use_retry_seconds
    operation, action = "deleting EBS snapshot", "ec2:DeleteSnapshot"
    try:
        _retrying(
            lambda: client.delete_snapshot(SnapshotId=snapshot_id), is_snapshot_in_use, budget
        )
    except ClientError as err:
        if is_snapshot_not_found(err):
            return False
        if is_snapshot_in_use(err):
            amis = sorted(set(_AMI_RE.findall(error_message(err))))
            user = f"AMI {', '.join(amis)}" if amis else "a registered AMI"
            raise SnapshotInUseError(
                operation,
                snapshot_id,
                error_code(err),
                error_message(err),
                f"It is still used by {user} after {budget:g} s of retries; deregister the AMI "
                "(aws ec2 deregister-image) and try again.",
            ) from err
        raise translate(err, operation, snapshot_id, action) from err
    except BotoCoreError as err:
        raise translate(err, operation, snapshot_id, action) from err
    return True


def _to_stderr(message: str) -> None:
    # The plugin's stderr reaches the Pulumi console as diagnostics.
    print(message, file=sys.stderr, flush=True)


def wait_for_snapshot_completed(
    client: EC2Client,
    snapshot_id: str,
    timeout_seconds: float,
    report: Callable[[str], None] = _to_stderr,
) -> SnapshotInfo:
    """Poll DescribeSnapshots until the snapshot is ``completed``.

    boto3's ``snapshot_completed`` waiter cannot report progress on the way, so this is a
    small loop of our own with the same shape: a delay, a bound, a typed failure for the
    ``error`` state (:class:`SnapshotFailedError`) and for the bound
    (:class:`SnapshotTimeoutError`).
    """
    timings = current_timings()
    deadline = time.monotonic() + timeout_seconds
    last_reported: tuple[str, str | None] | None = None
    last_report_at = 0.0
    while True:
        try:
            info = find_snapshot_by_id(client, snapshot_id)
        except SnapshotNotFoundError as err:
            raise SnapshotFailedError(snapshot_id, "it disappeared while being taken") from err
        if info.state == "completed":
            report(f"snapshot {info.snapshot_id} completed ({info.progress or '100%'})")
            return info
        if info.state == "error":
            detail = f": {info.state_message}" if info.state_message else ""
            raise SnapshotFailedError(
                info.snapshot_id,
                f"it went to the error state{detail}",
                info.state,
                info.progress,
            )
        now = time.monotonic()
        if now >= deadline:
            raise SnapshotTimeoutError(
                info.snapshot_id,
                f"still {info.state} at {info.progress or '0%'} after {timeout_seconds:g} s; "
                "raise completion_timeout_seconds or set wait_for_completion to false",
                info.state,
                info.progress,
            )
        current = (info.state, info.progress)
        if current != last_reported or now - last_report_at >= timings.progress_every_seconds:
            report(f"snapshot {info.snapshot_id} is {info.state} ({info.progress or '0%'})")
            last_reported, last_report_at = current, now
        time.sleep(max(0.0, min(timings.poll_interval_seconds, deadline - now)))
