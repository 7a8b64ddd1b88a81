"""One run of the acceptance lane: save the schedule, play every scenario, then clean up
whatever happened (``finally``: a failed step, Ctrl-C): destroy what the engines hold, sweep
the run's own snapshots by its tag, put the schedule back."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .lane import Lane, Outcome, Say, sigint_deferred
from .marks import RunMark
from .schedule_guard import Schedule, read_schedule, restore_schedule
from .sweep import sweep
from .target import Identity, Target


@dataclass
class LaneResult:
    outcomes: list[Outcome] = field(default_factory=list)
    #: What clean-up could not do (each a sentence): a non-empty list fails the run.
    cleanup_problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        failed = any(outcome.status == "failed" for outcome in self.outcomes)
        return not failed and not self.cleanup_problems


def run_lane(
    target: Target,
    identity: Identity,
    mark: RunMark,
    *,
    repo_root: Path,
    say: Say,
    on_step: Callable[[str], None] | None = None,
) -> LaneResult:
    """Play the scenarios; clean up in any case. KeyboardInterrupt propagates after the
    clean-up."""
    storagegateway = target.client("storagegateway")
    saved = read_schedule(storagegateway, target.volume_arn)
    say(f"The volume's snapshot schedule before the run: {_text(saved)}")
    result = LaneResult()
    lane: Lane | None = None
    completed = False
    try:
        plugin = target.start_plugin(repo_root)
        try:
            plugin.configure({"aws:region": target.region})
            lane = Lane(target, mark, plugin, say, saved, on_step)
            say("Scenarios")
            for name, scenario in lane.scenarios():
                result.outcomes.append(lane.play(name, scenario))
            completed = True
        finally:
            with sigint_deferred(say):
                say("Clean-up")
                if lane is not None:
                    result.cleanup_problems += lane.destroy_left()
                plugin.cleanup()
    finally:
        with sigint_deferred(say):
            clean = completed and result.ok
            seen = set() if lane is None else lane.seen_ids
            result.cleanup_problems += _sweep_own(target, identity, mark, seen, clean, say)
            result.cleanup_problems += _restore(target, saved, say)
            for problem in result.cleanup_problems:
                say(f"  CLEAN-UP PROBLEM {problem}")
    return result


def _sweep_own(
    target: Target, identity: Identity, mark: RunMark, seen: set[str], clean: bool, say: Say
) -> list[str]:
    """Delete every snapshot of this run still there. After a failure, once more when EC2
    has had time to show every snapshot (one made just before the failure may not be
    listed yet)."""
    problems: list[str] = []
    rounds = 1 if clean else 2
    for round_number in range(rounds):
        if round_number:
            time.sleep(min(target.visibility_seconds, 30.0))
        try:
            report = sweep(
                target.client("ec2"),
                account_id=identity.account,
                delete=True,
                only_run=mark.run_id,
                also_ids=sorted(seen),
            )
        except Exception as error:  # said; the schedule still comes back
            problems.append(f"sweeping the run's snapshots failed: {error}")
            continue
        kept = [v for v in report.verdicts if v.run_id == mark.run_id and not v.delete]
        for snapshot_id in report.deleted:
            say(f"  deleted {snapshot_id}, a snapshot of this run")
        for snapshot_id in report.gone:
            say(f"  {snapshot_id}, a snapshot of this run, was already gone")
        problems += [f"{i} not deleted: {why}" for i, why in report.failed.items()]
        problems += [f"{v.snapshot_id} kept: {v.reason}" for v in kept]
    if not problems:
        say(f"  no snapshot of run {mark.run_id} is left")
    return problems


def _restore(target: Target, saved: Schedule | None, say: Say) -> list[str]:
    try:
        say(f"  {restore_schedule(target.client('storagegateway'), target.volume_arn, saved)}")
    except Exception as error:  # a clean-up problem, said in the summary
        return [f"restoring the schedule failed: {error}"]
    return []


def _text(schedule: Schedule | None) -> str:
    return "none" if schedule is None else schedule.text()
