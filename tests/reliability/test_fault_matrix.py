"""Every AWS call x every fault x how often, through the real plugin: the step succeeds or fails
with a clear sentence, and EC2 then holds exactly what the state says (no duplicate, no leak, no
loss, tags as declared). The "3 times" column runs in `make reliability` (scripts/reliability.py),
which also writes RELIABILITY.md from the same scenarios."""

from __future__ import annotations

import pytest

from sg_snapshot_provider.emulator import Emulator
from tests.harness import PluginProcess
from tests.harness.faults_matrix import Case, cases, run_case


def _in_default_run(case: Case) -> bool:
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
        if case.operation.service == "ec2" and case.operation.aws_call != "CreateTags":
            assert outcome.requests >= 2
    elif case.count == "once":  # one fault is always ridden out
        assert outcome.succeeded, outcome.error
        assert outcome.requests in (1, 2)  # 1: an ambiguous create adopted its snapshot
    if not outcome.succeeded:
        assert case.fault.code in outcome.error or case.fault.mode in ("delay", "drop")
        assert outcome.requests >= 2  # it was retried before giving up


def test_the_matrix_covers_every_call_and_fault() -> None:
    every = cases()
    assert {c.operation.aws_call for c in every} == {
        "CreateSnapshot",
        "DescribeSnapshots",
        "CreateTags",
        "DeleteTags",
        "DeleteSnapshot",
    }
    assert len(every) == 9 * 3 + 4 * 8 * 3 + 5  # + one visibility-lag case per call
