"""A tiny dynamic provider for testing the engine harness itself, without AWS or the emulator.

Each resource is a JSON file in a directory named by the stack config key ``toy:directory``, so a
test can see from outside the plugin what was created and deleted, and delete a file to simulate a
resource that disappeared out of band. It lives in the installed package so that dill pickles it
by reference, as it does the real provider.

Inputs: ``name`` (a change replaces), ``value`` (a change updates in place; ``"bad"`` fails
``check``; ``"explode"`` makes ``create`` raise), ``delete_before_replace`` (a bool), ``nonce``
(``"auto"``: ``check`` keeps the old inputs' nonce, or makes a new one when there are none, as
providers default a random name), ``wait_for`` (a path: ``create`` writes ``PATH.started``, then
waits up to a minute for ``PATH`` to exist).
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from pulumi import Input, Output, ResourceOptions
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

#: The stack config key that names the directory holding the toy resources.
DIRECTORY_KEY = "toy:directory"
#: Inputs whose change needs a new resource.
REPLACE_KEYS = ("name",)
#: Inputs that can change in place.
UPDATE_KEYS = ("value", "delete_before_replace")
#: Keys the plugin adds or the provider computes; never part of a diff.
OUTPUT_ONLY_KEYS = ("__provider", "version", "toy_id")


class ToyProvider(ResourceProvider):
    """Stores resources as JSON files; holds only a directory name (plain data)."""

    directory: str | None = None

    def configure(self, req: ConfigureRequest) -> None:
        """Remember where resources live (the ``toy:directory`` stack config value)."""
        self.directory = req.config.get(DIRECTORY_KEY)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Reject ``value == "bad"``; every other input passes (unknowns included). A nonce
        ``"auto"`` becomes the old one, or a new one when there are no old inputs."""
        failures = []
        if news.get("value") == "bad":
            failures.append(CheckFailure("value", "value must not be 'bad'"))
        if news.get("nonce") == "auto":
            news = {**news, "nonce": olds.get("nonce") or uuid.uuid4().hex[:8]}
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Replace on ``name``; update in place on the other inputs."""
        changed = [key for key in (*REPLACE_KEYS, *UPDATE_KEYS) if _differs(olds, news, key)]
        replaces = [key for key in changed if key in REPLACE_KEYS]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            delete_before_replace=bool(news.get("delete_before_replace")),
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Write a new file; ``value == "explode"`` fails on purpose."""
        if props.get("value") == "explode":
            raise RuntimeError("toy create failed on purpose")
        if props.get("wait_for"):
            _wait_for(Path(props["wait_for"]))
        toy_id = f"toy-{uuid.uuid4().hex[:12]}"
        outs = self._save(toy_id, props, version=1)
        print(f"toy: created {toy_id}", file=sys.stderr)
        return CreateResult(toy_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Return the file's content, or no ID when the file is gone."""
        path = self._path(id_)
        if not path.exists():
            return ReadResult(None, {})
        return ReadResult(id_, json.loads(path.read_text()))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Rewrite the file with the new inputs and a bumped version."""
        return UpdateResult(self._save(id_, news, version=int(olds.get("version", 0)) + 1))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        """Remove the file; already gone is fine."""
        self._path(id_).unlink(missing_ok=True)
        print(f"toy: deleted {id_}", file=sys.stderr)

    def _save(self, toy_id: str, inputs: dict[str, Any], *, version: int) -> dict[str, Any]:
        outs = {k: v for k, v in inputs.items() if k != "__provider"}
        outs.update(toy_id=toy_id, version=version)
        self._path(toy_id).write_text(json.dumps(outs))
        return outs

    def _path(self, toy_id: str) -> Path:
        if not self.directory:
            raise RuntimeError(f"the stack config key {DIRECTORY_KEY} is not set")
        return Path(self.directory) / f"{toy_id}.json"


def _wait_for(path: Path) -> None:
    """Say the create started, then wait (bounded) for the test to let it go on."""
    Path(f"{path}.started").touch()
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def _differs(olds: dict[str, Any], news: dict[str, Any], key: str) -> bool:
    new = news.get(key)
    return isinstance(new, Unknown) or olds.get(key) != new


class ToyResource(Resource, module="toy", name="Thing"):
    """A toy resource for programs that test the program runner."""

    value: Output[str]
    toy_id: Output[str]
    version: Output[float]

    def __init__(
        self,
        resource_name: str,
        name: Input[str],
        value: Input[str],
        opts: ResourceOptions | None = None,
    ) -> None:
        props = {"name": name, "value": value, "toy_id": None, "version": None}
        super().__init__(ToyProvider(), resource_name, props, opts)
