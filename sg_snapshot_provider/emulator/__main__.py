"""``python -m sg_snapshot_provider.emulator``: serve the emulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .handle import Emulator, EmulatorError


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m sg_snapshot_provider.emulator",
        description="Serve a local AWS Storage Gateway + EC2 (moto) endpoint on one port.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=4566, help="port to listen on (0: any free)")
    parser.add_argument(
        "--volume",
        action="append",
        default=[],
        metavar="VOLUME_ARN",
        help="seed a connected cached gateway and this volume (repeatable)",
    )
    parser.add_argument(
        "--pending-seconds",
        type=float,
        default=0.0,
        metavar="N",
        help="new snapshots stay 'pending' this long before 'completed' (default 0)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    stopping = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    emulator = Emulator(
        arguments.host,
        arguments.port,
        pending_seconds=arguments.pending_seconds,
        volumes=arguments.volume,
    )
    try:
        emulator.start()
    except (EmulatorError, OSError) as error:
        print(f"emulator: cannot start: {error}", file=sys.stderr, flush=True)
        emulator.stop()
        return 1
    print(f"Storage Gateway emulator listening on {emulator.url}", flush=True)
    try:
        while not stopping.wait(timeout=0.1):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
