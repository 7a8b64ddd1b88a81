"""Counts the botocore sessions and clients a process makes, for ``scripts/bench.py``.

The bench runs the plugin with a ``sitecustomize.py`` (:func:`write_shim`) that calls
:func:`install`. Each session or client made then appends one line to the file named by
``SGSP_BENCH_CLIENT_LOG`` (appended at once, not at exit: the plugin is killed, so an exit hook
would never run); :func:`read_log` counts them. Nothing changes when the variable is unset.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

LOG_ENV = "SGSP_BENCH_CLIENT_LOG"
_lock = threading.Lock()


def install() -> None:
    """Wrap botocore's Session.__init__ and Session.create_client to log each call."""
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    import botocore.session

    session_class: Any = botocore.session.Session
    original_init = session_class.__init__
    original_create_client = session_class.create_client

    def counting_init(self: Any, *args: Any, **kwargs: Any) -> None:
        _log(path, "session")
        original_init(self, *args, **kwargs)

    def counting_create_client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        region = kwargs.get("region_name") or (args[0] if args else None)
        _log(path, f"client {service_name} {region}")
        return original_create_client(self, service_name, *args, **kwargs)

    session_class.__init__ = counting_init
    session_class.create_client = counting_create_client


def _log(path: str, line: str) -> None:
    with _lock, open(path, "a", encoding="utf-8") as log:
        log.write(line + "\n")


def write_shim(directory: Path) -> Path:
    """A directory holding a ``sitecustomize.py`` that installs the counting; put it first on
    the process's ``PYTHONPATH`` (with this module's directory after it)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "sitecustomize.py").write_text(
        "import bench_clientcount\n\nbench_clientcount.install()\n", encoding="utf-8"
    )
    return directory


def read_log(path: Path) -> tuple[int, Counter[str]]:
    """The sessions made, and the clients made by ``"service region"``."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    clients = Counter(line.removeprefix("client ") for line in lines if line.startswith("client "))
    return lines.count("session"), clients
