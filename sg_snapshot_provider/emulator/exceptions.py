"""Storage Gateway errors, one small class per AWS error code.

Each class knows how AWS puts it on the wire (JSON 1.1): the ``__type``, the HTTP status and, for
``InvalidGatewayRequestException``, the ``error.errorCode`` that tells the many gateway errors
apart. The model raises them; the protocol layer only turns them into bytes.
"""

from __future__ import annotations

from typing import Any, ClassVar


class StorageGatewayError(Exception):
    """An error answered to a Storage Gateway client as ``{"__type": ..., "message": ...}``."""

    type_name: ClassVar[str] = "InvalidGatewayRequestException"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def http_status(self) -> int:
        return self.status

    def body(self) -> dict[str, Any]:
        return {"__type": self.type_name, "message": self.message}


class InvalidGatewayRequestException(StorageGatewayError):  # noqa: N818 (AWS's name)
    """AWS's catch-all client error; ``error_code`` says what went wrong."""

    type_name = "InvalidGatewayRequestException"
    error_code: ClassVar[str] = "InvalidParameters"

    def __init__(self, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.details = details or {}

    def body(self) -> dict[str, Any]:
        return {
            **super().body(),
            "error": {"errorCode": self.error_code, "errorDetails": self.details},
        }


class InvalidParameters(InvalidGatewayRequestException):
    error_code = "InvalidParameters"


class VolumeNotFound(InvalidGatewayRequestException):
    error_code = "VolumeNotFound"


class GatewayNotFound(InvalidGatewayRequestException):
    error_code = "GatewayNotFound"


class GatewayNotConnected(InvalidGatewayRequestException):
    error_code = "GatewayNotConnected"


class NotSupported(InvalidGatewayRequestException):
    error_code = "NotSupported"


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
    """The request body is not a JSON object."""

    type_name = "SerializationException"


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

    def body(self) -> dict[str, Any]:
        if self.is_gateway_error_code:
            return {
                "__type": InvalidGatewayRequestException.type_name,
                "message": self.message,
                "error": {"errorCode": self.code, "errorDetails": {}},
            }
        return {"__type": self.code, "message": self.message}


class ControlError(Exception):
    """A bad request to the emulator's own control API (answered 400, or ``status``)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
