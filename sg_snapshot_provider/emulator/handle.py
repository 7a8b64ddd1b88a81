"""``Emulator``: start the emulator as a child process, or attach to one already running, and
drive it.

``start()`` runs ``python -m sg_snapshot_provider.emulator`` in a child process: each emulator
has moto's state (which moto keeps in module globals) to itself, two emulators in one process
share nothing, and importing this package changes nothing in the caller's environment (the
child's environment carries ``MOTO_EC2_LOAD_DEFAULT_AMIS=false``). The child watches its
standard input and stops when it closes, so it never outlives its parent. Every method goes
through the HTTP control API (``control``), so a started emulator and an attached one (the CLI,
another process) behave the same. No AWS behaviour is decided here (see ``server``,
``responses``, ``backend``, ``ec2``).

Size: one method per control route, each a few lines; it is the public handle, so it stays one
class in one file.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import queue
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .faults import Call
from .throttling import BucketOptions

CONTROL_TIMEOUT_SECONDS = 30.0
#: How long start() waits for the child's "listening on" line (a cold start takes ~1-2 s).
START_TIMEOUT_SECONDS = 60.0
#: How long stop() waits for the child to exit before it kills it.
STOP_TIMEOUT_SECONDS = 10.0
#: The modules of the ``[emulator]`` extra, and how to install them.
EXTRA_MODULES = ("moto", "werkzeug")
INSTALL_HINT = "pip install 'sg-snapshot-provider[emulator]'"
_PACKAGE_ROOT = Path(__file__).resolve().parents[2]
_STDERR_LINES_KEPT = 50


class EmulatorError(RuntimeError):
    """The emulator refused a control request, or could not be reached or started."""


def _missing_extra() -> str | None:
    """The first module of the ``[emulator]`` extra that cannot be imported, if any."""
    for name in EXTRA_MODULES:
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


class _ChildProcess:
    """The serving child: started, its URL read, its output drained, stopped."""

    def __init__(self, arguments: Sequence[str]) -> None:
        environment = {
            **os.environ,
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
            "PYTHONUNBUFFERED": "1",
        }
        if _PACKAGE_ROOT.name not in ("site-packages", "dist-packages"):
            # A source checkout: the child imports this very package. (An installed package
            # is found anyway; its site-packages must not go ahead of the standard library.)
            environment["PYTHONPATH"] = os.pathsep.join(
                filter(None, [str(_PACKAGE_ROOT), os.environ.get("PYTHONPATH")])
            )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sg_snapshot_provider.emulator", *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            text=True,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self._drain(self.process.stdout, self._lines.put, lambda: self._lines.put(None))
        self._drain(self.process.stderr, self.stderr.append)

    @staticmethod
    def _drain(
        stream: IO[str], keep: Callable[[str], None], at_end: Callable[[], None] | None = None
    ) -> None:
        """Read ``stream`` to its end on a thread, so the child never blocks on a full pipe."""

        def read() -> None:
            for line in stream:
                keep(line)
            if at_end is not None:
                at_end()

        threading.Thread(target=read, name="emulator-output", daemon=True).start()

    def url(self) -> str:
        """The URL of the child's "listening on" line; ``EmulatorError`` if it never comes."""
        try:
            line = self._lines.get(timeout=START_TIMEOUT_SECONDS)
        except queue.Empty:
            self.stop()
            raise EmulatorError(
                f"the emulator did not start within {START_TIMEOUT_SECONDS:.0f} s"
                f"{self._stderr_tail()}"
            ) from None
        if line is None:
            code = self.process.wait()
            raise EmulatorError(
                f"the emulator exited with code {code} before serving{self._stderr_tail()}"
            )
        return line.strip().rsplit(" ", 1)[-1]

    def _stderr_tail(self) -> str:
        text = "".join(line for line in self.stderr if line).strip()
        return f":\n{text}" if text else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Emulator:
    """A local Storage Gateway + EC2 endpoint (see ``python -m sg_snapshot_provider.emulator``).

    ``Emulator(port=0).start()`` serves on a free port in a child process; ``url`` says where.
    ``Emulator.attach(url)`` drives an emulator started elsewhere. ``iam_policies`` (JSON files)
    start it in policy mode: each AWS request (only those signed with ``iam_access_key``, when
    given) is checked against them as IAM would, and refused as AWS does (``authorization``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        pending_seconds: float = 0.0,
        volumes: Sequence[str] = (),
        visibility_lag_seconds: float = 0.0,
        iam_policies: Sequence[str | os.PathLike[str]] = (),
        iam_access_key: str | None = None,
        ec2_token_buckets: BucketOptions | None = None,
    ) -> None:
        self.host = host
        self._iam_policies = tuple(str(path) for path in iam_policies)
        self._iam_access_key = iam_access_key
        self.port = port
        self.url = f"http://{host}:{port}"
        self._pending_seconds = pending_seconds
        self._visibility_lag_seconds = visibility_lag_seconds
        self._volumes = tuple(volumes)
        #: EC2's request throttling (``throttling``): None, none.
        self._token_buckets = ec2_token_buckets
        self._child: _ChildProcess | None = None

    @classmethod
    def attach(cls, url: str) -> Emulator:
        """A handle to the emulator serving at ``url``; raises ``EmulatorError`` if none is."""
        emulator = cls()
        emulator.url = url.rstrip("/")
        emulator._request("GET", "health")
        return emulator

    # lifecycle

    def start(self) -> Emulator:
        if self._child is not None:
            raise EmulatorError("the emulator is already started")
        missing = _missing_extra()
        if missing is not None:
            raise EmulatorError(
                f"the emulator needs {missing}, which is not installed: {INSTALL_HINT}"
            )
        arguments = [
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--pending-seconds",
            repr(float(self._pending_seconds)),
            "--visibility-lag-seconds",
            repr(float(self._visibility_lag_seconds)),
            "--stop-on-stdin-eof",
        ]
        for volume_arn in self._volumes:
            arguments += ["--volume", volume_arn]
        for path in self._iam_policies:
            arguments += ["--iam-policy", path]
        if self._iam_access_key is not None:
            arguments += ["--iam-access-key", self._iam_access_key]
        if self._token_buckets is not None:
            arguments += [
                "--ec2-token-buckets",
                "--ec2-token-buckets-scale",
                repr(self._token_buckets.scale),
                "--ec2-token-buckets-speedup",
                repr(self._token_buckets.speedup),
                "--ec2-token-buckets-background",
                repr(self._token_buckets.background),
            ]
        child = _ChildProcess(arguments)
        self.url = child.url()
        self.port = int(self.url.rsplit(":", 1)[-1])
        self._child = child
        return self

    def stop(self) -> None:
        """Stop serving and wait for the child to exit (an attached handle does not own its
        emulator: nothing happens)."""
        if self._child is not None:
            self._child.stop()
            self._child = None

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
        self,
        gateway_arn: str,
        gateway_type: str = "CACHED",
        *,
        connected: bool = True,
        timezone: str = "GMT",
    ) -> None:
        """Seed a gateway, or change one: its type, whether it is connected, and its time zone
        (``GMT`` or ``GMT-5:00``…; snapshot schedules count their hours in it)."""
        self._request(
            "POST",
            "gateways",
            {
                "gateway_arn": gateway_arn,
                "gateway_type": gateway_type,
                "connected": connected,
                "timezone": timezone,
            },
        )

    def add_volume(
        self,
        volume_arn: str,
        *,
        volume_type: str | None = None,
        size_gib: int = 1,
        recovery_point: bool = True,
    ) -> None:
        """Seed a volume (and a connected cached gateway if its gateway is new).
        ``recovery_point=False``: a cached volume with no recovery point yet."""
        self._request(
            "POST",
            "volumes",
            {
                "volume_arn": volume_arn,
                "volume_type": volume_type,
                "size_gib": size_gib,
                "recovery_point": recovery_point,
            },
        )

    def take_scheduled_snapshot(self, volume_arn: str, start_time: str | None = None) -> str:
        """The volume's schedule takes a snapshot (its description and tags), now or dated
        ``start_time`` (ISO 8601 with a UTC offset); returns its ID."""
        answer = self._request(
            "POST", "scheduled-snapshots", {"volume_arn": volume_arn, "start_time": start_time}
        )
        return str(answer["snapshot_id"])

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
        """Fault the next ``times`` requests for ``operation`` (a Storage Gateway operation or
        an EC2 action; any other name is refused)."""
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

    # policy mode

    def set_iam_policy(self, *documents: Mapping[str, Any], access_key: str | None = None) -> None:
        """Check every AWS request from now on against these IAM policies together, as IAM
        would, and refuse what they do not allow as AWS does (only the requests signed with
        ``access_key`` when it is given). ``reset()`` returns to the start's policies."""
        self._request(
            "PUT", "iam", {"policies": [dict(d) for d in documents], "access_key": access_key}
        )

    def clear_iam_policy(self) -> None:
        """Policy mode off: every request runs."""
        self._request("DELETE", "iam")

    def iam_denials(self) -> list[dict[str, str]]:
        """The requests the policies refused since they were set: action, resource, reason."""
        denials: list[dict[str, str]] = self._request("GET", "iam")["denials"]
        return denials

    # snapshots and state

    def set_snapshot_state(
        self, snapshot_id: str, state: str, *, progress: str | None = None
    ) -> None:
        self._request(
            "POST", f"snapshots/{snapshot_id}/state", {"state": state, "progress": progress}
        )

    def set_pending_seconds(self, seconds: float) -> None:
        self._request("PUT", "pending-seconds", {"seconds": seconds})

    def set_visibility_lag(self, seconds: float) -> None:
        """For ``seconds`` after it is made, EC2 does not see a new snapshot by its ID (EC2's
        eventual consistency); applies to snapshots made from now on."""
        self._request("PUT", "visibility-lag", {"seconds": seconds})

    def set_ec2_token_buckets(self, options: BucketOptions | None) -> None:
        """Throttle EC2 from now on with full buckets of ``options`` (None: stop throttling);
        ``reset`` returns to what the emulator was started with."""
        payload = {"enabled": False} if options is None else options.to_json()
        self._request("PUT", "ec2-token-buckets", payload)

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock for snapshot locks forward (their cooling-off periods and
        expiries), so that a test counts days instead of sleeping them."""
        self._request("POST", "clock/advance", {"seconds": seconds})

    def reset(self) -> None:
        """Forget everything: seeds, snapshots, faults, the request log; pending seconds and
        the visibility lag return to the values the emulator was started with."""
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
