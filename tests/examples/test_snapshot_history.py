"""examples/snapshot-history: each release replaces the snapshot, `retain_on_delete` keeps the
old ones in EC2. Each run previews first in its own plugin, as `pulumi up` does, and the
resource option comes from the program itself."""

from __future__ import annotations

from sg_snapshot_harness import Engine, PluginProcess, StepKind
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.program import run_program
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import VOLUME_ARN
from tests.examples.conftest import EXAMPLES

HISTORY = EXAMPLES / "snapshot-history"


def test_every_release_keeps_its_snapshot(
    engine: Engine, preview_plugin: PluginProcess, emulator: Emulator, ec2: Ec2View
) -> None:
    first = run_program(
        HISTORY,
        engine,
        config={"volumeArn": VOLUME_ARN, "release": "1"},
        preview_plugin=preview_plugin,
    )
    assert [step.kind for step in first.preview_steps] == [StepKind.CREATE]
    emulator.clear_calls()

    second = run_program(
        HISTORY,
        engine,
        config={"volumeArn": VOLUME_ARN, "release": "2"},
        preview_plugin=preview_plugin,
    )
    assert [step.kind for step in second.preview_steps] == [StepKind.REPLACE]
    assert [step.kind for step in second.steps] == [StepKind.REPLACE]
    assert [call.operation for call in emulator.calls()] == ["CreateSnapshot"]  # no delete

    old, new = first.outputs["snapshot_id"], second.outputs["snapshot_id"]
    assert ec2.snapshot_ids() == {old, new}
    assert ec2.tags(old) == {"release": "1"}
    assert engine.names() == ["release-snapshot"]
    assert engine.require_state("release-snapshot").id == new

    second.destroy()  # retained too: Pulumi forgets it, EC2 keeps it
    assert engine.names() == []
    assert ec2.snapshot_ids() == {old, new}
    for snapshot_id in (old, new):
        ec2.delete_out_of_band(snapshot_id)


def test_preview_shows_unknown_ids_for_what_it_would_create(
    engine: Engine, preview_plugin: PluginProcess, emulator: Emulator, ec2: Ec2View
) -> None:
    run = run_program(
        HISTORY,
        engine,
        config={"volumeArn": VOLUME_ARN, "release": "1"},
        preview_plugin=preview_plugin,
    )
    (planned,) = run.preview_steps
    assert planned.preview
    assert planned.id == ""
    assert "snapshot_id" not in planned.inputs  # output-only: unknown until the create
    assert preview_plugin.calls()[-1] == "Check"  # a create is only checked in a preview
    run.destroy()
    for snapshot_id in ec2.snapshot_ids():
        ec2.delete_out_of_band(snapshot_id)
