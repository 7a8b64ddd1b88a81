"""Conformance: each recording under tests/data/recordings/ (a directory a ``make acceptance
ARGS="--record DIR"`` run wrote) replayed against the emulator, call by call, in the order the
calls were made. Each call must answer as recorded: success where it succeeded, the same error
code where it failed, and every key the recorded answer had (in each first list item too).

Snapshot IDs differ from run to run: each recorded ID is mapped to the one the replay made.
A recorded ``InvalidSnapshot.NotFound`` for a snapshot the recording had made and not yet
deleted is EC2's visibility lag, and a throttled call (or a 5xx) was refused: AWS did nothing
and the caller asked again, so neither is replayed (the replay has no lag, no throttling).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sg_snapshot_harness.acceptance.recording import scrub
from sg_snapshot_provider.emulator import Emulator
from tests.conftest import REGION, REPO_ROOT

RECORDINGS = REPO_ROOT / "tests" / "data" / "recordings"
NO_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1})
_VOLUME_ARN = re.compile(
    r"arn:aws:storagegateway:[a-z0-9-]+:\d{12}:gateway/sgw-[0-9A-F]+/volume/vol-[0-9A-F]+"
)
_LAG = "InvalidSnapshot.NotFound"
#: Answers under load: AWS did nothing, and the caller retried; not replayed.
_THROTTLING = {"ThrottlingException", "RequestLimitExceeded", "Throttling", "SlowDown"}


def recordings() -> list[Path]:
    return sorted(path for path in RECORDINGS.iterdir() if path.is_dir())


def calls_of(recording: Path) -> list[dict[str, Any]]:
    lines = [
        json.loads(line)
        for path in sorted(recording.glob("*.jsonl"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    return sorted(lines, key=lambda call: call["at"])


def code_of(answer: dict[str, Any]) -> str | None:
    error = answer.get("Error") or {}
    return error.get("Code") if isinstance(error, dict) else None


def missing_keys(recorded: Any, replayed: Any, where: str) -> list[str]:
    """Keys the recorded answer has and the replayed one lacks (dicts, first list items)."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        missing = [f"{where}.{key}" for key in recorded if key not in replayed]
        for key in recorded.keys() & replayed.keys():
            missing += missing_keys(recorded[key], replayed[key], f"{where}.{key}")
        return missing
    if isinstance(recorded, list) and isinstance(replayed, list) and recorded and replayed:
        return missing_keys(recorded[0], replayed[0], f"{where}[0]")
    return []


class Replay:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.clients: dict[str, Any] = {}
        self.ids: dict[str, str] = {}
        self.made: set[str] = set()
        self.deleted: set[str] = set()

    def client(self, service: str) -> Any:
        if service not in self.clients:
            make: Any = boto3.client
            self.clients[service] = make(
                service, region_name=REGION, endpoint_url=self.emulator.url, config=NO_RETRIES
            )
        return self.clients[service]

    def mapped(self, params: dict[str, Any]) -> dict[str, Any]:
        text = json.dumps(params)
        for recorded, replayed in self.ids.items():
            text = text.replace(recorded, replayed)
        mapped: dict[str, Any] = json.loads(text)
        return mapped

    def play(self, number: int, call: dict[str, Any]) -> None:
        if code_of(call["answer"]) in _THROTTLING or call["status"] >= 500:
            return
        if code_of(call["answer"]) == _LAG and self._not_visible_yet(call["params"]):
            return
        where = f"call {number}: {call['service']} {call['operation']} {call['params']}"
        client = self.client(call["service"])
        names = {api: method for method, api in client.meta.method_to_api_mapping.items()}
        method = getattr(client, names[call["operation"]])
        try:
            answer: dict[str, Any] = scrub(method(**self.mapped(call["params"])))
        except ClientError as error:
            answer = scrub(error.response)
        recorded, replayed = code_of(call["answer"]), code_of(answer)
        assert replayed == recorded, (
            f"{where}: answered {replayed or 'success'}, recorded {recorded or 'success'}"
        )
        if recorded is None:
            assert missing_keys(call["answer"], answer, "answer") == [], where
            self._learn_ids(call["answer"], answer)
            if call["operation"] == "DeleteSnapshot":
                self.deleted.add(call["params"]["SnapshotId"])

    def _not_visible_yet(self, params: dict[str, Any]) -> bool:
        """Whether ``params`` name a snapshot the recording made and had not deleted yet."""
        text = json.dumps(params)
        return any(i in text for i in self.made - self.deleted)

    def _learn_ids(self, recorded: dict[str, Any], replayed: dict[str, Any]) -> None:
        if isinstance(recorded.get("SnapshotId"), str) and "Snapshots" not in recorded:
            self.ids[recorded["SnapshotId"]] = str(replayed["SnapshotId"])
            self.made.add(recorded["SnapshotId"])


def test_there_is_a_recording_to_replay() -> None:
    assert recordings(), f"no recording under {RECORDINGS}"


@pytest.mark.parametrize("recording", recordings(), ids=lambda path: path.name)
def test_a_recording_replays_against_the_emulator(recording: Path, emulator: Emulator) -> None:
    calls = calls_of(recording)
    for volume_arn in sorted({m for call in calls for m in _VOLUME_ARN.findall(json.dumps(call))}):
        emulator.add_volume(volume_arn)
    replay = Replay(emulator)
    for number, call in enumerate(calls, start=1):
        replay.play(number, call)


def test_a_recording_holds_no_identity_of_the_account() -> None:
    for recording in recordings():
        text = "\n".join(path.read_text() for path in recording.glob("*.jsonl"))
        accounts = set(re.findall(r'"(\d{12})"', text)) | set(re.findall(r":(\d{12}):", text))
        assert accounts <= {"123456789012"}, recording
        assert not re.search(r"(AKIA|ASIA|AIDA|AROA)(?!X{16})[A-Z0-9]{16}", text), recording


def test_scrub_takes_the_account_out() -> None:
    answer = {
        "OwnerId": "999988887777",
        "Arn": "arn:aws:iam::999988887777:user/ci",
        "UserId": "AIDAJQABLZS4A3QDU576Q",
        "Key": "AKIAIOSFODNN7EXAMPLE",
        "Size": 107374182400,
        "ResponseMetadata": {"RequestId": "x"},
    }
    assert scrub(answer) == {
        "OwnerId": "123456789012",
        "Arn": "arn:aws:iam::123456789012:user/ci",
        "UserId": "AIDAXXXXXXXXXXXXXXXX",
        "Key": "AKIAXXXXXXXXXXXXXXXX",
        "Size": 107374182400,
    }
