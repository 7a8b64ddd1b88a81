"""`make bench-budget`: a fleet of N snapshots under EC2's request throttling, through the real
plugin: up, refresh, tag update of all, destroy; wall time against the time the buckets alone
force, AWS calls by action, RequestLimitExceeded answers, failed resources.

The emulator applies EC2's documented token buckets (``emulator.throttling``) scaled by
SCALE (capacity and refill) and SPEEDUP (refill alone), so that a 1,000-snapshot stack runs in
minutes; the same stacks run unthrottled and with a background client spending half of every
refill. The report replaces what is between the ``bench-budget`` markers of BENCHMARKS.md (or
``--output``); ``--quick`` is a smoke test that writes nothing unless ``--output`` is given.
``make bench`` runs it after ``scripts/bench.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import bench  # scripts/ is on the path: this file's own folder
from bench import REPO_ROOT, VOLUME_ARN, emulator_process, reseed, running_plugin

from sg_snapshot_harness import Engine
from sg_snapshot_harness.plugin import point_this_process_at
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import BucketOptions, Emulator
from sg_snapshot_provider.emulator.throttling import ACTION_SIZES, NON_MUTATING, BucketSize

#: The documented buckets halved (capacity and refill), with time running 20 times faster for
#: the refills: DeleteSnapshot 50 tokens + 50/s, CreateTags/DeleteTags 50 + 100/s, filtered
#: DescribeSnapshots 50 + 200/s.
SCALE = 0.5
SPEEDUP = 20.0
BACKGROUND = 0.5
UP_PARALLEL = 64
REFRESH_PARALLEL = 256
PHASES = ("up", "refresh", "tag update", "destroy")
MODES = ("alone", "background")
MARK_BEGIN = "<!-- bench-budget:begin (written by scripts/bench_budget.py) -->"
MARK_END = "<!-- bench-budget:end -->"
#: Goals: wall time within this of the floor (or of the unthrottled run when the buckets force
#: next to nothing), throttled answers at most this share of the calls.
WALL_GOAL = 1.3
THROTTLED_GOAL = 0.10


@dataclass
class PhaseRun:
    seconds: float
    answered: Counter[str]
    throttled: int
    failed: int
    floor: float = 0.0
    #: Storage Gateway's calls (unthrottled): shown, not in the floor.
    gateway: Counter[str] = field(default_factory=Counter)

    @property
    def calls(self) -> int:
        return sum(self.answered.values()) + self.throttled + sum(self.gateway.values())


@dataclass
class StackRun:
    size: int
    mode: str
    phases: dict[str, PhaseRun] = field(default_factory=dict)


def size_of(action: str) -> BucketSize:
    return ACTION_SIZES.get(action, NON_MUTATING)


def floor_seconds(answered: Counter[str], options: BucketOptions | None) -> float:
    """The time the buckets alone force: each bucket starts full and they refill side by side,
    so the slowest bucket's max(0, calls - capacity) / refill."""
    if options is None:
        return 0.0
    return max(
        (
            max(0.0, count - options.capacity(size_of(action))) / options.refill(size_of(action))
            for action, count in answered.items()
        ),
        default=0.0,
    )


def tags(batch: str) -> dict[str, str]:
    return {"fleet": batch}


def resources(size: int, batch: str) -> dict[str, dict[str, object]]:
    return {
        f"snap-{i:04d}": {
            "volume_arn": VOLUME_ARN,
            "description": f"fleet {i}",
            "tags": tags(batch),
            # What the resource class sends: the owner tag, and the read before each delete.
            "stack_resource": f"sg-snapshot-provider/bench/snap-{i:04d}",
        }
        for i in range(size)
    }


def run_stack(emulator: Emulator, size: int, mode: str, options: BucketOptions | None) -> StackRun:
    reseed(emulator)
    run = StackRun(size, mode)
    with running_plugin(emulator.url) as plugin:
        engine = Engine(plugin, StorageGatewaySnapshotProvider())

        def up(batch: str) -> Callable[[], int]:
            def go() -> int:
                return len(engine.deploy(resources(size, batch), parallel=UP_PARALLEL).steps)

            return go

        def refresh() -> int:
            steps = engine.refresh_all(parallel=REFRESH_PARALLEL).values()
            return sum(1 for step in steps if step.id)

        def destroy() -> int:
            engine.deploy({}, parallel=UP_PARALLEL)
            return size - len(engine.names())

        steps: dict[str, Callable[[], int]] = {
            "up": up("one"),
            "refresh": refresh,
            "tag update": up("two"),
            "destroy": destroy,
        }
        for phase, go in steps.items():
            emulator.set_ec2_token_buckets(options)  # every bucket full at the start
            emulator.clear_calls()
            started = time.perf_counter()
            try:
                done = go()
            except Exception as error:  # a failed step: the phase's resources count as failed
                print(f"  {mode} {size} {phase}: {error}", file=sys.stderr)
                done = 0
            seconds = time.perf_counter() - started
            calls = emulator.calls()
            answered = Counter(c.operation for c in calls if c.service == "ec2" and c.status == 200)
            throttled = sum(1 for c in calls if c.status == 503)
            gateway = Counter(c.operation for c in calls if c.service == "storagegateway")
            run.phases[phase] = PhaseRun(
                seconds, answered, throttled, size - done, floor_seconds(answered, options), gateway
            )
    emulator.set_ec2_token_buckets(None)
    return run


def x(value: float) -> str:
    return f"{value:.2f}x"


def row(run: StackRun, phase: str, unthrottled: PhaseRun) -> tuple[list[str], list[str]]:
    """A table row, and the goals it misses."""
    p = run.phases[phase]
    base = max(p.floor, unthrottled.seconds)
    calls = ", ".join(
        [f"{action} {count}" for action, count in sorted(p.answered.items())]
        + [f"sgw:{action} {count}" for action, count in sorted(p.gateway.items())]
    )
    share = p.throttled / p.calls if p.calls else 0.0
    missed = []
    if p.failed:
        missed.append("failed resources")
    if phase == "refresh" and p.answered["DescribeSnapshots"] > math.ceil(run.size / 200) + 2:
        missed.append("DescribeSnapshots")
    if run.mode != "unthrottled" and p.seconds > WALL_GOAL * base:
        missed.append("wall time")
    if share > THROTTLED_GOAL:
        missed.append("throttled share")
    cells = [
        str(run.size),
        run.mode,
        phase,
        f"{p.seconds:.1f}",
        f"{p.floor:.1f}",
        x(p.seconds / base) if base else "-",
        calls or "-",
        f"{p.throttled} ({share:.0%})",
        str(p.failed),
        ", ".join(missed) or "met",
    ]
    return cells, missed


def report(runs: Sequence[StackRun], elapsed: float, load: float, command: str) -> str:
    header = (
        "| N | buckets | phase | wall, s | floor, s | wall / max(floor, unthrottled) | "
        "calls answered (sgw: Storage Gateway) | RequestLimitExceeded | failed | goals |\n"
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
    )
    lines, misses = [], 0
    unthrottled = {r.size: r for r in runs if r.mode == "unthrottled"}
    for run in runs:
        for phase in PHASES:
            cells, missed = row(run, phase, unthrottled[run.size].phases[phase])
            misses += bool(missed)
            lines.append("| " + " | ".join(cells) + " |")
    return (
        "### 5. Fleet scale under EC2's request throttling\n\n"
        f"The emulator's EC2 token buckets (`--ec2-token-buckets`, see docs/scale.md): the "
        f"documented sizes times {SCALE:g} (capacity and refill), refills {SPEEDUP:g} times "
        f"faster; 'background' adds another client spending {BACKGROUND:.0%} of every refill. "
        f"Up and destroy on {UP_PARALLEL} workers, refresh on {REFRESH_PARALLEL}; every bucket "
        "full at the start of each phase. Floor: the time the buckets alone force, "
        "max(0, calls - capacity) / refill for the slowest bucket. Creates are Storage "
        "Gateway's CreateSnapshot, which the emulator does not throttle. Goals: 0 failed, "
        "refresh ≤ ceil(N/200)+2 DescribeSnapshots, wall ≤ "
        f"{WALL_GOAL:g}x max(floor, unthrottled wall), RequestLimitExceeded ≤ "
        f"{THROTTLED_GOAL:.0%} of calls. Rows missing a goal: {misses}.\n\n"
        + header
        + "\n".join(lines)
        + f"\n\n`{command}` on {time.strftime('%Y-%m-%d', time.gmtime())}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores: {elapsed:.0f} s in "
        f"all; load average {load:.1f} at the start (other work shared the machine: absolute "
        "times are noisy, the ratios come from runs made back to back).\n"
    )


def write_report(path: Path, body: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if MARK_BEGIN not in text or MARK_END not in text:
        text = f"{text.rstrip()}\n\n{MARK_BEGIN}\n{MARK_END}\n"
    before, rest = text.split(MARK_BEGIN, 1)
    path.write_text(f"{before}{MARK_BEGIN}\n{body}{MARK_END}{rest.split(MARK_END, 1)[1]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 50 only: a smoke test")
    parser.add_argument("--output", type=Path, help="default BENCHMARKS.md (--quick: none)")
    parser.add_argument("--sizes", type=int, nargs="*", help="stack sizes (default 100 500 1000)")
    parser.add_argument(
        "--modes",
        nargs="*",
        choices=MODES,
        help="bucket modes to run besides 'unthrottled' (default: all); for iterating",
    )
    arguments = parser.parse_args(argv)
    sizes = arguments.sizes or ([50] if arguments.quick else [100, 500, 1000])
    output = arguments.output or (None if arguments.quick else REPO_ROOT / "BENCHMARKS.md")
    started, load = time.perf_counter(), os.getloadavg()[0]
    throttled = BucketOptions(scale=SCALE, speedup=SPEEDUP)
    every_mode: Mapping[str, BucketOptions | None] = {
        "unthrottled": None,
        "alone": throttled,
        "background": BucketOptions(scale=SCALE, speedup=SPEEDUP, background=BACKGROUND),
    }
    chosen = {"unthrottled", *(arguments.modes or MODES)}
    modes = {mode: options for mode, options in every_mode.items() if mode in chosen}
    runs: list[StackRun] = []
    point_this_process_at(None)
    with emulator_process() as emulator:
        point_this_process_at(emulator.url, {"AWS_DEFAULT_REGION": bench.REGION})
        for size in sizes:
            for mode, options in modes.items():
                print(f"{time.perf_counter() - started:5.0f} s  {size} {mode}", file=sys.stderr)
                runs.append(run_stack(emulator, size, mode, options))
    command = "python scripts/bench_budget.py --quick" if arguments.quick else "make bench-budget"
    body = report(runs, time.perf_counter() - started, load, command)
    print(body, flush=True)
    if output is not None:
        write_report(output, body)
        print(f"written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
