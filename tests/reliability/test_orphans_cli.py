"""`python -m sg_snapshot_provider orphans` fails in one sentence with its documented exit code:
2 for what is not an export, 3 when the export cannot show what it holds, 1 for AWS failures.
Never a traceback, and nothing deleted."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sg_snapshot_harness.plugin import plugin_environment
from sg_snapshot_provider.emulator import Emulator
from sg_snapshot_provider.settings import TIMINGS_ENV
from sg_snapshot_provider.type_tokens import SERIES_TYPE, SNAPSHOT_TYPE
from tests.conftest import REPO_ROOT, VOLUME_ARN

SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "x"}
FAST = json.dumps({"backoff_initial_seconds": 0.01, "backoff_max_seconds": 0.02})


def export(*resources: dict[str, Any]) -> dict[str, Any]:
    stack = {"urn": "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", "type": "x"}
    return {"version": 3, "deployment": {"resources": [stack, *resources]}}


def snapshot(**fields: Any) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:dev::proj::{SNAPSHOT_TYPE}::snap",
        "type": SNAPSHOT_TYPE,
        "id": "snap-0123456789abcdef0",
        "inputs": {"volume_arn": VOLUME_ARN},
        **fields,
    }


def run(
    content: Any, tmp_path: Path, env: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "state.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return subprocess.run(
        [sys.executable, "-m", "sg_snapshot_provider", "orphans", "--state", str(path), *extra],
        env={**env, TIMINGS_ENV: FAST},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_sentence(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("orphans: ")
    return lines[0]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        [],
        {"deployment": []},
        {"deployment": {"resources": ["urn:pulumi:dev::proj::x::y"]}},
        {"deployment": {"resources": {}}},
        export({"urn": "urn:pulumi:dev::proj::x::y", "type": "x"}),  # no region anywhere
    ],
    ids=["not-json", "list", "deployment-list", "resource-string", "resources-object", "no-region"],
)
def test_what_is_not_a_usable_export_exits_2(
    content: Any, tmp_path: Path, emulator: Emulator
) -> None:
    done = run(content, tmp_path, plugin_environment(emulator.url))
    assert done.returncode == 2
    one_sentence(done)
    assert emulator.calls() == []


@pytest.mark.parametrize(
    "resource",
    [
        snapshot(outputs=["snap-0123456789abcdef0"]),
        {**snapshot(), "type": SERIES_TYPE, "outputs": {"snapshot_ids": SECRET}},
    ],
    ids=["outputs-a-list", "secret-snapshot-ids"],
)
def test_an_export_that_hides_what_it_holds_exits_3(
    resource: dict[str, Any], tmp_path: Path, emulator: Emulator
) -> None:
    done = run(export(resource), tmp_path, plugin_environment(emulator.url), "--delete")
    assert done.returncode == 3
    assert "nothing deleted" in one_sentence(done)
    assert emulator.calls() == []


def test_a_malformed_region_exits_2(tmp_path: Path, emulator: Emulator) -> None:
    done = run(export(snapshot()), tmp_path, plugin_environment(emulator.url), "--region", "moon")
    assert done.returncode == 2
    assert "--region moon" in one_sentence(done)


def test_access_denied_exits_1(tmp_path: Path, emulator: Emulator) -> None:
    emulator.inject_fault("DescribeSnapshots", "UnauthorizedOperation", status=403, times=None)
    done = run(export(snapshot()), tmp_path, plugin_environment(emulator.url), "--delete")
    assert done.returncode == 1
    assert "UnauthorizedOperation" in one_sentence(done)


def test_no_credentials_exits_1(tmp_path: Path, emulator: Emulator) -> None:
    env = plugin_environment(emulator.url)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    env.update(AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    done = run(export(snapshot()), tmp_path, env)
    assert done.returncode == 1
    assert "credentials" in one_sentence(done)


def test_an_unreachable_endpoint_exits_1(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    done = run(export(snapshot()), tmp_path, plugin_environment(url))
    assert done.returncode == 1
    assert "an AWS call failed" in one_sentence(done)
