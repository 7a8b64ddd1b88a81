"""The emulator's errors, one small class per AWS error code, with what AWS puts on the wire.

Storage Gateway (JSON 1.1): ``{"__type": …, "message": …}`` and, for
``InvalidGatewayRequestException``, ``error.errorCode`` from the ``ErrorCode`` enum of botocore's
``storagegateway`` model (``StorageGatewayError`` shape). Besides the operation's modelled errors,
AWS's JSON protocol answers two common errors before any operation runs, listed on the API
reference's "Common Errors" page and in the Storage Gateway user guide's exception table:
``ValidationException`` (a member breaks a constraint of the model) and ``SerializationException``
(a member has the wrong JSON type); an unknown ``X-Amz-Target`` is ``UnknownOperationException``.

EC2 (query protocol, XML): ``<Response><Errors><Error><Code/><Message/>…``, codes and messages as
EC2 words them (the EC2 API reference's "Error codes" page and observed answers, cited where each
class is defined).

The backend raises these; the protocol layers only turn them into bytes (``serializer`` builds a
Storage Gateway error's body from its shape in the model: ``error_type`` and ``members``).
"""

from __future__ import annotations

from typing import Any, ClassVar


class StorageGatewayError(Exception):
    """An error answered to a Storage Gateway client as ``{"__type": ..., "message": ...}``.

    ``error_type`` is the ``__type``; ``members`` the values of its shape's members.
    """

    type_name: ClassVar[str] = "InvalidGatewayRequestException"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def http_status(self) -> int:
        return self.status

    @property
    def error_type(self) -> str:
        return self.type_name

    def members(self) -> dict[str, Any]:
        return {"message": self.message}


class InvalidGatewayRequestException(StorageGatewayError):  # noqa: N818 (AWS's name)
    """AWS's catch-all client error; ``error_code`` says what went wrong."""

    type_name = "InvalidGatewayRequestException"
    error_code: ClassVar[str] = "InvalidParameters"

    def __init__(self, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}

    def members(self) -> dict[str, Any]:
        return {
            **super().members(),
            "error": {"errorCode": self.error_code, "errorDetails": self.details},
        }


class InvalidParameters(InvalidGatewayRequestException):
    """A rule of the service beyond the model's constraints (``aws:`` tag keys, 50 tags, a
    marker this service never issued…)."""

    error_code = "InvalidParameters"


class VolumeNotFound(InvalidGatewayRequestException):
    error_code = "VolumeNotFound"


class GatewayNotFound(InvalidGatewayRequestException):
    error_code = "GatewayNotFound"


class GatewayNotConnected(InvalidGatewayRequestException):
    error_code = "GatewayNotConnected"


class NotSupported(InvalidGatewayRequestException):
    """An operation the gateway (or volume) type does not support. AWS's words, seen on the
    wire (terraform-provider-aws issue #25917): "The specified operation is not supported"."""

    error_code = "NotSupported"


class VolumeNotReady(InvalidGatewayRequestException):
    error_code = "VolumeNotReady"


class SnapshotScheduleNotFound(InvalidGatewayRequestException):
    error_code = "SnapshotScheduleNotFound"


class SnapshotNotFound(InvalidGatewayRequestException):
    error_code = "SnapshotNotFound"


class SnapshotInProgress(InvalidGatewayRequestException):
    error_code = "SnapshotInProgress"


class TargetAlreadyExists(InvalidGatewayRequestException):
    error_code = "TargetAlreadyExists"


class DiskDoesNotExist(InvalidGatewayRequestException):
    error_code = "DiskDoesNotExist"


class DiskAlreadyAllocated(InvalidGatewayRequestException):
    error_code = "DiskAlreadyAllocated"


class DiskSizeLessThanVolumeSize(InvalidGatewayRequestException):
    error_code = "DiskSizeLessThanVolumeSize"


class OperationNotEmulated(InvalidGatewayRequestException):
    """A real Storage Gateway operation this emulator does not implement (AWS's own code for an
    operation a gateway cannot do is ``NotImplemented``; ``NotSupported`` stays free to mean
    "this volume type cannot do that")."""

    error_code = "NotImplemented"

    def __init__(self, operation: str) -> None:
        super().__init__(
            f"StorageGateway operation {operation} is not emulated", {"operation": operation}
        )


class SerializationException(StorageGatewayError):  # noqa: N818 (AWS's name)
    """The body is not a JSON object, or a member has the wrong JSON type."""

    type_name = "SerializationException"


class ValidationException(StorageGatewayError):  # noqa: N818 (AWS's name)
    """One or more members break a constraint of the model (length, range, pattern, enum,
    required). The message lists each as AWS does: ``1 validation error detected: Value 'x' at
    'gatewayARN' failed to satisfy constraint: …`` (AWS SDK for JavaScript's integration test
    ``features/storagegateway/storagegateway.feature`` expects exactly this for ListVolumes)."""

    type_name = "ValidationException"

    def __init__(self, violations: list[str]) -> None:
        count = len(violations)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{count} validation {noun} detected: {'; '.join(violations)}")
        self.violations = violations


class UnknownOperationException(StorageGatewayError):  # noqa: N818 (AWS's name)
    type_name = "UnknownOperationException"

    def __init__(self, operation: str) -> None:
        super().__init__(f"An unknown operation was specified: {operation}")


class InternalServerError(StorageGatewayError):
    type_name = "InternalServerError"
    status = 500


class ServiceUnavailableError(StorageGatewayError):
    type_name = "ServiceUnavailableError"
    status = 503


class InjectedError(StorageGatewayError):
    """An error asked for by fault injection: any code, any status.

    Gateway error codes (``VolumeNotReady``…) travel inside an ``InvalidGatewayRequestException``
    as AWS sends them; codes that name an exception type (``ThrottlingException``,
    ``InternalServerError``…) are the ``__type`` itself.
    """

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.injected_status = status

    @property
    def http_status(self) -> int:
        return self.injected_status

    @property
    def is_gateway_error_code(self) -> bool:
        return not self.code.endswith(("Exception", "Error", "Fault"))

    @property
    def error_type(self) -> str:
        if self.is_gateway_error_code:
            return InvalidGatewayRequestException.type_name
        return self.code

    def members(self) -> dict[str, Any]:
        if self.is_gateway_error_code:
            return {
                "message": self.message,
                "error": {"errorCode": self.code, "errorDetails": {}},
            }
        return {"message": self.message}


# --- EC2 ------------------------------------------------------------------------------------


class Ec2Error(Exception):
    """An EC2 error: ``code`` and ``message`` as EC2 words them, HTTP 400 unless said."""

    code: ClassVar[str] = "InvalidParameterValue"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameterValue(Ec2Error):  # noqa: N818 (EC2's name)
    code = "InvalidParameterValue"


class InvalidParameterCombination(Ec2Error):  # noqa: N818 (EC2's name)
    code = "InvalidParameterCombination"


class FilterLimitExceeded(Ec2Error):  # noqa: N818 (EC2's name)
    code = "FilterLimitExceeded"


class MissingParameter(Ec2Error):  # noqa: N818 (EC2's name)
    code = "MissingParameter"

    def __init__(self, parameter: str) -> None:
        super().__init__(f"The request must contain the parameter {parameter}")


class InvalidAction(Ec2Error):  # noqa: N818 (EC2's name)
    code = "InvalidAction"

    def __init__(self, action: str) -> None:
        super().__init__(f"The action {action} is not valid for this web service.")


class InvalidSnapshotIdMalformed(Ec2Error):  # noqa: N818 (EC2's name)
    """``Invalid id: "snap-xyz" (expecting "snap-...")``: EC2's wording for every malformed ID
    (the same sentence moto reproduces for AMI IDs)."""

    code = "InvalidSnapshotID.Malformed"

    def __init__(self, snapshot_id: str) -> None:
        super().__init__(f'Invalid id: "{snapshot_id}" (expecting "snap-...")')
        self.snapshot_id = snapshot_id


class InvalidSnapshotNotFound(Ec2Error):  # noqa: N818 (EC2's name)
    code = "InvalidSnapshot.NotFound"

    def __init__(self, snapshot_id: str) -> None:
        super().__init__(f"The snapshot '{snapshot_id}' does not exist.")
        self.snapshot_id = snapshot_id


class InvalidSnapshotInUse(Ec2Error):  # noqa: N818 (EC2's name)
    code = "InvalidSnapshot.InUse"

    def __init__(self, snapshot_id: str, image_id: str) -> None:
        super().__init__(f"The snapshot {snapshot_id} is currently in use by {image_id}")
        self.snapshot_id = snapshot_id


class ControlError(Exception):
    """A bad request to the emulator's own control API (answered 400, or ``status``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
