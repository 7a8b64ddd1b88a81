"""Everything that talks to AWS: clients, retries, the Storage Gateway and EC2 calls, waiting,
and turning AWS errors into one clear sentence. Knows nothing of Pulumi.

boto3 itself is imported lazily (when the first client is made) so that importing the package
stays cheap.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import random
import re
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from .errors import (
    AwsOperationError,
    SnapshotFailedError,
    SnapshotInUseError,
    SnapshotNotFoundError,
    SnapshotTimeoutError,
)
from .inputs import CREATE_TOKEN_TAG, TagChanges
from .settings import DEFAULT_MAX_RETRIES, Settings

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import SnapshotTypeDef, TagTypeDef
    from mypy_boto3_storagegateway import StorageGatewayClient

T = TypeVar("T")

# --- timings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timings:
    """Time bounds of the waits and retries this module does (botocore's own retries are off:
    see :func:`call_with_retries`). How many times a request is sent comes from
    ``aws:maxRetries`` instead. Tests swap :data:`DEFAULT_TIMINGS` for fast ones."""

    #: How long to keep retrying a gateway in a transient state (GatewayNotConnected, …).
    transient_retry_seconds: float = 120.0
    #: How long DeleteSnapshot retries InvalidSnapshot.InUse (an AMI may be deregistering).
    in_use_retry_seconds: float = 120.0
    backoff_initial_seconds: float = 2.0
    backoff_max_seconds: float = 20.0
    #: After CreateSnapshot's answer was lost, how long to let a request that may still be in
    #: flight land before looking for the snapshot it made (see create_snapshot).
    ambiguous_settle_seconds: float = 5.0
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
    timings = current_timings()
    config = Config(
        # botocore would retry 5xx and lost connections blindly, and a blind CreateSnapshot retry
        # makes a duplicate snapshot: every retry is ours (call_with_retries). Exactly one
        # attempt needs total_max_attempts: max_attempts=1 still means one *retry*.
        retries={"mode": "standard", "total_max_attempts": 1},
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


class FailureKind(enum.Enum):
    """What a failed request tells us about whether AWS did the work, and so how to retry."""

    #: Retrying cannot help (bad input, access denied, not found, …): fail at once.
    PERMANENT = "permanent"
    #: AWS refused before doing anything (throttling, no connection made): retry blindly.
    REJECTED = "rejected"
    #: A state that passes (gateway reconnecting, AMI deregistering): retry within a time bound.
    TRANSIENT = "transient"
    #: The request may have been carried out (5xx, connection closed, read timeout): only an
    #: idempotent request may be retried blindly; CreateSnapshot must look first.
    AMBIGUOUS = "ambiguous"


_AMBIGUOUS_CODES: Final = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
)


def _never(_err: ClientError) -> bool:
    return False


def classify(
    err: ClientError | BotoCoreError, transient: Callable[[ClientError], bool] = _never
) -> FailureKind:
    """Sort a failure; ``transient`` says which error codes are passing states for this call."""
    if isinstance(err, ClientError):
        if is_throttling(err):
            return FailureKind.REJECTED
        if transient(err):
            return FailureKind.TRANSIENT
        if _status(err) >= 500 or error_code(err) in _AMBIGUOUS_CODES:
            return FailureKind.AMBIGUOUS
        return FailureKind.PERMANENT
    if isinstance(err, BotoConnectionError):  # never connected: the request was not sent
        return FailureKind.REJECTED
    if isinstance(err, HTTPClientError):  # sent, but the answer was lost
        return FailureKind.AMBIGUOUS
    return FailureKind.PERMANENT  # no credentials, bad parameters, …


class _Backoff:
    """Exponential backoff with jitter, so that many resources throttled together (the plugin
    serves 4 at once) do not retry in lockstep."""

    def __init__(self, timings: Timings) -> None:
        self._next = timings.backoff_initial_seconds
        self._max = timings.backoff_max_seconds

    def next_delay(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self._max)
        return delay / 2 + random.uniform(0, delay / 2)


DEFAULT_MAX_ATTEMPTS: Final = DEFAULT_MAX_RETRIES + 1


def call_with_retries(
    call: Callable[[], T],
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    transient: Callable[[ClientError], bool] = _never,
    transient_seconds: float = 0.0,
    on_ambiguous: Callable[[], T | None] | None = None,
) -> T:
    """Call, retrying with backoff; then the last error propagates.

    Rejected and ambiguous failures are retried until ``max_attempts`` requests were sent;
    transient states until ``transient_seconds`` have passed. With ``on_ambiguous`` (a
    non-idempotent call) an ambiguous failure is never retried blindly: after letting a request
    still in flight land, ``on_ambiguous`` looks for what it made, and its answer (when not
    None) is the result. Without it, the call must be idempotent.
    """
    timings = current_timings()
    deadline = time.monotonic() + transient_seconds
    backoff = _Backoff(timings)
    attempts = 0
    while True:
        attempts += 1
        try:
            return call()
        except (ClientError, BotoCoreError) as err:
            kind = classify(err, transient)
            if kind is FailureKind.PERMANENT:
                raise
            delay = backoff.next_delay()
            if kind is FailureKind.AMBIGUOUS and on_ambiguous is not None:
                time.sleep(max(delay, timings.ambiguous_settle_seconds))
                found = on_ambiguous()
                if found is not None:
                    return found
                if attempts >= max_attempts:
                    raise
                continue  # nothing was made: a new attempt is safe, and we already waited
            if kind is FailureKind.TRANSIENT:
                if time.monotonic() + delay > deadline:
                    raise
            elif attempts >= max_attempts:
                raise
        time.sleep(delay)


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


def new_create_token() -> str:
    """A fresh idempotency token for one create (the value of the CREATE_TOKEN_TAG tag)."""
    return str(uuid.uuid4())


_CREATE = "creating Storage Gateway snapshot of volume"


def create_snapshot(
    client: StorageGatewayClient,
    volume_arn: str,
    description: str,
    tags: Mapping[str, str],
    *,
    ec2: Callable[[], EC2Client] | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    token: str | None = None,
) -> CreatedSnapshot:
    """CreateSnapshot, exactly once.

    CreateSnapshot takes no client token, so the snapshot carries one: a fresh UUID under
    CREATE_TOKEN_TAG. Throttling and transient gateway states were refused before anything was
    made: they are retried (within ``max_attempts`` and the transient time bound). When the
    answer is lost (5xx, connection closed, read timeout) the snapshot may exist all the same:
    ``ec2`` (an EC2 client of the volume's region) looks it up by its token and adopts it, and
    only when it is not there is CreateSnapshot sent again. Without ``ec2`` such a failure is
    final. Happy path: one request.
    """
    token = token or new_create_token()
    request: dict[str, Any] = {
        "VolumeARN": volume_arn,
        "SnapshotDescription": description,
        "Tags": [{"Key": k, "Value": v} for k, v in {**tags, CREATE_TOKEN_TAG: token}.items()],
    }
    lookup = _CreateLookup(ec2, volume_arn, token, max_attempts)
    budget = current_timings().transient_retry_seconds
    try:
        created = call_with_retries(
            lambda: _created(client.create_snapshot(**request), volume_arn),
            max_attempts=max_attempts,
            transient=is_gateway_transient,
            transient_seconds=budget,
            on_ambiguous=lookup.find if ec2 is not None else None,
        )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, _CREATE, volume_arn, "storagegateway:CreateSnapshot", retried_seconds=budget
        ) from err
    if lookup.looked:
        lookup.remove_duplicates(keep=created.snapshot_id)
    return created


def _created(response: Mapping[str, Any], volume_arn: str) -> CreatedSnapshot:
    snapshot_id = str(response["SnapshotId"]).lower()
    return CreatedSnapshot(snapshot_id, response.get("VolumeARN", volume_arn))


class _CreateLookup:
    """Finds the snapshots one create made, by its token, after CreateSnapshot's answer was
    lost."""

    def __init__(
        self,
        ec2: Callable[[], EC2Client] | None,
        volume_arn: str,
        token: str,
        max_attempts: int,
    ) -> None:
        self._ec2 = ec2
        self._volume_arn = volume_arn
        self._token = token
        self._max_attempts = max_attempts
        #: Whether an answer was lost at least once (then a late duplicate may exist).
        self.looked = False

    def find(self) -> CreatedSnapshot | None:
        """The snapshot the create made, if EC2 shows one yet."""
        self.looked = True
        found = self._tagged()
        return CreatedSnapshot(found[0], self._volume_arn) if found else None

    def remove_duplicates(self, keep: str) -> None:
        """Delete every other snapshot made with this token: an earlier attempt whose answer
        was lost may have landed after we looked for it."""
        assert self._ec2 is not None  # looked is only set when there is a client
        try:
            for snapshot_id in self._tagged():
                if snapshot_id != keep:
                    delete_snapshot(self._ec2(), snapshot_id, max_attempts=self._max_attempts)
        except AwsOperationError as err:
            # The create itself worked and its snapshot must reach state: say what may be left
            # rather than fail (failing would leak the snapshot we keep).
            _to_stderr(
                f"warning: snapshot {keep} was created, but removing a duplicate made by a retry "
                f"failed ({err}); look for snapshots tagged {CREATE_TOKEN_TAG}={self._token}"
            )

    def _tagged(self) -> list[str]:
        """IDs of the snapshots carrying the token, oldest first."""
        assert self._ec2 is not None
        client = self._ec2()
        try:
            response = call_with_retries(
                lambda: client.describe_snapshots(
                    OwnerIds=["self"],
                    Filters=[{"Name": f"tag:{CREATE_TOKEN_TAG}", "Values": [self._token]}],
                ),
                max_attempts=self._max_attempts,
            )
        except (ClientError, BotoCoreError) as err:
            raise self._unknown_outcome(err) from err
        snapshots = sorted(response.get("Snapshots", []), key=lambda s: str(s.get("StartTime")))
        return [s["SnapshotId"].lower() for s in snapshots]

    def _unknown_outcome(self, err: ClientError | BotoCoreError) -> AwsOperationError:
        cause = translate(err, "", "", "ec2:DescribeSnapshots")
        return AwsOperationError(
            _CREATE,
            self._volume_arn,
            cause.code,
            f"CreateSnapshot's answer was lost and looking for the snapshot it may have made "
            f"failed too: {cause.aws_message}",
            f"Look for it with aws ec2 describe-snapshots --owner-ids self --filters "
            f"Name=tag:{CREATE_TOKEN_TAG},Values={self._token} and delete it, then try again.",
        )


def find_snapshot_by_id(
    client: EC2Client, snapshot_id: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> SnapshotInfo:
    """Exactly one snapshot, or :class:`SnapshotNotFoundError` (never None)."""
    snapshot_id = snapshot_id.lower()
    operation, action = "reading EBS snapshot", "ec2:DescribeSnapshots"
    try:
        response = call_with_retries(
            lambda: client.describe_snapshots(SnapshotIds=[snapshot_id]),
            max_attempts=max_attempts,
        )
    except ClientError as err:
        if is_snapshot_not_found(err):
            raise SnapshotNotFoundError(snapshot_id, client.meta.region_name) from err
        raise translate(err, operation, snapshot_id, action) from err
    except BotoCoreError as err:
        raise translate(err, operation, snapshot_id, action) from err
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


def update_snapshot_tags(
    client: EC2Client,
    snapshot_id: str,
    changes: TagChanges,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> None:
    """At most one DeleteTags (removed keys only: an empty DeleteTags would delete *every* tag)
    and one CreateTags (added or changed); nothing when nothing changed. Both are idempotent,
    so a lost answer is simply retried."""
    snapshot_id = snapshot_id.lower()
    try:
        if changes.to_delete:
            to_delete: list[TagTypeDef] = [{"Key": k} for k in changes.to_delete]
            call_with_retries(
                lambda: client.delete_tags(Resources=[snapshot_id], Tags=to_delete),
                max_attempts=max_attempts,
            )
        if changes.to_set:
            to_set: list[TagTypeDef] = [{"Key": k, "Value": v} for k, v in changes.to_set.items()]
            call_with_retries(
                lambda: client.create_tags(Resources=[snapshot_id], Tags=to_set),
                max_attempts=max_attempts,
            )
    except (ClientError, BotoCoreError) as err:
        raise translate(
            err, "updating tags of EBS snapshot", snapshot_id, "ec2:CreateTags and ec2:DeleteTags"
        ) from err


_AMI_RE: Final = re.compile(r"\bami-[0-9a-f]+\b")


def delete_snapshot(
    client: EC2Client, snapshot_id: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> bool:
    """DeleteSnapshot. Returns False when it was already gone (which is fine: a retry after a
    lost answer sees the first attempt's work as InvalidSnapshot.NotFound). While a registered
    AMI uses the snapshot, retries for a bounded time (the AMI may be on its way out), then
    raises :class:`SnapshotInUseError` naming the AMI."""
    snapshot_id = snapshot_id.lower()
    budget = current_timings().in_use_retry_seconds
    operation, action = "deleting EBS snapshot", "ec2:DeleteSnapshot"
    try:
        call_with_retries(
            lambda: client.delete_snapshot(SnapshotId=snapshot_id),
            max_attempts=max_attempts,
            transient=is_snapshot_in_use,
            transient_seconds=budget,
        )
    except ClientError as err:
        if is_snapshot_not_found(err):
            return False
        if is_snapshot_in_use(err):
            raise _in_use(err, snapshot_id, budget) from err
        if _gone_after_all(client, err, snapshot_id, max_attempts):
            return True
        raise translate(err, operation, snapshot_id, action) from err
    except BotoCoreError as err:
        if _gone_after_all(client, err, snapshot_id, max_attempts):
            return True
        raise translate(err, operation, snapshot_id, action) from err
    return True


def _gone_after_all(
    client: EC2Client, err: ClientError | BotoCoreError, snapshot_id: str, max_attempts: int
) -> bool:
    """Whether an attempt whose answer was lost deleted the snapshot after all: then the
    delete succeeded, and reporting a failure would leave a snapshot in state that is gone."""
    if classify(err) is not FailureKind.AMBIGUOUS:
        return False
    try:
        find_snapshot_by_id(client, snapshot_id, max_attempts=max_attempts)
    except SnapshotNotFoundError:
        return True
    except AwsOperationError:
        return False  # still unknown: report the delete's own error
    return False


def _in_use(err: ClientError, snapshot_id: str, budget: float) -> SnapshotInUseError:
    amis = sorted(set(_AMI_RE.findall(error_message(err))))
    user = f"AMI {', '.join(amis)}" if amis else "a registered AMI"
    return SnapshotInUseError(
        "deleting EBS snapshot",
        snapshot_id,
        error_code(err),
        error_message(err),
        f"It is still used by {user} after {budget:g} s of retries; deregister the AMI "
        "(aws ec2 deregister-image) and try again.",
    )


def _to_stderr(message: str) -> None:
    # The plugin's stderr reaches the Pulumi console as diagnostics.
    print(message, file=sys.stderr, flush=True)


def wait_for_snapshot_completed(
    client: EC2Client,
    snapshot_id: str,
    timeout_seconds: float,
    report: Callable[[str], None] = _to_stderr,
    *,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
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
            info = find_snapshot_by_id(client, snapshot_id, max_attempts=max_attempts)
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
