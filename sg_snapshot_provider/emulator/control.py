"""The emulator's own JSON control API under ``/_emulator/``: seed, reset, inject faults, read
the request log, move snapshots between states, set the pending time and the visibility lag.
``Emulator`` drives the emulator only through these routes.

No AWS behaviour is decided here, with one guard of our own: a fault for an operation that is
neither a Storage Gateway operation nor an EC2 action in botocore's models could never fire, so
it is refused with the closest real name.

Routes (bodies and answers are JSON objects)::

    GET    /_emulator/health                      {"status": "ok"}
    POST   /_emulator/reset
    POST   /_emulator/gateways                    {gateway_arn, gateway_type, connected,
                                                   timezone}
    POST   /_emulator/volumes                     {volume_arn, volume_type, size_gib,
                                                   recovery_point}
    GET    /_emulator/faults                      {"faults": [...]}
    POST   /_emulator/faults                      {operation, code, status, message, mode,
                                                   times, delay_seconds}
    DELETE /_emulator/faults
    GET    /_emulator/calls                       {"calls": [{service, operation, status}]}
    DELETE /_emulator/calls
    POST   /_emulator/snapshots/<id>/state        {state, progress}
    PUT    /_emulator/pending-seconds             {seconds}
    PUT    /_emulator/visibility-lag              {seconds}
"""

from __future__ import annotations

import difflib
import functools
import re
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from moto.moto_api._internal.models import moto_api_backend

from .ec2 import Ec2Layer
from .exceptions import ControlError
from .faults import Call, Fault, FaultTable
from .models import DEFAULT_TIMEZONE, StorageGatewayModel, set_snapshot_state
from .rbin import RecycleBin
from .validation import service_model
from .visibility import VisibilityLag

PREFIX = "/_emulator/"


class EmulatorState:
    """Everything the emulator remembers. The server holds ``lock`` while it touches any of
    it, moto's backends included."""

    def __init__(self, pending_seconds: float = 0.0, visibility_lag_seconds: float = 0.0) -> None:
        self.lock = threading.RLock()
        self.visibility = VisibilityLag(visibility_lag_seconds)
        self.model = StorageGatewayModel(pending_seconds, self.visibility.created)
        self.ec2 = Ec2Layer(self.visibility)
        self.rbin = RecycleBin()  # moto has no Recycle Bin
        self.faults = FaultTable()
        self.calls: list[Call] = []

    def reset(self) -> None:
        self.model.reset()
        self.visibility.reset()
        self.ec2.reset()
        self.rbin.reset()
        self.faults.clear()
        self.calls.clear()
        # Forgets every moto backend, EC2 snapshots and tags included.
        moto_api_backend.reset()


@functools.cache
def known_operations() -> frozenset[str]:
    """Every Storage Gateway operation and EC2 action botocore knows: what a fault may name."""
    return frozenset(service_model("storagegateway").operation_names) | frozenset(
        service_model("ec2").operation_names
    )


def check_operation(operation: str) -> None:
    known = known_operations()
    if operation in known:
        return
    closest = difflib.get_close_matches(operation, sorted(known), n=1)
    hint = f"; did you mean {closest[0]!r}?" if closest else ""
    raise ControlError(
        f"unknown operation {operation!r}: neither a Storage Gateway operation nor an EC2 "
        f"action in botocore's models, so this fault would never fire{hint}"
    )


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise ControlError(f"{name!r} (a non-empty string) is required")
    return value


def _add_gateway(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    arn = _text(payload, "gateway_arn")
    backend = state.model.backend_for_arn(arn)
    if backend is None:
        raise ControlError(f"{arn!r} is not a gateway ARN (arn:aws:storagegateway:…:gateway/sgw-…)")
    gateway = backend.add_gateway(
        arn,
        str(payload.get("gateway_type", "CACHED")),
        bool(payload.get("connected", True)),
        str(payload.get("timezone") or DEFAULT_TIMEZONE),
    )
    return {"gateway_arn": gateway.arn, "gateway_type": gateway.gateway_type}


def _add_volume(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    arn = _text(payload, "volume_arn")
    backend = state.model.backend_for_arn(arn)
    if backend is None:
        raise ControlError(
            f"{arn!r} is not a volume ARN (arn:aws:storagegateway:…:gateway/sgw-…/volume/vol-…)"
        )
    volume_type = payload.get("volume_type")
    size = payload.get("size_gib", 1)
    if not isinstance(size, int) or isinstance(size, bool):
        raise ControlError("size_gib must be an integer")
    recovery_point = payload.get("recovery_point", True)
    if not isinstance(recovery_point, bool):
        raise ControlError("recovery_point must be true or false")
    volume = backend.add_volume(
        arn, None if volume_type is None else str(volume_type), size, recovery_point
    )
    return {"volume_arn": volume.arn, "volume_type": volume.kind}


def _reset(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    state.reset()
    return {}


def _list_faults(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    return {"faults": [fault.to_json() for fault in state.faults.pending()]}


def _add_fault(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    fault = Fault.from_json(payload)
    check_operation(fault.operation)
    state.faults.add(fault)
    return {}


def _clear_faults(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    state.faults.clear()
    return {}


def _list_calls(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    return {"calls": [asdict(call) for call in state.calls]}


def _clear_calls(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    state.calls.clear()
    return {}


def _seconds(payload: dict[str, Any]) -> float:
    seconds = payload.get("seconds")
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise ControlError("'seconds' (a number) is required")
    return float(seconds)


def _set_pending_seconds(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    state.model.set_pending_seconds(_seconds(payload))
    return {}


def _set_visibility_lag(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    state.visibility.set_seconds(_seconds(payload))
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
    ("PUT", "visibility-lag"): _set_visibility_lag,
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
