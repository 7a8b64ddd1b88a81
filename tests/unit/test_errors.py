"""Error classification and messages, on hand-made botocore errors (no network)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from sg_snapshot_provider import aws
from sg_snapshot_provider.errors import AwsOperationError, SnapshotCreateError, SnapshotTimeoutError

VOLUME = "arn:aws:storagegateway:us-east-1:111122223333:gateway/sgw-12A3456B/volume/vol-1122AABB"


def gateway_error(error_code: str, status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": "InvalidGatewayRequestException", "Message": "it failed"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        "message": "it failed",
        "error": {"errorCode": error_code},
    }
    return ClientError(response, "CreateSnapshot")


def plain_error(code: str, status: int = 400, message: str = "nope") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "DescribeSnapshots")


def test_gateway_error_code_comes_from_error_errorcode() -> None:
    err = gateway_error("VolumeNotFound")
    assert aws.error_code(err) == "VolumeNotFound"
    assert not aws.is_gateway_transient(err)


def test_transient_gateway_codes() -> None:
    for code in ("GatewayNotConnected", "VolumeNotReady", "GatewayProxyNetworkConnectionBusy"):
        assert aws.is_gateway_transient(gateway_error(code))
    for code in ("VolumeNotFound", "InvalidParameters", "NotSupported"):
        assert not aws.is_gateway_transient(gateway_error(code))


def test_plain_codes() -> None:
    assert aws.error_code(plain_error("InvalidSnapshot.NotFound")) == "InvalidSnapshot.NotFound"
    assert aws.is_snapshot_not_found(plain_error("InvalidSnapshot.NotFound"))
    assert aws.is_snapshot_in_use(plain_error("InvalidSnapshot.InUse"))
    assert aws.is_access_denied(plain_error("UnauthorizedOperation", 403))
    assert aws.is_access_denied(plain_error("AccessDeniedException"))
    assert aws.is_throttling(plain_error("RequestLimitExceeded", 503))
    assert aws.is_throttling(plain_error("Whatever", 429))


def test_translate_is_one_sentence_with_operation_subject_code_message_and_hint() -> None:
    error = aws.translate(
        gateway_error("NotSupported"),
        "creating Storage Gateway snapshot of volume",
        VOLUME,
        "storagegateway:CreateSnapshot",
    )
    assert str(error) == (
        f"creating Storage Gateway snapshot of volume {VOLUME}: NotSupported: it failed. "
        "Only cached and stored volume gateways support snapshots; check the gateway's type."
    )
    assert (error.code, error.subject, error.aws_message) == ("NotSupported", VOLUME, "it failed")


def test_translate_hints() -> None:
    def hint(err: ClientError) -> str:
        return aws.translate(err, "reading EBS snapshot", "snap-1", "ec2:DescribeSnapshots").hint

    assert "ec2:DescribeSnapshots" in hint(plain_error("UnauthorizedOperation", 403))
    assert "aws:maxRetries" in hint(plain_error("RequestLimitExceeded", 503))
    assert "internal problem" in hint(plain_error("InternalError", 500))
    assert hint(plain_error("SomethingElse")) == ""


def test_translate_botocore_errors() -> None:
    error = aws.translate(NoCredentialsError(), "reading EBS snapshot", "snap-1", "x")
    assert error.code == "NoCredentialsError"
    assert "aws:profile" in str(error)
    error = aws.translate(
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), "reading", "snap-1", "x"
    )
    assert "AWS_ENDPOINT_URL" in str(error)


def test_messages_end_with_one_full_stop() -> None:
    error = AwsOperationError("deleting EBS snapshot", "snap-1", "Code", "Bad thing.", "Fix it.")
    assert str(error) == "deleting EBS snapshot snap-1: Code: Bad thing. Fix it."


def test_create_error_keeps_its_context() -> None:
    cause = SnapshotTimeoutError("snap-1", "still pending at 3% after 60 s", "pending", "3%")
    error = SnapshotCreateError("snap-1", VOLUME, cause, deleted=True)
    assert error.cause is cause
    assert cause.last_state == "pending"
    assert str(error) == (
        f"creating Storage Gateway snapshot of volume {VOLUME}: snapshot snap-1 was made, but "
        "waiting for EBS snapshot snap-1 to complete: still pending at 3% after 60 s; "
        "snapshot snap-1 was deleted again, so nothing was left behind"
    )


def test_create_error_never_claims_a_clean_up_ec2_did_not_confirm() -> None:
    cause = SnapshotTimeoutError("snap-1", "still pending", "pending", "3%")
    error = SnapshotCreateError(
        "snap-1", VOLUME, cause, deleted=False, token="tok-1", token_tag="sg:token"
    )
    assert "nothing was left behind" not in str(error)
    assert "may remain" in str(error)
    assert "Name=tag:sg:token,Values=tok-1" in str(error)
    failed = SnapshotCreateError(
        "snap-1", VOLUME, cause, deleted=False, cleanup_error=RuntimeError("denied"), token="tok-1"
    )
    assert "may remain" in str(failed)
    assert "tok-1" in str(failed)
    assert "denied" in str(failed)
