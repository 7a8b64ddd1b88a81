"""Counts the botocore sessions and clients a process makes, for ``scripts/bench.py``.

The bench runs the plugin with a generated ``sitecustomize.py`` that calls :func:`install`. Each
session or client made then appends one line to the file named by ``SGSP_BENCH_CLIENT_LOG``
(appended at once, not at exit: the plugin is killed, so an exit hook would never run).
Nothing changes when the variable is unset.
"""

from __future__ import annotations

import os
import threading
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
