"""``python -m sg_snapshot_provider orphans --state STATE.json [--delete]``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import SnapshotProviderError
from .orphans import Orphan, StateError, delete_orphans, find_orphans, read_state
from .settings import Settings


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sg_snapshot_provider")
    commands = parser.add_subparsers(dest="command", required=True)
    orphans = commands.add_parser(
        "orphans",
        help="snapshots of a stack that its state does not hold (a deployment killed mid-create)",
        description=(
            "List the snapshots tagged with the stack of STATE (the output of `pulumi stack "
            "export`) that the state does not hold, in the regions the state names (and any "
            "--region), with the credentials of the environment (AWS_PROFILE, …). With "
            "--delete, delete them."
        ),
    )
    orphans.add_argument("--state", required=True, type=Path, help="`pulumi stack export` output")
    orphans.add_argument("--region", action="append", default=[], help="also look here")
    orphans.add_argument("--profile", help="an AWS profile (default: the environment's)")
    orphans.add_argument("--delete", action="store_true", help="delete what is listed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    try:
        state = read_state(json.loads(arguments.state.read_text()))
    except (OSError, ValueError) as error:
        print(f"orphans: cannot read {arguments.state}: {error}", file=sys.stderr)
        return 2
    regions = state.regions | set(arguments.region)
    if not regions:
        print(
            "orphans: the state names no region and none was given: add --region",
            file=sys.stderr,
        )
        return 2
    settings = Settings(profile=arguments.profile)
    where = f"stack {state.project}/{state.stack} in {', '.join(sorted(regions))}"
    try:
        found = find_orphans(state, regions, settings)
        if not found:
            print(f"no orphaned snapshots of {where}")
            return 0
        print(f"{len(found)} snapshot(s) of {where} that the state does not hold:")
        for orphan in found:
            print(_row(orphan))
        if arguments.delete:
            for snapshot_id in delete_orphans(state, found, settings):
                print(f"deleted {snapshot_id}")
        else:
            print("run again with --delete to delete them")
    except (SnapshotProviderError, StateError) as error:
        print(f"orphans: {error}", file=sys.stderr)
        return 1
    return 0


def _row(orphan: Orphan) -> str:
    size = f"{orphan.volume_size_gib} GiB" if orphan.volume_size_gib is not None else "? GiB"
    return (
        f"  {orphan.snapshot_id}  {orphan.region}  resource {orphan.resource}  "
        f"started {orphan.start_time or '?'}  {size}  {orphan.state}"
    )


if __name__ == "__main__":
    sys.exit(main())
