"""`make demo`: take a Storage Gateway snapshot with Pulumi, look at it in EC2, delete it.

Everything runs on this machine: a local emulator stands in for AWS (Storage Gateway + EC2), and
the AWS SDK is pointed at it with dummy credentials, so no AWS account is touched. With the
`pulumi` CLI on PATH the demo runs `pulumi up` / `pulumi destroy` on examples/quickstart (state in
a temporary directory); without it, it runs the same program through the repository's engine
harness, which drives the same provider plugin with the same calls the Pulumi engine makes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sg_snapshot_provider import StorageGatewaySnapshotProvider
from sg_snapshot_provider.emulator import Emulator

# The engine harness (sg_snapshot_harness) is a development package of this repository: the
# wheel ships only sg_snapshot_provider, so the repository root goes on the path.
REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sg_snapshot_harness import CheckFailedError, Engine, PluginError  # noqa: E402
from sg_snapshot_harness.ec2 import Ec2View  # noqa: E402
from sg_snapshot_harness.plugin import (  # noqa: E402
    point_this_process_at,
    start_plugin,
)
from sg_snapshot_harness.program import ProgramRun, run_program  # noqa: E402

GATEWAY_ARN = "arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12A3456B"
VOLUME_ARN = f"{GATEWAY_ARN}/volume/vol-1122AABB"
QUICKSTART = REPO_ROOT / "examples" / "quickstart"
PROJECT = "sg-snapshot-provider"
DESCRIPTION = "Demo snapshot taken by Pulumi"
TAGS = '{"team": "storage", "purpose": "demo"}'
#: Step 3 changes one tag: Pulumi updates the snapshot in place, the ID stays.
NEW_TAGS = '{"team": "platform", "purpose": "demo"}'


class DemoFailedError(Exception):
    """Something the demo checks did not hold."""


def say(text: str = "") -> None:
    """Print one line of the account, at once (output may be piped)."""
    print(text, flush=True)


def describe(ec2: Ec2View, snapshot_id: str) -> None:
    """Show the snapshot as EC2 sees it."""
    snapshot = ec2.snapshot(snapshot_id)
    if snapshot is None:
        raise DemoFailedError(f"EC2 has no snapshot {snapshot_id} although Pulumi created it")
    tags = ", ".join(f"{k}={v}" for k, v in sorted(ec2.tags(snapshot_id).items())) or "none"
    say(f"   EC2 has it: state {snapshot['State']}, progress {snapshot.get('Progress', '?')}")
    say(f'               description "{snapshot["Description"]}"')
    say(f"               tags {tags}")


def confirm_gone(ec2: Ec2View, snapshot_id: str) -> None:
    """The snapshot must no longer exist in EC2."""
    if ec2.exists(snapshot_id):
        raise DemoFailedError(f"{snapshot_id} still exists in EC2 after the destroy")
    say(f"   EC2 no longer has {snapshot_id} (DescribeSnapshots: InvalidSnapshot.NotFound)")


# -- without the CLI: the engine harness --------------------------------------------------------


def demo_with_harness(emulator: Emulator, ec2: Ec2View) -> None:
    """examples/quickstart through the real plugin, driven like `pulumi up` (a preview in its own
    plugin, then the update) and `pulumi destroy`."""
    config = {"volumeArn": VOLUME_ARN, "description": DESCRIPTION, "tags": TAGS}
    plugin = start_plugin(emulator.url, cwd=REPO_ROOT)
    preview_plugin = start_plugin(emulator.url, cwd=REPO_ROOT)
    try:
        for process in (plugin, preview_plugin):
            process.configure({"aws:region": "us-east-1"})
        engine = Engine(plugin, StorageGatewaySnapshotProvider())

        def up(step_config: dict[str, str]) -> ProgramRun:
            run = run_program(QUICKSTART, engine, config=step_config, preview_plugin=preview_plugin)
            planned = ", ".join(step.kind.value for step in run.preview_steps)
            say(f"   preview: {planned} (Check and Diff only, in a plugin of its own)")
            return run

        say("1. pulumi up (examples/quickstart)")
        run = up(config)
        snapshot_id = run.outputs["snapshot_id"]
        say(f"   created snapshot {snapshot_id}")
        for name in ("snapshot_id", "snapshot_arn", "volume_arn"):
            say(f"   stack output {name} = {run.outputs[name]}")
        describe(ec2, snapshot_id)

        say("2. pulumi up again, nothing changed")
        emulator.clear_calls()
        again = up(config)
        kinds = ", ".join(step.kind.value for step in again.steps)
        say(f"   plan: {kinds}; AWS requests made: {len(emulator.calls())}")

        say('3. pulumi up with the tag team changed to "platform"')
        emulator.clear_calls()
        retagged = up({**config, "tags": NEW_TAGS})
        if retagged.outputs["snapshot_id"] != snapshot_id:
            raise DemoFailedError("a tag change replaced the snapshot instead of updating it")
        kinds = ", ".join(step.kind.value for step in retagged.steps)
        requests = ", ".join(call.operation for call in emulator.calls())
        say(f"   plan: {kinds}; same snapshot; AWS requests made: {requests}")
        describe(ec2, snapshot_id)

        say("4. pulumi destroy")
        for step in run.destroy():
            say(f"   deleted snapshot {step.id}")
        confirm_gone(ec2, snapshot_id)
    finally:
        plugin.cleanup()
        preview_plugin.cleanup()


# -- with the CLI -------------------------------------------------------------------------------


def demo_with_cli(ec2: Ec2View) -> None:
    """`pulumi up` / `pulumi destroy` of the quickstart, with its state in a temporary directory."""
    with tempfile.TemporaryDirectory(prefix="sgsp-demo-") as temp:
        workdir = Path(temp) / "quickstart"
        shutil.copytree(QUICKSTART, workdir)
        (workdir / "Pulumi.yaml").write_text(
            f"name: {PROJECT}\nruntime:\n  name: python\n  options:\n"
            f"    virtualenv: {REPO_ROOT / '.venv'}\n"
        )
        (Path(temp) / "state").mkdir()
        env = {
            **os.environ,
            "PULUMI_BACKEND_URL": f"file://{Path(temp) / 'state'}",
            "PULUMI_CONFIG_PASSPHRASE": "",
            "PULUMI_SKIP_UPDATE_CHECK": "true",
        }

        def pulumi(*args: str) -> str:
            done = subprocess.run(
                ["pulumi", *args], cwd=workdir, env=env, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise DemoFailedError(
                    f"pulumi {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
                )
            return done.stdout.strip()

        pulumi("stack", "init", "demo")
        pulumi("config", "set", "volumeArn", VOLUME_ARN)
        pulumi("config", "set", "description", DESCRIPTION)
        pulumi("config", "set", "tags", TAGS)
        say("1. pulumi up --yes")
        pulumi("up", "--yes")
        snapshot_id = pulumi("stack", "output", "snapshot_id")
        # The same lines as the harness's run: tests read them, with or without the CLI.
        say(f"   created snapshot {snapshot_id}")
        say(f"   pulumi stack output snapshot_id = {snapshot_id}")
        describe(ec2, snapshot_id)
        say('2. pulumi up --yes with the tag team changed to "platform"')
        pulumi("config", "set", "tags", NEW_TAGS)
        pulumi("up", "--yes")
        if pulumi("stack", "output", "snapshot_id") != snapshot_id:
            raise DemoFailedError("a tag change replaced the snapshot instead of updating it")
        describe(ec2, snapshot_id)
        say("3. pulumi destroy --yes")
        pulumi("destroy", "--yes", "--skip-preview")
        confirm_gone(ec2, snapshot_id)
        pulumi("stack", "rm", "--yes", "demo")


def main() -> int:
    """Run the demo; 0 when every check held."""
    say("sg-snapshot-provider demo: a Storage Gateway volume snapshot as a Pulumi resource")
    with Emulator(host="127.0.0.1", port=0, volumes=[VOLUME_ARN]) as emulator:
        point_this_process_at(emulator.url, {"AWS_DEFAULT_REGION": "us-east-1"})
        say(
            f"Local AWS emulator (Storage Gateway + EC2) at {emulator.url}; no AWS account is used."
        )
        say(f"Volume to snapshot: {VOLUME_ARN}")
        say()
        ec2 = Ec2View(emulator.url)
        try:
            if shutil.which("pulumi"):
                demo_with_cli(ec2)
            else:
                say("The pulumi CLI is not on PATH: running the same program with the built-in")
                say("engine harness (the real provider plugin, called as `pulumi up` calls it).")
                say()
                demo_with_harness(emulator, ec2)
        except (DemoFailedError, PluginError, CheckFailedError) as failure:
            say(f"DEMO FAILED: {failure}")
            return 1
    say()
    say("Done: the snapshot was created, seen in EC2 with its tags, and deleted again.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
