"""`make acceptance`: the lifecycle of every resource through the real plugin, checked against
what AWS then holds.

With no configuration it starts the local emulator and runs there (no account is touched; CI
runs it that way). With SG_ACCEPTANCE_VOLUME_ARN (a cached volume of a test gateway) and the
usual AWS credentials it runs the same scenarios in that account, after printing what it will
create and what that may cost, and asking (unless --yes). Every run deletes its own snapshots
and restores the volume's snapshot schedule at the end, failed or interrupted. docs/acceptance.md
says more.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sg_snapshot_harness.acceptance import (  # noqa: E402
    Target,
    TargetError,
    account_target,
    new_run,
    run_lane,
)
from sg_snapshot_harness.acceptance.plan import make_plan  # noqa: E402
from sg_snapshot_harness.acceptance.target import EMULATOR_VOLUME_ARN  # noqa: E402
from sg_snapshot_harness.plugin import point_this_process_at  # noqa: E402
from sg_snapshot_provider.emulator import Emulator  # noqa: E402

#: Against the emulator, EC2 shows a new snapshot only after this long, as AWS may: the lane
#: and the provider must wait it out.
EMULATOR_VISIBILITY_LAG_SECONDS = 0.3
#: ... and a new snapshot stays pending this long before it completes: waits really wait.
EMULATOR_PENDING_SECONDS = 1.0
EXIT_INTERRUPTED = 130
#: (operation, HTTP status) of the throttling answers injected into an emulator run.
INJECTED_THROTTLING = {("CreateSnapshot", 400), ("DescribeSnapshots", 503)}


def say(text: str = "") -> None:
    print(text, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--yes", action="store_true", help="do not ask before creating anything in an account"
    )
    parser.add_argument(
        "--record",
        type=Path,
        metavar="DIR",
        help="save every AWS request and answer of the run in DIR (account identity scrubbed)",
    )
    return parser.parse_args(argv)


def confirmed(target: Target, assume_yes: bool) -> bool:
    """The emulator needs no confirmation; an account does, unless --yes."""
    if target.on_emulator or assume_yes:
        return True
    if not sys.stdin.isatty():
        say("Not confirmed: stdin is not a terminal; run with --yes to go ahead.")
        return False
    answer = input("Create these in this account? Type yes to go on: ")
    return answer.strip().lower() == "yes"


def run(target: Target, assume_yes: bool) -> int:
    mark = new_run()
    try:
        identity = target.identity()
    except TargetError as error:
        say(f"Refused before any change: {error}")
        return 2
    for line in make_plan(target, identity, mark).lines():
        say(line)
    if not confirmed(target, assume_yes):
        return 1
    started = time.monotonic()
    try:
        result = run_lane(target, identity, mark, repo_root=REPO_ROOT, say=say)
    except KeyboardInterrupt:
        say("Interrupted: clean-up ran first (above); make sweep finds anything it left.")
        return EXIT_INTERRUPTED
    say("Summary")
    for outcome in result.outcomes:
        say(f"  {outcome.line()}")
    if result.cleanup_problems:
        say(f"  {len(result.cleanup_problems)} clean-up problem(s): see Clean-up above")
    say(
        f"Acceptance run {mark.run_id} {'passed' if result.ok else 'FAILED'} "
        f"in {time.monotonic() - started:.0f} s against {target.where()}"
    )
    return 0 if result.ok else 1


def with_emulator(assume_yes: bool, record_dir: Path | None) -> int:
    with Emulator(
        volumes=[EMULATOR_VOLUME_ARN],
        visibility_lag_seconds=EMULATOR_VISIBILITY_LAG_SECONDS,
        pending_seconds=EMULATOR_PENDING_SECONDS,
    ) as emulator:
        # No AWS_* variable of the caller's (a profile, keys) reaches anything the lane starts.
        point_this_process_at(emulator.url)
        # Throttling as AWS answers it under load: the provider must retry, not fail.
        emulator.inject_fault("CreateSnapshot", "ThrottlingException", times=1)
        emulator.inject_fault("DescribeSnapshots", "RequestLimitExceeded", status=503, times=1)
        target = Target(
            EMULATOR_VOLUME_ARN,
            endpoint_url=emulator.url,
            visibility_seconds=10.0,
            record_dir=record_dir,
        )
        status = run(target, assume_yes)
        throttled = [
            call.operation
            for call in emulator.calls()
            if (call.operation, call.status) in INJECTED_THROTTLING
        ]
        say(f"Throttling answers the emulator gave (each retried): {throttled}")
        return status


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        target = account_target(os.environ)
    except TargetError as error:
        say(f"Refused before any AWS call: {error}")
        return 2
    if target is None:
        say("SG_ACCEPTANCE_VOLUME_ARN is not set: running against the local emulator.")
        return with_emulator(args.yes, args.record)
    if args.record is not None:
        target = replace(target, record_dir=args.record)
    return run(target, args.yes)


if __name__ == "__main__":
    sys.exit(main())
