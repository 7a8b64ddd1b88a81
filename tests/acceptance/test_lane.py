"""The acceptance lane against the emulator: end to end as `make acceptance` runs it, and in
process to fail it half-way (a failed step, an AWS fault, Ctrl-C): whatever happens, no
snapshot of the run is left and the volume's schedule is the one it had before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from sg_snapshot_harness.acceptance import Target, new_run, run_lane
from sg_snapshot_harness.acceptance.lane import LaneCheckError
from sg_snapshot_harness.acceptance.run import LaneResult
from sg_snapshot_harness.acceptance.schedule_guard import read_schedule
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REPO_ROOT, VOLUME_ARN

SCRIPT = REPO_ROOT / "scripts" / "acceptance.py"
SCENARIOS = (
    "snapshot lifecycle",
    "adopt",
    "series rotation",
    "schedule update and restore",
    "from_recovery_point",
)


def environment_without_aws() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name != "SG_ACCEPTANCE_VOLUME_ARN"
    }


def target_of(emulator: Emulator) -> Target:
    return Target(VOLUME_ARN, endpoint_url=emulator.url, visibility_seconds=5.0)


def run_in_process(emulator: Emulator, on_step: Callable[[str], None] | None = None) -> LaneResult:
    target = target_of(emulator)
    lines: list[str] = []
    return run_lane(
        target,
        target.identity(),
        new_run(),
        repo_root=REPO_ROOT,
        say=lines.append,
        on_step=on_step,
    )


def fail_at(label: str, error: BaseException) -> Callable[[str], None]:
    def on_step(step: str) -> None:
        if step.startswith(label):
            raise error

    return on_step


def test_make_acceptance_against_its_own_emulator_passes_every_scenario(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--yes", "--record", str(tmp_path)],
        env=environment_without_aws(),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for scenario in SCENARIOS:
        assert f"PASSED   {scenario}" in out
    assert "no snapshot of run acc-" in out
    before = out.split("snapshot schedule before the run: ", 1)[1].splitlines()[0]
    assert f"the volume's snapshot schedule was restored: {before}" in out
    # Throttling was injected and ridden out, not avoided.
    assert "Throttling answers the emulator gave (each retried): ['CreateSnapshot'" in out
    # --record: the lane's own calls, and the plugin's (through its sitecustomize).
    recorded = {
        path.name.split("-")[0]: [json.loads(line)["operation"] for line in path.open()]
        for path in tmp_path.glob("*.jsonl")
    }
    assert recorded["lane"][0] == "GetCallerIdentity"
    assert "CreateSnapshotFromVolumeRecoveryPoint" in recorded["plugin"]
    assert "UpdateSnapshotSchedule" in recorded["plugin"]


def test_a_step_failing_half_way_leaves_no_snapshot(emulator: Emulator, ec2: Ec2View) -> None:
    result = run_in_process(emulator, fail_at("replace", LaneCheckError("made to fail")))
    statuses = {outcome.scenario: outcome.status for outcome in result.outcomes}
    assert statuses["snapshot lifecycle"] == "failed"
    assert statuses["series rotation"] == "passed", "\n".join(map(str, result.outcomes))
    assert not result.ok
    assert result.cleanup_problems == []
    assert ec2.snapshot_ids() == set()


def test_the_schedule_comes_back_after_a_run(emulator: Emulator) -> None:
    sg = target_of(emulator).client("storagegateway")
    before = read_schedule(sg, VOLUME_ARN)
    assert before is not None
    result = run_in_process(emulator)
    assert result.ok, result
    assert read_schedule(sg, VOLUME_ARN) == before


def test_the_schedule_comes_back_after_a_run_failing_mid_way(
    emulator: Emulator, ec2: Ec2View
) -> None:
    """The schedule's destroy fails for good (and so does clean-up's destroy): the original
    is sent back all the same."""
    sg = target_of(emulator).client("storagegateway")
    before = read_schedule(sg, VOLUME_ARN)
    emulator.inject_fault("DeleteSnapshotSchedule", "InvalidGatewayRequestException", times=None)
    result = run_in_process(emulator)
    emulator.clear_faults()
    statuses = {outcome.scenario: outcome.status for outcome in result.outcomes}
    assert statuses["schedule update and restore"] == "failed"
    assert any("destroying schedule failed" in p for p in result.cleanup_problems)
    assert read_schedule(sg, VOLUME_ARN) == before
    assert ec2.snapshot_ids() == set()


def test_a_volume_without_a_schedule_has_none_after_the_run(emulator: Emulator) -> None:
    sg = target_of(emulator).client("storagegateway")
    sg.delete_snapshot_schedule(VolumeARN=VOLUME_ARN)
    assert read_schedule(sg, VOLUME_ARN) is None
    result = run_in_process(emulator)
    assert result.ok, result
    assert read_schedule(sg, VOLUME_ARN) is None


@pytest.mark.parametrize("label", ["trigger 2", "update it"])
def test_ctrl_c_mid_way_cleans_up_then_stops(label: str, emulator: Emulator, ec2: Ec2View) -> None:
    sg = target_of(emulator).client("storagegateway")
    before = read_schedule(sg, VOLUME_ARN)
    with pytest.raises(KeyboardInterrupt):
        run_in_process(emulator, fail_at(label, KeyboardInterrupt()))
    assert ec2.snapshot_ids() == set()
    assert read_schedule(sg, VOLUME_ARN) == before
