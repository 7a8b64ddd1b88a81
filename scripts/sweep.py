"""`make sweep`: list the snapshots earlier acceptance runs left behind; with --delete, delete
them.

A leftover is a snapshot carrying the acceptance tag (sg-snapshot-provider:acceptance, set only
by the acceptance lane), owned by the caller's account, more than an hour old (younger ones may
belong to a run in progress), held by no stack and not locked. Every tagged snapshot is listed
with the reason it is kept or deleted. The account and region: those of SG_ACCEPTANCE_VOLUME_ARN
(or --region) with the usual AWS credentials, or --endpoint-url for an emulator.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sg_snapshot_harness.acceptance import (  # noqa: E402
    TargetError,
    account_target,
    sweep,
)
from sg_snapshot_harness.acceptance.target import make_client  # noqa: E402


def say(text: str = "") -> None:
    print(text, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delete", action="store_true", help="delete the leftovers listed")
    parser.add_argument("--region", help="the region to sweep (default: the volume's)")
    parser.add_argument(
        "--endpoint-url", help="sweep an emulator at this URL (dummy credentials) instead of AWS"
    )
    return parser.parse_args(argv)


def region_of(args: argparse.Namespace) -> str | None:
    if args.region:
        return str(args.region)
    target = account_target(os.environ)
    if target is not None:
        return target.region
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        region = region_of(args)
    except TargetError as error:
        say(f"Refused before any AWS call: {error}")
        return 2
    if region is None:
        say("Say where to sweep: set SG_ACCEPTANCE_VOLUME_ARN (its region), or --region.")
        return 2
    account = make_client("sts", region, args.endpoint_url).get_caller_identity()["Account"]
    where = args.endpoint_url or "AWS"
    say(f"Acceptance leftovers of account {account} in {region} ({where}):")
    report = sweep(
        make_client("ec2", region, args.endpoint_url), account_id=account, delete=args.delete
    )
    for line in report.lines():
        say(f"  {line}")
    leftovers = [verdict for verdict in report.verdicts if verdict.delete]
    if not report.verdicts:
        say("  none: no snapshot of this account carries the acceptance tag")
    if args.delete:
        gone = f"; {len(report.gone)} already gone" if report.gone else ""
        say(f"Deleted {len(report.deleted)} of {len(leftovers)} leftover(s){gone}.")
    elif leftovers:
        say(f"{len(leftovers)} leftover(s); delete them with: make sweep ARGS=--delete")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
