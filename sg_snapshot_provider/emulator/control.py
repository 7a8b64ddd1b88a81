"""The emulator's own JSON control API under ``/_emulator/``: seed, reset, inject faults, read
the request log, move snapshots between states, set the pending time and the visibility lag.
``Emulator`` drives the emulator only through these routes.

No AWS behaviour is decided here, with one guard of our own: a fault for an operation that is
neither a Storage Gateway operation nor an EC2 action in botocore's models could never fire, so
it is refused with the closest real name. What only this API changes lives here too: seeded
gateways and volumes (with their local disks) and pinned snapshot states.

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
    POST   /_emulator/scheduled-snapshots         {volume_arn, start_time}: the volume's
                                                   schedule takes a snapshot now (or dated
                                                   start_time, ISO 8601 with offset)
    PUT    /_emulator/pending-seconds             {seconds}
    PUT    /_emulator/visibility-lag              {seconds}
    GET    /_emulator/iam                         {enabled, access_key, denials: [...]}
    PUT    /_emulator/iam                         {policies: [documents], access_key}
    DELETE /_emulator/iam                         (policy mode off)
    PUT    /_emulator/ec2-token-buckets           {enabled, scale, speedup, background}
    POST   /_emulator/clock/advance               {seconds}  (snapshot locks' and tiers' time)

Size: the route table with its handlers and the seeding helpers they share; each handler is a
few lines, and splitting the table would scatter the control API a reader looks up here.
"""

from __future__ import annotations

import difflib
import functools
import re
import threading
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from moto.ec2.models import ec2_backends
from moto.moto_api._internal.models import moto_api_backend

from .arns import account_and_region, parse_gateway_arn, parse_volume_arn
from .authorization import IamGate, parse_access_key
from .backend import StorageGatewayBackend, StorageGatewayModel
from .ec2 import Ec2Layer
from .exceptions import ControlError
from .faults import Call, Fault, FaultTable
from .gateways import (
    DEFAULT_TIMEZONE,
    GATEWAY_TYPES,
    GIB,
    TIMEZONE_RE,
    VOLUME_GATEWAY_TYPES,
    Gateway,
    GatewayVolume,
    SnapshotSchedule,
    initial_disks,
)
from .rbin import RecycleBin
from .snapshots import SNAPSHOT_STATES, GatewaySnapshot
from .throttling import BucketOptions, TokenBuckets
from .validation import service_model
from .visibility import VisibilityLag

PREFIX = "/_emulator/"


class EmulatorState:
    """Everything the emulator remembers. The server holds ``lock`` while it touches any of
    it, moto's backends included."""

    def __init__(
        self,
        pending_seconds: float = 0.0,
        visibility_lag_seconds: float = 0.0,
        iam: IamGate | None = None,
        token_buckets: BucketOptions | None = None,
    ) -> None:
        self.lock = threading.RLock()
        #: EC2's request throttling (``throttling``), None: no throttling.
        self.token_buckets_at_start = token_buckets
        self.throttling = None if token_buckets is None else TokenBuckets(token_buckets)
        self.visibility = VisibilityLag(visibility_lag_seconds)
        self.model = StorageGatewayModel(pending_seconds, self.visibility.created)
        self.ec2 = Ec2Layer(self.visibility)
        self.rbin = RecycleBin()  # moto has no Recycle Bin
        self.faults = FaultTable()
        self.calls: list[Call] = []
        #: Policy mode (``authorization``): off unless policies were given.
        self.iam = iam or IamGate()

    def reset(self) -> None:
        self.model.reset()
        self.visibility.reset()
        self.ec2.reset()
        self.rbin.reset()
        self.faults.clear()
        self.calls.clear()
        self.iam.reset()
        start = self.token_buckets_at_start
        self.throttling = None if start is None else TokenBuckets(start)
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


# --- seeding and snapshot states ------------------------------------------------------------


def seed_gateway(
    backend: StorageGatewayBackend,
    arn: str,
    gateway_type: str,
    connected: bool,
    timezone: str = DEFAULT_TIMEZONE,
) -> Gateway:
    """Add a gateway to ``backend``, or change one: its type (and so its local disks),
    whether it is connected, its time zone."""
    match = parse_gateway_arn(arn)
    if gateway_type not in GATEWAY_TYPES:
        raise ControlError(f"gateway_type must be one of {', '.join(GATEWAY_TYPES)}")
    if not TIMEZONE_RE.fullmatch(timezone):
        raise ControlError(f"timezone must look like GMT or GMT-5:00, got {timezone!r}")
    gateway = backend.gateways.get(arn)
    if gateway is None:
        gateway = Gateway(arn, match["gateway_id"], gateway_type, connected)
        backend.gateways[arn] = gateway
    if gateway.gateway_type != gateway_type or not gateway.disks:
        gateway.disks = initial_disks(gateway_type)
    gateway.gateway_type, gateway.connected = gateway_type, connected
    gateway.timezone = timezone
    return gateway


def seed_volume(
    backend: StorageGatewayBackend,
    arn: str,
    kind: str | None,
    size_gib: int,
    recovery_point: bool = True,
) -> GatewayVolume:
    """Add a volume to ``backend`` (and a connected cached gateway if its gateway is new); a
    stored volume gets a local disk of its size."""
    match = parse_volume_arn(arn)
    gateway = backend.gateways.get(match["gateway_arn"]) or seed_gateway(
        backend, match["gateway_arn"], "CACHED", connected=True
    )
    if not gateway.is_volume_gateway:
        raise ControlError(f"{gateway.arn} is a {gateway.gateway_type} gateway: no volumes")
    kind = kind or gateway.gateway_type
    if kind not in VOLUME_GATEWAY_TYPES:
        raise ControlError(f"volume_type must be CACHED or STORED, got {kind!r}")
    if size_gib < 1:
        raise ControlError("size_gib must be at least 1")
    if not recovery_point and kind != "CACHED":
        raise ControlError("only cached volumes have recovery points")
    created = datetime.now(UTC)
    volume = GatewayVolume(
        arn,
        match["volume_id"],
        gateway,
        kind,
        size_gib * GIB,
        created,
        SnapshotSchedule(created.hour),
        recovery_point,
    )
    if kind == "STORED":
        disk = gateway.new_disk(volume.size_bytes, "STORED_VOLUME")
        disk.volume_arn, volume.disk_id = arn, disk.disk_id
    backend.volumes[arn] = volume
    return volume


def find_snapshot(snapshot_id: str) -> Any:
    """The EBS snapshot with this ID in any account and region moto holds."""
    for account_backends in ec2_backends.values():
        for region_backend in account_backends.values():
            snapshot = region_backend.snapshots.get(snapshot_id)
            if snapshot is not None:
                return snapshot
    raise ControlError(f"snapshot {snapshot_id} does not exist", status=404)


def set_snapshot_state(snapshot_id: str, state: str, progress: str | None) -> None:
    if state not in SNAPSHOT_STATES:
        raise ControlError(f"state must be one of {', '.join(SNAPSHOT_STATES)}, got {state!r}")
    if progress is not None and not re.fullmatch(r"(100|[1-9]?[0-9])%", progress):
        raise ControlError(f"progress must look like '80%', got {progress!r}")
    snapshot = find_snapshot(snapshot_id.lower())
    if isinstance(snapshot, GatewaySnapshot):
        snapshot.force(state, progress)
    elif progress is None or progress == "100%":
        # A snapshot made through EC2 itself: moto keeps a plain status and a fixed progress.
        snapshot.status = state
    else:
        raise ControlError(f"{snapshot_id} was not made by Storage Gateway: its progress is fixed")


def _seeded_backend(state: EmulatorState, arn: str) -> StorageGatewayBackend | None:
    """The backend a seeded ARN lives in (seeding alone goes by the ARN: requests are served
    by the backend they are signed for)."""
    where = account_and_region(arn)
    return None if where is None else state.model.backend(*where)


# --- routes ---------------------------------------------------------------------------------


def _text(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise ControlError(f"{name!r} (a non-empty string) is required")
    return value


def _add_gateway(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    arn = _text(payload, "gateway_arn")
    backend = _seeded_backend(state, arn)
    if backend is None:
        raise ControlError(f"{arn!r} is not a gateway ARN (arn:aws:storagegateway:…:gateway/sgw-…)")
    gateway = seed_gateway(
        backend,
        arn,
        str(payload.get("gateway_type", "CACHED")),
        bool(payload.get("connected", True)),
        str(payload.get("timezone") or DEFAULT_TIMEZONE),
    )
    return {"gateway_arn": gateway.arn, "gateway_type": gateway.gateway_type}


def _add_volume(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    arn = _text(payload, "volume_arn")
    backend = _seeded_backend(state, arn)
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
    volume = seed_volume(
        backend, arn, None if volume_type is None else str(volume_type), size, recovery_point
    )
    return {"volume_arn": volume.arn, "volume_type": volume.kind}


def _take_scheduled_snapshot(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    arn = _text(payload, "volume_arn")
    backend = _seeded_backend(state, arn)
    if backend is None:
        raise ControlError(f"{arn!r} is not a volume ARN")
    raw = payload.get("start_time")
    start_time = None
    if raw is not None:
        try:
            start_time = datetime.fromisoformat(str(raw))
        except ValueError as err:
            raise ControlError(f"start_time must be ISO 8601, got {raw!r}") from err
        if start_time.tzinfo is None:
            raise ControlError(f"start_time needs a UTC offset, got {raw!r}")
    volume = backend.volumes.get(arn)
    if volume is None or volume.schedule is None:
        raise ControlError(f"{arn} is no volume with a snapshot schedule", status=404)
    snapshot = backend.take_scheduled_snapshot(arn, start_time)
    return {"snapshot_id": snapshot.id}


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


def _show_iam(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    return state.iam.describe()


def _set_iam(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    policies = payload.get("policies")
    if not isinstance(policies, list) or not policies:
        raise ControlError("'policies' (a non-empty list of IAM policy documents) is required")
    state.iam.set(policies, parse_access_key(payload.get("access_key")))
    return state.iam.describe()


def _clear_iam(state: EmulatorState, _: dict[str, Any]) -> dict[str, Any]:
    state.iam.set([], None)
    return {}


def _set_token_buckets(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    """``{"enabled": false}`` turns throttling off; otherwise full buckets of these options."""
    if payload.get("enabled", True) is False:
        state.throttling = None
        return {}
    try:
        state.throttling = TokenBuckets(BucketOptions.from_json(payload))
    except ValueError as error:
        raise ControlError(str(error)) from error
    return {}


def _advance_clock(state: EmulatorState, payload: dict[str, Any]) -> dict[str, Any]:
    seconds = _seconds(payload)
    if seconds < 0:
        raise ControlError("'seconds' must not be negative: the clock only moves forward")
    state.ec2.locks.clock.advance(seconds)
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
    ("GET", "iam"): _show_iam,
    ("PUT", "iam"): _set_iam,
    ("DELETE", "iam"): _clear_iam,
    ("PUT", "ec2-token-buckets"): _set_token_buckets,
    ("POST", "scheduled-snapshots"): _take_scheduled_snapshot,
    ("POST", "clock/advance"): _advance_clock,
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
