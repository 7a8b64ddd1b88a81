"""Write the golden state files that tests/engine/test_upgrade.py loads.

    tests/data/golden_provider.txt   the serialized provider, as every resource's state holds it
    tests/data/golden_inputs.json    a snapshot's checked inputs, as state holds them
    tests/data/golden_outputs.json   the same snapshot's outputs, as state holds them

    tests/data/golden_schedule_provider.txt   the same three for a VolumeSnapshotSchedule,
    tests/data/golden_schedule_inputs.json    created and then refreshed (so that every output,
    tests/data/golden_schedule_outputs.json   timezone included, is in it)

    tests/data/golden_series_provider.txt     the same three for a SnapshotSeries that keeps 2
    tests/data/golden_series_inputs.json      and was rotated (triggers 1, 2, 3: the first
    tests/data/golden_series_outputs.json     snapshot deleted), then refreshed

These files stand for the state that users' stacks hold today. Regenerate them ONLY when a change
of the state format is intended (and then say in the change how old state is migrated), and
only those of the resource whose format changes:

    .venv/bin/python scripts/make_golden_state.py            # the snapshot's
    .venv/bin/python scripts/make_golden_state.py schedule   # the snapshot schedule's
    .venv/bin/python scripts/make_golden_state.py series     # the snapshot series'

If test_upgrade fails after an innocent-looking change, the change broke existing stacks: fix the
code, not these files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sg_snapshot_provider import (
    SnapshotSeriesProvider,
    StorageGatewaySnapshotProvider,
    VolumeSnapshotScheduleProvider,
)
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.type_tokens import SCHEDULE_TYPE, SERIES_TYPE

# The engine harness (sg_snapshot_harness) is a development package of this repository: the
# wheel ships only sg_snapshot_provider, so the repository root goes on the path.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sg_snapshot_harness import PROVIDER_KEY, Engine, ResourceState  # noqa: E402
from sg_snapshot_harness.plugin import start_plugin  # noqa: E402

DATA = REPO_ROOT / "tests" / "data"
VOLUME_ARN = (
    "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B/volume/vol-1122AABB"
)
GOLDEN_INPUTS: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "description": "golden snapshot",
    "tags": {"team": "storage", "purpose": "upgrade-test"},
    "wait_for_completion": True,
    "triggers": {"release": "2026.11"},
}
GOLDEN_SCHEDULE_INPUTS: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "start_at": 2,
    "recurrence_in_hours": 12,
    "description": "golden schedule",
    "tags": {"team": "storage", "purpose": "upgrade-test"},
}

GOLDEN_SERIES_INPUTS: dict[str, Any] = {
    "volume_arn": VOLUME_ARN,
    "trigger": "1",
    "keep": 2,
    "description": "golden series",
    "tags": {"team": "storage", "purpose": "upgrade-test"},
    "stack_resource": "sg-snapshot-provider/test/golden-series",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "resource",
        nargs="?",
        choices=("snapshot", "schedule", "series"),
        default="snapshot",
        help="whose golden state to write (default: snapshot)",
    )
    resource = parser.parse_args().resource
    if resource == "schedule":
        write_schedule_state()
    elif resource == "series":
        write_series_state()
    else:
        write_snapshot_state()


def write_snapshot_state() -> None:
    """Create one snapshot through the real plugin and write its state."""
    with Emulator(volumes=[VOLUME_ARN]) as emulator:
        plugin = start_plugin(emulator.url, cwd=REPO_ROOT)
        try:
            plugin.configure({"aws:region": "us-east-1"})
            engine = Engine(plugin, StorageGatewaySnapshotProvider())
            engine.up("golden", GOLDEN_INPUTS)
            state = engine.require_state("golden")
            engine.destroy("golden")
        finally:
            plugin.cleanup()
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "golden_provider.txt").write_text(state.outputs[PROVIDER_KEY] + "\n")
    write_json(DATA / "golden_inputs.json", state.inputs)
    write_json(DATA / "golden_outputs.json", state.outputs)
    print(f"wrote golden state of {state.id} to {DATA}")


def write_schedule_state() -> None:
    """Set one snapshot schedule through the real plugin, refresh it, and write its state."""
    with Emulator(volumes=[VOLUME_ARN]) as emulator:
        emulator.add_gateway(VOLUME_ARN.split("/volume/")[0], timezone="GMT-5:00")
        plugin = start_plugin(emulator.url, cwd=REPO_ROOT)
        try:
            plugin.configure({"aws:region": "us-east-1"})
            engine = Engine(plugin, VolumeSnapshotScheduleProvider(), type_token=SCHEDULE_TYPE)
            engine.up("golden-schedule", GOLDEN_SCHEDULE_INPUTS)
            engine.refresh("golden-schedule")
            state: ResourceState = engine.require_state("golden-schedule")
            engine.destroy("golden-schedule")
        finally:
            plugin.cleanup()
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "golden_schedule_provider.txt").write_text(state.outputs[PROVIDER_KEY] + "\n")
    write_json(DATA / "golden_schedule_inputs.json", state.inputs)
    write_json(DATA / "golden_schedule_outputs.json", state.outputs)
    print(f"wrote golden state of the schedule of {state.id} to {DATA}")


def write_series_state() -> None:
    """Rotate one snapshot series through the real plugin (keep 2, triggers 1 to 3), refresh
    it, and write its state."""
    with Emulator(volumes=[VOLUME_ARN]) as emulator:
        plugin = start_plugin(emulator.url, cwd=REPO_ROOT)
        try:
            plugin.configure({"aws:region": "us-east-1"})
            engine = Engine(plugin, SnapshotSeriesProvider(), type_token=SERIES_TYPE)
            for trigger in ("1", "2", "3"):
                engine.up("golden-series", {**GOLDEN_SERIES_INPUTS, "trigger": trigger})
            engine.refresh("golden-series")
            state: ResourceState = engine.require_state("golden-series")
            engine.destroy("golden-series")
        finally:
            plugin.cleanup()
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "golden_series_provider.txt").write_text(state.outputs[PROVIDER_KEY] + "\n")
    write_json(DATA / "golden_series_inputs.json", state.inputs)
    write_json(DATA / "golden_series_outputs.json", state.outputs)
    print(f"wrote golden state of the series {state.id} to {DATA}")


def write_json(path: Path, props: dict[str, Any]) -> None:
    """The bag without the provider (it is in golden_provider.txt), keys sorted."""
    bag = {key: value for key, value in props.items() if key != PROVIDER_KEY}
    path.write_text(json.dumps(bag, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
