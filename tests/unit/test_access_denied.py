"""A refused request becomes one sentence naming the IAM action to add (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from sg_snapshot_provider import aws
from sg_snapshot_provider.errors import AccessDeniedError, AwsOperationError

ENCODED = (
    "You are not authorized to perform this operation. Encoded authorization failure message: x1y2"
)


def denied(operation: str, code: str = "UnauthorizedOperation", status: int = 403) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": ENCODED},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


@pytest.mark.parametrize(
    ("operation", "iam_action", "named"),
    [
        ("DeleteSnapshot", "ec2:DeleteSnapshot", "ec2:DeleteSnapshot"),
        # One message covers both tag calls: the one refused is named.
        ("DeleteTags", "ec2:CreateTags and ec2:DeleteTags", "ec2:DeleteTags"),
        ("CreateTags", "ec2:CreateTags and ec2:DeleteTags", "ec2:CreateTags"),
        ("CreateSnapshot", "storagegateway:CreateSnapshot", "storagegateway:CreateSnapshot"),
    ],
)
def test_the_refused_action_is_named_whatever_aws_says(
    operation: str, iam_action: str, named: str
) -> None:
    error = aws.translate(denied(operation), "doing it to", "snap-0123456789abcdef0", iam_action)
    assert isinstance(error, AccessDeniedError)
    assert isinstance(error, AwsOperationError)  # callers catching AWS failures still do
    assert error.action == named
    assert error.code == "UnauthorizedOperation"
    assert str(error) == (
        f"doing it to snap-0123456789abcdef0: AWS denied {named} to the credentials in use "
        f"(UnauthorizedOperation): add {named} to their IAM policy (sg-snapshot-provider's "
        "iam/provider.json and docs/iam.md say what each command needs)"
    )
    assert "x1y2" not in str(error)  # the encoded blob is no help to a reader


def test_storage_gateway_access_denied_is_named_too() -> None:
    error = aws.translate(
        denied("UpdateSnapshotSchedule", "AccessDeniedException", 400),
        "updating the snapshot schedule of volume",
        "arn:…",
        "storagegateway:UpdateSnapshotSchedule",
    )
    assert isinstance(error, AccessDeniedError)
    assert error.action == "storagegateway:UpdateSnapshotSchedule"


def test_a_role_that_cannot_be_assumed_keeps_its_own_explanation() -> None:
    error = aws.translate(denied("AssumeRole", "AccessDenied"), "reading", "snap-1", "ec2:X")
    assert not isinstance(error, AccessDeniedError)
    assert "aws:assumeRoles" in str(error)


def test_an_explicit_deny_is_not_fixed_by_adding_an_allow() -> None:
    response: Any = {
        "Error": {
            "Code": "UnauthorizedOperation",
            "Message": "You are not authorized to perform this operation. User: arn:aws:iam::1:"
            "user/u is not authorized to perform: ec2:DeleteSnapshot on resource: arn:aws:ec2:"
            "us-east-1::snapshot/snap-1 with an explicit deny in an identity-based policy",
        },
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    error = aws.translate(ClientError(response, "DeleteSnapshot"), "deleting", "snap-1", "ec2:X")
    assert "an explicit Deny in their policies refuses ec2:DeleteSnapshot: narrow that Deny" in str(
        error
    )
    assert "add ec2:DeleteSnapshot" not in str(error)
