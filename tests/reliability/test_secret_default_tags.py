"""A secret ``aws:defaultTags`` (``pulumi config set --secret --path aws:defaultTags.tags.x …``)
never reaches the state in plain text: the provider reads the config in plain text and merges
it into ``tags_all``, so the program sends ``tags_all`` as a secret whenever the stack marks the
key secret. Who could be hurt: a team that keeps a contact or a cost code in a secret default
tag, on every resource of the package, after an update, a refresh or a failed step.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from sg_snapshot_harness import Engine, PluginProcess, run_program
from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import start_plugin
from sg_snapshot_harness.properties import secret_keys
from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import PLUGIN_TIMINGS, REPO_ROOT, VOLUME_ARN

PROGRAM = REPO_ROOT / "tests" / "data" / "default-tags-program"
HUSH = "cost-code-4f1e9b"
DEFAULT_TAGS = json.dumps({"tags": {"cost-code": HUSH}})
CONFIG = {"aws:region": "us-east-1", "aws:defaultTags": DEFAULT_TAGS}
NAMES = ("snap", "series", "schedule")


@pytest.fixture(scope="module")
def plugins(emulator_server: Emulator) -> Iterator[tuple[PluginProcess, PluginProcess]]:
    """The plugin of the update and the one of its preview, both given the stack's config
    (the engine hands a dynamic provider every key in plain text)."""
    started = [
        start_plugin(emulator_server.url, cwd=REPO_ROOT, timings=PLUGIN_TIMINGS) for _ in "ab"
    ]
    try:
        for plugin in started:
            plugin.configure(CONFIG)
        yield started[0], started[1]
    finally:
        for plugin in started:
            plugin.cleanup()


@pytest.fixture
def engine(plugins: tuple[PluginProcess, PluginProcess], emulator: Emulator) -> Engine:
    plugin, preview = plugins
    return Engine(plugin, StorageGatewaySnapshotProvider(), preview_plugin=preview)


def up(engine: Engine, *, secret: bool) -> None:
    run_program(
        PROGRAM,
        engine,
        config={"volumeArn": VOLUME_ARN, **CONFIG},
        secret_config=["aws:defaultTags"] if secret else [],
    )


def test_a_secret_default_tag_is_nowhere_in_plain_text(engine: Engine, ec2: Ec2View) -> None:
    run = run_program(
        PROGRAM,
        engine,
        config={"volumeArn": VOLUME_ARN, **CONFIG},
        secret_config=["aws:defaultTags"],
    )

    assert HUSH not in " ".join(engine.plain_text_strings())
    for step in run.steps:
        assert "tags_all" in step.secret_outputs, step.name
        assert "tags_all" in step.secret_inputs, step.name
    for step in run.preview_steps:  # what `pulumi preview` shows as [secret]
        assert "tags_all" in step.secret_inputs, step.name
    # The default tag did reach AWS (tags are plain text there), and the resource's own tags
    # stay plain: only what holds the secret is encrypted.
    described = ec2.snapshot(run.outputs["snapshot_id"]) or {}
    assert {"Key": "cost-code", "Value": HUSH} in described["Tags"]
    snap = next(step for step in run.steps if step.name == "snap")
    assert "tags" not in snap.secret_outputs


def test_it_stays_secret_after_refresh(engine: Engine) -> None:
    up(engine, secret=True)

    for name in NAMES:
        assert "tags_all" in engine.refresh(name).secret_outputs, name
    assert HUSH not in " ".join(engine.plain_text_strings())


def test_plain_default_tags_stay_plain(engine: Engine) -> None:
    """Not every ``tags_all`` is encrypted: a stack without secrets keeps readable state."""
    run = run_program(PROGRAM, engine, config={"volumeArn": VOLUME_ARN, **CONFIG})

    for step in run.steps:
        assert "tags_all" not in step.secret_outputs, step.name
    assert HUSH in " ".join(engine.plain_text_strings())


def test_marking_the_key_secret_later_plans_no_change(engine: Engine) -> None:
    """A stack that sets ``--secret`` on its default tags after its first update: no update or
    replace is planned (the value did not change) and the stored inputs are secret at once.
    The outputs keep the copy written before until the resource's next update: pulumi's same
    step keeps a resource's old outputs (docs/secrets.md says so)."""
    up(engine, secret=False)
    run = run_program(
        PROGRAM,
        engine,
        config={"volumeArn": VOLUME_ARN, **CONFIG},
        secret_config=["aws:defaultTags"],
    )

    assert {step.kind.value for step in run.steps} == {"same"}
    for name in NAMES:
        assert "tags_all" in secret_keys(engine.require_state(name).inputs), name
