"""Let the dynamic-provider plugin serve more than 4 calls at once.

The plugin (``python -m pulumi.dynamic``, one process for every dynamic resource of a stack)
serves gRPC on ``ThreadPoolExecutor(max_workers=4)`` (``pulumi/dynamic/__main__.py``, ``main``).
The engine runs creates and updates in parallel (``--parallel``, by default 4 x CPUs) but sends
``Check`` and ``Diff`` one resource at a time; four snapshot creates waiting for completion
therefore hold every thread, and the whole deployment (other providers' resources included)
queues behind them.

The plugin keeps its gRPC server only as a local variable of ``main()``, which never returns.
We find that frame on the main thread, and raise the pool's worker bound: the pool starts
threads on demand and reads the bound at every submit (``concurrent.futures.thread``), and the
server has no concurrency limit of its own (``maximum_concurrent_rpcs`` is None). When anything
is not exactly as expected (another ``pulumi``, another ``grpcio``) nothing is changed and one
warning says so: the provider then works as before, 4 calls at a time.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType
from typing import Any, Final

#: The plugin's own pool size.
PLUGIN_WORKERS: Final = 4
#: Threads are made only when calls wait; idle ones cost nothing but their stack.
WIDENED_WORKERS: Final = 256
#: Environment variable that sets the plugin's pool size instead (4 keeps the plugin's own).
WORKERS_ENV: Final = "SG_SNAPSHOT_PROVIDER_PLUGIN_THREADS"
_PLUGIN_MAIN_FILE = ("pulumi", "dynamic", "__main__.py")

_lock = threading.Lock()
_done = False


def widen_plugin_thread_pool(
    workers: int | None = None, warn: Callable[[str], None] | None = None
) -> bool:
    """In the dynamic-provider plugin, let its gRPC pool grow to ``workers`` threads (default:
    :data:`WORKERS_ENV`, else :data:`WIDENED_WORKERS`). Once per process; True when the pool is
    (now) that wide. Outside the plugin (a program, a test calling the provider directly) it
    does nothing and says nothing."""
    global _done
    with _lock:
        if _done:
            return True
        if not _running_in_plugin():
            return False
        problem = _widen(workers or _workers_from_env())
        _done = True
    if problem is not None:
        (warn or _warn)(
            "warning: sg-snapshot-provider could not widen the dynamic-provider plugin's thread "
            f"pool ({problem}); snapshot creates that wait for completion will share its "
            f"{PLUGIN_WORKERS} threads with every other dynamic resource of the stack"
        )
        return False
    return True


def _workers_from_env() -> int:
    text = os.environ.get(WORKERS_ENV, "")
    return int(text) if text.isdigit() and int(text) > 0 else WIDENED_WORKERS


def _running_in_plugin() -> bool:
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == "pulumi.dynamic.__main__"


def _widen(workers: int) -> str | None:
    """Raise the bound of the plugin server's pool; the reason when that cannot be done."""
    frame = _plugin_main_frame()
    if frame is None:
        return "its main() frame was not found"
    server = frame.f_locals.get("server")
    pool: Any = getattr(getattr(server, "_state", None), "thread_pool", None)
    if not isinstance(pool, ThreadPoolExecutor):
        return "its gRPC server has no thread pool where expected"
    if getattr(getattr(server, "_state", None), "maximum_concurrent_rpcs", None) is not None:
        return "its gRPC server limits concurrent calls itself"
    bound = getattr(pool, "_max_workers", None)
    if not isinstance(bound, int):
        return "its thread pool has no worker bound where expected"
    pool._max_workers = max(bound, workers)
    return None


def _plugin_main_frame() -> FrameType | None:
    main_thread = threading.main_thread().ident
    frame = sys._current_frames().get(main_thread) if main_thread is not None else None
    while frame is not None:
        code = frame.f_code
        if code.co_name == "main" and Path(code.co_filename).parts[-3:] == _PLUGIN_MAIN_FILE:
            return frame
        frame = frame.f_back
    return None


def _warn(message: str) -> None:
    # The plugin's stderr reaches the Pulumi console as diagnostics.
    print(message, file=sys.stderr, flush=True)
