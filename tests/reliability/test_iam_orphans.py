"""`python -m sg_snapshot_provider orphans --delete` under exactly ``iam/orphans.json``: it lists
and deletes a real leftover (a create whose CLI was killed), calls nothing the policy does not
grant and everything it does, and, with DeleteSnapshot or DescribeLockedSnapshots taken out,
fails in one sentence naming it and deletes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import plugin_environment
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.settings import TIMINGS_ENV
from tests.conftest import REPO_ROOT
from tests.reliability.test_orphans import NO_MARGIN, leftover_and_later_run, stack

#: The key the orphans policy is attached to: the command runs with it.
ORPHANS_KEY = "AKIAORPHANSPOLICY001"
FAST = json.dumps({"backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.02})


def policy() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((REPO_ROOT / "iam" / "orphans.json").read_text())
    return document


def orphans_with_the_key(
    export: dict[str, Any], tmp_path: Path, emulator: Emulator, *extra: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(export))
    env = plugin_environment(emulator.url, {"AWS_ACCESS_KEY_ID": ORPHANS_KEY, TIMINGS_ENV: FAST})
    return subprocess.run(
        [sys.executable, "-m", "sg_snapshot_provider", "orphans", "--state", str(path), *extra],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_orphans_delete_works_under_exactly_its_policy(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    leftover, later, recreated = leftover_and_later_run(emulator, ec2, stack(emulator))
    emulator.set_iam_policy(policy(), access_key=ORPHANS_KEY)
    emulator.clear_calls()
    done = orphans_with_the_key(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"deleted {leftover}" in done.stdout + done.stderr
    assert ec2.snapshot_ids() == {recreated}
    assert emulator.iam_denials() == []
    called = {f"{c.service}:{c.operation}" for c in emulator.calls()}
    granted = {"ec2:DescribeSnapshots", "ec2:DeleteSnapshot", "ec2:DescribeLockedSnapshots"}
    assert {s["Action"] for s in policy()["Statement"]} == granted
    # DescribeLockedSnapshots: the locks of what it deletes are read before anything goes.
    assert called == granted


def test_without_describe_locked_snapshots_orphans_names_it_and_deletes_nothing(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    """A policy written before orphans read locks: no lock can be read, so none is assumed."""
    leftover, later, recreated = leftover_and_later_run(emulator, ec2, stack(emulator))
    document = policy()
    document["Statement"] = [
        s for s in document["Statement"] if s["Action"] != "ec2:DescribeLockedSnapshots"
    ]
    emulator.set_iam_policy(document, access_key=ORPHANS_KEY)
    emulator.clear_calls()
    done = orphans_with_the_key(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)
    assert done.returncode == 4, done.stdout + done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert leftover in line
    assert "ec2:DescribeLockedSnapshots" in line
    assert not any(c.operation == "DeleteSnapshot" for c in emulator.calls())
    assert ec2.snapshot_ids() == {leftover, recreated}


def test_without_delete_snapshot_orphans_names_it_and_deletes_nothing(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    leftover, later, recreated = leftover_and_later_run(emulator, ec2, stack(emulator))
    document = policy()
    document["Statement"] = [
        s for s in document["Statement"] if s["Action"] != "ec2:DeleteSnapshot"
    ]
    emulator.set_iam_policy(document, access_key=ORPHANS_KEY)
    done = orphans_with_the_key(later.export(), tmp_path, emulator, "--delete", *NO_MARGIN)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"deleting EBS snapshot {leftover}: AWS denied ec2:DeleteSnapshot" in line
    assert "add ec2:DeleteSnapshot to their IAM policy" in line
    assert ec2.snapshot_ids() == {leftover, recreated}
