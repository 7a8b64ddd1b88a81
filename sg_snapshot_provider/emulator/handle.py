"""``Emulator``: start the emulator in-process, or attach to one already running, and drive it.

Every method goes through the HTTP control API (``control``), so an in-process emulator and an
attached one (the CLI, another process) behave the same.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .faults import Call

if TYPE_CHECKING:
    from .server import EmulatorServer

CONTROL_TIMEOUT_SECONDS = 30.0


class EmulatorError(RuntimeError):
    """The emulator refused a control request, or could not be reached."""


class Emulator:
    """A local Storage Gateway + EC2 endpoint (see ``python -m sg_snapshot_provider.emulator``).

    ``Emulator(port=0).start()`` serves on a free port on a background thread; ``url`` says
    where. ``Emulator.attach(url)`` drives an emulator started elsewhere.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        pending_seconds: float = 0.0,
        volumes: Sequence[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.url = f"http://{host}:{port}"
        self._pending_seconds = pending_seconds
        self._volumes = tuple(volumes)
        self._server: EmulatorServer | None = None

    @classmethod
    def attach(cls, url: str) -> Emulator:
        """A handle to the emulator serving at ``url``; raises ``EmulatorError`` if none is."""
        emulator = cls()
        emulator.url = url.rstrip("/")
        emulator._request("GET", "health")
        return emulator

    # lifecycle

    def start(self) -> Emulator:
        if self._server is not None:
            raise EmulatorError("the emulator is already started")
        # Imported here so that attach() works without importing moto; server first, as it
        # sets moto's environment before moto is imported.
        from .server import EmulatorServer  # isort: skip
        from .control import EmulatorState

        self._server = EmulatorServer(self.host, self.port, EmulatorState(self._pending_seconds))
        self._server.start()
        self.url = self._server.url
        for volume_arn in self._volumes:
            self.add_volume(volume_arn)
        return self

    def stop(self) -> None:
        """Stop serving (an attached handle does not own its emulator: nothing happens)."""
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # seeding

    def add_gateway(
        self, gateway_arn: str, gateway_type: str = "CACHED", *, connected: bool = True
    ) -> None:
        self._request(
            "POST",
            "gateways",
            {"gateway_arn": gateway_arn, "gateway_type": gateway_type, "connected": connected},
        )

    def add_volume(
        self, volume_arn: str, *, volume_type: str | None = None, size_gib: int = 1
    ) -> None:
        self._request(
            "POST",
            "volumes",
            {"volume_arn": volume_arn, "volume_type": volume_type, "size_gib": size_gib},
        )

    # faults

    def inject_fault(
        self,
        operation: str,
        code: str,
        *,
        status: int = 400,
        message: str | None = None,
        mode: str = "reject",
        times: int | None = 1,
        delay_seconds: float = 0.0,
    ) -> None:
        self._request(
            "POST",
            "faults",
            {
                "operation": operation,
                "code": code,
                "status": status,
                "message": message,
                "mode": mode,
                "times": times,
                "delay_seconds": delay_seconds,
            },
        )

    def clear_faults(self) -> None:
        self._request("DELETE", "faults")

    # request log

    def calls(self) -> list[Call]:
        answer = self._request("GET", "calls")
        return [Call(**call) for call in answer["calls"]]

    def clear_calls(self) -> None:
        self._request("DELETE", "calls")

    # snapshots and state

    def set_snapshot_state(
        self, snapshot_id: str, state: str, *, progress: str | None = None
    ) -> None:
        self._request(
            "POST", f"snapshots/{snapshot_id}/state", {"state": state, "progress": progress}
        )

    def set_pending_seconds(self, seconds: float) -> None:
        self._request("PUT", "pending-seconds", {"seconds": seconds})

    def reset(self) -> None:
        self._request("POST", "reset")

    # transport

    def _request(
        self, method: str, route: str, payload: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/_emulator/{route}",
            data=None if payload is None else json.dumps(payload).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:
                answer: dict[str, Any] = json.loads(response.read() or b"{}")
                return answer
        except urllib.error.HTTPError as error:
            raise EmulatorError(
                f"{method} /_emulator/{route}: {error.code} {_error_message(error)}"
            ) from error
        except OSError as error:
            raise EmulatorError(f"no emulator answers at {self.url}: {error}") from error


def _error_message(error: urllib.error.HTTPError) -> str:
    body = error.read()
    try:
        return str(json.loads(body)["message"])
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace")
