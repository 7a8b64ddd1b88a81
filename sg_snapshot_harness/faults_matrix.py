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

import boto3
from botocore.exceptions import ClientError

from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.inputs import CREATE_TOKEN_TAG, without_provider_tags
from sg_snapshot_provider.provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.providers.schedule import VolumeSnapshotScheduleProvider
from sg_snapshot_provider.providers.series import SnapshotSeriesProvider
from sg_snapshot_provider.settings import TIMINGS_ENV
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SERIES_TYPE

from .ec2 import Ec2View
from .engine import Engine, ResourceState
from .plugin import DUMMY_AWS_ENVIRONMENT, PluginError, PluginProcess, plugin_environment

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
    # A throttling fault "always" must end the step after aws:maxRetries, as it did before
    # throttled requests got a time budget of their own.
    "throttled_retry_seconds": 0.0,
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

#: The resources under test: the snapshot, the series (a rotation makes every call the series
#: makes) and the schedule.
SNAPSHOT, SERIES, SCHEDULE = "snapshot", "series", "schedule"
#: The series keeps 2: set up with two snapshots, a rotation takes a third and deletes the
#: oldest. It waits for completion, so that a rotation polls DescribeSnapshots too.
SERIES_KEEP: Final = 2
#: The schedule's start hour before and after an update.
INITIAL_START_AT, UPDATED_START_AT = 2, 5

#: The sentence an error about each faulted AWS call must hold (errors.AwsOperationError's
#: operation): the user learns which call failed on what.
CALL_SENTENCES: Final[Mapping[str, tuple[str, ...]]] = {
    "CreateSnapshot": ("creating Storage Gateway snapshot of volume",),
    "DescribeSnapshots": ("reading EBS snapshot", "waiting for EBS snapshot"),
    "CreateTags": ("tags of EBS snapshot",),
    "DeleteTags": ("tags of EBS snapshot",),
    "DeleteSnapshot": ("deleting EBS snapshot",),
    "UpdateSnapshotSchedule": ("updating the snapshot schedule of volume",),
    "DescribeSnapshotSchedule": ("reading the snapshot schedule of volume",),
    "DeleteSnapshotSchedule": ("deleting the snapshot schedule of volume",),
}
#: What an error says when a failed update could not put back what it wrote (the user is told
#: to refresh): only then may AWS differ from the state right after the step.
NOT_ROLLED_BACK: Final = "putting back the"


@dataclass(frozen=True)
class Operation:
    """One AWS call, the engine step that makes it, and the resource it is made for."""

    step: str
    aws_call: str
    service: str
    resource: str = SNAPSHOT


OPERATIONS: Final = (
    Operation("create", "CreateSnapshot", "storagegateway"),
    Operation("read", "DescribeSnapshots", "ec2"),
    Operation("update", "DeleteTags", "ec2"),
    Operation("update", "CreateTags", "ec2"),
    Operation("delete", "DeleteSnapshot", "ec2"),
    # A series: its first snapshot, a refresh, every call of a rotation, the destroy.
    Operation("create", "CreateSnapshot", "storagegateway", SERIES),
    Operation("read", "DescribeSnapshots", "ec2", SERIES),
    Operation("rotate", "DeleteTags", "ec2", SERIES),
    Operation("rotate", "CreateTags", "ec2", SERIES),
    Operation("rotate", "CreateSnapshot", "storagegateway", SERIES),
    Operation("rotate", "DescribeSnapshots", "ec2", SERIES),
    Operation("rotate", "DeleteSnapshot", "ec2", SERIES),
    Operation("delete", "DeleteSnapshot", "ec2", SERIES),
    # A schedule: its tags go in UpdateSnapshotSchedule (there are no separate tag calls).
    Operation("create", "UpdateSnapshotSchedule", "storagegateway", SCHEDULE),
    Operation("read", "DescribeSnapshotSchedule", "storagegateway", SCHEDULE),
    Operation("update", "UpdateSnapshotSchedule", "storagegateway", SCHEDULE),
    Operation("delete", "DeleteSnapshotSchedule", "storagegateway", SCHEDULE),
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
    resources: frozenset[str] = frozenset({SNAPSHOT, SERIES, SCHEDULE})


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
    # (the emulator's visibility lag) does not show it by its ID yet. Snapshots only.
    Fault(
        f"visibility lag {LAG_SECONDS:g} s",
        "",
        mode="lag",
        counts=("once",),
        resources=frozenset({SNAPSHOT, SERIES}),
    ),
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
        # The snapshot's rows keep their names; the others say which resource and step.
        operation = self.operation
        name = operation.aws_call
        if operation.resource != SNAPSHOT:
            name = f"{operation.resource}-{operation.step}-{name}"
        return f"{name}-{self.fault.label}-{self.count}".replace(" ", "_")


def cases() -> list[Case]:
    """Every meaningful combination (gateway codes only for Storage Gateway, and so on)."""
    return [
        Case(operation, fault, count)
        for operation in OPERATIONS
        for fault in FAULTS
        if operation.service in fault.services and operation.resource in fault.resources
        for count in fault.counts
    ]


@dataclass(frozen=True)
class Tally:
    """What AWS holds compared with what the engine's state says exists."""

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
        sentences = CALL_SENTENCES[self.case.operation.aws_call]
        return self.succeeded or any(sentence in self.error for sentence in sentences)


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


def series_inputs(trigger: str, tags: Mapping[str, str]) -> dict[str, Any]:
    return {
        "volume_arn": VOLUME_ARN,
        "trigger": trigger,
        "keep": SERIES_KEEP,
        "tags": dict(tags),
        "wait_for_completion": True,
        "stack_resource": f"sg-snapshot-provider/test/{RESOURCE}",
    }


def schedule_inputs(start_at: int, tags: Mapping[str, str]) -> dict[str, Any]:
    return {
        "volume_arn": VOLUME_ARN,
        "start_at": start_at,
        "recurrence_in_hours": 24,
        "description": "fault matrix",
        "tags": dict(tags),
    }


def _engine(plugin: PluginProcess, resource: str) -> Engine:
    if resource == SERIES:
        return Engine(plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)
    if resource == SCHEDULE:
        return Engine(plugin, VolumeSnapshotScheduleProvider(), type_token=SCHEDULE_TYPE)
    return Engine(plugin, StorageGatewaySnapshotProvider())


def _set_up(engine: Engine, resource: str) -> None:
    """What exists before a step other than create: the resource, as first deployed (a
    series with SERIES_KEEP snapshots, so that a rotation deletes the oldest)."""
    if resource == SERIES:
        engine.up(RESOURCE, series_inputs("1", INITIAL_TAGS))
        engine.up(RESOURCE, series_inputs("2", INITIAL_TAGS))
    elif resource == SCHEDULE:
        engine.up(RESOURCE, schedule_inputs(INITIAL_START_AT, INITIAL_TAGS))
    else:
        engine.up(RESOURCE, inputs(INITIAL_TAGS))


def run_case(plugin: PluginProcess, emulator: Emulator, case: Case) -> Outcome:
    """Set up, inject the fault, run the step, tally; re-run a failed step and tally again."""
    emulator.reset()
    emulator.add_volume(VOLUME_ARN)
    engine = _engine(plugin, case.operation.resource)
    step = case.operation.step
    if case.fault.mode == "lag":
        emulator.set_visibility_lag(LAG_SECONDS)
    if step != "create":
        _set_up(engine, case.operation.resource)
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
    error = _run_step(engine, case.operation)
    emulator.clear_faults()
    if case.fault.mode == "delay":
        time.sleep(DELAY_SECONDS + 0.2)  # let requests the client gave up on land
    if case.fault.mode == "lag":
        time.sleep(LAG_SECONDS)  # the tally looks snapshots up by ID: let EC2 show them
    requests = sum(1 for c in emulator.calls() if c.operation == case.operation.aws_call)
    after_step = tally(engine, emulator, case.operation, error)
    after_rerun = after_step
    rerun_error = None
    if error is not None:
        rerun_error = _run_step(engine, case.operation)
        after_rerun = tally(engine, emulator, case.operation, rerun_error)
    problems = () if rerun_error is None else (f"the re-run failed too: {rerun_error}",)
    return Outcome(case, error is None, error or "", requests, after_step, after_rerun, problems)


def _run_step(engine: Engine, operation: Operation) -> str | None:
    """Run one engine step; None when it worked, else the plugin's message."""
    step, resource = operation.step, operation.resource
    try:
        if step == "read":
            engine.refresh(RESOURCE)
        elif step == "delete":
            engine.destroy(RESOURCE)
        elif resource == SERIES:
            trigger, tags = ("1", INITIAL_TAGS) if step == "create" else ("3", UPDATED_TAGS)
            engine.up(RESOURCE, series_inputs(trigger, tags))
        elif resource == SCHEDULE:
            start_at, tags = (
                (INITIAL_START_AT, INITIAL_TAGS)
                if step == "create"
                else (UPDATED_START_AT, UPDATED_TAGS)
            )
            engine.up(RESOURCE, schedule_inputs(start_at, tags))
        else:
            engine.up(RESOURCE, inputs(INITIAL_TAGS if step == "create" else UPDATED_TAGS))
    except PluginError as err:
        return err.message
    return None


def declared_tags(step: str, error: str | None) -> Mapping[str, str] | None:
    """The tags AWS must hold now. A failed update put back what it wrote, so the old tags,
    as the state the engine kept says; None (not checked) only when the error said that
    putting them back failed too (and asked for a refresh)."""
    if step not in ("update", "rotate"):
        return INITIAL_TAGS
    if error is None:
        return UPDATED_TAGS
    return None if NOT_ROLLED_BACK in error else INITIAL_TAGS


def tally(engine: Engine, emulator: Emulator, operation: Operation, error: str | None) -> Tally:
    """Compare AWS with the engine's state after ``operation``'s step (``error``: how it
    failed, None when it worked)."""
    tags = declared_tags(operation.step, error)
    if operation.resource == SCHEDULE:
        return schedule_tally(engine, emulator, operation.step, error, tags)
    return snapshot_tally(engine, Ec2View(emulator.url), tags)


def snapshot_tally(engine: Engine, ec2: Ec2View, tags: Mapping[str, str] | None) -> Tally:
    """Compare EC2 with the engine's state: duplicates (extra snapshots of one create, found by
    their create token), leaks (other snapshots no state tracks), losses (state without a
    snapshot), wrong tags. A series' state tracks every snapshot its ``snapshot_ids`` names."""
    tracked = {sid for name in engine.names() for sid in _tracked(engine.require_state(name))}
    snapshots = {sid: ec2.snapshot(sid) or {} for sid in ec2.snapshot_ids()}
    tokens = {sid: _tags_of(snap).get(CREATE_TOKEN_TAG) for sid, snap in snapshots.items()}
    tracked_tokens = {tokens[sid] for sid in tracked if sid in tokens}
    untracked = [sid for sid in snapshots if sid not in tracked]
    duplicates = sum(1 for sid in untracked if tokens[sid] in tracked_tokens)
    duplicates += _same_token_extras(tokens[sid] for sid in untracked)
    wrong = tuple(
        f"{sid}: {sorted(_user_tags(snapshots[sid]))} != {sorted(tags)}"
        for sid in sorted(tracked)
        if sid in snapshots and tags is not None and _user_tags(snapshots[sid]) != dict(tags)
    )
    return Tally(
        duplicates=duplicates,
        leaks=len(untracked) - duplicates,
        losses=len(tracked - snapshots.keys()),
        wrong_tags=wrong,
    )


def _tracked(state: ResourceState) -> list[str]:
    ids = state.outputs.get("snapshot_ids")
    return [str(sid) for sid in ids] if isinstance(ids, list) else [state.id]


def schedule_tally(
    engine: Engine,
    emulator: Emulator,
    step: str,
    error: str | None,
    tags: Mapping[str, str] | None,
) -> Tally:
    """A volume has one schedule: no duplicate can exist. A loss is a state whose schedule
    Storage Gateway no longer has; a leak a schedule a destroy that succeeded left on the
    (cached) volume. While the state holds the schedule, Storage Gateway must hold exactly
    the state's start hour and tags ("wrong tags"), unless the step failed and said that
    putting the old schedule back failed too. After a failed create no state exists, and the
    schedule is the volume's setting, as before or as declared: the re-run takes it over."""
    actual = _schedule(emulator)
    state = engine.state(RESOURCE)
    wrong: tuple[str, ...] = ()
    if state is not None and actual is not None and tags is not None:
        expected = (state.outputs.get("start_at"), dict(state.outputs.get("tags_all") or {}))
        seen = (actual["StartAt"], {t["Key"]: t["Value"] for t in actual.get("Tags", [])})
        if seen != expected or expected[1] != dict(tags):
            wrong = (
                f"start_at/tag keys {seen[0]}/{sorted(seen[1])} != state {expected[0]}/"
                f"{sorted(expected[1])}, declared {sorted(tags)}",
            )
    return Tally(
        duplicates=0,
        leaks=int(state is None and step == "delete" and error is None and actual is not None),
        losses=int(state is not None and actual is None),
        wrong_tags=wrong,
    )


def _schedule(emulator: Emulator) -> dict[str, Any] | None:
    client = boto3.client(
        "storagegateway",
        region_name="us-east-1",
        endpoint_url=emulator.url,
        aws_access_key_id=DUMMY_AWS_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_AWS_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
    )
    try:
        return dict(client.describe_snapshot_schedule(VolumeARN=VOLUME_ARN))
    except ClientError:
        return None


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


#: The report's sections, one a resource, and what each one's rows run.
SECTIONS: Final[Mapping[str, str]] = {
    SNAPSHOT: "## StorageGatewaySnapshot\n\nCreate, refresh, a tag update (one key removed, "
    "one added: DeleteTags and CreateTags) and destroy of one snapshot.",
    SERIES: "## SnapshotSeries\n\nA series that keeps 2 and waits for completion: its first "
    "snapshot (create), a refresh (read), a *rotation* (rotate: new trigger and new tags, so "
    "DeleteTags and CreateTags on both older snapshots, CreateSnapshot, the DescribeSnapshots "
    "polls of the wait, and DeleteSnapshot of the oldest beyond keep) and destroy. Every "
    "snapshot its `snapshot_ids` names is tracked; after a failed rotation, EC2 must hold the "
    "old tags the engine kept (the provider puts them back).",
    SCHEDULE: "## VolumeSnapshotSchedule\n\nCreate, refresh, an update (new start hour and "
    "tags: the tags go in UpdateSnapshotSchedule, there are no separate tag calls) and "
    "destroy. A volume has one schedule, so *Dup* is always 0; *Lost* is a state whose "
    "schedule Storage Gateway no longer has; *Leak* a schedule a destroy that succeeded left; "
    "*Tags* compares the start hour and tags Storage Gateway holds with the state (after a "
    "failed update, the old ones: the provider sends them back). A failed create leaves no "
    "state, and the volume's schedule (a setting every volume has) as before or as declared: "
    "the re-run takes it over.",
}


def render_markdown(outcomes: list[Outcome], seconds: float) -> str:
    """RELIABILITY.md: a section a resource, one row per case, then the totals."""
    lines = [
        "# Reliability: faults injected vs outcome",
        "",
        "Generated by `make reliability` (`scripts/reliability.py`) from the same scenarios as",
        "`tests/reliability/test_fault_matrix.py`: each AWS call the provider makes is faulted",
        "by the local emulator while the real plugin (`python -m pulumi.dynamic`) runs the engine",
        "step that makes it. *Dup/Leak/Lost* count, right after the step, snapshots made twice",
        "by one create, snapshots no state tracks, and state entries without a snapshot; *Tags*",
        "says whether AWS holds the tags the state says (after a failed update, the old ones,",
        "unless the error said that putting them back failed too). A failed step is then re-run",
        "without the fault (as a user re-runs `pulumi up`), and *after re-run* says whether AWS",
        "then matched the state exactly, tags included.",
        f"Plugin settings: aws:maxRetries={MAX_RETRIES} (4 attempts), read timeout "
        f"{READ_TIMEOUT_SECONDS:g} s, delay faults {DELAY_SECONDS:g} s,",
        f"EC2 visibility window {MATRIX_TIMINGS['visibility_window_seconds']:g} s. The "
        "*visibility lag* rows are EC2's eventual consistency: the",
        "step runs right after the create, while EC2 answers InvalidSnapshot.NotFound for the new",
        f"snapshot's ID for {LAG_SECONDS:g} s.",
        "",
        *_totals(outcomes, seconds),
    ]
    for resource, intro in SECTIONS.items():
        rows = [o for o in outcomes if o.case.operation.resource == resource]
        if rows:
            lines += ["", intro, "", *_table(rows), "", *_totals(rows, None)]
    return "\n".join([*lines, ""])


def _table(outcomes: list[Outcome]) -> list[str]:
    lines = [
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
    return lines


def _totals(outcomes: list[Outcome], seconds: float | None) -> list[str]:
    failed = [o for o in outcomes if not o.succeeded]
    took = "" if seconds is None else f" ({seconds:.0f} s)"
    return [
        f"**Totals** over {len(outcomes)} cases{took}: "
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
