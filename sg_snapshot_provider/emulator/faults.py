"""Fault injection and the request log: what the emulator does *around* an AWS request.

An injected error takes the shape AWS gives it (``exceptions.InjectedError`` for Storage
Gateway's JSON errors: a gateway error code travels inside an ``InvalidGatewayRequestException``
as botocore's model describes it; ``server.ec2_error_answer`` for EC2's XML ``Errors`` document).
Which operations may be faulted is checked against botocore's models (``control``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .exceptions import ControlError

FAULT_MODES = ("reject", "after", "delay", "drop")


@dataclass(frozen=True)
class Call:
    """One AWS request the emulator answered: ``status`` 0 means the connection was dropped.
    ``account`` and ``region`` are where it ran (moto's rule, ``server.AwsRequest``); calls
    compare equal without them, so a test names them only when it checks an identity."""

    service: str
    operation: str
    status: int
    account: str = field(default="", compare=False)
    region: str = field(default="", compare=False)


@dataclass
class Fault:
    """What to do to the next ``times`` requests for ``operation`` (``times=None``: all of them).

    ``reject``: answer the error without executing; ``after``: execute, then answer the error;
    ``delay``: sleep ``delay_seconds``, then execute and answer normally; ``drop``: execute, then
    close the connection without an answer.
    """

    operation: str
    code: str
    status: int = 400
    message: str | None = None
    mode: str = "reject"
    times: int | None = 1
    delay_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.mode not in FAULT_MODES:
            raise ControlError(f"mode must be one of {', '.join(FAULT_MODES)}, got {self.mode!r}")
        if self.times is not None and self.times < 1:
            raise ControlError("times must be at least 1, or null for every request")
        if not 100 <= self.status <= 599:
            raise ControlError(f"status must be an HTTP status, got {self.status}")
        if self.delay_seconds < 0:
            raise ControlError("delay_seconds must not be negative")
        if not self.operation or (not self.code and self.mode in ("reject", "after")):
            raise ControlError("operation and code are required")

    @property
    def error_message(self) -> str:
        return self.message or f"Injected fault: {self.code}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        try:
            return cls(
                operation=str(data["operation"]),
                code=str(data.get("code") or ""),
                status=int(data.get("status", 400)),
                message=data.get("message"),
                mode=str(data.get("mode", "reject")),
                times=None if data.get("times", 1) is None else int(data.get("times", 1)),
                delay_seconds=float(data.get("delay_seconds", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ControlError(f"bad fault {data!r}: {error}") from error

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultTable:
    """Faults waiting for their requests, first injected first used. Not thread-safe on its
    own: the server calls it under its lock."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def take(self, operation: str) -> Fault | None:
        """The fault that hits this request, used up once."""
        for fault in self._faults:
            if fault.operation == operation:
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()
