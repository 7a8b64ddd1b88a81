"""Every AWS call x every fault x how often, through the real plugin: the step succeeds or fails
with a clear sentence, and AWS then holds exactly what the state says (no duplicate, no leak, no
loss, tags as declared). The whole matrix runs in `make reliability` (scripts/reliability.py),
which also writes RELIABILITY.md from the same scenarios; here the snapshot's "once" and
"always" columns run, and for the series and the schedule a sample that keeps the suite short:
for each of their calls the harshest fault (done, then 500, every time: a failed update must
put back what it wrote, a delete must see that it was done)."""

from __future__ import annotations

import pytest

from sg_snapshot_harness import PluginProcess
from sg_snapshot_harness.faults_matrix import SNAPSHOT, Case, cases, run_case
from sg_snapshot_provider.emulator import Emulator

#: The series' and the schedule's sample: (fault label, count).
SAMPLE = {("after (done, then 500)", "always")}


def _in_default_run(case: Case) -> bool:
    if case.operation.resource != SNAPSHOT:
        return (case.fault.label, case.count) in SAMPLE
    # "delay" cases cost seconds each: only their harshest form runs by default.
    if case.fault.mode == "delay":
        return case.count == "always"
    return case.count in ("once", "always")


DEFAULT_CASES = [case for case in cases() if _in_default_run(case)]


@pytest.mark.parametrize("case", DEFAULT_CASES, ids=[case.id for case in DEFAULT_CASES])
def test_fault(case: Case, plugin: PluginProcess, emulator: Emulator) -> None:
    outcome = run_case(plugin, emulator, case)

    assert outcome.clear_error, outcome.error
    assert outcome.after_step.clean, outcome.after_step
    assert outcome.after_rerun.clean, outcome.after_rerun
    assert outcome.problems == ()
    if case.fault.mode == "lag":  # EC2 shows the snapshot in the end: the step succeeds
        assert outcome.succeeded, outcome.error
        # NotFound while hidden was retried, not believed (an update's DeleteTags rides the
        # lag out before its CreateTags is sent, so CreateTags itself is not refused).
        snapshot_call = case.operation.resource == SNAPSHOT and case.operation.service == "ec2"
        if snapshot_call and case.operation.aws_call != "CreateTags":
            assert outcome.requests >= 2
    elif case.count == "once":  # one fault is always ridden out
        assert outcome.succeeded, outcome.error
        if case.operation.resource == SNAPSHOT:
            assert outcome.requests in (1, 2)  # 1: an ambiguous create adopted its snapshot
        else:  # a wait polls DescribeSnapshots as long as the snapshot is pending
            assert outcome.requests >= 2
    if not outcome.succeeded:
        assert case.fault.code in outcome.error or case.fault.mode in ("delay", "drop")
        assert outcome.requests >= 2  # it was retried before giving up


def test_the_matrix_covers_every_call_and_fault() -> None:
    every = cases()
    calls = {(c.operation.resource, c.operation.step, c.operation.aws_call) for c in every}
    snapshot_calls = ("CreateSnapshot", "DescribeSnapshots", "CreateTags", "DeleteTags")
    assert {call for _, _, call in calls} >= {*snapshot_calls, "DeleteSnapshot"}
    # Every call of a rotation, and of the schedule's create, update and destroy.
    assert {call for _, step, call in calls if step == "rotate"} == {
        *snapshot_calls,
        "DeleteSnapshot",
    }
    assert {(step, call) for resource, step, call in calls if resource == "schedule"} == {
        ("create", "UpdateSnapshotSchedule"),
        ("read", "DescribeSnapshotSchedule"),
        ("update", "UpdateSnapshotSchedule"),
        ("delete", "DeleteSnapshotSchedule"),
    }
    gateway, ec2 = 9 * 3, 8 * 3  # faults x counts a Storage Gateway / an EC2 call can get
    snapshot = gateway + 4 * ec2 + 5  # + one visibility-lag case per call
    series = 2 * gateway + 6 * ec2 + 8
    schedule = 4 * gateway  # no snapshot, no visibility lag
    assert len(every) == snapshot + series + schedule
    sample = [case for case in DEFAULT_CASES if case.operation.resource != SNAPSHOT]
    assert len(sample) == 8 + 4
