"""`make bench`: how fast and how frugal (in AWS calls) the provider is, through the real plugin.

On loopback against the emulator (its CLI in a subprocess) with dummy credentials, the plugin
(``python -m pulumi.dynamic``) driven over gRPC by the engine harness: N waited creates at once
(stack scale), stacks of up to 500 resources against do-nothing providers in the same plugin,
per-operation latency against the same boto3 calls, and cold start. The report replaces what is
between the ``bench:begin``/``bench:end`` markers of BENCHMARKS.md (or ``--output``); ``--quick``
is a smoke test that writes nothing unless ``--output`` is given. The ``aws`` CLI compared with
comes from ``.bench/awscli-venv``, which ``make bench`` builds (without it: no CLI column).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS_DIR = REPO_ROOT / "scripts"
BENCH_DIR = REPO_ROOT / ".bench"  # gitignored
AWS_CLI = BENCH_DIR / "awscli-venv" / "bin" / "aws"
for _path in (SCRIPTS_DIR, REPO_ROOT):  # run from a source checkout, installed or not
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import bench_clientcount  # noqa: E402
from bench_noop import AwsCliProvider, NoopProvider, RawBoto3Provider  # noqa: E402
from pulumi.dynamic import ResourceProvider  # noqa: E402

from sg_snapshot_harness import (  # noqa: E402
    Engine,
    PluginProcess,
    StepKind,
    StepResult,
    plugin_environment,
)
from sg_snapshot_harness.engine import DEFAULT_PARALLEL  # noqa: E402
from sg_snapshot_harness.plugin import point_this_process_at  # noqa: E402
from sg_snapshot_provider import StorageGatewaySnapshotProvider  # noqa: E402
from sg_snapshot_provider.emulator import Emulator  # noqa: E402
from sg_snapshot_provider.plugin_threads import PLUGIN_WORKERS, WORKERS_ENV  # noqa: E402
from sg_snapshot_provider.settings import TIMINGS_ENV  # noqa: E402
from sg_snapshot_provider.type_tokens import SNAPSHOT_TYPE  # noqa: E402

REGION = "us-east-1"
VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B/volume/vol-1122AABB"
)
#: The tag update removes one key and adds one: its most AWS calls (DeleteTags + CreateTags).
TAGS_BEFORE, TAGS_AFTER = {"team": "storage", "rev": "1"}, {"team": "storage", "gen": "2"}
#: The dynamic providers driven through the plugin, and their type tokens.
PROVIDERS: dict[str, tuple[Callable[[], ResourceProvider], str]] = {
    "provider": (StorageGatewaySnapshotProvider, SNAPSHOT_TYPE),
    "raw_provider": (RawBoto3Provider, "pulumi-python:dynamic:RawBoto3Resource"),
    "noop": (NoopProvider, "pulumi-python:dynamic:NoopResource"),
}
OPERATIONS = ("create", "read", "update", "delete")
#: Stack phases, and the fewest AWS calls per resource each can make.
PHASES = {"create": 1, "preview": 0, "update tags": 2, "refresh": 1, "destroy": 1}
#: The issue measured with a 0.25 s poll; so do the stack-scale rows, to compare.
POLL_TIMINGS = {"poll_initial_seconds": 0.25, "poll_interval_seconds": 0.25}

T = TypeVar("T")


class BenchError(RuntimeError):
    """Something the bench relies on did not hold (a step did the wrong thing, a tool failed)."""


@dataclass(frozen=True)
class Plan:
    latency_ops: int  # operations of each kind per subject
    batch: int  # subjects take turns every `batch` resources, so noise hits all alike
    cli_ops: int
    cold_starts: int
    stack_sizes: tuple[int, ...]  # the largest also with the raw-boto3 and no-op providers
    wait_counts: tuple[int, ...]
    wait_seconds: float  # W: how long each waited snapshot stays pending


FULL = Plan(200, 25, 10, 9, (50, 200, 500), (1, 4, 16, 64), 3.0)
QUICK = Plan(10, 5, 2, 1, (10, 30), (1, 4, 16, 64), 0.5)


# --- measuring -----------------------------------------------------------------------------------


class Stopwatch:
    """The one timed-call wrapper: ``time(key, call)`` runs the call and keeps its duration."""

    def __init__(self) -> None:
        self.samples: defaultdict[str, list[float]] = defaultdict(list)
        self._lock = threading.Lock()

    def time(self, key: str, call: Callable[[], T]) -> T:
        start = time.perf_counter()
        result = call()
        with self._lock:
            self.samples[key].append(time.perf_counter() - start)
        return result


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest rank (a p95 is a sample that happened)."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1] if ordered else math.nan


def p50(samples: Sequence[float]) -> float:
    return percentile(samples, 50)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.nan


class TimedPlugin(PluginProcess):
    """The harness's plugin, timing each gRPC call (sent to answered: what the engine waits
    for) by lower-case method name."""

    def __init__(self, env: Mapping[str, str]) -> None:
        super().__init__(env, cwd=REPO_ROOT)
        self.watch = Stopwatch()

    def _call(self, method: str, request: Any) -> Any:
        return self.watch.time(method.lower(), lambda: PluginProcess._call(self, method, request))

    def peak_rss_mib(self) -> float:
        assert self._process is not None
        status = Path(f"/proc/{self._process.pid}/status").read_text()
        return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024


@contextmanager
def running_plugin(url: str, extra: Mapping[str, str] | None = None) -> Iterator[TimedPlugin]:
    """A started, configured plugin reaching the emulator at ``url``, killed on exit; scripts/
    is on its path so that bench_noop's providers unpickle."""
    env = {"AWS_DEFAULT_REGION": REGION, "PYTHONPATH": str(SCRIPTS_DIR), **(extra or {})}
    plugin = TimedPlugin(plugin_environment(url, env))
    try:
        plugin.start().configure({"aws:region": REGION})
        yield plugin
    finally:
        plugin.cleanup()


@contextmanager
def emulator_process() -> Iterator[Emulator]:
    """The emulator's CLI in a subprocess, tied to our life by its standard input."""
    BENCH_DIR.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "sg_snapshot_provider.emulator", "--port", "0", "--volume"]
    with open(BENCH_DIR / "emulator.log", "wb") as log:
        process = subprocess.Popen(
            [*command, VOLUME_ARN, "--stop-on-stdin-eof"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            cwd=REPO_ROOT,
        )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if "http://" not in line:
            raise BenchError(f"the emulator did not start: {line!r}; see .bench/emulator.log")
        yield Emulator.attach(line.split()[-1])
    finally:
        process.terminate()
        process.wait(timeout=30)


def reseed(emulator: Emulator) -> None:
    """Only the bench's volume: no snapshots, no pending seconds, an empty request log."""
    emulator.reset()
    emulator.add_volume(VOLUME_ARN)
    emulator.clear_calls()


def inputs(name: str, tags: Mapping[str, str], **extra: Any) -> dict[str, Any]:
    return {"volume_arn": VOLUME_ARN, "description": f"bench {name}", "tags": dict(tags), **extra}


def expect(wanted: StepKind, steps: Iterable[StepResult]) -> None:
    for step in steps:
        if step.kind != wanted:
            raise BenchError(f"{step.name}: the engine step was {step.kind}, expected {wanted}")


# --- subjects, and the one lifecycle they all go through -----------------------------------------


class Subject(Protocol):
    def create(self, name: str) -> str: ...
    def read(self, handle: str) -> object: ...
    def update(self, handle: str) -> object: ...
    def delete(self, handle: str) -> object: ...


def lifecycle(subject: Subject, names: Sequence[str], watch: Stopwatch | None) -> None:
    """Create every name, then read, update the tags of and delete each, one at a time; each
    operation timed into ``watch`` (None: a plugin times its own gRPC calls)."""

    def run(operation: str, argument: str) -> Any:
        call = getattr(subject, operation)
        return watch.time(operation, lambda: call(argument)) if watch else call(argument)

    handles = [run("create", name) for name in names]
    for operation in OPERATIONS[1:]:
        for handle in handles:
            run(operation, handle)


class EngineSubject:
    """A dynamic provider through the plugin, as ``up``, ``refresh``, ``up``, ``destroy``."""

    def __init__(self, plugin: TimedPlugin, provider: str) -> None:
        make, type_token = PROVIDERS[provider]
        self.engine = Engine(plugin, make(), type_token=type_token)

    def create(self, name: str) -> str:
        expect(StepKind.CREATE, [self.engine.up(name, inputs(name, TAGS_BEFORE))])
        return name

    def read(self, handle: str) -> None:
        expect(StepKind.REFRESH, [self.engine.refresh(handle)])

    def update(self, handle: str) -> None:
        expect(StepKind.UPDATE, [self.engine.up(handle, inputs(handle, TAGS_AFTER))])

    def delete(self, handle: str) -> None:
        expect(StepKind.DELETE, [self.engine.destroy(handle)])


class DirectSubject:
    """A provider's methods called in this process, with no plugin: for ``RawBoto3Provider``,
    raw boto3 with warm clients; for ``AwsCliProvider``, the aws CLI."""

    def __init__(self, provider: ResourceProvider) -> None:
        self.provider = provider

    def create(self, name: str) -> str:
        return str(self.provider.create(inputs(name, TAGS_BEFORE)).id)

    def read(self, handle: str) -> object:
        return self.provider.read(handle, {})

    def update(self, handle: str) -> object:
        return self.provider.update(handle, inputs("", TAGS_BEFORE), inputs("", TAGS_AFTER))

    def delete(self, handle: str) -> None:
        self.provider.delete(handle, {})


# --- the measurements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitRun:
    seconds: float  # the whole deployment
    probe_check: float  # the probe's Check, sent while the others wait
    checks_done: float  # from the start until every Check was answered (step-generator stalls)
    polls: int  # DescribeSnapshots calls


def measure_waits(emulator: Emulator, plan: Plan) -> dict[str, dict[int, WaitRun]]:
    """By mode ("after", "before") and N: N waited creates, then one that does not wait (the
    probe, registered last: its Check is sent while the others wait), deployed at once."""
    reseed(emulator)
    emulator.set_pending_seconds(plan.wait_seconds)
    timings = {TIMINGS_ENV: json.dumps(POLL_TIMINGS)}
    modes = {"after": timings, "before": {**timings, WORKERS_ENV: str(PLUGIN_WORKERS)}}
    runs: dict[str, dict[int, WaitRun]] = {mode: {} for mode in modes}
    with ExitStack() as stack:
        plugins = {m: stack.enter_context(running_plugin(emulator.url, modes[m])) for m in modes}
        for plugin in plugins.values():  # its first client is made here, untimed
            EngineSubject(plugin, "provider").create("warm-up")
            if "could not widen" in plugin.stderr_text():
                raise BenchError(f"the plugin's pool stayed narrow: {plugin.stderr_text()}")
        for count in plan.wait_counts:
            for mode, plugin in plugins.items():  # taking turns: the same noise
                waited = {f"w{i}": inputs("", {}, wait_for_completion=True) for i in range(count)}
                emulator.clear_calls()
                engine = EngineSubject(plugin, "provider").engine
                done = engine.deploy({**waited, "probe": inputs("", {})}, parallel=count + 1)
                expect(StepKind.CREATE, done.steps.values())
                if any(done.steps[name].outputs["state"] != "completed" for name in waited):
                    raise BenchError(f"{mode}, N={count}: a waited snapshot did not complete")
                polls = sum(call.operation == "DescribeSnapshots" for call in emulator.calls())
                checks = done.check_seconds
                run = WaitRun(done.seconds, checks["probe"], sum(checks.values()), polls)
                runs[mode][count] = run
    reseed(emulator)
    return runs


@dataclass(frozen=True)
class StackRun:
    size: int
    seconds: dict[str, float]  # by phase
    calls: dict[str, int]  # AWS calls, by phase
    peak_rss_mib: float
    sessions: int
    clients: Counter[str]  # botocore clients, by "service region"


def run_stack(emulator: Emulator, provider: str, size: int) -> StackRun:
    """One plugin, ``size`` resources: up as the engine runs it (Check one at a time, steps on
    DEFAULT_PARALLEL workers), preview (Check and Diff, one at a time), refresh and destroy on
    DEFAULT_PARALLEL workers."""
    reseed(emulator)
    log = BENCH_DIR / f"clients-{provider}-{size}.log"
    log.unlink(missing_ok=True)
    shim = bench_clientcount.write_shim(BENCH_DIR / "shim")
    env = {"PYTHONPATH": f"{shim}:{SCRIPTS_DIR}", bench_clientcount.LOG_ENV: str(log)}
    names, watch, calls = [f"res-{i:04d}" for i in range(size)], Stopwatch(), {}
    with running_plugin(emulator.url, env) as plugin, ThreadPoolExecutor(DEFAULT_PARALLEL) as pool:
        engine = EngineSubject(plugin, provider).engine

        def up(tags: Mapping[str, str]) -> Iterable[StepResult]:
            resources = {name: inputs(name, tags) for name in names}
            return engine.deploy(resources, parallel=DEFAULT_PARALLEL).steps.values()

        def preview() -> Iterable[StepResult]:  # Check and Diff: no step to run
            return [engine.preview(name, inputs(name, TAGS_BEFORE)) for name in names]

        phases: dict[str, tuple[StepKind, Callable[[], Iterable[StepResult]]]] = {
            "create": (StepKind.CREATE, lambda: up(TAGS_BEFORE)),
            "preview": (StepKind.SAME, preview),
            "update tags": (StepKind.UPDATE, lambda: up(TAGS_AFTER)),
            "refresh": (StepKind.REFRESH, lambda: list(pool.map(engine.refresh, names))),
            "destroy": (StepKind.DELETE, lambda: list(pool.map(engine.destroy, names))),
        }
        for phase, (wanted, run) in phases.items():
            emulator.clear_calls()
            expect(wanted, watch.time(phase, run))
            calls[phase] = len(emulator.calls())
        rss = plugin.peak_rss_mib()
    seconds = {phase: samples[0] for phase, samples in watch.samples.items()}
    return StackRun(size, seconds, calls, rss, *bench_clientcount.read_log(log))


def measure_latency(emulator: Emulator, plan: Plan) -> dict[str, Stopwatch]:
    """Every subject through the same lifecycle, taking turns every ``plan.batch`` resources;
    the aws CLI (slow) last, when it is installed."""
    reseed(emulator)
    watches: dict[str, Stopwatch] = {"boto3": Stopwatch()}
    subjects: dict[str, Subject] = {"boto3": DirectSubject(RawBoto3Provider())}
    with ExitStack() as stack:
        for name in PROVIDERS:
            plugin = stack.enter_context(running_plugin(emulator.url))
            subjects[name], watches[name] = EngineSubject(plugin, name), plugin.watch
        for name, subject in subjects.items():  # imports, clients, connections: untimed
            lifecycle(subject, [f"{name}-warm-up"], None)
        for watch in watches.values():
            watch.samples.clear()
        for start in range(0, plan.latency_ops, plan.batch):
            count = min(plan.batch, plan.latency_ops - start)
            for name, subject in subjects.items():  # a plugin times its own gRPC calls
                here = None if name in PROVIDERS else watches[name]
                lifecycle(subject, [f"{name}-{start + i}" for i in range(count)], here)
            reseed(emulator)  # moto's scans grow with the snapshots it holds
    if AWS_CLI.exists():
        watches["cli"] = Stopwatch()
        cli = DirectSubject(AwsCliProvider(str(AWS_CLI)))
        lifecycle(cli, [f"cli-{i}" for i in range(plan.cli_ops)], watches["cli"])
    return watches


def measure_cold_starts(emulator: Emulator, plan: Plan) -> dict[str, list[dict[str, float]]]:
    """Start a plugin, Configure, Check and Create one resource: per provider, the seconds to
    the first Create's answer ("total") and of the first "check" and "create"."""
    reseed(emulator)
    starts: dict[str, list[dict[str, float]]] = defaultdict(list)
    for round_ in range(plan.cold_starts + 1):  # round 0 warms the OS file cache, untimed
        for name in ("noop", "raw_provider", "provider"):  # taking turns: the same noise
            started = time.perf_counter()
            with running_plugin(emulator.url) as plugin:
                EngineSubject(plugin, name).create("cold")
                total = time.perf_counter() - started
            if round_:
                first = {method: samples[0] for method, samples in plugin.watch.samples.items()}
                starts[name].append({"total": total, **first})
    return starts


# --- the report: each section renders its rows and judges its targets ---------------------------

Target = tuple[str, str, bool]  # what, measured, met


def ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.{1 if seconds < 1 else 0}f}"


def x(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}x"


def at_most(what: str, value: float, bound: float, show: Callable[[float], str] = x) -> Target:
    return f"{what} ≤ {show(bound)}", show(value), value <= bound


def section(template: str, rows: Iterable[Sequence[object]], **values: object) -> str:
    """The one renderer: the template's text (formatted with ``values``), then a Markdown table
    of ``rows`` under the headers that follow its ``---`` line, separated by ``|``."""
    text, headers = template.format(**values).split("\n---\n")
    names = [name.strip() for name in headers.split("|")]
    lines = [names, ["---"] * len(names), *rows]
    return text.strip() + "\n\n" + "".join(f"| {' | '.join(map(str, r))} |\n" for r in lines)


WAITS = """
### 1. Stack scale: N creates that wait for completion, sent at once

Each snapshot completes W = {wait:g} s after its `CreateSnapshot` (the emulator's pending
seconds); the provider polls every 0.25 s, as in the issue. `Engine.deploy(..., parallel=N+1)`
checks the N resources, then one that does not wait (the probe, registered last), one at a time
as the engine's step generator does, and runs their `Create`s at once. **After**: the provider
widens the plugin's gRPC pool; **before**: the plugin's own {workers} threads
(`{env}={workers}`). Both share one DescribeSnapshots poller per client.
"Checks done at": when the step generator had every Check answered, the probe's included (a
Check queued behind the Creates stalls it, and every resource registered after).
The issue's figures, measured before any change (4 threads, one poller per snapshot, 0.25 s
poll): 16 waits of 3 s took 12.9 s = 4.3x one wait, a Check sent meanwhile took 11.8 s, and 192
DescribeSnapshots calls were made.
---
N | after: wall / W | probe's Check, s | Checks done at, s | DescribeSnapshots
| before: wall / W | probe's Check, s | Checks done at, s | DescribeSnapshots
"""


def waits_section(runs: dict[str, dict[int, WaitRun]], wait: float) -> tuple[str, list[Target]]:
    def cells(r: WaitRun) -> list[object]:
        return [x(r.seconds / wait), f"{r.probe_check:.2f}", f"{r.checks_done:.2f}", r.polls]

    after, before = runs["after"], runs["before"]
    rows = [[n, *cells(after[n]), *cells(before[n])] for n in after]
    wall = max(r.seconds for r in after.values()) / wait
    probe = max(r.probe_check for r in after.values()) / wait
    most, one = after[max(after)], after[min(after)]
    return section(WAITS, rows, wait=wait, env=WORKERS_ENV, workers=PLUGIN_WORKERS), [
        at_most("after: N waits at once / W, worst N", wall, 1.5),
        at_most("after: the probe's Check / W, worst N", probe, 0.5),
        at_most(f"after: DescribeSnapshots at N={max(after)}", most.polls, 2 * one.polls + 4, str),
    ]


STACKS = """
### 2. Stacks that do not wait, against the engine-protocol floor

`up` is `Engine.deploy` (Check one resource at a time, steps on {parallel} workers: `pulumi up`'s
default `--parallel` here); preview sends Check and Diff one resource at a time; refresh and
destroy run on {parallel} workers; a fresh plugin per stack. The floor is `NoopProvider`
(`scripts/bench_noop.py`: answers at once, boto3 imported) in the same plugin: what the engine
protocol itself costs. `RawBoto3Provider` adds our AWS calls and nothing else. The plugin at
{sizes} resources: peak RSS {rss} MiB; botocore clients: {clients}.
---
phase | {columns} | raw-boto3, {large.size}, s | no-op, {large.size}, s
| {large.size}: provider / no-op | provider / raw-boto3 | per resource, {large.size} / {small.size}
| AWS calls / res. (minimum)
"""


def stacks_section(
    stacks: list[StackRun], raw: StackRun, noop: StackRun
) -> tuple[str, list[Target]]:
    small, large = stacks[0], stacks[-1]
    growth = {
        p: ratio(large.seconds[p] / large.size, small.seconds[p] / small.size) for p in PHASES
    }
    rows = [
        [
            phase,
            *(f"{s.seconds[phase]:.2f}" for s in [*stacks, raw, noop]),
            f"**{x(ratio(large.seconds[phase], noop.seconds[phase]))}**",
            x(ratio(large.seconds[phase], raw.seconds[phase])),
            x(growth[phase]),
            f"{large.calls[phase] / large.size:g} ({least})",
        ]
        for phase, least in PHASES.items()
    ]
    extra = max(s.calls[p] / s.size - least for s in stacks for p, least in PHASES.items())
    clients = sum((s.clients for s in stacks), Counter[str]())
    text = section(
        STACKS,
        rows,
        parallel=DEFAULT_PARALLEL,
        sizes="/".join(str(s.size) for s in stacks),
        rss="/".join(f"{s.peak_rss_mib:.0f}" for s in stacks),
        clients=", ".join(sorted(clients)) or "none",
        columns=" | ".join(f"provider, {s.size} res., s" for s in stacks),
        small=small,
        large=large,
    )
    most = max(max(s.clients.values(), default=0) for s in stacks)
    return text, [
        at_most("AWS calls per resource above the minimum, any phase", extra, 0, "{:g}".format),
        at_most("botocore sessions per plugin, any stack", max(s.sessions for s in stacks), 1, str),
        at_most("botocore clients per (service, region) per plugin, any stack", most, 1, str),
        at_most(
            f"cost per resource at {large.size} / at {small.size}, worst phase",
            max(growth.values()),
            1.5,
        ),
    ]


LATENCY = """
### 3. Per operation, against the same boto3 calls in the same plugin

One resource at a time. A plugin column times the gRPC call itself, as the engine waits for it
(`Create`, the `Read` of a refresh, `Update`, `Delete`; the `Check` and `Diff` of every up). The
raw-boto3 provider (`RawBoto3Provider`, `scripts/bench_noop.py`) makes exactly our AWS calls and
nothing else, in the same plugin: provider / it is what our own code costs. The no-op provider
is the protocol alone. Raw boto3 (the raw-boto3 provider's methods called in this process) and
the aws CLI (`AwsCliProvider`: a process per call) make the same AWS calls, as context. The
update removes one tag and adds one (DeleteTags + CreateTags). {ops} operations of each kind;
{cli} with the aws CLI.
---
operation | provider, p50 / p95 ms | raw-boto3 provider | provider / raw-boto3 provider
| no-op provider | raw boto3, in this process | aws CLI
"""


def latency_section(watches: dict[str, Stopwatch]) -> tuple[str, list[Target]]:
    def cell(subject: str, op: str) -> str:
        samples = watches[subject].samples[op] if subject in watches else []
        return f"{ms(p50(samples))} / {ms(percentile(samples, 95))}" if samples else "-"

    def over(op: str) -> float:
        return ratio(p50(watches["provider"].samples[op]), p50(watches["raw_provider"].samples[op]))

    rows = [
        [op, cell("provider", op), cell("raw_provider", op), x(over(op))]
        + [cell(subject, op) for subject in ("noop", "boto3", "cli")]
        for op in (*OPERATIONS, "check", "diff")
    ]
    ops = len(watches["provider"].samples["create"])
    cli = len(watches["cli"].samples["create"]) if "cli" in watches else "none (not installed)"
    targets = [
        at_most(f"{op}: provider / raw-boto3 provider, p50", over(op), 1.1) for op in OPERATIONS
    ]
    return section(LATENCY, rows, ops=ops, cli=cli), targets


COLD = """
### 4. Plugin cold start to the first `Create` answer

Start `python -m pulumi.dynamic`, `Configure`, `Check` (the plugin unpickles the provider),
`Create`; median of {runs} runs each, taking turns.
---
plugin | total ms, median (min) | first Check | first Create | / floor
"""


def cold_section(starts: dict[str, list[dict[str, float]]]) -> tuple[str, list[Target]]:
    def median(name: str, key: str = "total") -> float:
        return p50([start[key] for start in starts[name]])

    labels = {
        "noop": "no-op provider, boto3 imported (the floor)",
        "raw_provider": "raw-boto3 provider (+ a client and the call)",
        "provider": "our provider",
    }
    rows = [
        [
            label,
            f"{ms(median(name))} ({ms(min(s['total'] for s in starts[name]))})",
            *(ms(median(name, key)) for key in ("check", "create")),
            x(ratio(median(name), median("noop"))),
        ]
        for name, label in labels.items()
    ]
    target = at_most("cold start / the floor", ratio(median("provider"), median("noop")), 1.25)
    return section(COLD, rows, runs=len(starts["provider"])), [target]


METHOD = """
## How it was measured

- `{command}`: {elapsed:.0f} s in all.
- {cores} cores ({cpu}), {system}, shared with other work (1-minute load {load:.1f} at the
  start, {load_after:.1f} at the end): absolute times are noisy; ratios within one run, whose
  subjects take turns, much less so. Python {python}; {packages}.
- The emulator (moto inside; werkzeug's server opens a new loopback connection per AWS call)
  serves every subject's AWS calls alike; against AWS the network round trip takes its place.
- botocore sessions and clients are counted by a `sitecustomize` shim on the plugin's
  `PYTHONPATH` (`scripts/bench_clientcount.py`); peak RSS is the plugin's VmHWM.
"""
TARGETS = """
### Targets
---
target | measured | verdict
"""


def render(sections: Sequence[tuple[str, list[Target]]], **method: object) -> str:
    verdicts = [(t, m, "met" if ok else "**missed**") for _, ts in sections for t, m, ok in ts]
    cpu = [line for line in Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line]
    facts = {
        "cores": os.cpu_count(),
        "cpu": cpu[0].split(":", 1)[1].strip() if cpu else "?",
        "system": f"{platform.system()} {platform.release()}",
        "load_after": os.getloadavg()[0],
        "python": platform.python_version(),
        "packages": ", ".join(f"{n} {metadata.version(n)}" for n in ("pulumi", "boto3", "moto")),
    }
    texts = [section(TARGETS, verdicts), *(text for text, _ in sections)]
    return "## Results\n\n" + "\n".join(texts) + METHOD.format(**facts, **method)


MARK_BEGIN = "<!-- bench:begin (written by scripts/bench.py; edit outside the markers) -->"
MARK_END = "<!-- bench:end -->"


def write_report(path: Path, body: str) -> None:
    """Replace what is between the markers; a file without them gets a title and the markers."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if MARK_BEGIN not in text or MARK_END not in text:
        text = f"# Benchmarks\n\n{MARK_BEGIN}\n{MARK_END}\n"
    before, rest = text.split(MARK_BEGIN, 1)
    path.write_text(f"{before}{MARK_BEGIN}\n{body}{MARK_END}{rest.split(MARK_END, 1)[1]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test")
    parser.add_argument("--output", type=Path, help="default BENCHMARKS.md (--quick: none)")
    arguments = parser.parse_args(argv)
    plan = QUICK if arguments.quick else FULL
    output = arguments.output or (None if arguments.quick else REPO_ROOT / "BENCHMARKS.md")
    started, load = time.perf_counter(), os.getloadavg()[0]

    def step(text: str, measure: Callable[[], T]) -> T:
        print(f"{time.perf_counter() - started:5.0f} s  {text}", file=sys.stderr, flush=True)
        return measure()

    point_this_process_at(None)
    with emulator_process() as emulator:
        point_this_process_at(emulator.url, {"AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""})
        waits = step("stack scale", lambda: measure_waits(emulator, plan))
        runs = [("provider", n) for n in plan.stack_sizes]
        runs += [(floor, plan.stack_sizes[-1]) for floor in ("raw_provider", "noop")]
        stacks = step("stacks", lambda: [run_stack(emulator, *run) for run in runs])
        latency = step("latency per operation", lambda: measure_latency(emulator, plan))
        cold = step("cold starts", lambda: measure_cold_starts(emulator, plan))
    sections = [
        waits_section(waits, plan.wait_seconds),
        stacks_section(stacks[:-2], *stacks[-2:]),
        latency_section(latency),
        cold_section(cold),
    ]
    command = "python scripts/bench.py --quick" if arguments.quick else "make bench"
    body = render(sections, command=command, elapsed=time.perf_counter() - started, load=load)
    print(body, flush=True)
    if output is not None:
        write_report(output, body)
        print(f"written to {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
