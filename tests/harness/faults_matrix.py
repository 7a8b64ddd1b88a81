"""The fault matrix: every AWS call the provider makes x every fault x how often, run through the
real plugin against the emulator, counting duplicates, leaks and losses.

Shared by ``tests/reliability`` (which asserts on each outcome) and ``scripts/reliability.py``
(which writes RELIABILITY.md), so that the table shows exactly what the tests prove.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG, without_provider_tags
from sg_snapshot_provider.provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.settings import TIMINGS_ENV

from .ec2 import Ec2View
from .engine import Engine
from .plugin import PluginError, PluginProcess, plugin_environment

ACCOUNT_ID = "123456789012"
VOLUME_ARN = (
    f"arn:aws:storagegateway:us-east-1:{ACCOUNT_ID}:gateway/sgw-12A3456B/volume/vol-1122AABB"
)

#: Fast bounds for the plugin under test. The read timeout is short so that a ``delay`` fault
#: (DELAY_SECONDS) outlives it; the settle time lets such a delayed CreateSnapshot land before
#: the provider looks for it.
READ_TIMEOUT_SECONDS: Final = 0.5
DELAY_SECONDS: Final = 0.8
MATRIX_TIMINGS: Final[Mapping[str, float]] = {
    "transient_retry_seconds": 0.5,
    "in_use_retry_seconds": 0.5,
    "backoff_initial_seconds": 0.02,
    "backoff_max_seconds": 0.1,
    "poll_interval_seconds": 0.05,
    "progress_every_seconds": 1.0,
    "connect_timeout_seconds": 5.0,
    "read_timeout_seconds": READ_TIMEOUT_SECONDS,
    "ambiguous_settle_seconds": 0.6,
    "poll_initial_seconds": 0.05,
    "visibility_window_seconds": 3.0,
}
#: The "visibility lag" fault: EC2 does not see a new snapshot by its ID for this long (within
#: the plugin's visibility window above).
LAG_SECONDS: Final = 1.0
#: aws:maxRetries for the matrix: 4 attempts, so a fault that hits 3 times is ridden out.
MAX_RETRIES: Final = 3
STACK_CONFIG: Final[Mapping[str, str]] = {"aws:region": "us-east-1", "aws:maxRetries": "3"}

INITIAL_TAGS: Final[Mapping[str, str]] = {"keep": "1", "drop": "2"}
#: One key removed (DeleteTags) and one added (CreateTags): update makes both calls.
UPDATED_TAGS: Final[Mapping[str, str]] = {"keep": "1", "add": "3"}
RESOURCE = "snap"

#: The sentence each engine step's errors start with (errors.AwsOperationError's operation).
STEP_SENTENCES: Final[Mapping[str, str]] = {
    "create": "creating Storage Gateway snapshot of volume",
    "read": "reading EBS snapshot",
    "update": "updating tags of EBS snapshot",
    "delete": "deleting EBS snapshot",
}


@dataclass(frozen=True)
class Operation:
    """One AWS call, and the engine step that makes it."""

    step: str
    aws_call: str
    service: str


OPERATIONS: Final = (
    Operation("create", "CreateSnapshot", "storagegateway"),
    Operation("read", "DescribeSnapshots", "ec2"),
    Operation("update", "DeleteTags", "ec2"),
    Operation("update", "CreateTags", "ec2"),
    Operation("delete", "DeleteSnapshot", "ec2"),
)

BOTH: Final = frozenset({"storagegateway", "ec2"})


@dataclass(frozen=True)
class Fault:
    """A fault the emulator injects (see ``Emulator.inject_fault``)."""

    label: str
    code: str
    status: int = 400
    mode: str = "reject"
    services: frozenset[str] = BOTH
    #: How often it may hit (keys of COUNTS).
    counts: tuple[str, ...] = ("once", "3 times", "always")


FAULTS: Final = (
    Fault("ThrottlingException 400", "ThrottlingException"),
    Fault("TooManyRequestsException 429", "TooManyRequestsException", 429),
    Fault("InternalServerError 500", "InternalServerError", 500),
    Fault("ServiceUnavailableError 503", "ServiceUnavailableError", 503),
    Fault("RequestLimitExceeded 503", "RequestLimitExceeded", 503, services=frozenset({"ec2"})),
    Fault("GatewayNotConnected", "GatewayNotConnected", services=frozenset({"storagegateway"})),
    Fault("VolumeNotReady", "VolumeNotReady", services=frozenset({"storagegateway"})),
    Fault("delay past the read timeout", "", mode="delay"),
    Fault("drop (done, no answer)", "", mode="drop"),
    Fault("after (done, then 500)", "InternalServerError", 500, mode="after"),
    # Not an injected answer: the snapshot the step works on was made just before, and EC2
    # (the emulator's visibility lag) does not show it by its ID yet.
    Fault(f"visibility lag {LAG_SECONDS:g} s", "", mode="lag", counts=("once",)),
)

#: How many requests a fault hits (None: every one).
COUNTS: Final[Mapping[str, int | None]] = {"once": 1, "3 times": 3, "always": None}


@dataclass(frozen=True)
class Case:
    operation: Operation
    fault: Fault
    count: str

    @property
    def id(self) -> str:
        return f"{self.operation.aws_call}-{self.fault.label}-{self.count}".replace(" ", "_")


def cases() -> list[Case]:
    """Every meaningful combination (gateway codes only for Storage Gateway, and so on)."""
    return [
        Case(operation, fault, count)
        for operation in OPERATIONS
        for fault in FAULTS
        if operation.service in fault.services
        for count in fault.counts
    ]


@dataclass(frozen=True)
class Tally:
    """What EC2 holds compared with what the engine's state says exists."""

    duplicates: int
    leaks: int
    losses: int
    wrong_tags: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.leaks or self.losses or self.wrong_tags)


@dataclass(frozen=True)
class Outcome:
    case: Case
    succeeded: bool
    #: The plugin's message when the step failed (the last line of its traceback).
    error: str
    #: Requests for the faulted AWS call during the step.
    requests: int
    #: Right after the step (faults cleared, in-flight requests landed).
    after_step: Tally
    #: After re-running a failed step without faults, as a user re-runs ``pulumi up``.
    after_rerun: Tally
    problems: tuple[str, ...] = field(default=())

    @property
    def clear_error(self) -> bool:
        return self.succeeded or STEP_SENTENCES[self.case.operation.step] in self.error


def start_matrix_plugin(endpoint_url: str, cwd: str | Path | None = None) -> PluginProcess:
    """A configured plugin with the matrix's fast timings, calling ``endpoint_url``."""
    env = plugin_environment(endpoint_url, {TIMINGS_ENV: json.dumps(dict(MATRIX_TIMINGS))})
    plugin = PluginProcess(env, cwd=cwd).start()
    try:
        plugin.configure(STACK_CONFIG)
    except BaseException:
        plugin.cleanup()
        raise
    return plugin


def inputs(tags: Mapping[str, str]) -> dict[str, Any]:
    return {"volume_arn": VOLUME_ARN, "description": "fault matrix", "tags": dict(tags)}


def run_case(plugin: PluginProcess, emulator: Emulator, case: Case) -> Outcome:
    """Set up, inject the fault, run the step, tally; re-run a failed step and tally again."""
    emulator.reset()
    emulator.add_volume(VOLUME_ARN)
    ec2 = Ec2View(emulator.url)
    engine = Engine(plugin, StorageGatewaySnapshotProvider())
    step = case.operation.step
    if case.fault.mode == "lag":
        emulator.set_visibility_lag(LAG_SECONDS)
    if step != "create":
        engine.up(RESOURCE, inputs(INITIAL_TAGS))
    emulator.clear_calls()
    if case.fault.mode != "lag":
        emulator.inject_fault(
            case.operation.aws_call,
            case.fault.code,
            status=case.fault.status,
            mode=case.fault.mode,
            times=COUNTS[case.count],
            delay_seconds=DELAY_SECONDS,
        )
    error = _run_step(engine, step)
    emulator.clear_faults()
    if case.fault.mode == "delay":
        time.sleep(DELAY_SECONDS + 0.2)  # let requests the client gave up on land
    if case.fault.mode == "lag":
        time.sleep(LAG_SECONDS)  # the tally looks snapshots up by ID: let EC2 show them
    requests = sum(1 for c in emulator.calls() if c.operation == case.operation.aws_call)
    after_step = tally(engine, ec2, declared_tags(step, succeeded=error is None))
    after_rerun = after_step
    rerun_error = None
    if error is not None:
        rerun_error = _run_step(engine, step)
        after_rerun = tally(engine, ec2, declared_tags(step, succeeded=rerun_error is None))
    problems = () if rerun_error is None else (f"the re-run failed too: {rerun_error}",)
    return Outcome(case, error is None, error or "", requests, after_step, after_rerun, problems)


def _run_step(engine: Engine, step: str) -> str | None:
    """Run one engine step; None when it worked, else the plugin's message."""
    try:
        if step == "create":
            engine.up(RESOURCE, inputs(INITIAL_TAGS))
        elif step == "read":
            engine.refresh(RESOURCE)
        elif step == "update":
            engine.up(RESOURCE, inputs(UPDATED_TAGS))
        else:
            engine.destroy(RESOURCE)
    except PluginError as err:
        return err.message
    return None


def declared_tags(step: str, *, succeeded: bool) -> Mapping[str, str] | None:
    """The tags the snapshot must carry now (None: not checked, as after a failed update EC2
    may hold either set until the next up)."""
    if step == "update":
        return UPDATED_TAGS if succeeded else None
    return INITIAL_TAGS


def tally(engine: Engine, ec2: Ec2View, tags: Mapping[str, str] | None) -> Tally:
    """Compare EC2 with the engine's state: duplicates (extra snapshots of one create, found by
    their create token), leaks (other snapshots no state tracks), losses (state without a
    snapshot), wrong tags."""
    tracked = {engine.require_state(name).id for name in engine.names()}
    snapshots = {sid: ec2.snapshot(sid) or {} for sid in ec2.snapshot_ids()}
    tokens = {sid: _tags_of(snap).get(CREATE_TOKEN_TAG) for sid, snap in snapshots.items()}
    tracked_tokens = {tokens[sid] for sid in tracked if sid in tokens}
    untracked = [sid for sid in snapshots if sid not in tracked]
    duplicates = sum(1 for sid in untracked if tokens[sid] in tracked_tokens)
    duplicates += _same_token_extras(tokens[sid] for sid in untracked)
    wrong = tuple(
        f"{sid}: {_user_tags(snapshots[sid])} != {dict(tags)}"
        for sid in tracked
        if sid in snapshots and tags is not None and _user_tags(snapshots[sid]) != dict(tags)
    )
    return Tally(
        duplicates=duplicates,
        leaks=len(untracked) - duplicates,
        losses=len(tracked - snapshots.keys()),
        wrong_tags=wrong,
    )


def _same_token_extras(tokens: Iterable[str | None]) -> int:
    """Among untracked snapshots, the ones beyond the first of each create."""
    seen: dict[str | None, int] = {}
    for token in tokens:
        seen[token] = seen.get(token, 0) + 1
    return sum(n - 1 for token, n in seen.items() if token is not None)


def _tags_of(snapshot: Mapping[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in snapshot.get("Tags", [])}


def _user_tags(snapshot: Mapping[str, Any]) -> dict[str, str]:
    return without_provider_tags(_tags_of(snapshot))


# --- the report -----------------------------------------------------------------------------


def render_markdown(outcomes: list[Outcome], seconds: float) -> str:
    """RELIABILITY.md: one row per case, then the totals."""
    lines = [
        "# Reliability: faults injected vs outcome",
        "",
        "Generated by `make reliability` (`scripts/reliability.py`) from the same scenarios as",
        "`tests/reliability/test_fault_matrix.py`: each AWS call the provider makes is faulted",
        "by the local emulator while the real plugin (`python -m pulumi.dynamic`) runs the engine",
        "step that makes it. *Dup/Leak/Lost* count, right after the step, snapshots made twice",
        "by one create, snapshots no state tracks, and state entries without a snapshot. A",
        "failed step is then re-run without the fault (as a user re-runs `pulumi up`), and",
        "*after re-run* says whether EC2 then matched the state exactly, tags included.",
        f"Plugin settings: aws:maxRetries={MAX_RETRIES} (4 attempts), read timeout "
        f"{READ_TIMEOUT_SECONDS:g} s, delay faults {DELAY_SECONDS:g} s,",
        f"EC2 visibility window {MATRIX_TIMINGS['visibility_window_seconds']:g} s. The "
        "*visibility lag* rows are EC2's eventual consistency: the",
        "step runs right after the create, while EC2 answers InvalidSnapshot.NotFound for the new",
        f"snapshot's ID for {LAG_SECONDS:g} s.",
        "",
        "| Call (step) | Fault | Hits | Outcome | Requests | Dup | Leak | Lost | Tags | "
        "After re-run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        outcome = "ok" if o.succeeded else f"clear error: {_short(o.error)}"
        if not o.clear_error:
            outcome = f"UNCLEAR ERROR: {_short(o.error)}"
        rerun = "—" if o.succeeded else ("clean" if o.after_rerun.clean else "NOT CLEAN")
        lines.append(
            f"| {o.case.operation.aws_call} ({o.case.operation.step}) | {o.case.fault.label} "
            f"| {o.case.count} | {outcome} | {o.requests} | {o.after_step.duplicates} "
            f"| {o.after_step.leaks} | {o.after_step.losses} "
            f"| {'ok' if not o.after_step.wrong_tags else 'WRONG'} | {rerun} |"
        )
    lines += ["", *_totals(outcomes, seconds), ""]
    return "\n".join(lines)


def _totals(outcomes: list[Outcome], seconds: float) -> list[str]:
    failed = [o for o in outcomes if not o.succeeded]
    return [
        f"**Totals** over {len(outcomes)} cases ({seconds:.0f} s): "
        f"{len(outcomes) - len(failed)} succeeded, {len(failed)} failed with a clear error "
        f"({sum(not o.clear_error for o in outcomes)} unclear); "
        f"duplicates {sum(o.after_step.duplicates for o in outcomes)}, "
        f"leaks {sum(o.after_step.leaks for o in outcomes)}, "
        f"losses {sum(o.after_step.losses for o in outcomes)}, "
        f"wrong tags {sum(bool(o.after_step.wrong_tags) for o in outcomes)}; "
        f"not clean after re-run {sum(not o.after_rerun.clean for o in outcomes)}.",
    ]


def _short(message: str) -> str:
    """The AWS error code part of a provider message, for a table cell."""
    parts = message.split(": ")
    code = parts[2] if len(parts) > 3 else message[:60]
    return code.replace("|", "/")
