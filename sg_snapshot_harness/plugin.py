"""The real dynamic-provider plugin (``python -u -m pulumi.dynamic``) in a subprocess, over gRPC.

This is the process the Pulumi engine starts for every Python dynamic resource of a stack. We start
it the same way, read the port it prints, and call its ``ResourceProvider`` service directly.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self, TypeVar

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from sg_snapshot_provider.settings import TIMINGS_ENV

from .properties import to_struct

#: Credentials that only the local emulator accepts; no real account can be reached with them.
DUMMY_AWS_ENVIRONMENT: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
#: How long the plugin may take to print its port (importing pulumi and grpc is slow on a busy box).
STARTUP_TIMEOUT_SECONDS = 60.0
#: Bound for one gRPC call; the provider's own waits are far shorter in tests.
CALL_TIMEOUT_SECONDS = 300.0

_Response = TypeVar("_Response")


class PluginError(Exception):
    """A gRPC call to the plugin failed; ``details`` holds the plugin's message (its traceback)."""

    def __init__(self, method: str, code: str, details: str) -> None:
        self.method = method
        self.code = code
        self.details = details
        super().__init__(f"{method} failed in the plugin ({code}): {self.message}")

    @property
    def message(self) -> str:
        """The last non-empty line of the details: the exception the provider raised."""
        lines = [line for line in self.details.splitlines() if line.strip()]
        return lines[-1] if lines else ""


class PluginStartError(RuntimeError):
    """The plugin exited or stayed silent instead of printing its port."""


def plugin_environment(
    endpoint_url: str | None = None,
    extra: Mapping[str, str] | None = None,
    *,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The plugin's environment: ``base`` (default ``os.environ``) without any ``AWS_*`` variable,
    plus dummy credentials, ``AWS_ENDPOINT_URL`` when given, then ``extra``."""
    source = os.environ if base is None else base
    env = {name: value for name, value in source.items() if not name.startswith("AWS_")}
    env.update(DUMMY_AWS_ENVIRONMENT)
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    env.update(extra or {})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def point_this_process_at(endpoint_url: str | None, extra: Mapping[str, str] | None = None) -> None:
    """Give this process (and the programs it starts) the plugin's environment: no ``AWS_*``
    variable of the caller's, dummy credentials, the endpoint, then ``extra``."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(plugin_environment(endpoint_url, extra))


class PluginProcess:
    """Starts ``python -u -m pulumi.dynamic``, connects to it and stops it on exit.

    Its stderr (where a provider's diagnostics go) is captured in a file that ``stderr_text()``
    reads; stdout after the port line is kept too (``stdout_text()``). Every gRPC method called is
    logged in order (``calls()``). Safe to call from many threads at once.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        python: str = sys.executable,
        cwd: str | os.PathLike[str] | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_SECONDS,
    ) -> None:
        self._env = dict(plugin_environment() if env is None else env)
        self._python = python
        self._cwd = cwd
        self._startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._channel: grpc.Channel | None = None
        self._stub: Any = None
        self._stderr_path: Path | None = None
        self._stdout_lines: list[str] = []
        self._calls: list[str] = []
        self._lock = threading.Lock()
        self.port = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the plugin, wait for its port and for the gRPC channel to be ready."""
        fd, stderr_name = tempfile.mkstemp(prefix="pulumi-dynamic-", suffix=".stderr")
        self._stderr_path = Path(stderr_name)
        with os.fdopen(fd, "wb") as stderr_file:
            self._process = subprocess.Popen(
                [self._python, "-u", "-m", "pulumi.dynamic"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
                env=self._env,
                cwd=self._cwd,
            )
        try:
            self.port = self._read_port()
            self._connect()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close the channel and kill the plugin (it never exits on its own)."""
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=30)
        if self._process is not None and self._process.stdout is not None:
            self._process.stdout.close()

    def kill(self) -> None:
        """SIGKILL the plugin now, as an OOM killer or a CI job timeout does: a call in
        flight never answers."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=30)

    def running(self) -> bool:
        """Whether the plugin process is alive."""
        return self._process is not None and self._process.poll() is None

    def cleanup(self) -> None:
        """Stop, then remove the stderr capture file."""
        self.stop()
        if self._stderr_path is not None:
            self._stderr_path.unlink(missing_ok=True)

    def __enter__(self) -> Self:
        # `with start_plugin(...) as plugin:` hands over a started plugin: never a second one.
        return self if self._process is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def _read_port(self) -> int:
        assert self._process is not None
        assert self._process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        reader = threading.Thread(
            target=self._pump_stdout, args=(self._process.stdout, lines), daemon=True
        )
        reader.start()
        try:
            first = lines.get(timeout=self._startup_timeout)
        except queue.Empty:
            raise PluginStartError(self._start_failure("printed no port")) from None
        if not first.strip().isdigit():
            raise PluginStartError(self._start_failure(f"printed {first!r} instead of a port"))
        return int(first)

    def _pump_stdout(self, stream: IO[bytes], lines: queue.Queue[str]) -> None:
        """Hand the first line (the port) over, then keep draining so the plugin never blocks."""
        first = True
        for raw in iter(stream.readline, b""):
            line = raw.decode(errors="replace").rstrip("\n")
            if first:
                lines.put(line)
                first = False
            else:
                with self._lock:
                    self._stdout_lines.append(line)

    def _start_failure(self, what: str) -> str:
        exited = self._process is not None and self._process.poll() is not None
        state = "exited" if exited else "is still running"
        return f"the plugin {what} and {state}; its stderr:\n{self.stderr_text()}"

    def _connect(self) -> None:
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        grpc.channel_ready_future(self._channel).result(timeout=self._startup_timeout)
        self._stub = provider_pb2_grpc.ResourceProviderStub(self._channel)

    # -- captured output ------------------------------------------------------------------------

    def stderr_mark(self) -> int:
        """A position in the stderr capture; pass it to ``stderr_text(since=...)``."""
        return len(self.stderr_text())

    def stderr_text(self, since: int = 0) -> str:
        """Everything the plugin wrote to stderr (from position ``since``)."""
        if self._stderr_path is None or not self._stderr_path.exists():
            return ""
        return self._stderr_path.read_text(errors="replace")[since:]

    def stdout_text(self) -> str:
        """What the plugin printed to stdout after its port line."""
        with self._lock:
            return "\n".join(self._stdout_lines)

    def calls(self) -> list[str]:
        """The gRPC methods called so far, in order (``"Check"``, ``"Create"``, ...)."""
        with self._lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        """Forget the logged gRPC methods."""
        with self._lock:
            self._calls.clear()

    # -- raw calls --------------------------------------------------------------------------------

    def configure(self, config: Mapping[str, str]) -> provider_pb2.ConfigureResponse:
        """Send the stack config (namespaced keys such as ``aws:region``; structured values as
        JSON text), as the engine does once before any resource call.

        The plugin configures a provider when it first deserializes it and caches it for the
        life of the process, so config sent after the first resource call would be ignored for
        providers already in use: that is refused here.
        """
        with self._lock:
            if any(call != "Configure" for call in self._calls):
                raise RuntimeError("configure the plugin before the first resource call")
        request = provider_pb2.ConfigureRequest(
            variables=dict(config),
            args=to_struct(dict(config)),
            acceptSecrets=True,
            acceptResources=True,
            sends_old_inputs=True,
            sends_old_inputs_to_delete=True,
        )
        response: provider_pb2.ConfigureResponse = self._call("Configure", request)
        return response

    def check(self, request: provider_pb2.CheckRequest) -> provider_pb2.CheckResponse:
        """The raw ``Check`` call."""
        response: provider_pb2.CheckResponse = self._call("Check", request)
        return response

    def diff(self, request: provider_pb2.DiffRequest) -> provider_pb2.DiffResponse:
        """The raw ``Diff`` call."""
        response: provider_pb2.DiffResponse = self._call("Diff", request)
        return response

    def create(self, request: provider_pb2.CreateRequest) -> provider_pb2.CreateResponse:
        """The raw ``Create`` call."""
        response: provider_pb2.CreateResponse = self._call("Create", request)
        return response

    def read(self, request: provider_pb2.ReadRequest) -> provider_pb2.ReadResponse:
        """The raw ``Read`` call."""
        response: provider_pb2.ReadResponse = self._call("Read", request)
        return response

    def update(self, request: provider_pb2.UpdateRequest) -> provider_pb2.UpdateResponse:
        """The raw ``Update`` call."""
        response: provider_pb2.UpdateResponse = self._call("Update", request)
        return response

    def delete(self, request: provider_pb2.DeleteRequest) -> None:
        """The raw ``Delete`` call."""
        self._call("Delete", request)

    def cancel(self) -> None:
        """The raw ``Cancel`` call (the engine's ``SignalCancellation``)."""
        self._call("Cancel", empty_pb2.Empty())

    def _call(self, method: str, request: Any) -> Any:
        if self._stub is None:
            raise RuntimeError("the plugin is not started")
        with self._lock:
            self._calls.append(method)
        rpc: Callable[..., Any] = getattr(self._stub, method)
        try:
            return rpc(request, timeout=CALL_TIMEOUT_SECONDS)
        except grpc.RpcError as error:
            raise _plugin_error(method, error) from None


def _plugin_error(method: str, error: grpc.RpcError) -> PluginError:
    """Turn a gRPC error into a PluginError holding the plugin's text (a traceback)."""
    code = error.code() if isinstance(error, grpc.Call) else None
    details = error.details() if isinstance(error, grpc.Call) else str(error)
    return PluginError(method, code.name if code is not None else "UNKNOWN", details or "")


def start_plugin(
    endpoint_url: str | None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    timings: Mapping[str, float] | None = None,
) -> PluginProcess:
    """A started plugin whose AWS calls go to ``endpoint_url`` with dummy credentials;
    ``timings`` overrides the provider's time bounds (``SG_SNAPSHOT_PROVIDER_TIMINGS``)."""
    extra = {TIMINGS_ENV: json.dumps(dict(timings))} if timings else None
    return PluginProcess(plugin_environment(endpoint_url, extra), cwd=cwd).start()
