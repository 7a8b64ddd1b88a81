"""The harness itself, driven with the toy provider (no AWS): if these fail, distrust the
lifecycle tests before the provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pulumi.config
import pytest

from sg_snapshot_harness import (
    UNKNOWN,
    CheckFailedError,
    Engine,
    PluginError,
    PluginProcess,
    StepKind,
    plugin_environment,
)
from sg_snapshot_harness.program import run_program
from sg_snapshot_harness.toy import ToyProvider

TOY_TYPE = "pulumi-python:dynamic/toy:Thing"
TOY_PROGRAM = Path(__file__).parents[1] / "data" / "toy-program"


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("toy")


@pytest.fixture(scope="module")
def plugin(toy_dir: Path) -> Iterator[PluginProcess]:
    with PluginProcess(plugin_environment()) as process:
        process.configure({"toy:directory": str(toy_dir)})
        yield process


@pytest.fixture
def engine(plugin: PluginProcess, toy_dir: Path) -> Engine:
    for leftover in toy_dir.glob("*.json"):
        leftover.unlink()
    plugin.clear_calls()
    return Engine(plugin, ToyProvider(), type_token=TOY_TYPE)


def stored(toy_dir: Path) -> dict[str, dict[str, object]]:
    return {path.stem: json.loads(path.read_text()) for path in toy_dir.glob("*.json")}


def test_up_creates_then_same_update_replace(engine: Engine, plugin: PluginProcess, toy_dir: Path):
    created = engine.up("a", {"name": "x", "value": "1"})
    assert created.kind is StepKind.CREATE
    assert set(stored(toy_dir)) == {created.id}

    same = engine.up("a", {"name": "x", "value": "1"})
    assert (same.kind, same.id) == (StepKind.SAME, created.id)

    updated = engine.up("a", {"name": "x", "value": "2"})
    assert updated.kind is StepKind.UPDATE
    assert updated.outputs["version"] == 2

    replaced = engine.up("a", {"name": "y", "value": "2"})
    assert replaced.kind is StepKind.REPLACE
    assert replaced.replaced_id == created.id
    assert set(stored(toy_dir)) == {replaced.id}
    assert plugin.calls() == [
        *("Check", "Create"),
        *("Check", "Diff"),
        *("Check", "Diff", "Update"),
        # A replace checks again, with no old inputs, before its create (step_generator.go).
        *("Check", "Diff", "Check", "Create", "Delete"),
    ]


def test_replace_deletes_first_when_the_provider_asks(engine: Engine, plugin: PluginProcess):
    engine.up("a", {"name": "x", "value": "1", "delete_before_replace": True})
    plugin.clear_calls()
    step = engine.up("a", {"name": "y", "value": "1", "delete_before_replace": True})
    assert step.kind is StepKind.REPLACE
    assert step.diff is not None
    assert step.diff.delete_before_replace
    assert plugin.calls() == ["Check", "Diff", "Check", "Delete", "Create"]


def test_preview_with_unknowns_never_creates(engine: Engine, plugin: PluginProcess, toy_dir: Path):
    assert engine.preview("a", {"name": "x", "value": UNKNOWN}).kind is StepKind.CREATE
    engine.up("a", {"name": "x", "value": "1"})
    assert engine.preview("a", {"name": UNKNOWN, "value": "1"}).kind is StepKind.REPLACE
    assert engine.preview("a", {"name": "x", "value": {"deep": [UNKNOWN]}}).kind is StepKind.UPDATE
    assert engine.preview("a", {"name": "x", "value": "1"}).kind is StepKind.SAME
    assert plugin.calls().count("Create") == 1
    assert len(stored(toy_dir)) == 1


def test_refresh_reads_and_drops_what_disappeared(engine: Engine, toy_dir: Path):
    created = engine.up("a", {"name": "x", "value": "1"})
    drifted = {**stored(toy_dir)[created.id], "value": "changed out of band"}
    (toy_dir / f"{created.id}.json").write_text(json.dumps(drifted))
    refreshed = engine.refresh("a")
    assert (refreshed.kind, refreshed.outputs["value"]) == (StepKind.REFRESH, "changed out of band")
    assert engine.up("a", {"name": "x", "value": "1"}).kind is StepKind.UPDATE

    (toy_dir / f"{created.id}.json").unlink()
    assert engine.refresh("a").kind is StepKind.DROP
    assert engine.state("a") is None
    assert engine.up("a", {"name": "x", "value": "1"}).kind is StepKind.CREATE


def test_destroy_deletes_and_forgets(engine: Engine, toy_dir: Path):
    engine.up("a", {"name": "x", "value": "1"})
    assert engine.destroy("a").kind is StepKind.DELETE
    assert engine.state("a") is None
    assert stored(toy_dir) == {}
    with pytest.raises(KeyError):
        engine.destroy("a")


def test_check_failures_raise_with_the_property(engine: Engine, plugin: PluginProcess):
    with pytest.raises(CheckFailedError) as failed:
        engine.up("a", {"name": "x", "value": "bad"})
    assert failed.value.properties == ["value"]
    assert plugin.calls() == ["Check"]


def test_plugin_errors_carry_the_provider_message(engine: Engine, plugin: PluginProcess):
    with pytest.raises(PluginError) as failed:
        engine.up("a", {"name": "x", "value": "explode"})
    assert failed.value.method == "Create"
    # Newer plugins prefix the exception's class, older ones "Exception calling application".
    assert failed.value.message.endswith(": toy create failed on purpose")
    assert engine.state("a") is None


def test_stderr_is_captured(engine: Engine, plugin: PluginProcess):
    mark = plugin.stderr_mark()
    created = engine.up("a", {"name": "x", "value": "1"})
    assert plugin.stderr_text(since=mark).strip() == f"toy: created {created.id}"


def test_configure_after_resource_calls_is_refused(engine: Engine, plugin: PluginProcess):
    engine.up("a", {"name": "x", "value": "1"})
    with pytest.raises(RuntimeError, match="before the first resource call"):
        plugin.configure({"toy:directory": "/elsewhere"})


def test_many_resources_in_flight(engine: Engine, toy_dir: Path):
    names = [f"r{i}" for i in range(16)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(lambda n: engine.up(n, {"name": n, "value": "1"}), names))
        updated = list(pool.map(lambda n: engine.up(n, {"name": n, "value": "2"}), names))
        list(pool.map(engine.destroy, names))
    assert {step.kind for step in created} == {StepKind.CREATE}
    assert {step.kind for step in updated} == {StepKind.UPDATE}
    assert len({step.id for step in created}) == len(names)
    assert engine.names() == []
    assert stored(toy_dir) == {}


def test_program_runner_sends_dynamic_resources_to_the_plugin(engine: Engine, toy_dir: Path):
    run = run_program(TOY_PROGRAM, engine, config={"value": "v1"})
    first_id = run.outputs["first_id"]
    assert run.outputs == {
        "first_id": first_id,
        "second_value": first_id,
        "bucket_tags": {"toy": first_id},
    }
    assert [r.name for r in run.dynamic_resources()] == ["first", "second"]
    assert len(stored(toy_dir)) == 2

    again = run_program(TOY_PROGRAM, engine, config={"value": "v1"})
    assert [step.kind for step in again.steps] == [StepKind.SAME, StepKind.SAME]

    assert [step.kind for step in run.destroy()] == [StepKind.DELETE, StepKind.DELETE]
    assert stored(toy_dir) == {}


def test_program_errors_propagate(engine: Engine):
    with pytest.raises(PluginError, match="toy create failed on purpose"):
        run_program(TOY_PROGRAM, engine, config={"value": "explode"})


def test_missing_program_config_propagates(engine: Engine):
    with pytest.raises(pulumi.config.ConfigMissingError, match="toy-program:value"):
        run_program(TOY_PROGRAM, engine)


def test_start_plugin_as_a_context_manager_starts_one_plugin() -> None:
    from sg_snapshot_harness.plugin import start_plugin

    started = start_plugin(None)
    first_port = started.port
    with started as plugin:
        assert plugin is started
        assert plugin.port == first_port  # the same process: __enter__ started no second one
        assert plugin._process is not None
        assert plugin._process.poll() is None
    assert plugin._process is not None
    assert plugin._process.poll() is not None  # stopped on exit
