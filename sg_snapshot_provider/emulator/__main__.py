"""``python -m sg_snapshot_provider.emulator``: serve the emulator in this process until Ctrl-C,
SIGTERM or (with ``--stop-on-stdin-eof``) the end of standard input.

Prints one line, ``Storage Gateway emulator listening on http://HOST:PORT``, once it serves
(seed volumes included); ``Emulator.start()`` runs this as its child process and reads that line.
No AWS behaviour is decided here (see ``server``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .control import EmulatorState
    from .throttling import BucketOptions

#: The modules of the ``[emulator]`` extra.
EXTRA_MODULES = frozenset({"moto", "werkzeug", "flask", "flask_cors"})
INSTALL_HINT = "pip install 'sg-snapshot-provider[emulator]'"
LISTENING = "Storage Gateway emulator listening on"


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if seconds < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return seconds


def _positive(text: str) -> float:
    value = _seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _share(text: str) -> float:
    value = _seconds(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be less than 1: {text}")
    return value


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
        type=_seconds,
        default=0.0,
        metavar="N",
        help="new snapshots stay 'pending' this long before 'completed' (default 0)",
    )
    parser.add_argument(
        "--visibility-lag-seconds",
        type=_seconds,
        default=0.0,
        metavar="N",
        help="EC2 does not see a new snapshot by its ID for this long, as EC2's eventual "
        "consistency can (default 0)",
    )
    parser.add_argument(
        "--iam-policy",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="policy mode: check every AWS request against this IAM policy (JSON; repeatable: "
        "the policies apply together) and refuse it as AWS would",
    )
    parser.add_argument(
        "--iam-access-key",
        default=None,
        metavar="KEY",
        help="with --iam-policy: check only the requests signed with this access key ID",
    )
    parser.add_argument(
        "--ec2-token-buckets",
        action="store_true",
        help="throttle EC2 as AWS does: the documented token buckets per account, Region and "
        "API, answering RequestLimitExceeded (HTTP 503) once one is empty",
    )
    parser.add_argument(
        "--ec2-token-buckets-scale",
        type=_positive,
        default=1.0,
        metavar="F",
        help="multiply every bucket's capacity and refill rate by F (default 1: AWS's sizes)",
    )
    parser.add_argument(
        "--ec2-token-buckets-speedup",
        type=_positive,
        default=1.0,
        metavar="S",
        help="multiply every refill rate alone by S (default 1)",
    )
    parser.add_argument(
        "--ec2-token-buckets-background",
        type=_share,
        default=0.0,
        metavar="B",
        help="share of every refill other clients of the account spend, 0 to below 1 (default 0)",
    )
    parser.add_argument(
        "--stop-on-stdin-eof",
        action="store_true",
        help="also stop when standard input closes (how a parent process ties us to its life)",
    )
    return parser.parse_args(argv)


def _seed(state: EmulatorState, volume_arns: Sequence[str]) -> str | None:
    """Seed the volumes; the reason the first one was refused, in a plain sentence, or None."""
    from .control import handle_control
    from .exceptions import ControlError

    for volume_arn in volume_arns:
        try:
            with state.lock:
                handle_control(state, "POST", "volumes", {"volume_arn": volume_arn})
        except ControlError as error:
            return f"--volume {volume_arn}: {error.message}"
    return None


def _read_policies(paths: Sequence[Path]) -> list[dict[str, object]] | str:
    """The policy documents of ``--iam-policy``, or why one cannot be read."""
    documents = []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            return f"--iam-policy {path}: {error}"
        documents.append(document)
    return documents


def _token_buckets(arguments: argparse.Namespace) -> BucketOptions | None:
    from .throttling import BucketOptions

    if not arguments.ec2_token_buckets:
        return None
    return BucketOptions(
        arguments.ec2_token_buckets_scale,
        arguments.ec2_token_buckets_speedup,
        arguments.ec2_token_buckets_background,
    )


def _watch_stdin(stopping: threading.Event) -> None:
    def read_to_end() -> None:
        while sys.stdin.buffer.read(65536):
            pass
        stopping.set()

    threading.Thread(target=read_to_end, name="stdin-watch", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    # moto reads this when it builds an EC2 backend; without it every DescribeSnapshots also
    # scans the ~1,300 snapshots behind moto's default AMIs. This process serves; its
    # environment is ours to set (an explicit choice of the caller wins).
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    try:
        from .authorization import IamGate
        from .control import EmulatorState
        from .exceptions import ControlError
        from .server import EmulatorServer
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] not in EXTRA_MODULES:
            raise
        print(
            f"emulator: cannot start: {error.name} is not installed; the emulator is an "
            f"optional extra: {INSTALL_HINT}",
            file=sys.stderr,
            flush=True,
        )
        return 1

    stopping = threading.Event()

    def request_stop(_signal: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    policies = _read_policies(arguments.iam_policy)
    try:
        if isinstance(policies, str):
            raise ControlError(policies)
        gate = IamGate(policies, arguments.iam_access_key)
    except ControlError as error:
        print(f"emulator: cannot start: {error.message}", file=sys.stderr, flush=True)
        return 1
    state = EmulatorState(
        arguments.pending_seconds,
        arguments.visibility_lag_seconds,
        iam=gate,
        token_buckets=_token_buckets(arguments),
    )
    refused = _seed(state, arguments.volume)
    if refused is not None:
        print(f"emulator: cannot start: {refused}", file=sys.stderr, flush=True)
        return 1
    try:
        server = EmulatorServer(arguments.host, arguments.port, state)
    except OSError as error:
        print(f"emulator: cannot start: {error}", file=sys.stderr, flush=True)
        return 1
    server.start()
    print(f"{LISTENING} {server.url}", flush=True)
    if arguments.stop_on_stdin_eof:
        _watch_stdin(stopping)
    try:
        while not stopping.wait(timeout=0.1):
            pass
    finally:
        server.stop()
    return 0


def run() -> None:
    """Serve, then leave at once: the emulator's state lives in memory only, and tearing down
    moto's thousands of modules one by one would take the interpreter ~0.5 s more."""
    code = main()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
