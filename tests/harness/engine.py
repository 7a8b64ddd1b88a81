"""A fake Pulumi engine: it keeps state and drives the real plugin with the engine's call sequences.

The sequences are those of DESIGN §3:

- up, new resource: Check → Create
- up, existing: Check → Diff → nothing (same) | Update | replace. Replace is create-before-delete:
  Create new, and the old resource stays in state marked for deletion until the end of the
  deployment, when it is deleted; a failed delete leaves it there, to be retried at the end of
  the next up (its ID is never lost). With delete-before-replace (the provider's Diff or the
  resource option) the old one is deleted first.
- preview: Check (→ Diff) only, in its own plugin process for a whole program (``pulumi up``
  previews first); inputs may hold unknowns; nothing is created, updated or deleted
- refresh: Read(id, old outputs, old inputs); an empty ID drops the resource from state; the
  outputs are replaced wholesale, the stored inputs only when Read returns inputs; then
  Diff(refreshed state, old inputs) says whether the resource drifted
- destroy: Delete(id, old outputs); the resource leaves state

Resource options are applied where the engine applies them (``step_generator.go``, ``step.go``):
``ignore_changes`` copies the old inputs into the new ones *before* Check; ``retain_on_delete``
makes a delete a no-op; ``protect`` refuses a delete or a replace before any call;
``delete_before_replace`` overrides the provider's answer; ``replace_on_changes`` works only
where the engine itself computes the changed keys (a Diff answering "unknown"): the
dynamic-provider plugin sends no detailed diff. ``custom_timeouts`` are recorded and reach no
dynamic provider (the plugin never reads them).

State is kept per resource name, as the engine keeps it per URN: the ID, the checked inputs and
the outputs (both with the serialized provider under ``__provider``, as in a checkpoint), its
options, and the "creating" operations that never finished (``pending_operations``).

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

from sg_snapshot_provider.inputs import PROVIDER_KEY

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


class ProtectedError(Exception):
    """The resource is protected: the engine refuses to delete or replace it."""


@dataclass(frozen=True)
class Options:
    """Resource options (``pulumi.ResourceOptions``) the engine acts on."""

    ignore_changes: tuple[str, ...] = ()
    retain_on_delete: bool = False
    protect: bool = False
    #: None: as the provider's Diff says.
    delete_before_replace: bool | None = None
    replace_on_changes: tuple[str, ...] = ()
    #: ``{"create": "5m", "update": …, "delete": …}``: sent as the requests' ``timeout``, as
    #: the engine sends them; the dynamic-provider plugin never reads it.
    custom_timeouts: Mapping[str, str] | None = None

    def timeout(self, operation: str) -> float:
        """The request's ``timeout`` field in seconds (0: none)."""
        text = (self.custom_timeouts or {}).get(operation, "")
        units = {"s": 1, "m": 60, "h": 3600}
        return float(text[:-1]) * units[text[-1]] if text else 0.0


@dataclass(frozen=True)
class ResourceState:
    """What the engine's state holds for one resource."""

    name: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    options: Options = Options()


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
    options: Options
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
        preview_plugin: PluginProcess | None = None,
    ) -> None:
        self.plugin = plugin
        #: Where ``run_program`` previews a program before each up (``pulumi up`` previews in a
        #: plugin process of its own); None: no preview.
        self.preview_plugin = preview_plugin
        self.serialized_provider = (
            provider if isinstance(provider, str) else serialize_provider(provider)
        )
        self.type_token = type_token
        self.project = project
        self.stack = stack
        self._states: dict[str, ResourceState] = {}
        self._types: dict[str, str] = {}
        #: Replaced resources waiting for the end of the deployment (``delete: true``).
        self._pending_deletes: list[ResourceState] = []
        #: Creates sent and never answered (``pending_operations`` of type "creating").
        self._pending_creates: dict[str, dict[str, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: The step generator: Check and Diff of every resource, one at a time.
        self._step_generator = threading.Lock()

    # -- state ----------------------------------------------------------------------------------

    def urn(self, name: str) -> str:
        """The URN the engine would give a top-level resource called ``name``."""
        return self._urn(name, self.type_of(name))

    def _urn(self, name: str, type_token: str) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{type_token}::{name}"

    def type_of(self, name: str) -> str:
        """The type token of ``name``: as registered (a program may declare several dynamic
        resource types), else the engine's default."""
        with self._guard:
            return self._types.get(name, self.type_token)

    def register_type(self, name: str, type_token: str) -> None:
        """Record the type token a program registered ``name`` with."""
        with self._guard:
            self._types[name] = type_token

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

    def pending_deletes(self) -> list[ResourceState]:
        """Replaced resources still in state, marked for deletion."""
        with self._guard:
            return list(self._pending_deletes)

    def pending_creates(self) -> dict[str, dict[str, Any]]:
        """Resource name → inputs of each Create that was sent and never answered."""
        with self._guard:
            return dict(self._pending_creates)

    def for_preview(self, plugin: PluginProcess) -> Engine:
        """An engine over a copy of this state in another plugin process, as ``pulumi up``
        previews in its own: use it for :meth:`preview` only."""
        twin = Engine(
            plugin,
            self.serialized_provider,
            type_token=self.type_token,
            project=self.project,
            stack=self.stack,
        )
        with self._guard:
            twin._states = dict(self._states)
            twin._types = dict(self._types)
        return twin

    def export(self) -> dict[str, Any]:
        """The state in the shape of ``pulumi stack export`` (version 3): the stack resource,
        each resource (replaced ones with ``delete: true``) and the pending creates."""
        stack_urn = (
            f"urn:pulumi:{self.stack}::{self.project}::pulumi:pulumi:Stack::"
            f"{self.project}-{self.stack}"
        )

        def entry(state: ResourceState, *, delete: bool = False) -> dict[str, Any]:
            resource = {
                "urn": self._urn(state.name, state.type),
                "custom": True,
                "id": state.id,
                "type": state.type,
                "inputs": public(state.inputs),
                "outputs": public(state.outputs),
                "parent": stack_urn,
                "protect": state.options.protect,
                "retainOnDelete": state.options.retain_on_delete,
            }
            return {**resource, "delete": True} if delete else resource

        with self._guard:
            resources = [entry(state) for state in self._states.values()]
            resources += [entry(state, delete=True) for state in self._pending_deletes]
            creating = [
                {
                    "resource": {
                        "urn": self._urn(name, self._types.get(name, self.type_token)),
                        "custom": True,
                        "type": self._types.get(name, self.type_token),
                        "inputs": public(inputs),
                        "parent": stack_urn,
                    },
                    "type": "creating",
                }
                for name, inputs in self._pending_creates.items()
            ]
        stack = {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack"}
        return {
            "version": 3,
            "deployment": {
                "manifest": {"version": "harness"},
                "resources": [stack, *resources],
                "pending_operations": creating,
            },
        }

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

    def up(
        self, name: str, inputs: Mapping[str, Any], options: Options | None = None
    ) -> StepResult:
        """Create, update, replace or leave ``name`` as the inputs require: a deployment of
        this one resource (the old resource of a replace is deleted at its end)."""
        with self._resource_lock(name):
            step = self._apply(self._plan(name, inputs, options or Options()))
        self._delete_replaced()
        return step

    def deploy(
        self,
        resources: Mapping[str, Mapping[str, Any]],
        *,
        parallel: int = DEFAULT_PARALLEL,
        options: Mapping[str, Options] | None = None,
    ) -> Deployment:
        """``pulumi up`` of a whole program whose resources are registered in this order: the
        step generator checks (and diffs) them one at a time on this thread, and hands each
        step to a pool of ``parallel`` workers. Once every step has ended, replaced resources
        are deleted, then the resources in state the program no longer declares (newest
        first)."""
        started = time.monotonic()
        check_seconds: dict[str, float] = {}
        futures: dict[str, Future[StepResult]] = {}
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="step") as workers:
            for name, inputs in resources.items():
                asked = time.monotonic()
                planned = self._plan(name, inputs, (options or {}).get(name, Options()))
                check_seconds[name] = time.monotonic() - asked
                futures[name] = workers.submit(self._apply_locked, planned)
            steps = {name: future.result() for name, future in futures.items()}
        self._delete_replaced()
        for name in reversed(self.names()):
            if name not in resources:
                steps[name] = self.destroy(name)
        return Deployment(steps, check_seconds, time.monotonic() - started)

    def _plan(self, name: str, inputs: Mapping[str, Any], options: Options) -> _Planned:
        with self._step_generator:
            old = self.state(name)
            if old is not None:
                inputs = _ignore_changes(inputs, old.inputs, options.ignore_changes)
            checked = self._check_or_raise(name, old, inputs)
            diff = None if old is None else self._diff(old, checked)
            if diff is not None and old is not None:
                diff = _replace_on_changes(diff, old, checked, options.replace_on_changes)
        return _Planned(name, old, checked, options, diff)

    def _apply_locked(self, planned: _Planned) -> StepResult:
        with self._resource_lock(planned.name):
            return self._apply(planned)

    def _apply(self, planned: _Planned) -> StepResult:
        old, checked, diff = planned.old, planned.checked, planned.diff
        if old is None or diff is None:
            return self._create(planned.name, checked, planned.options)
        if not self._has_changes(diff, old, checked):
            self._store(replace(old, inputs=checked, options=planned.options))
            return self._result(old, StepKind.SAME, diff=diff)
        if diff.needs_replace:
            return self._replace(old, checked, diff, planned.options)
        return self._update(old, checked, diff, planned.options)

    def _delete_replaced(self) -> None:
        """The end of a deployment: delete what replacements left behind. A failed delete
        leaves the resource marked for deletion, for the next deployment to retry."""
        for old in self.pending_deletes():
            self._delete(old)
            with self._guard:
                self._pending_deletes.remove(old)

    def preview(
        self, name: str, inputs: Mapping[str, Any], options: Options | None = None
    ) -> StepResult:
        """Say what ``up`` would do, calling only ``Check`` and ``Diff``."""
        with self._resource_lock(name):
            planned = self._plan(name, inputs, options or Options())
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
        ``diff`` compares the refreshed state with the inputs held before (drift)."""
        with self._resource_lock(name):
            old = self.require_state(name)
            response = self.plugin.read(
                provider_pb2.ReadRequest(
                    id=old.id,
                    urn=self.urn(name),
                    name=name,
                    type=self.type_of(name),
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
            # As the engine shows drift: the refreshed state against the inputs held before.
            drift = self._diff(new, old.inputs)
            return self._result(new, StepKind.REFRESH, diff=drift, old_outputs=public(old.outputs))

    def destroy(self, name: str) -> StepResult:
        """Delete ``name`` with the outputs in state, then drop it from state."""
        with self._resource_lock(name):
            old = self.require_state(name)
            if old.options.protect:
                raise ProtectedError(f"{name} is protected: it cannot be deleted")
            self._delete(old)
            self.forget(name)
            return StepResult(name, StepKind.DELETE, id=old.id, old_outputs=public(old.outputs))

    # -- steps ------------------------------------------------------------------------------------

    def _create(self, name: str, checked: dict[str, Any], options: Options) -> StepResult:
        with self._guard:  # the checkpoint records the operation before it is sent
            self._pending_creates[name] = checked
        response = self.plugin.create(
            provider_pb2.CreateRequest(
                urn=self.urn(name),
                name=name,
                type=self.type_of(name),
                properties=to_struct(checked),
                timeout=options.timeout("create"),
            )
        )
        state = ResourceState(
            name=name,
            type=self.type_of(name),
            id=response.id,
            inputs=checked,
            outputs=from_struct(response.properties),
            options=options,
        )
        with self._guard:
            self._pending_creates.pop(name, None)
        self._store(state)
        return self._result(state, StepKind.CREATE)

    def _update(
        self, old: ResourceState, checked: dict[str, Any], diff: DiffOutcome, options: Options
    ) -> StepResult:
        response = self.plugin.update(
            provider_pb2.UpdateRequest(
                id=old.id,
                urn=self.urn(old.name),
                name=old.name,
                type=self.type_of(old.name),
                olds=to_struct(old.outputs),
                news=to_struct(checked),
                old_inputs=to_struct(old.inputs),
                timeout=options.timeout("update"),
            )
        )
        new = replace(
            old, inputs=checked, outputs=from_struct(response.properties), options=options
        )
        self._store(new)
        return self._result(new, StepKind.UPDATE, diff=diff, old_outputs=public(old.outputs))

    def _replace(
        self, old: ResourceState, checked: dict[str, Any], diff: DiffOutcome, options: Options
    ) -> StepResult:
        if options.protect and old.options.protect:
            raise ProtectedError(f"{old.name} is protected: it cannot be replaced")
        delete_first = (
            diff.delete_before_replace
            if options.delete_before_replace is None
            else options.delete_before_replace
        )
        if delete_first:
            self._delete(old)
            self.forget(old.name)
            created = self._create(old.name, checked, options)
        else:
            created = self._create(old.name, checked, options)
            with self._guard:  # deleted at the end of the deployment
                self._pending_deletes.append(old)
        return replace(
            created,
            kind=StepKind.REPLACE,
            diff=diff,
            replaced_id=old.id,
            old_outputs=public(old.outputs),
        )

    def _delete(self, old: ResourceState) -> None:
        if old.options.retain_on_delete:
            return  # the engine forgets the resource; the provider is not called
        self.plugin.delete(
            provider_pb2.DeleteRequest(
                id=old.id,
                urn=self.urn(old.name),
                name=old.name,
                type=self.type_of(old.name),
                properties=to_struct(old.outputs),
                old_inputs=to_struct(old.inputs),
                timeout=old.options.timeout("delete"),
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
                type=self.type_of(name),
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
                type=self.type_of(old.name),
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


def _ignore_changes(
    inputs: Mapping[str, Any], old_inputs: Mapping[str, Any], ignored: tuple[str, ...]
) -> dict[str, Any]:
    """The engine's ``processIgnoreChanges`` for top-level keys: the old value wins (and a key
    the old inputs lack is left out)."""
    result = dict(inputs)
    for key in ignored:
        if key in old_inputs:
            result[key] = old_inputs[key]
        else:
            result.pop(key, None)
    return result


def _replace_on_changes(
    diff: DiffOutcome, old: ResourceState, checked: dict[str, Any], keys: tuple[str, ...]
) -> DiffOutcome:
    """``replaceOnChanges`` turns changed keys into replaces, but only where the engine knows
    the changed keys: when the provider's Diff answered "unknown" it diffs the inputs itself;
    a dynamic provider's "some changes" comes with no changed keys, so the option does nothing
    then."""
    if not keys or diff.changes is not None:
        return diff
    old_inputs, new_inputs = public(old.inputs), public(checked)
    changed = [k for k in keys if old_inputs.get(k) != new_inputs.get(k)]
    return replace(diff, replaces=(*diff.replaces, *changed)) if changed else diff
