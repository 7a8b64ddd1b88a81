"""A secret given in any input (description, tag values, triggers, the series' trigger) never
appears in plain text in the recorded state, in a preview, in the plugin's diagnostics or in an
error, for the snapshot, the series and the schedule: a real program through the real plugin,
with an engine that strips secrets and marks them again as pulumi's does (``annotateSecrets``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sg_snapshot_harness import Engine, PluginProcess, run_program
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT, VOLUME_ARN

PROGRAM = REPO_ROOT / "tests" / "data" / "secret-program"
HUSH = "hush-7f3a9c"
#: The keys that hold (or are computed from) the secret, per resource.
SECRET_KEYS = {
    "snap": {"description", "tags", "tags_all", "triggers"},
    "series": {"description", "tags", "tags_all", "trigger"},
    "schedule": {"description", "tags", "tags_all"},
}


@pytest.fixture(scope="module")
def plugins(emulator_server: Emulator) -> Iterator[tuple[PluginProcess, PluginProcess]]:
    """The plugin of the update and the one of its preview."""
    started = [
        start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS) for _ in "ab"
    ]
    try:
        for plugin in started:
            plugin.configure({"aws:region": "us-east-1"})
        yield started[0], started[1]
    finally:
        for plugin in started:
            plugin.cleanup()


@pytest.fixture
def engine(plugins: tuple[PluginProcess, PluginProcess], emulator: Emulator) -> Engine:
    plugin, preview = plugins
    return Engine(plugin, StorageGatewaySnapshotProvider(), preview_plugin=preview)


def up(engine: Engine, hush: str = HUSH) -> None:
    run_program(PROGRAM, engine, config={"volumeArn": VOLUME_ARN, "hush": hush})


def diagnostics(engine: Engine) -> str:
    assert engine.preview_plugin is not None
    return engine.plugin.stderr_text() + engine.preview_plugin.stderr_text()


def test_a_secret_is_nowhere_in_plain_text(engine: Engine, ec2: Ec2View) -> None:
    run = run_program(PROGRAM, engine, config={"volumeArn": VOLUME_ARN, "hush": HUSH})

    assert HUSH not in " ".join(engine.plain_text_strings())
    for step in run.steps:
        assert SECRET_KEYS[step.name] <= step.secret_outputs, step.name
        assert SECRET_KEYS[step.name] <= step.secret_inputs, step.name
    for step in run.preview_steps:  # what `pulumi preview` shows as [secret]
        assert SECRET_KEYS[step.name] <= step.secret_inputs, step.name
    assert HUSH not in diagnostics(engine)
    # The secret did reach AWS, where tags are plain text to whoever may describe them.
    described = ec2.snapshot(run.outputs["snapshot_id"]) or {}
    tags = {t["Key"]: t["Value"] for t in described["Tags"]}
    assert tags["owner"] == HUSH


def test_a_secret_stays_secret_after_refresh_and_update(engine: Engine) -> None:
    up(engine)
    for name in SECRET_KEYS:
        refreshed = engine.refresh(name)
        assert SECRET_KEYS[name] - {"triggers", "trigger"} <= refreshed.secret_outputs, name
    up(engine, "hush-second-0b1")  # replaces the snapshot, rotates the series

    strings = " ".join(engine.plain_text_strings())
    assert HUSH not in strings
    assert "hush-second-0b1" not in strings
    assert HUSH not in diagnostics(engine)


def test_an_error_never_repeats_a_secret(engine: Engine, emulator: Emulator) -> None:
    up(engine)
    emulator.inject_fault(
        "CreateSnapshot", "InvalidGatewayRequestException", status=400, times=None
    )

    with pytest.raises(Exception) as failed:  # noqa: PT011 (the step's error, as the CLI shows it)
        up(engine, "hush-third-77c")

    assert "hush-third-77c" not in str(failed.value)
    assert "hush-third-77c" not in diagnostics(engine)
    assert "hush-third-77c" not in " ".join(engine.plain_text_strings())


@pytest.mark.parametrize(
    ("operation", "code"),
    [
        ("CreateSnapshot", "InvalidGatewayRequestException"),  # the snapshot and the series
        ("UpdateSnapshotSchedule", "InvalidGatewayRequestException"),  # the schedule
        ("CreateTags", "InvalidParameterValue"),  # a tag update in place
    ],
)
def test_an_aws_message_that_echoes_a_secret_is_not_repeated(
    engine: Engine, emulator: Emulator, operation: str, code: str
) -> None:
    """AWS error messages may quote the request's values ("Value (…) for parameter … is
    invalid"): the provider cannot know which input was secret, so it never repeats a
    description, tag value or trigger of the resource from an AWS message."""
    up(engine)
    echoed = "hush-fourth-5d2"
    emulator.inject_fault(
        operation,
        code,
        status=400,
        message=f"Value ({echoed}) for parameter is invalid",
        times=None,
    )

    with pytest.raises(Exception) as failed:  # noqa: PT011 (the step's error, as the CLI shows it)
        up(engine, echoed)

    assert echoed not in str(failed.value)
    assert echoed not in diagnostics(engine)
    assert "for parameter is invalid" in str(failed.value)  # the rest of AWS's words are kept
