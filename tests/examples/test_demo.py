"""`make demo` is the README's main command: run it as a user would and read what it printed."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.conftest import REPO_ROOT


def test_demo__creates_retags_and_destroys_a_snapshot() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "demo.py")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    created = re.search(r"created snapshot (snap-[0-9a-f]+)", done.stdout)
    assert created is not None, done.stdout
    snapshot_id = created.group(1)
    assert f"stack output snapshot_id = {snapshot_id}" in done.stdout
    assert "tags purpose=demo, team=storage" in done.stdout
    assert "tags purpose=demo, team=platform" in done.stdout  # updated in place, same ID
    assert f"EC2 no longer has {snapshot_id}" in done.stdout
