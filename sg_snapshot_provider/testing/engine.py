"""A fake Pulumi engine: it keeps state and drives the real plugin with the engine's call sequences.

The sequences are those of DESIGN §3:

- up, new resource: Check → Create
- up, existing: Check → Diff → nothing (same) | Update | replace (Create new → Delete old, or
  Delete old → Create new when the provider asks for delete-before-replace)
- preview: Check (→ Diff), inputs may hold unknowns; nothing is created, updated or deleted
- refresh: Read(id, old outputs, old inputs); an empty ID drops the resource from state;
  otherwise Diff(refreshed outputs, inputs) says whether the next up would change anything
- destroy: Delete(id, old outputs); the resource leaves state

State is kept per resource name, as the engine keeps it per URN: the ID, the checked inputs and
the outputs (both with the serialized provider under ``__provider``, as in a checkpoint).

Concurrency is the engine's (``pkg/resource/deploy/step_generator.go`` and
``deployment_executor.go`` in the pulumi repository): ``Check`` and ``Diff`` are made by the step
generator, one resource at a time, whatever the number of threads calling ``up`` here; the
steps (Create, Update, Delete) run in parallel, up to ``--parallel`` of them
(:meth:`Engine.deploy`; the CLI's default is 4 x CPUs). Calls for one resource are serialized,
as the engine never runs two steps of one resource at once.
"""

from __future__ import annotations

import enum
import os
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from ..inputs import PROVIDER_KEY
from .plugin import PluginProcess
from .properties import from_struct, public, to_struct

#: The type token of ``StorageGatewaySnapshot`` (a ``pulumi.dynamic.Resource`` subclass).
SNAPSHOT_TYPE = "pulumi-python:dynamic/storagegateway:Snapshot"
#: ``pulumi up``'s default ``--parallel``: 4 x GOMAXPROCS (``defaultParallel`` in the CLI).
DEFAULT_PARALLEL = 4 * (os.cpu_count() or 1)


class StepKind(enum.StrEnum):
    """What a step did (or, in a preview, would do) to a resource."""

    CREATE = "create"
    SAME = "same"
    UPDATE = "update"
    REPLACE = "replace"
    REFRESH = "refresh"
    DELETE = "delete"
    DROP = "drop"


@dataclass(frozen=True)
class CheckFailure:
    """One input the provider rejected, and why."""

    property: str
    reason: str


class CheckFailedError(Exception):
    """``Check`` returned failures; the step stopped before any other call."""

    def __init__(self, name: str, failures: tuple[CheckFailure, ...]) -> None:
        self.name = name
        self.failures = failures
        listed = "; ".join(f"{f.property}: {f.reason}" for f in failures)
        super().__init__(f"check failed for {name}: {listed}")

    @property
    def properties(self) -> list[str]:
        """The names of the rejected properties, in the provider's order."""
        return [failure.property for failure in self.failures]


@dataclass(frozen=True)
class CheckOutcome:
    """The answer to ``Check``: normalised inputs (with ``__provider``) and failures."""

    inputs: dict[str, Any]
    failures: tuple[CheckFailure, ...]


@dataclass(frozen=True)
class DiffOutcome:
    """The answer to ``Diff``. ``changes`` is None when the provider could not tell."""

    changes: bool | None
    replaces: tuple[str, ...] = ()
    delete_before_replace: bool = False
    diffs: tuple[str, ...] = ()

    @property
    def needs_replace(self) -> bool:
        """Whether the change needs a new resource."""
        return bool(self.replaces)


@dataclass(frozen=True)
class ResourceState:
    """What the engine's state holds for one resource."""

    name: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass(frozen=True)
class StepResult:
    """What one engine operation did. ``outputs`` and ``inputs`` omit ``__provider``; ``id`` is
    empty when there is none (a planned create)."""

    name: str
    kind: StepKind
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    diff: DiffOutcome | None = None
    replaced_id: str = ""
    old_outputs: dict[str, Any] = field(default_factory=dict)
    preview: bool = False


@dataclass(frozen=True)
class Deployment:
    """What :meth:`Engine.deploy` did: each resource's step, and how long each one's ``Check``
    took to answer (the step generator waits for it before it looks at the next resource)."""

    steps: dict[str, StepResult]
    check_seconds: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class _Planned:
    """A resource after the step generator's Check (and Diff): what its step will be."""

    name: str
    old: ResourceState | None
    checked: dict[str, Any]
    diff: DiffOutcome | None = None


class Engine:
    """Drives one plugin as the Pulumi engine would, keeping per-resource state.

    ``provider`` is a ``ResourceProvider`` (serialized here, as ``pulumi.dynamic.Resource`` does
    in a program) or an already serialized provider string (e.g. one read from old state).
    """

    def __init__(
        self,
        plugin: PluginProcess,
        provider: ResourceProvider | str,
        *,
        type_token: str = SNAPSHOT_TYPE,
        project: str = "sg-snapshot-provider",
        stack: str = "test",
    ) -> None:
        self.plugin = plugin
        self.serialized_provider = (
            provider if isinstance(provider, str) else serialize_provider(provider)
        )
        self.type_token = type_token
        self.project = project
        self.stack = stack
        self._states: dict[str, ResourceState] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: The step generator: Check and Diff of every resource, one at a time.
        self._step_generator = threading.Lock()

    # -- state ----------------------------------------------------------------------------------

    def urn(self, name: str) -> str:
        """The URN the engine would give a top-level resource called ``name``."""
        return f"urn:pulumi:{self.stack}::{self.project}::{self.type_token}::{name}"

    def state(self, name: str) -> ResourceState | None:
        """The state held for ``name``, or None when it is not in state."""
        with self._guard:
            return self._states.get(name)

    def require_state(self, name: str) -> ResourceState:
        """The state held for ``name``; KeyError when there is none."""
        state = self.state(name)
        if state is None:
            raise KeyError(f"{name} is not in the state")
        return state

    def names(self) -> list[str]:
        """The resources in state, in the order they entered it."""
        with self._guard:
            return list(self._states)

    def adopt(self, state: ResourceState) -> None:
        """Put a resource into state as if an earlier deployment had left it there."""
        self._store(state)

    def forget(self, name: str) -> None:
        """Drop a resource from state without calling the provider."""
        with self._guard:
            self._states.pop(name, None)

    # -- operations -------------------------------------------------------------------------------

    def configure(self, config: Mapping[str, str]) -> None:
        """Send the namespaced stack config (``{"aws:region": "us-east-1"}``) to the plugin."""
        self.plugin.configure(config)

    def check(self, name: str, inputs: Mapping[str, Any]) -> CheckOutcome:
        """Call ``Check`` against the inputs in state (if any); never raises on failures."""
        state = self.state(name)
        olds = state.inputs if state is not None else {}
        with self._step_generator:
            return self._check(name, olds, self._with_provider(inputs))

    def up(self, name: str, inputs: Mapping[str, Any]) -> StepResult:
        """Create, update, replace or leave ``name`` as the inputs require."""
        with self._resource_lock(name):
            return self._apply(self._plan(name, inputs))

    def deploy(
        self, resources: Mapping[str, Mapping[str, Any]], *, parallel: int = DEFAULT_PARALLEL
    ) -> Deployment:
        """``pulumi up`` of several resources, registered in this order: the step generator
        checks (and diffs) them one at a time on this thread, and hands each step to a pool of
        ``parallel`` workers; the deployment ends when every step has."""
        started = time.monotonic()
        check_seconds: dict[str, float] = {}
        futures: dict[str, Future[StepResult]] = {}
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="step") as workers:
            for name, inputs in resources.items():
                asked = time.monotonic()
                planned = self._plan(name, inputs)
                check_seconds[name] = time.monotonic() - asked
                futures[name] = workers.submit(self._apply_locked, planned)
            steps = {name: future.result() for name, future in futures.items()}
        return Deployment(steps, check_seconds, time.monotonic() - started)

    def _plan(self, name: str, inputs: Mapping[str, Any]) -> _Planned:
        with self._step_generator:
            old = self.state(name)
            checked = self._check_or_raise(name, old, inputs)
            diff = None if old is None else self._diff(old, checked)
        return _Planned(name, old, checked, diff)

    def _apply_locked(self, planned: _Planned) -> StepResult:
        with self._resource_lock(planned.name):
            return self._apply(planned)

    def _apply(self, planned: _Planned) -> StepResult:
        old, checked, diff = planned.old, planned.checked, planned.diff
        if old is None or diff is None:
            return self._create(planned.name, checked)
        if not self._has_changes(diff, old, checked):
            self._store(replace(old, inputs=checked))
            return self._result(old, StepKind.SAME, diff=diff)
        if diff.needs_replace:
            return self._replace(old, checked, diff)
        return self._update(old, checked, diff)

    def preview(self, name: str, inputs: Mapping[str, Any]) -> StepResult:
        """Say what ``up`` would do, calling only ``Check`` and ``Diff``."""
        with self._resource_lock(name):
            planned = self._plan(name, inputs)
            old, checked, diff = planned.old, planned.checked, planned.diff
            if old is None or diff is None:
                return StepResult(name, StepKind.CREATE, inputs=public(checked), preview=True)
            if not self._has_changes(diff, old, checked):
                kind = StepKind.SAME
            else:
                kind = StepKind.REPLACE if diff.needs_replace else StepKind.UPDATE
            return StepResult(
                name,
                kind,
                id=old.id,
                inputs=public(checked),
                outputs=public(old.outputs),
                diff=diff,
                preview=True,
            )

    def refresh(self, name: str) -> StepResult:
        """Read ``name`` back from the provider; an empty ID drops it from state. The result's
        ``diff`` compares the refreshed outputs with the inputs (drift: the next up acts)."""
        with self._resource_lock(name):
            old = self.require_state(name)
            response = self.plugin.read(
                provider_pb2.ReadRequest(
                    id=old.id,
                    urn=self.urn(name),
                    name=name,
                    type=self.type_token,
                    properties=to_struct(old.outputs),
                    inputs=to_struct(old.inputs),
                )
            )
            if not response.id:
                self.forget(name)
                return StepResult(name, StepKind.DROP, id=old.id, old_outputs=public(old.outputs))
            new_inputs = from_struct(response.inputs) if response.HasField("inputs") else {}
            new = replace(
                old,
                id=response.id,
                outputs=from_struct(response.properties),
                inputs=new_inputs or old.inputs,
            )
            self._store(new)
            # As the engine does after a refresh: would the next up change anything?
            drift = self._diff(new, new.inputs)
            return self._result(new, StepKind.REFRESH, diff=drift, old_outputs=public(old.outputs))

    def destroy(self, name: str) -> StepResult:
        """Delete ``name`` with the outputs in state, then drop it from state."""
        with self._resource_lock(name):
            old = self.require_state(name)
            self._delete(old)
            self.forget(name)
            return StepResult(name, StepKind.DELETE, id=old.id, old_outputs=public(old.outputs))

    # -- steps ------------------------------------------------------------------------------------

    def _create(self, name: str, checked: dict[str, Any]) -> StepResult:
        response = self.plugin.create(
            provider_pb2.CreateRequest(
                urn=self.urn(name),
                name=name,
                type=self.type_token,
                properties=to_struct(checked),
            )
        )
        state = ResourceState(
            name=name,
            type=self.type_token,
            id=response.id,
            inputs=checked,
            outputs=from_struct(response.properties),
        )
        self._store(state)
        return self._result(state, StepKind.CREATE)

    def _update(self, old: ResourceState, checked: dict[str, Any], diff: DiffOutcome) -> StepResult:
        response = self.plugin.update(
            provider_pb2.UpdateRequest(
                id=old.id,
                urn=self.urn(old.name),
                name=old.name,
                type=self.type_token,
                olds=to_struct(old.outputs),
                news=to_struct(checked),
                old_inputs=to_struct(old.inputs),
            )
        )
        new = replace(old, inputs=checked, outputs=from_struct(response.properties))
        self._store(new)
        return self._result(new, StepKind.UPDATE, diff=diff, old_outputs=public(old.outputs))

    def _replace(
        self, old: ResourceState, checked: dict[str, Any], diff: DiffOutcome
    ) -> StepResult:
        if diff.delete_before_replace:
            self._delete(old)
            self.forget(old.name)
            created = self._create(old.name, checked)
        else:
            created = self._create(old.name, checked)
            self._delete(old)
        return replace(
            created,
            kind=StepKind.REPLACE,
            diff=diff,
            replaced_id=old.id,
            old_outputs=public(old.outputs),
        )

    def _delete(self, old: ResourceState) -> None:
        self.plugin.delete(
            provider_pb2.DeleteRequest(
                id=old.id,
                urn=self.urn(old.name),
                name=old.name,
                type=self.type_token,
                properties=to_struct(old.outputs),
                old_inputs=to_struct(old.inputs),
            )
        )

    # -- calls ---------------------------------------------------------------------------------

    def _check_or_raise(
        self, name: str, old: ResourceState | None, inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        olds = old.inputs if old is not None else {}
        outcome = self._check(name, olds, self._with_provider(inputs))
        if outcome.failures:
            raise CheckFailedError(name, outcome.failures)
        return outcome.inputs

    def _check(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> CheckOutcome:
        response = self.plugin.check(
            provider_pb2.CheckRequest(
                urn=self.urn(name),
                name=name,
                type=self.type_token,
                olds=to_struct(olds),
                news=to_struct(news),
            )
        )
        failures = tuple(CheckFailure(f.property, f.reason) for f in response.failures)
        return CheckOutcome(from_struct(response.inputs), failures)

    def _diff(self, old: ResourceState, checked: dict[str, Any]) -> DiffOutcome:
        response = self.plugin.diff(
            provider_pb2.DiffRequest(
                id=old.id,
                urn=self.urn(old.name),
                name=old.name,
                type=self.type_token,
                olds=to_struct(old.outputs),
                news=to_struct(checked),
                old_inputs=to_struct(old.inputs),
            )
        )
        changes = {
            provider_pb2.DiffResponse.DIFF_SOME: True,
            provider_pb2.DiffResponse.DIFF_NONE: False,
        }.get(response.changes)
        return DiffOutcome(
            changes=changes,
            replaces=tuple(response.replaces),
            delete_before_replace=response.deleteBeforeReplace,
            diffs=tuple(response.diffs),
        )

    @staticmethod
    def _has_changes(diff: DiffOutcome, old: ResourceState, checked: dict[str, Any]) -> bool:
        """The provider's verdict; when it cannot tell, the engine compares old and new inputs."""
        if diff.changes is not None:
            return diff.changes
        return public(old.inputs) != public(checked)

    # -- helpers -------------------------------------------------------------------------------

    def _with_provider(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if PROVIDER_KEY in inputs:
            return dict(inputs)
        return {**inputs, PROVIDER_KEY: self.serialized_provider}

    def _store(self, state: ResourceState) -> None:
        with self._guard:
            self._states[state.name] = state

    @contextmanager
    def _resource_lock(self, name: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            yield

    @staticmethod
    def _result(state: ResourceState, kind: StepKind, **extra: Any) -> StepResult:
        return StepResult(
            state.name,
            kind,
            id=state.id,
            outputs=public(state.outputs),
            inputs=public(state.inputs),
            **extra,
        )
