"""The harness fails where the pulumi engine would: each test pins one engine behaviour (the
source file of the ``pulumi/pulumi`` repository is named) with the toy provider (no AWS)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import rpc

from sg_snapshot_harness import (
    DeploymentFailedError,
    Engine,
    EngineDiedError,
    Options,
    PluginError,
    PluginProcess,
    ProtectedError,
    Secret,
    StepKind,
    StepResult,
    plugin_environment,
)
from sg_snapshot_harness.program import run_program
from sg_snapshot_harness.properties import SECRET_SIG, SECRET_SIG_KEY
from sg_snapshot_harness.toy import ToyProvider

TOY_TYPE = "pulumi-python:dynamic/toy:Thing"
CHAIN_PROGRAM = Path(__file__).parents[1] / "data" / "toy-chain-program"
HUSH = "hush-Zq81-never-in-plain-text"


def start_toy_plugin(toy_dir: Path) -> PluginProcess:
    process = PluginProcess(plugin_environment()).start()
    process.configure({"toy:directory": str(toy_dir)})
    return process


@pytest.fixture
def toy_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def plugin(toy_dir: Path) -> Iterator[PluginProcess]:
    with start_toy_plugin(toy_dir) as process:
        yield process


@pytest.fixture
def engine(plugin: PluginProcess) -> Engine:
    return Engine(plugin, ToyProvider(), type_token=TOY_TYPE)


def stored(toy_dir: Path) -> dict[str, dict[str, Any]]:
    return {path.stem: json.loads(path.read_text()) for path in toy_dir.glob("toy-*.json")}


def pending_operations(engine: Engine) -> list[dict[str, Any]]:
    operations: list[dict[str, Any]] = engine.export()["deployment"]["pending_operations"]
    return operations


# --- 1. pending creates (pkg/backend/snapshot.go, createSnapshotMutation) --------------------


def test_a_failed_create_leaves_no_pending_operation(engine: Engine) -> None:
    with pytest.raises(PluginError, match="toy create failed on purpose"):
        engine.up("a", {"name": "x", "value": "explode"})
    assert engine.pending_creates() == {}
    assert pending_operations(engine) == []
    assert engine.state("a") is None


def test_a_create_whose_plugin_is_killed_fails_and_leaves_nothing_pending(
    engine: Engine, plugin: PluginProcess, toy_dir: Path
) -> None:
    gate = toy_dir / "gate"
    failures: list[BaseException] = []

    def up() -> None:
        try:
            engine.up("a", {"name": "x", "value": "1", "wait_for": str(gate)})
        except BaseException as error:
            failures.append(error)

    creating = threading.Thread(target=up)
    creating.start()
    wait_for_file(Path(f"{gate}.started"))
    assert list(engine.pending_creates()) == ["a"]  # recorded before Create answered
    plugin.kill()  # the plugin dies, the CLI lives on: Create answered with an error
    creating.join()
    assert isinstance(failures[0], PluginError)
    assert engine.pending_creates() == {}
    assert engine.state("a") is None


def test_the_cli_dying_mid_create_keeps_the_creating_operation(
    engine: Engine, plugin: PluginProcess, toy_dir: Path
) -> None:
    gate = toy_dir / "gate"
    started = Path(f"{gate}.started")
    inputs = {"name": "x", "value": Secret(HUSH), "wait_for": str(gate)}
    engine.up_and_die("a", inputs, when=started.exists)

    (operation,) = pending_operations(engine)
    assert operation["type"] == "creating"
    resource = operation["resource"]
    assert "id" not in resource
    assert resource["urn"] == engine.urn("a")
    assert resource["inputs"]["name"] == "x"  # the checked inputs
    assert resource["inputs"]["value"][SECRET_SIG_KEY] == SECRET_SIG
    assert HUSH not in engine.plain_text_strings()
    assert engine.state("a") is None
    with pytest.raises(EngineDiedError):
        engine.up("b", {"name": "y", "value": "1"})
    assert not plugin.running()  # the plugin died with the CLI


def test_a_later_run_carries_the_pending_create_until_a_refresh(
    engine: Engine, toy_dir: Path
) -> None:
    gate = toy_dir / "gate"
    engine.up("kept", {"name": "k", "value": "1"})
    engine.up_and_die(
        "a", {"name": "x", "value": "1", "wait_for": str(gate)}, when=Path(f"{gate}.started").exists
    )
    saved = engine.export()

    with start_toy_plugin(toy_dir) as plugin:
        later = Engine.from_export(saved, plugin, ToyProvider(), type_token=TOY_TYPE)
        assert later.names() == ["kept"]
        assert later.require_state("kept").id == engine.require_state("kept").id
        assert later.up("kept", {"name": "k", "value": "1"}).kind is StepKind.SAME
        created = later.up("a", {"name": "x", "value": "1"})
        assert created.kind is StepKind.CREATE
        assert [op["resource"]["urn"] for op in pending_operations(later)] == [later.urn("a")]

        refreshed = later.refresh_all()
        assert set(refreshed) == {"kept", "a"}
        assert pending_operations(later) == []


def test_the_manifest_says_when_the_checkpoint_was_written(engine: Engine) -> None:
    first = engine.export()["deployment"]["manifest"]
    engine.up("a", {"name": "x", "value": "1"})
    second = engine.export()["deployment"]["manifest"]
    assert {"time", "version"} <= set(first)
    assert datetime.fromisoformat(second["time"]) > datetime.fromisoformat(first["time"])
    assert engine.export()["deployment"]["manifest"]["time"] == second["time"]  # no new write


# --- 2. secrets (pkg/resource/plugin/provider_plugin.go, annotateSecrets) --------------------


def test_secret_inputs_reach_the_plugin_plain_and_stay_secret_in_state(
    engine: Engine, toy_dir: Path
) -> None:
    step = engine.up("a", {"name": "x", "value": Secret(HUSH)})
    assert stored(toy_dir)[step.id]["value"] == HUSH  # stripped before Create
    state = engine.require_state("a")
    assert state.inputs["value"] == Secret(HUSH)
    assert state.outputs["value"] == Secret(HUSH)  # annotated from the request's inputs
    assert state.outputs["toy_id"] == step.id  # a computed output stays plain
    assert step.secret_inputs == step.secret_outputs == frozenset({"value"})
    assert step.outputs["value"] == HUSH
    assert step.is_secret("value")

    export = engine.export()
    (resource,) = [r for r in export["deployment"]["resources"] if r.get("id") == step.id]
    for bag in ("inputs", "outputs"):
        value = resource[bag]["value"]
        assert set(value) == {SECRET_SIG_KEY, "ciphertext"}
        assert value[SECRET_SIG_KEY] == SECRET_SIG
    assert HUSH not in json.dumps(export)
    assert HUSH not in engine.plain_text_strings()
    assert "x" in engine.plain_text_strings()
    shown = engine.export(show_secrets=True)["deployment"]["resources"][1]["outputs"]["value"]
    assert json.loads(shown["plaintext"]) == HUSH


def test_update_read_and_nested_secrets_are_annotated(engine: Engine, toy_dir: Path) -> None:
    engine.up("a", {"name": "x", "value": "1"})
    sdk_secret = rpc.wrap_rpc_secret(HUSH)  # what a program's Output.secret reaches us as
    updated = engine.up("a", {"name": "x", "value": {"deep": sdk_secret, "open": "o"}})
    assert updated.kind is StepKind.UPDATE
    outputs = engine.require_state("a").outputs
    assert outputs["value"] == {"deep": Secret(HUSH), "open": "o"}  # objects recurse
    assert updated.secret_outputs == {"value"}

    refreshed = engine.refresh("a")
    assert engine.require_state("a").outputs["value"]["deep"] == Secret(HUSH)
    assert refreshed.outputs["value"]["deep"] == HUSH
    assert HUSH not in engine.plain_text_strings()


def test_a_programs_secret_stays_secret(engine: Engine) -> None:
    run = run_program(CHAIN_PROGRAM, engine, config={"names": "a", "secret": HUSH})
    assert run.steps[0].secret_inputs == {"value"}
    state = engine.require_state("a")
    assert state.inputs["value"] == Secret(HUSH)
    assert state.outputs["value"] == Secret(HUSH)
    assert HUSH not in engine.plain_text_strings()


def test_an_export_loads_back_with_its_secrets(engine: Engine, plugin: PluginProcess) -> None:
    engine.up("a", {"name": "x", "value": Secret(HUSH)})
    loaded = Engine.from_export(engine.export(), plugin, ToyProvider(), type_token=TOY_TYPE)
    assert loaded.require_state("a").outputs["value"] == Secret(HUSH)
    assert loaded.up("a", {"name": "x", "value": Secret(HUSH)}).kind is StepKind.SAME


# --- 3. a replacement is checked again, without old inputs (step_generator.go) ---------------


def test_a_replacement_is_created_from_a_check_without_old_inputs(
    engine: Engine, plugin: PluginProcess
) -> None:
    created = engine.up("a", {"name": "x", "value": "1", "nonce": "auto"})
    nonce = created.inputs["nonce"]
    updated = engine.up("a", {"name": "x", "value": "2", "nonce": "auto"})
    assert (updated.kind, updated.inputs["nonce"]) == (StepKind.UPDATE, nonce)

    plugin.clear_calls()
    replaced = engine.up("a", {"name": "y", "value": "2", "nonce": "auto"})
    assert replaced.kind is StepKind.REPLACE
    assert replaced.inputs["nonce"] != nonce  # the second Check had no old nonce to keep
    assert plugin.calls() == ["Check", "Diff", "Check", "Create", "Delete"]


def test_the_second_check_ignores_ignore_changes(engine: Engine) -> None:
    engine.up("a", {"name": "x", "value": "1"})
    replaced = engine.up("a", {"name": "y", "value": "2"}, Options(ignore_changes=("value",)))
    assert replaced.kind is StepKind.REPLACE
    assert replaced.inputs["value"] == "2"  # the program's value, not the ignored old one


# --- 4. a program is one deployment (deployment_executor.go, GenerateDeletes) ----------------


def test_replaced_resources_are_deleted_at_the_end_of_the_program(
    engine: Engine, plugin: PluginProcess, toy_dir: Path
) -> None:
    run_program(CHAIN_PROGRAM, engine, config={"names": "a,b"})
    plugin.clear_calls()
    run = run_program(CHAIN_PROGRAM, engine, config={"names": "a,b", "prefix": "q"})
    assert [step.kind for step in run.steps] == [StepKind.REPLACE, StepKind.REPLACE]
    replace_calls = ["Check", "Diff", "Check", "Create"]
    assert plugin.calls() == [*replace_calls, *replace_calls, "Delete", "Delete"]
    assert set(stored(toy_dir)) == {step.id for step in run.steps}


def test_resources_the_program_no_longer_declares_are_deleted_at_the_end(
    engine: Engine, plugin: PluginProcess, toy_dir: Path
) -> None:
    first = run_program(CHAIN_PROGRAM, engine, config={"names": "a,b,c"})
    plugin.clear_calls()
    run = run_program(CHAIN_PROGRAM, engine, config={"names": "a"})
    assert [(step.name, step.kind) for step in run.steps] == [
        ("a", StepKind.SAME),
        ("c", StepKind.DELETE),  # c depends on b: it goes first
        ("b", StepKind.DELETE),
    ]
    assert plugin.calls() == ["Check", "Diff", "Delete", "Delete"]
    assert engine.names() == ["a"]
    assert set(stored(toy_dir)) == {first.outputs["a"]}


def test_after_a_failed_step_nothing_starts_and_nothing_is_deleted(
    engine: Engine, plugin: PluginProcess, toy_dir: Path
) -> None:
    first = run_program(CHAIN_PROGRAM, engine, config={"names": "a,b,c,d"})
    plugin.clear_calls()
    with pytest.raises(PluginError, match="toy create failed on purpose"):
        run_program(CHAIN_PROGRAM, engine, config={"names": "a,b,c", "prefix": "q", "explode": "b"})
    replace_calls = ["Check", "Diff", "Check", "Create"]
    assert plugin.calls() == [*replace_calls, *replace_calls]  # c never checked, no delete
    assert [old.id for old in engine.pending_deletes()] == [first.outputs["a"]]
    assert engine.require_state("b").id == first.outputs["b"]
    assert engine.require_state("d").id == first.outputs["d"]  # undeclared, yet kept
    marked = [r for r in engine.export()["deployment"]["resources"] if r.get("delete")]
    assert [r["id"] for r in marked] == [first.outputs["a"]]
    assert len(stored(toy_dir)) == 5


def test_a_deployment_refuses_new_steps_after_a_failure(engine: Engine) -> None:
    run = engine.begin()
    with pytest.raises(PluginError):
        run.register("a", {"name": "x", "value": "explode"})
    with pytest.raises(DeploymentFailedError):
        run.register("b", {"name": "y", "value": "1"})
    assert run.finish() == []
    assert engine.names() == []


# --- 5. protect in preview, delete-before-replace (step_generator.go, snapshot.go) ------------


def test_replacing_a_protected_resource_fails_already_in_preview(
    engine: Engine, plugin: PluginProcess
) -> None:
    engine.up("a", {"name": "x", "value": "1"}, Options(protect=True))
    plugin.clear_calls()
    with pytest.raises(ProtectedError):
        engine.preview("a", {"name": "y", "value": "1"}, Options(protect=True))
    assert plugin.calls() == ["Check", "Diff"]


def test_delete_before_replace_keeps_the_old_one_pending_replacement_until_created(
    engine: Engine, plugin: PluginProcess, toy_dir: Path
) -> None:
    old = engine.up("a", {"name": "x", "value": "1"})
    dbr = Options(delete_before_replace=True)
    with pytest.raises(PluginError):
        engine.up("a", {"name": "y", "value": "explode"}, dbr)
    state = engine.require_state("a")
    assert (state.id, state.pending_replacement) == (old.id, True)
    (entry,) = engine.export()["deployment"]["resources"][1:]
    assert entry["pendingReplacement"] is True
    assert stored(toy_dir) == {}

    plugin.clear_calls()
    again = engine.up("a", {"name": "y", "value": "1"}, dbr)
    assert again.kind is StepKind.REPLACE
    assert plugin.calls() == ["Check", "Diff", "Check", "Create"]  # the old one is gone already
    assert engine.require_state("a").pending_replacement is False
    assert set(stored(toy_dir)) == {again.id}


def test_cancel_lets_the_running_step_finish_and_starts_nothing_more(
    engine: Engine, plugin: PluginProcess, toy_dir: Path
) -> None:
    engine.up("old", {"name": "o", "value": "1"})
    gate = toy_dir / "gate"
    run = engine.begin()
    steps: list[StepResult] = []
    running = threading.Thread(
        target=lambda: steps.append(
            run.register("a", {"name": "x", "value": "1", "wait_for": str(gate)})
        )
    )
    running.start()
    wait_for_file(Path(f"{gate}.started"))
    run.cancel()
    gate.touch()
    running.join()
    assert steps[0].kind is StepKind.CREATE  # the running create finished and is in state
    assert engine.require_state("a").id == steps[0].id
    with pytest.raises(DeploymentFailedError):
        run.register("b", {"name": "y", "value": "1"})
    assert run.finish() == []  # "old" is undeclared, yet not deleted
    assert engine.names() == ["old", "a"]
    assert plugin.calls() == ["Configure", "Check", "Create", "Check", "Create", "Cancel"]


def test_refresh_all_reads_every_resource(engine: Engine, plugin: PluginProcess) -> None:
    for name in ("a", "b", "c"):
        engine.up(name, {"name": name, "value": "1"})
    plugin.clear_calls()
    steps = engine.refresh_all(parallel=3)
    assert {name: step.kind for name, step in steps.items()} == dict.fromkeys(
        "abc", StepKind.REFRESH
    )
    assert plugin.calls().count("Read") == 3


def wait_for_file(path: Path) -> None:
    """Bounded wait for the toy to say its create started."""
    for _ in range(1200):
        if path.exists():
            return
        threading.Event().wait(0.05)
    raise AssertionError(f"{path} never appeared")
