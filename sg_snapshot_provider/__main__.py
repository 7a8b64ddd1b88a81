"""``python -m sg_snapshot_provider orphans --state STATE.json [--delete]``.

Exit codes (each failure is one sentence on stderr):

* 0 — done: listed, or deleted every snapshot it said it would;
* 1 — an AWS call failed (credentials, permissions, region, throttling beyond the retries);
* 2 — the command line or the export is unusable (not ``pulumi stack export`` output of a
  stack, a malformed region);
* 3 — refused: the export cannot prove which snapshots a state holds (secret or unreadable
  values of this package's resources), or a snapshot named with ``--delete-unrecorded``
  fails a check. Nothing is deleted;
* 4 — not everything could be deleted yet: a snapshot to delete is locked (EBS snapshot lock;
  never unlocked here), its lock could not be read, or EC2 could not confirm it gone. Every
  other one was deleted (or was already gone); the sentence names each and why, and running
  again later finishes the job.

A snapshot another run (or anyone) deleted first is "already gone": done, exit 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from .errors import SnapshotProviderError
from .orphans import (
    ALREADY_GONE,
    DEFAULT_SETTLE_SECONDS,
    NOT_YET,
    ExportError,
    Report,
    Snapshot,
    StackExport,
    UnsureError,
    delete_snapshots,
    find_snapshots,
    judge,
    lock_holds,
    named_unrecorded,
    read_export,
)
from .settings import PROFILE_KEY, settings_from_config

EXIT_OK, EXIT_AWS, EXIT_USAGE, EXIT_REFUSED, EXIT_NOT_YET = 0, 1, 2, 3, 4
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sg_snapshot_provider")
    commands = parser.add_subparsers(dest="command", required=True)
    orphans = commands.add_parser(
        "orphans",
        help="snapshots left by a deployment killed mid-create",
        description=(
            "List the snapshots of the stack of STATE (`pulumi stack export` output) that an "
            "unfinished create left behind (matched by the create token the export records), "
            "and the other snapshots tagged with the stack, which are never deleted unasked. "
            "With --delete, delete the leftovers."
        ),
    )
    orphans.add_argument("--state", required=True, type=Path, help="`pulumi stack export` output")
    orphans.add_argument("--region", action="append", default=[], help="also look here")
    orphans.add_argument("--profile", help="an AWS profile (default: the environment's)")
    orphans.add_argument("--delete", action="store_true", help="delete the leftovers listed")
    orphans.add_argument(
        "--delete-unrecorded",
        action="append",
        default=[],
        metavar="SNAPSHOT_ID",
        help="also delete this snapshot of the stack that no unfinished create made (checked)",
    )
    orphans.add_argument(
        "--settle-seconds",
        type=float,
        default=DEFAULT_SETTLE_SECONDS,
        help=argparse.SUPPRESS,  # for tests: the margin beyond a create's own wait
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        return _orphans(arguments)
    except ExportError as error:
        return _fail(f"cannot use {arguments.state}: {error}", EXIT_USAGE)
    except UnsureError as error:
        return _fail(str(error), EXIT_REFUSED)
    except (SnapshotProviderError, BotoCoreError, ClientError) as error:
        return _fail(f"an AWS call failed: {_one_line(error)}", EXIT_AWS)


def _orphans(arguments: argparse.Namespace) -> int:
    export = read_export(_load(arguments.state))
    bad = [r for r in arguments.region if not _REGION.fullmatch(r)]
    if bad:
        raise ExportError(f"--region {bad[0]} is not a region name such as eu-west-1")
    regions = export.regions | set(arguments.region)
    if not regions:
        raise ExportError("the export names no region and none was given: add --region")
    # The environment's AWS settings, as the plugin's without a stack config.
    settings = settings_from_config({PROFILE_KEY: arguments.profile}.get, os.environ)
    report = judge(export, find_snapshots(export, regions, settings), arguments.settle_seconds)
    unrecorded = named_unrecorded(
        report, export, arguments.delete_unrecorded, arguments.settle_seconds
    )
    # Locks are read before anything is listed, so the list says what cannot go yet.
    holds = lock_holds([*report.leftovers, *unrecorded], settings)
    _print_report(export, sorted(regions), report, holds)
    doomed = [*report.leftovers, *unrecorded] if arguments.delete else unrecorded
    if not doomed:
        free = [s for s in report.leftovers if s.snapshot_id not in holds]
        if free:
            print(f"run again with --delete to delete the {len(free)} leftover(s)")
        return EXIT_OK
    going = [s.snapshot_id for s in doomed if s.snapshot_id not in holds]
    if going:
        print(f"deleting {len(going)} snapshot(s): {', '.join(going)}")
    not_yet: dict[str, list[str]] = {}  # why → the snapshots it holds
    for outcome in delete_snapshots(doomed, holds, settings):
        if outcome.kind == ALREADY_GONE:
            print(f"{outcome.snapshot_id} already gone: {outcome.why}", flush=True)
        elif outcome.kind == NOT_YET:
            print(f"{outcome.snapshot_id} {NOT_YET}: {outcome.why}", flush=True)
            not_yet.setdefault(outcome.why, []).append(outcome.snapshot_id)
        else:
            print(f"deleted {outcome.snapshot_id}", flush=True)
    return _not_yet(not_yet, len(doomed)) if not_yet else EXIT_OK


def _not_yet(not_yet: dict[str, list[str]], asked: int) -> int:
    """Exit 4, naming each snapshot not deleted yet and why, in one sentence."""
    count = sum(len(ids) for ids in not_yet.values())
    reasons = "; ".join(f"{', '.join(ids)}: {why}" for why, ids in not_yet.items())
    others = f" (the other {asked - count} were deleted or already gone)" if asked > count else ""
    return _fail(f"{count} snapshot(s) {NOT_YET}{others}: {reasons}", EXIT_NOT_YET)


def _load(path: Path) -> object:
    try:
        return json.loads(path.read_text())
    except OSError as error:
        raise ExportError(error.strerror or str(error)) from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ExportError(f"not JSON ({error})") from error


def _print_report(
    export: StackExport, regions: list[str], report: Report, holds: dict[str, str]
) -> None:
    where = f"stack {export.project}/{export.stack} in {', '.join(regions)}"
    if not report.verdicts:
        print(f"no snapshots of {where} left by unfinished creates, none tagged with the stack")
        return
    print(f"{len(report.leftovers)} snapshot(s) of {where} left by unfinished creates:")
    for snapshot in report.leftovers:
        print(_row(snapshot))
        if snapshot.snapshot_id in holds:
            print(f"      {NOT_YET}: {holds[snapshot.snapshot_id]}")
    if report.kept:
        print(f"{len(report.kept)} other snapshot(s) tagged with the stack, not deleted:")
        for verdict in report.kept:
            print(f"{_row(verdict.snapshot)}\n      {verdict.reason}")
            if verdict.snapshot.snapshot_id in holds:  # named with --delete-unrecorded
                print(f"      {NOT_YET}: {holds[verdict.snapshot.snapshot_id]}")


def _row(snapshot: Snapshot) -> str:
    size = f"{snapshot.volume_size_gib} GiB" if snapshot.volume_size_gib is not None else "? GiB"
    started = snapshot.start_time.isoformat() if snapshot.start_time else "?"
    return (
        f"  {snapshot.snapshot_id}  {snapshot.region}  resource {snapshot.resource or '?'}  "
        f"started {started}  {size}  {snapshot.state}"
    )


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def _fail(message: str, code: int) -> int:
    print(f"orphans: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
