"""What ``scripts/bench.py`` compares the provider with: dynamic providers driven through the
same plugin (``python -m pulumi.dynamic``) as the real one, or called in the bench's process.

- :class:`NoopProvider` does nothing (with boto3 imported): what the plugin protocol itself costs
  (gRPC, protobuf (de)serialization of the property bags, dill).
- :class:`RawBoto3Provider` makes exactly the AWS calls our provider makes, with raw boto3 and no
  validation, error translation or retries of its own: the floor for *any* boto3-based dynamic
  provider, in the same process environment as ours.
- :class:`AwsCliProvider` makes the same AWS calls through the ``aws`` CLI, a process per call
  (as a ``pulumi-command`` resource runs them).

They live in their own module (put on the plugin's PYTHONPATH) so that dill pickles them by
reference, as it does the real provider.
"""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from typing import Any

import boto3
from pulumi.dynamic import (
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from sg_snapshot_provider.inputs import PROVIDER_KEY

#: Importing boto3 is part of the floor: any AWS provider pays it before its first call.
BOTO3_VERSION = boto3.__version__


class NoopProvider(ResourceProvider):
    """Answers every call at once, echoing its inputs; makes no AWS call."""

    serialize_as_secret_always = False

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = any(olds.get(key) != value for key, value in news.items() if key != PROVIDER_KEY)
        return DiffResult(changes=changed, replaces=[])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"noop-{uuid.uuid4().hex[:17]}", _public(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, _public(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_public(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


def _public(props: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in props.items() if key != PROVIDER_KEY}


_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _client(service: str) -> Any:
    """One default client per service (region and endpoint from the environment)."""
    with _clients_lock:
        if service not in _clients:
            _clients[service] = boto3.session.Session().client(service)  # type: ignore[call-overload]
        return _clients[service]


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _tag_changes(olds: dict[str, Any], news: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The tag keys an update removes, and the tags it adds or changes."""
    old_tags: dict[str, str] = olds.get("tags") or {}
    new_tags: dict[str, str] = news.get("tags") or {}
    changed = {key: value for key, value in new_tags.items() if old_tags.get(key) != value}
    return [key for key in old_tags if key not in new_tags], changed


class RawBoto3Provider(NoopProvider):
    """The provider's AWS calls and nothing else: CreateSnapshot, DescribeSnapshots,
    DeleteTags + CreateTags, DeleteSnapshot."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        answer = _client("storagegateway").create_snapshot(
            VolumeARN=props["volume_arn"],
            SnapshotDescription=props["description"],
            Tags=_tag_list(props.get("tags") or {}),
        )
        snapshot_id = str(answer["SnapshotId"]).lower()
        return CreateResult(snapshot_id, {**_public(props), "snapshot_id": snapshot_id})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        answer = _client("ec2").describe_snapshots(SnapshotIds=[id_])
        tags = {tag["Key"]: tag["Value"] for tag in answer["Snapshots"][0].get("Tags", [])}
        return ReadResult(id_, {**_public(props), "tags": tags})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        removed, changed = _tag_changes(olds, news)
        ec2 = _client("ec2")
        if removed:
            ec2.delete_tags(Resources=[id_], Tags=[{"Key": key} for key in removed])
        if changed:
            ec2.create_tags(Resources=[id_], Tags=_tag_list(changed))
        return UpdateResult({**_public(news), "snapshot_id": id_})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        _client("ec2").delete_snapshot(SnapshotId=id_)


class AwsCliProvider(NoopProvider):
    """RawBoto3Provider's AWS calls through the ``aws`` CLI at ``aws``, a process per call."""

    def __init__(self, aws: str) -> None:
        self.aws = aws

    def _run(self, *arguments: str) -> Any:
        command = [self.aws, *arguments, "--output", "json"]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"aws {' '.join(arguments)} failed: {done.stderr.strip()}")
        return json.loads(done.stdout or "{}")

    def create(self, props: dict[str, Any]) -> CreateResult:
        answer = self._run(
            *("storagegateway", "create-snapshot", "--volume-arn", props["volume_arn"]),
            *("--snapshot-description", props["description"], "--tags"),
            *(f"Key={key},Value={value}" for key, value in (props.get("tags") or {}).items()),
        )
        snapshot_id = str(answer["SnapshotId"]).lower()
        return CreateResult(snapshot_id, {**_public(props), "snapshot_id": snapshot_id})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        answer = self._run("ec2", "describe-snapshots", "--snapshot-ids", id_)
        tags = {tag["Key"]: tag["Value"] for tag in answer["Snapshots"][0].get("Tags", [])}
        return ReadResult(id_, {**_public(props), "tags": tags})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        removed, changed = _tag_changes(olds, news)
        if removed:
            keys = [f"Key={key}" for key in removed]
            self._run("ec2", "delete-tags", "--resources", id_, "--tags", *keys)
        if changed:
            tags = [f"Key={key},Value={value}" for key, value in changed.items()]
            self._run("ec2", "create-tags", "--resources", id_, "--tags", *tags)
        return UpdateResult({**_public(news), "snapshot_id": id_})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        self._run("ec2", "delete-snapshot", "--snapshot-id", id_)
