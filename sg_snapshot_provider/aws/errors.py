"""The one place that reads AWS errors: their codes, what kind of failure each is, and the one
clear sentence a user sees."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as BotoConnectionError

from ..errors import AccessDeniedError, AwsOperationError

TRANSIENT_GATEWAY_CODES: Final = frozenset(
    {"GatewayNotConnected", "VolumeNotReady", "GatewayProxyNetworkConnectionBusy"}
)
_ACCESS_DENIED_CODES: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException"}
)
_THROTTLING_CODES: Final = frozenset(
    {"ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"}
)
_AMBIGUOUS_CODES: Final = frozenset(
    {"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"}
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


def http_status(err: ClientError) -> int:
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def is_gateway_transient(err: ClientError) -> bool:
    return error_code(err) in TRANSIENT_GATEWAY_CODES


def is_snapshot_not_found(err: ClientError) -> bool:
    return error_code(err) == "InvalidSnapshot.NotFound"


def is_volume_not_found(err: ClientError) -> bool:
    return error_code(err) == "VolumeNotFound"


def is_schedule_not_found(err: ClientError) -> bool:
    """The volume exists but has no snapshot schedule (deleted with DeleteSnapshotSchedule)."""
    return error_code(err) == "SnapshotScheduleNotFound"


def is_not_supported(err: ClientError) -> bool:
    """The gateway or volume type cannot do the operation (e.g. DeleteSnapshotSchedule on a
    stored volume)."""
    return error_code(err) == "NotSupported"


def is_snapshot_in_use(err: ClientError) -> bool:
    return error_code(err) == "InvalidSnapshot.InUse"


def is_access_denied(err: ClientError) -> bool:
    return error_code(err) in _ACCESS_DENIED_CODES


def is_throttling(err: ClientError) -> bool:
    return error_code(err) in _THROTTLING_CODES or http_status(err) == 429


def is_throttling_code(code: str | None) -> bool:
    """Whether an error code (None: no error) says the request was throttled."""
    return code in _THROTTLING_CODES


class FailureKind(enum.Enum):
    """What a failed request tells us about whether AWS did the work, and so how to retry."""

    #: Retrying cannot help (bad input, access denied, not found, …): fail at once.
    PERMANENT = "permanent"
    #: AWS refused before doing anything (throttling, no connection made): retry blindly.
    REJECTED = "rejected"
    #: The request may have been carried out (5xx, connection closed, read timeout): only an
    #: idempotent request may be retried blindly; CreateSnapshot must look first.
    AMBIGUOUS = "ambiguous"


def classify(err: ClientError | BotoCoreError) -> FailureKind:
    """Sort a failure. Passing states (a gateway reconnecting, a snapshot not visible yet) are
    permanent here: only the caller knows they pass (retry.Transient)."""
    if isinstance(err, ClientError):
        if is_throttling(err):
            return FailureKind.REJECTED
        if http_status(err) >= 500 or error_code(err) in _AMBIGUOUS_CODES:
            return FailureKind.AMBIGUOUS
        return FailureKind.PERMANENT
    if isinstance(err, BotoConnectionError):  # never connected: the request was not sent
        return FailureKind.REJECTED
    if isinstance(err, HTTPClientError):  # sent, but the answer was lost
        return FailureKind.AMBIGUOUS
    return FailureKind.PERMANENT  # no credentials, bad parameters, …


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
    "InvalidSnapshotID.Malformed": "Snapshot IDs look like snap-0123456789abcdef0.",
}


#: STS calls botocore makes while signing a request, for aws:assumeRoles and
#: aws:assumeRoleWithWebIdentity: their failure surfaces as the request's own.
_ROLE_OPERATIONS: Final = frozenset({"AssumeRole", "AssumeRoleWithWebIdentity"})


def _hint(err: ClientError, iam_action: str, retried_seconds: float | None) -> str:
    code = error_code(err)
    if err.operation_name in _ROLE_OPERATIONS:
        return (
            f"{err.operation_name} failed, so the role of aws:assumeRoles (or "
            "aws:assumeRoleWithWebIdentity) could not be assumed: check the role ARN, its trust "
            "policy and the credentials (or token) that assume it."
        )
    if is_access_denied(err):
        return f"Allow {iam_action} for the credentials in use (aws:profile, aws:accessKey, …)."
    if is_throttling(err):
        return "AWS kept throttling the request; raise aws:maxRetries or try again later."
    if http_status(err) >= 500:
        return "AWS had an internal problem; try again later."
    hint = _HINTS.get(code, "")
    if hint and retried_seconds is not None and code in TRANSIENT_GATEWAY_CODES:
        hint = f"{hint} (retried for {retried_seconds:g} s)"
    return hint


def denied_action(err: ClientError, iam_action: str) -> str:
    """The IAM action AWS refused: the request's own operation in the service of
    ``iam_action`` (which may name several, ``ec2:CreateTags and ec2:DeleteTags``)."""
    service = iam_action.partition(":")[0]
    return f"{service}:{err.operation_name}" if service and err.operation_name else iam_action


def translate(
    err: ClientError | BotoCoreError,
    operation: str,
    subject: str,
    iam_action: str,
    retried_seconds: float | None = None,
) -> AwsOperationError:
    """Turn a boto error into one clear sentence: operation, subject, code, message, fix."""
    if (
        isinstance(err, ClientError)
        and is_access_denied(err)
        and err.operation_name not in _ROLE_OPERATIONS  # a role's failure says more below
    ):
        return AccessDeniedError(
            operation, subject, error_code(err), error_message(err), denied_action(err, iam_action)
        )
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
