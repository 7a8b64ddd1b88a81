"""The quickstart through the real Pulumi CLI (Automation API), against the emulator.

The CLI is not installable on our build machines, so this runs only where `pulumi`
is on PATH and is skipped (with the reason) everywhere else.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sg_snapshot_harness.ec2 import Ec2View
from sg_snapshot_harness.plugin import plugin_environment
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REPO_ROOT, VOLUME_ARN
from tests.examples.conftest import EXAMPLES

pytestmark = [
    pytest.mark.needs_pulumi_cli,
    pytest.mark.skipif(
        shutil.which("pulumi") is None,
        reason="the pulumi CLI is not on PATH (it is not installable on the build machines)",
    ),
]


def test_quickstart_up_and_destroy_with_the_cli(
    emulator: Emulator, ec2: Ec2View, tmp_path: Path
) -> None:
    from pulumi import automation as auto

    program_dir = tmp_path / "quickstart"
    shutil.copytree(EXAMPLES / "quickstart", program_dir)
    settings = auto.ProjectSettings(
        name="sg-snapshot-provider",
        runtime=auto.ProjectRuntimeInfo(
            name="python", options={"virtualenv": str(REPO_ROOT / ".venv")}
        ),
    )
    env = plugin_environment(
        emulator.url,
        {
            "PULUMI_BACKEND_URL": f"file://{tmp_path / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        },
    )
    (tmp_path / "state").mkdir()
    stack = auto.create_or_select_stack(
        "dev",
        work_dir=str(program_dir),
        opts=auto.LocalWorkspaceOptions(env_vars=env, project_settings=settings),
    )
    stack.set_config("volumeArn", auto.ConfigValue(VOLUME_ARN))
    stack.set_config("tags", auto.ConfigValue('{"team": "storage"}'))

    up = stack.up()
    snapshot_id = up.outputs["snapshot_id"].value
    assert ec2.tags(snapshot_id) == {"team": "storage"}
    assert stack.preview().change_summary.get(auto.OpType.SAME) == 2  # the stack and the snapshot

    stack.destroy()
    assert ec2.snapshot_ids() == set()
    stack.workspace.remove_stack("dev")
