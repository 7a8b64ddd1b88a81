"""`make sweep` (scripts/sweep.py) against leftovers made on purpose in the emulator: it lists,
deletes only with --delete, and only what the sweep's rules allow."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from types import ModuleType

import pytest

from sg_snapshot_harness.acceptance import ACCEPTANCE_TAG
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_provider.emulator import Emulator
from tests.acceptance.test_sweep_safety import NOW, OLD_RUN, make
from tests.conftest import REGION, REPO_ROOT

#: The module (the package exports its ``sweep`` function under the same name).
sweep_module = importlib.import_module("sg_snapshot_harness.acceptance.sweep")


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sweep_script", REPO_ROOT / "scripts/sweep.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def two_hours_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_module, "utc_now", lambda: NOW + timedelta(hours=2))


@pytest.mark.usefixtures("two_hours_later")
def test_make_sweep_lists_then_deletes_with_the_flag(
    emulator: Emulator, ec2: Ec2View, capsys: pytest.CaptureFixture[str]
) -> None:
    leftover = make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value})
    untagged = make(emulator, {"team": "storage"})
    script = load_script()
    args = ["--endpoint-url", emulator.url, "--region", REGION]

    assert script.main(args) == 0
    listed = capsys.readouterr().out
    assert f"{leftover}  DELETE  left by run {OLD_RUN.value}" in listed
    assert "1 leftover(s); delete them with: make sweep ARGS=--delete" in listed
    assert untagged not in listed
    assert ec2.snapshot_ids() == {leftover, untagged}

    assert script.main([*args, "--delete"]) == 0
    assert "Deleted 1 of 1 leftover(s)." in capsys.readouterr().out
    assert ec2.snapshot_ids() == {untagged}


@pytest.mark.usefixtures("two_hours_later")
def test_make_sweep_delete_says_what_another_sweep_deleted_first_and_succeeds(
    emulator: Emulator, ec2: Ec2View, capsys: pytest.CaptureFixture[str]
) -> None:
    leftovers = [make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value}) for _ in range(2)]
    emulator.inject_fault("DeleteSnapshot", "InvalidSnapshot.NotFound", mode="after", times=1)

    code = load_script().main(["--endpoint-url", emulator.url, "--region", REGION, "--delete"])

    out = capsys.readouterr().out
    assert code == 0, out
    assert "Deleted 1 of 2 leftover(s); 1 already gone." in out
    assert "already gone (deleted meanwhile)" in out
    assert not any(ec2.exists(i) for i in leftovers)


def test_make_sweep_keeps_a_running_runs_snapshots(
    emulator: Emulator, ec2: Ec2View, capsys: pytest.CaptureFixture[str]
) -> None:
    """Made just now: younger than an hour by the real clock."""
    running = make(emulator, {ACCEPTANCE_TAG: OLD_RUN.value})
    assert load_script().main(["--endpoint-url", emulator.url, "--region", REGION, "--delete"]) == 0
    out = capsys.readouterr().out
    assert f"{running}  keep    0 min old, younger than an hour" in out
    assert "Deleted 0 of 0 leftover(s)." in out
    assert ec2.exists(running)


def test_make_sweep_says_where_it_needs_to_look(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SG_ACCEPTANCE_VOLUME_ARN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    assert load_script().main([]) == 2
    assert "set SG_ACCEPTANCE_VOLUME_ARN (its region), or --region" in capsys.readouterr().out
