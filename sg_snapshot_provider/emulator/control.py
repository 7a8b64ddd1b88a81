"""The emulator's own JSON control API under ``/_emulator/``: seed, reset, inject faults, read
the request log, move snapshots between states. ``Emulator`` (in-process or attached) drives the
emulator only through these routes, so both paths run the same code.

Routes (bodies and answers are JSON objects)::

    GET    /_emulator/health                      {"status": "ok"}
    POST   /_emulator/reset
    POST   /_emulator/gateways                    {gateway_arn, gateway_type, connected}
    POST   /_emulator/volumes                     {volume_arn, volume_type, size_gib}
    GET    /_emulator/faults                      {"faults": [...]}
    POST   /_emulator/faults                      {operation, code, status, message, mode,
                                                   times, delay_seconds}
    DELETE /_emulator/faults
    GET    /_emulator/calls                       {"calls": [{service, operation, status}]}
    DELETE /_emulator/calls
    POST   /_emulator/snapshots/<id>/state        {state, progress}
    PUT    /_emulator/pending-seconds             {seconds}
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from moto.moto_api._internal.models import moto_api_backend

from .exceptions import ControlError
from .faults import Call, Fault, FaultTable
from .models import StorageGatewayModel, set_snapshot_state

PREFIX = "/_emulator/"


class EmulatorState:
    """Everything the emulator remembers. The server holds ``lock`` while it touches any of
    it, moto's backends included."""

    def __init__(self, pending_seconds: float = 0.0) -> None:
        self.lock = threading.RLock()
        self.model = StorageGatewayModel(pending_seconds)
        self.faults = FaultTable()
        self.calls: list[Call] = []

    def reset(self) -> None:
        self.model.reset()
        self.faults.clear()
        self.calls.clear()
        # Forgets every moto backend, EC2 snapshots and tags included.
        moto_api_backend.reset()


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise ControlError(f"{name!r} (a non-empty string) is required")
    return value


def _add_gateway(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    arn = _text(payload, "gateway_arn")
    backend = state.model.backend_for_arn(arn)
    if backend is None:
        raise ControlError(f"{arn!r} is not an ARN")
    gateway = backend.add_gateway(
        arn, str(payload.get("gateway_type", "CACHED")), bool(payload.get("connected", True))
    )
    return {"gateway_arn": gateway.arn, "gateway_type": gateway.gateway_type}


def _add_volume(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    arn = _text(payload, "volume_arn")
    backend = state.model.backend_for_arn(arn)
    if backend is None:
        raise ControlError(f"{arn!r} is not an ARN")
    volume_type = payload.get("volume_type")
    size = payload.get("size_gib", 1)
    if not isinstance(size, int):
        raise ControlError("size_gib must be an integer")
    volume = backend.add_volume(arn, None if volume_type is None else str(volume_type), size)
    return {"volume_arn": volume.arn, "volume_type": volume.kind}


def _reset(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    state.reset()
    return {}


def _list_faults(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    return {"faults": [fault.to_json() for fault in state.faults.pending()]}


def _add_fault(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    state.faults.add(Fault.from_json(payload))
    return {}


def _clear_faults(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    state.faults.clear()
    return {}


def _list_calls(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    return {"calls": [asdict(call) for call in state.calls]}


def _clear_calls(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    state.calls.clear()
    return {}


def _set_pending_seconds(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    seconds = payload.get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise ControlError("'seconds' (a number) is required")
    state.model.set_pending_seconds(float(seconds))
    return {}


def _health(_: EmulatorState, __: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok"}


Handler = Callable[[EmulatorState, dict[str, Any]], dict[str, Any]]

ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "health"): _health,
    ("POST", "reset"): _reset,
    ("POST", "gateways"): _add_gateway,
    ("POST", "volumes"): _add_volume,
    ("GET", "faults"): _list_faults,
    ("POST", "faults"): _add_fault,
    ("DELETE", "faults"): _clear_faults,
    ("GET", "calls"): _list_calls,
    ("DELETE", "calls"): _clear_calls,
    ("PUT", "pending-seconds"): _set_pending_seconds,
}
_SNAPSHOT_STATE_ROUTE = re.compile(r"snapshots/(?P<snapshot_id>[^/]+)/state")


def handle_control(
    state: EmulatorState, method: str, path: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Run one control request (``path`` without the ``/_emulator/`` prefix); raises
    ``ControlError`` for a bad one."""
    route = path.strip("/")
    snapshot_route = _SNAPSHOT_STATE_ROUTE.fullmatch(route)
    if snapshot_route is not None and method == "POST":
        progress = payload.get("progress")
        set_snapshot_state(
            snapshot_route["snapshot_id"],
            _text(payload, "state"),
            None if progress is None else str(progress),
        )
        return {}
    handler = ROUTES.get((method, route))
    if handler is None:
        raise ControlError(f"no control route {method} {PREFIX}{route}", status=404)
    return handler(state, payload)
