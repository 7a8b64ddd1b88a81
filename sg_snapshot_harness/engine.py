"""A fake Pulumi engine: it keeps state and drives the real plugin with the engine's call sequences.

What it reproduces, with the pulumi engine source it follows (paths in the ``pulumi/pulumi``
repository):

- up, new resource: Check → Create. The checkpoint records a ``creating`` pending operation
  (the checked inputs, no ID) before Create is sent and drops it when Create answers, success or
  failure (``createSnapshotMutation`` in ``pkg/backend/snapshot.go``). Only a CLI that dies
  mid-create (:meth:`Engine.up_and_die`) leaves it; later deployments carry it forward (they keep
  every pending create of the checkpoint they start from) until a refresh clears it.
- up, existing: Check(old inputs, new inputs) → Diff → nothing (same) | Update | replace
  (``generateStepsFromDiff`` in ``pkg/resource/deploy/step_generator.go``). Before a replace
  the engine checks again, with the program's inputs and no old inputs (no ``ignore_changes``
  either), and creates the replacement with what that second Check returned. Replace is
  create-before-delete: the old resource stays in state marked ``delete`` until the end of the
  deployment, when it is deleted; a failed delete leaves it there, for the next deployment to
  retry. With delete-before-replace (the provider's Diff or the resource option) the old one is
  deleted first and stays in state as ``pendingReplacement`` until its replacement is created
  (``deleteSnapshotMutation``/``createSnapshotMutation`` in ``snapshot.go``); the next
  deployment replaces a resource still pending replacement whatever its Diff says.
- the end of a deployment (``deployment_executor.go``, ``GenerateDeletes`` in
  ``step_generator.go``): replaced resources, then the resources in state the program no
  longer declares are deleted, in parallel where no dependency orders them (a resource after
  those that depend on it). After a failed step the engine starts no new step and skips these
  deletes: a replaced resource stays in state marked ``delete``.
- preview: Check (→ Diff) only, in its own plugin process for a whole program (``pulumi up``
  previews first); inputs may hold unknowns; nothing is created, updated or deleted. The
  step generator's errors (Check failures, replacing a protected resource) happen here too.
- refresh: Read(id, old outputs, old inputs); an empty ID drops the resource from state; the
  outputs are replaced wholesale, the stored inputs only when Read returns inputs; then
  Diff(refreshed state, old inputs) says whether the resource drifted. :meth:`Engine.refresh_all`
  refreshes every resource in parallel, and drops the pending creates.
- destroy: Delete(id, old outputs); the resource leaves state.
- Ctrl-C (:meth:`DeploymentRun.cancel`): Cancel to the plugin (which ignores it); the running
  steps finish, no new one starts, nothing is deleted at the end.

Secrets (``pkg/resource/plugin/provider_plugin.go``): the dynamic-provider plugin answers
Configure with ``acceptSecrets: false``, so every request is sent with its secrets stripped,
and the answers of Check, Create, Read and Update are annotated: a top-level property of the
answer is secret when the request's same property held a secret (``annotateSecrets``; objects
recurse). State, :class:`StepResult` (``secret_inputs``/``secret_outputs``) and
:meth:`Engine.export` keep them; an export holds ciphertext for each.

Resource options are applied where the engine applies them (``step_generator.go``, ``step.go``):
``ignore_changes`` copies the old inputs into the new ones *before* Check; ``retain_on_delete``
makes a delete a no-op; ``protect`` refuses a delete, and a replace already in the step
generator (a preview fails too); ``delete_before_replace`` overrides the provider's answer;
``replace_on_changes`` works only where the engine itself computes the changed keys (a Diff
answering "unknown"): the dynamic-provider plugin sends no detailed diff. ``custom_timeouts``
are recorded and reach no dynamic provider (the plugin never reads them).

Concurrency is the engine's (``step_generator.go``, ``deployment_executor.go``): ``Check`` and
``Diff`` are made by the step generator, one resource at a time, whatever the number of threads
calling ``up`` here; the steps (Create, Update, Delete) run in parallel, up to ``--parallel`` of
them (:meth:`Engine.deploy`; the CLI's default is 4 x CPUs). Calls for one resource are
serialized, as the engine never runs two steps of one resource at once.
"""

from __future__ import annotations

import enum
import hashlib
import importlib.metadata
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime.proto import provider_pb2

from sg_snapshot_provider.inputs import PROVIDER_KEY
from sg_snapshot_provider.type_tokens import SNAPSHOT_TYPE

from .plugin import PluginProcess
from .properties import (
    annotate_secrets,
    decode_secrets,
    encode_secrets,
    from_struct,
    plain_strings,
    public,
    secret_keys,
    strip_secrets,
    to_struct,
    with_secrets,
)

#: ``pulumi up``'s default ``--parallel``: 4 x GOMAXPROCS (``defaultParallel`` in the CLI).
DEFAULT_PARALLEL = 4 * (os.cpu_count() or 1)
#: The type of the stack resource every checkpoint starts with.
STACK_TYPE = "pulumi:pulumi:Stack"

_T = TypeVar("_T")
_R = TypeVar("_R")


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


class DeploymentFailedError(Exception):
    """A step of this deployment failed before: the engine starts no new step."""


class DeploymentCancelledError(Exception):
    """The deployment was cancelled (Ctrl-C, :meth:`DeploymentRun.cancel`)."""


class EngineDiedError(RuntimeError):
    """The CLI died (:meth:`Engine.up_and_die`): continue from its checkpoint with
    :meth:`Engine.from_export`."""


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
    #: The names of the resources this one depends on (the checkpoint's ``dependencies``): the
    #: deletes at the end of a deployment delete a resource only after those that depend on it.
    dependencies: tuple[str, ...] = ()

    def timeout(self, operation: str) -> float:
        """The request's ``timeout`` field in seconds (0: none)."""
        text = (self.custom_timeouts or {}).get(operation, "")
        units = {"s": 1, "m": 60, "h": 3600}
        return float(text[:-1]) * units[text[-1]] if text else 0.0


@dataclass(frozen=True)
class ResourceState:
    """What the engine's state holds for one resource. Secret values are ``Secret``s."""

    name: str
    type: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    options: Options = Options()
    #: Deleted by a delete-before-replace whose create has not succeeded yet.
    pending_replacement: bool = False


@dataclass(frozen=True)
class PendingCreate:
    """A pending operation of the checkpoint: a Create (``creating``) or an Update
    (``updating``, with the resource's ID) sent and never answered. The engine records the
    step's new state, whose inputs are the checked news (``doCreate``/``doUpdate`` in pulumi's
    ``pkg/backend/snapshot.go``)."""

    name: str
    type: str
    inputs: dict[str, Any]
    operation: str = "creating"
    id: str = ""


@dataclass(frozen=True)
class StepResult:
    """What one engine operation did. ``outputs`` and ``inputs`` omit ``__provider`` and hold
    plain values; ``secret_inputs``/``secret_outputs`` name the top-level keys that are secret
    in state. ``id`` is empty when there is none (a planned create)."""

    name: str
    kind: StepKind
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)
    diff: DiffOutcome | None = None
    replaced_id: str = ""
    old_outputs: dict[str, Any] = field(default_factory=dict)
    preview: bool = False
    secret_inputs: frozenset[str] = frozenset()
    secret_outputs: frozenset[str] = frozenset()

    def is_secret(self, key: str) -> bool:
        """Whether ``key`` is secret in the inputs or the outputs."""
        return key in self.secret_inputs or key in self.secret_outputs


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
    replace: bool = False


class DeploymentRun:
    """One ``pulumi up`` in progress (:meth:`Engine.begin`): resources are registered one by one
    (:meth:`register`), then :meth:`finish` does what the engine does at the end.

    After a failed step nothing new starts (``register`` raises :class:`DeploymentFailedError`)
    and ``finish`` deletes nothing: replaced resources stay in state marked ``delete``.
    """

    def __init__(self, engine: Engine, parallel: int = DEFAULT_PARALLEL) -> None:
        self.engine = engine
        self.parallel = parallel
        self.declared: list[str] = []
        #: The first step that failed, if any.
        self.failure: BaseException | None = None
        self._lock = threading.Lock()

    def register(
        self, name: str, inputs: Mapping[str, Any], options: Options | None = None
    ) -> StepResult:
        """Check (and Diff) ``name``, then run its step now."""
        planned = self.plan(name, inputs, options)
        return self.apply(planned)

    def plan(
        self, name: str, inputs: Mapping[str, Any], options: Options | None = None
    ) -> _Planned:
        """The step generator's part for ``name``: Check, Diff (and Check again for a replace)."""
        self._refuse_after_failure()
        with self._lock:
            self.declared.append(name)
        try:
            return self.engine._plan(name, inputs, options or Options())
        except BaseException as error:
            self.fail(error)
            raise

    def apply(self, planned: _Planned) -> StepResult:
        """Run a planned step, unless an earlier step failed."""
        self._refuse_after_failure()
        try:
            return self.engine._apply_locked(planned)
        except BaseException as error:
            self.fail(error)
            raise

    def fail(self, error: BaseException) -> None:
        """Record a failed step (the first one is the deployment's error)."""
        with self._lock:
            if self.failure is None:
                self.failure = error

    def cancel(self) -> None:
        """Ctrl-C: the engine signals cancellation to its plugins (``Cancel``, which the
        dynamic-provider plugin ignores), lets the running steps finish, starts no new one and
        deletes nothing at the end (``deploymentExecutor.Execute`` in
        ``pkg/resource/deploy/deployment_executor.go``)."""
        self.fail(DeploymentCancelledError("the deployment was cancelled"))
        self.engine.plugin.cancel()

    def finish(self, *, delete_undeclared: bool = True) -> list[StepResult]:
        """The end of the deployment, unless a step failed: delete the replaced resources, then
        (``delete_undeclared``) those in state that were not registered. Raises the first
        failed delete after every started one has ended."""
        if self.failure is not None:
            return []
        try:
            self.engine._delete_replaced(self.parallel)
            if not delete_undeclared:
                return []
            undeclared = [n for n in self.engine.names() if n not in set(self.declared)]
            return self.engine._delete_in_order(undeclared, self.parallel)
        except BaseException as error:
            self.fail(error)
            raise

    def _refuse_after_failure(self) -> None:
        if self.failure is not None:
            raise DeploymentFailedError(
                f"a step failed earlier in this deployment: {self.failure}"
            ) from self.failure


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
        #: The checkpoint's ``creating`` operations (several per name when carried forward).
        self._pending_ops: list[PendingCreate] = []
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: The step generator: Check and Diff of every resource, one at a time.
        self._step_generator = threading.Lock()
        #: Set when the CLI "died" (:meth:`up_and_die`): nothing more is written.
        self._dead = False
        self._saved_at = _now()

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
        self._store(replace(state, inputs=with_secrets(state.inputs)))

    def forget(self, name: str) -> None:
        """Drop a resource from state without calling the provider."""
        with self._guard:
            self._states.pop(name, None)
            self._saved_at = _now()

    def pending_deletes(self) -> list[ResourceState]:
        """Replaced resources still in state, marked for deletion."""
        with self._guard:
            return list(self._pending_deletes)

    def pending_creates(self) -> dict[str, dict[str, Any]]:
        """Resource name → inputs of each ``creating`` operation in the checkpoint."""
        with self._guard:
            return {op.name: op.inputs for op in self._pending_ops if op.operation == "creating"}

    def pending_operations(self) -> list[PendingCreate]:
        """The checkpoint's pending operations (``creating``, ``updating``), oldest first."""
        with self._guard:
            return list(self._pending_ops)

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

    # -- checkpoints ------------------------------------------------------------------------------

    def _stack_urn(self) -> str:
        return self._urn(f"{self.project}-{self.stack}", STACK_TYPE)

    def export(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The checkpoint in the shape of ``pulumi stack export`` (version 3): the manifest
        (``time``: when the checkpoint was last written), the stack resource, each resource
        (replaced ones with ``delete: true``, deleted-before-replace ones with
        ``pendingReplacement: true``) and the pending creates. Secret values are ciphertext
        objects; ``show_secrets`` writes them as ``plaintext`` (``--show-secrets``)."""
        with self._guard:
            resources = [self._entry(state, show_secrets) for state in self._states.values()]
            resources += [
                {**self._entry(state, show_secrets), "delete": True}
                for state in self._pending_deletes
            ]
            creating = [
                {"resource": self._pending_entry(op, show_secrets), "type": op.operation}
                for op in self._pending_ops
            ]
            saved_at = self._saved_at
        stack = {"urn": self._stack_urn(), "custom": False, "type": STACK_TYPE}
        version = f"v{importlib.metadata.version('pulumi')}"
        return {
            "version": 3,
            "deployment": {
                "manifest": {
                    "time": saved_at,
                    "magic": hashlib.sha256(version.encode()).hexdigest(),
                    "version": version,
                },
                "secrets_providers": {"type": "harness", "state": {}},
                "resources": [stack, *resources],
                "pending_operations": creating,
            },
        }

    def _entry(self, state: ResourceState, show_secrets: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "urn": self._urn(state.name, state.type),
            "custom": True,
            "id": state.id,
            "type": state.type,
            "inputs": encode_secrets(public(state.inputs), show_secrets=show_secrets),
            "outputs": encode_secrets(public(state.outputs), show_secrets=show_secrets),
            "parent": self._stack_urn(),
            "protect": state.options.protect,
            "retainOnDelete": state.options.retain_on_delete,
            "dependencies": [
                self._urn(n, self._types.get(n, self.type_token))
                for n in state.options.dependencies
            ],
        }
        if state.pending_replacement:
            entry["pendingReplacement"] = True
        return entry

    def _pending_entry(self, op: PendingCreate, show_secrets: bool) -> dict[str, Any]:
        entry = {
            "urn": self._urn(op.name, op.type),
            "custom": True,
            "type": op.type,
            "inputs": encode_secrets(public(op.inputs), show_secrets=show_secrets),
            "parent": self._stack_urn(),
        }
        return {**entry, "id": op.id} if op.id else entry

    @classmethod
    def from_export(
        cls,
        export: Mapping[str, Any],
        plugin: PluginProcess,
        provider: ResourceProvider | str,
        *,
        type_token: str = SNAPSHOT_TYPE,
        preview_plugin: PluginProcess | None = None,
    ) -> Engine:
        """A new ``pulumi`` run starting from a checkpoint :meth:`export` wrote (e.g. after the
        CLI died): its resources, replaced resources still to delete, and pending creates, which
        this engine carries forward until :meth:`refresh_all`. ``provider`` is put back as each
        resource's ``__provider`` (exports leave it out)."""
        deployment = export["deployment"]
        resources = deployment["resources"]
        stack_urn = next(r["urn"] for r in resources if r["type"] == STACK_TYPE)
        stack, project = _stack_and_project(stack_urn)
        engine = cls(
            plugin,
            provider,
            type_token=type_token,
            project=project,
            stack=stack,
            preview_plugin=preview_plugin,
        )
        for resource in resources:
            if resource["type"] != STACK_TYPE:
                engine._load_resource(resource)
        for operation in deployment.get("pending_operations") or []:
            if operation["type"] in ("creating", "updating"):
                engine._load_pending_create(operation["resource"], operation["type"])
        engine._saved_at = deployment["manifest"]["time"]
        return engine

    def _load_resource(self, resource: Mapping[str, Any]) -> None:
        name = _name_of(resource["urn"])
        provider = {PROVIDER_KEY: self.serialized_provider}
        state = ResourceState(
            name=name,
            type=resource["type"],
            id=resource.get("id", ""),
            inputs={**decode_secrets(resource.get("inputs") or {}), **provider},
            outputs={**decode_secrets(resource.get("outputs") or {}), **provider},
            options=Options(
                protect=bool(resource.get("protect")),
                retain_on_delete=bool(resource.get("retainOnDelete")),
                dependencies=tuple(_name_of(urn) for urn in resource.get("dependencies") or []),
            ),
            pending_replacement=bool(resource.get("pendingReplacement")),
        )
        with self._guard:
            self._types[name] = state.type
            if resource.get("delete"):
                self._pending_deletes.append(state)
            else:
                self._states[name] = state

    def _load_pending_create(self, resource: Mapping[str, Any], operation: str) -> None:
        inputs = {**decode_secrets(resource.get("inputs") or {})}
        name = _name_of(resource["urn"])
        op = PendingCreate(name, resource["type"], inputs, operation, resource.get("id", ""))
        with self._guard:
            self._types.setdefault(op.name, op.type)
            self._pending_ops.append(op)

    def plain_text_strings(self) -> set[str]:
        """Every string the recorded state holds in plain text: the export (whose secrets are
        ciphertext objects), i.e. every resource's inputs and outputs, the replaced resources
        and the pending creates. A secret value must be none of them."""
        return plain_strings(self.export())

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

    def begin(self, *, parallel: int = DEFAULT_PARALLEL) -> DeploymentRun:
        """Start a deployment whose resources are registered one by one (``run_program``)."""
        self._refuse_if_dead()
        return DeploymentRun(self, parallel)

    def up(
        self, name: str, inputs: Mapping[str, Any], options: Options | None = None
    ) -> StepResult:
        """Create, update, replace or leave ``name`` as the inputs require: a deployment of
        this one resource (the old resource of a replace is deleted at its end; no other
        resource is touched). ``inputs`` may hold ``Secret`` values (or the SDK's secret
        dicts) at any depth."""
        run = self.begin()
        step = run.register(name, inputs, options)
        run.finish(delete_undeclared=False)
        return step

    def up_and_die(
        self,
        name: str,
        inputs: Mapping[str, Any],
        options: Options | None = None,
        *,
        when: Callable[[], bool],
        timeout: float = 60.0,
    ) -> None:
        """``pulumi up`` of ``name`` whose CLI is killed while Create is in flight, once
        ``when()`` holds (e.g. the emulator logged CreateSnapshot as answered): the plugin dies
        with it, the checkpoint keeps the ``creating`` operation, and this engine refuses any
        further operation (start the next run with :meth:`from_export`). AssertionError when
        Create answered before ``when()`` held."""
        errors: list[BaseException] = []
        carried = self._creating(name)  # operations of earlier runs are not this Create

        def up() -> None:
            try:
                self.up(name, inputs, options)
            except BaseException as error:
                errors.append(error)

        creating = threading.Thread(target=up, name="dying-up")
        creating.start()
        deadline = time.monotonic() + timeout
        while not (self._creating(name) > carried and when()):
            if not creating.is_alive():
                raise AssertionError(f"the up of {name} ended before the condition held: {errors}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the condition never held within {timeout}s")
            time.sleep(0.02)
        with self._guard:
            self._dead = True
        self.plugin.kill()
        creating.join()
        if not errors:
            raise AssertionError(f"Create of {name} answered before the CLI died")

    def _creating(self, name: str) -> int:
        with self._guard:
            return sum(1 for op in self._pending_ops if op.name == name)

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
        are deleted, then the resources in state the program no longer declares. After a
        failed step no new step starts and nothing is deleted; the first failure is raised."""
        started = time.monotonic()
        check_seconds: dict[str, float] = {}
        futures: dict[str, Future[StepResult]] = {}
        run = self.begin(parallel=parallel)
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="step") as workers:
            for name, inputs in resources.items():
                if run.failure is not None:
                    break
                asked = time.monotonic()
                try:
                    planned = run.plan(name, inputs, (options or {}).get(name))
                except Exception:
                    break
                check_seconds[name] = time.monotonic() - asked
                futures[name] = workers.submit(run.apply, planned)
        steps = {name: f.result() for name, f in futures.items() if f.exception() is None}
        if run.failure is not None:
            raise run.failure
        for step in run.finish(delete_undeclared=True):
            steps[step.name] = step
        return Deployment(steps, check_seconds, time.monotonic() - started)

    def _plan(self, name: str, inputs: Mapping[str, Any], options: Options) -> _Planned:
        """The step generator (``step_generator.go``): Check against the old inputs (after
        ``ignore_changes``), Diff, and, for a replace, Check again with the program's inputs
        and no old inputs: the replacement is created with what that second Check returns."""
        with self._step_generator:
            old = self.state(name)
            goal = self._with_provider(with_secrets(dict(inputs)))
            news = (
                goal if old is None else _ignore_changes(goal, old.inputs, options.ignore_changes)
            )
            checked = self._check_or_raise(name, old, news)
            if old is None:
                return _Planned(name, old, checked, options)
            diff = _replace_on_changes(
                self._diff(old, checked), old, checked, options.replace_on_changes
            )
            replacing = old.pending_replacement or (
                self._has_changes(diff, old, checked) and diff.needs_replace
            )
            if replacing:
                if options.protect and old.options.protect:
                    raise ProtectedError(f"{name} is protected: it cannot be replaced")
                checked = self._check_or_raise(name, None, goal)
        return _Planned(name, old, checked, options, diff, replacing)

    def _apply_locked(self, planned: _Planned) -> StepResult:
        with self._resource_lock(planned.name):
            return self._apply(planned)

    def _apply(self, planned: _Planned) -> StepResult:
        old, checked, diff = planned.old, planned.checked, planned.diff
        if old is None or diff is None:
            return self._create(planned.name, checked, planned.options)
        if planned.replace:
            return self._replace(old, checked, diff, planned.options)
        if not self._has_changes(diff, old, checked):
            self._store(replace(old, inputs=checked, options=planned.options))
            return self._result(old, StepKind.SAME, diff=diff)
        return self._update(old, checked, diff, planned.options)

    def _delete_replaced(self, parallel: int = DEFAULT_PARALLEL) -> None:
        """The end of a deployment: delete what replacements left behind, in parallel. A failed
        delete leaves the resource marked for deletion, for the next deployment to retry."""

        def delete(old: ResourceState) -> None:
            self._delete(old)
            with self._guard:
                self._pending_deletes.remove(old)
                self._saved_at = _now()

        _run_all(self.pending_deletes(), delete, parallel)

    def _delete_in_order(self, names: list[str], parallel: int) -> list[StepResult]:
        """Delete ``names`` as the engine deletes condemned resources: a resource once every
        resource depending on it is gone, those with no such order in parallel."""
        remaining = list(names)
        steps: list[StepResult] = []
        while remaining:
            depended = {d for n in remaining for d in self.require_state(n).options.dependencies}
            ready = [n for n in reversed(remaining) if n not in depended] or remaining[-1:]
            steps += _run_all(ready, self.destroy, parallel)
            remaining = [n for n in remaining if n not in ready]
        return steps

    def preview(
        self, name: str, inputs: Mapping[str, Any], options: Options | None = None
    ) -> StepResult:
        """Say what ``up`` would do, calling only ``Check`` and ``Diff`` (and Check again for a
        replace)."""
        self._refuse_if_dead()
        with self._resource_lock(name):
            planned = self._plan(name, inputs, options or Options())
            old, checked, diff = planned.old, planned.checked, planned.diff
            secret_inputs = secret_keys(public(checked))
            if old is None or diff is None:
                return StepResult(
                    name,
                    StepKind.CREATE,
                    inputs=_plain(checked),
                    preview=True,
                    secret_inputs=secret_inputs,
                )
            if planned.replace:
                kind = StepKind.REPLACE
            elif not self._has_changes(diff, old, checked):
                kind = StepKind.SAME
            else:
                kind = StepKind.UPDATE
            return StepResult(
                name,
                kind,
                id=old.id,
                inputs=_plain(checked),
                outputs=_plain(old.outputs),
                diff=diff,
                preview=True,
                secret_outputs=secret_keys(public(old.outputs)),
                secret_inputs=secret_inputs,
            )

    def refresh(self, name: str) -> StepResult:
        """Read ``name`` back from the provider; an empty ID drops it from state. The result's
        ``diff`` compares the refreshed state with the inputs held before (drift)."""
        self._refuse_if_dead()
        with self._resource_lock(name):
            old = self.require_state(name)
            response = self.plugin.read(
                provider_pb2.ReadRequest(
                    id=old.id,
                    urn=self.urn(name),
                    name=name,
                    type=self.type_of(name),
                    properties=to_struct(strip_secrets(old.outputs)),
                    inputs=to_struct(strip_secrets(old.inputs)),
                )
            )
            if not response.id:
                self.forget(name)
                return StepResult(name, StepKind.DROP, id=old.id, old_outputs=_plain(old.outputs))
            read_inputs = from_struct(response.inputs) if response.HasField("inputs") else {}
            new = replace(
                old,
                id=response.id,
                outputs=annotate_secrets(from_struct(response.properties), old.outputs),
                inputs=annotate_secrets(read_inputs, old.inputs) if read_inputs else old.inputs,
            )
            self._store(new)
            # As the engine shows drift: the refreshed state against the inputs held before.
            drift = self._diff(new, old.inputs)
            return self._result(new, StepKind.REFRESH, diff=drift, old_outputs=_plain(old.outputs))

    def refresh_all(self, *, parallel: int = DEFAULT_PARALLEL) -> dict[str, StepResult]:
        """``pulumi refresh``: every resource read back, in parallel (the engine runs refresh
        steps as any other); the checkpoint's pending creates are dropped."""
        self._refuse_if_dead()
        with self._guard:
            self._pending_ops.clear()
            self._saved_at = _now()
        steps = _run_all(self.names(), self.refresh, parallel)
        return {step.name: step for step in steps}

    def destroy(self, name: str) -> StepResult:
        """Delete ``name`` with the outputs in state, then drop it from state. A resource
        deleted by a delete-before-replace whose create failed (pending replacement) only
        leaves state: it is gone already."""
        self._refuse_if_dead()
        with self._resource_lock(name):
            old = self.require_state(name)
            if old.options.protect:
                raise ProtectedError(f"{name} is protected: it cannot be deleted")
            if not old.pending_replacement:
                self._delete(old)
            self.forget(name)
            return StepResult(name, StepKind.DELETE, id=old.id, old_outputs=_plain(old.outputs))

    # -- steps ------------------------------------------------------------------------------------

    def _create(self, name: str, checked: dict[str, Any], options: Options) -> StepResult:
        with self._pending(PendingCreate(name, self.type_of(name), checked)):
            response = self.plugin.create(
                provider_pb2.CreateRequest(
                    urn=self.urn(name),
                    name=name,
                    type=self.type_of(name),
                    properties=to_struct(strip_secrets(checked)),
                    timeout=options.timeout("create"),
                )
            )
        state = ResourceState(
            name=name,
            type=self.type_of(name),
            id=response.id,
            inputs=checked,
            outputs=annotate_secrets(from_struct(response.properties), checked),
            options=options,
        )
        self._store(state)
        return self._result(state, StepKind.CREATE)

    @contextmanager
    def _pending(self, operation: PendingCreate) -> Iterator[None]:
        """The checkpoint records ``operation`` before its request is sent, and drops it when
        the request answers (``doCreate``/``doUpdate`` and their ``End``)."""
        with self._guard:
            self._pending_ops.append(operation)
            self._saved_at = _now()
        try:
            yield
        finally:
            self._end_operation(operation)

    def _end_operation(self, operation: PendingCreate) -> None:
        """Create or Update answered (success or failure): its pending operation leaves the
        checkpoint, unless the CLI died, and writes nothing more."""
        with self._guard:
            if self._dead:
                raise EngineDiedError("the CLI died while Create was in flight")
            self._pending_ops.remove(operation)
            self._saved_at = _now()

    def _update(
        self, old: ResourceState, checked: dict[str, Any], diff: DiffOutcome, options: Options
    ) -> StepResult:
        with self._pending(PendingCreate(old.name, old.type, checked, "updating", old.id)):
            response = self.plugin.update(
                provider_pb2.UpdateRequest(
                    id=old.id,
                    urn=self.urn(old.name),
                    name=old.name,
                    type=self.type_of(old.name),
                    olds=to_struct(strip_secrets(old.outputs)),
                    news=to_struct(strip_secrets(checked)),
                    old_inputs=to_struct(strip_secrets(old.inputs)),
                    timeout=options.timeout("update"),
                )
            )
        outputs = annotate_secrets(from_struct(response.properties), checked)
        new = replace(old, inputs=checked, outputs=outputs, options=options)
        self._store(new)
        return self._result(new, StepKind.UPDATE, diff=diff, old_outputs=_plain(old.outputs))

    def _replace(
        self, old: ResourceState, checked: dict[str, Any], diff: DiffOutcome, options: Options
    ) -> StepResult:
        delete_first = (
            diff.delete_before_replace
            if options.delete_before_replace is None
            else options.delete_before_replace
        )
        if old.pending_replacement:
            created = self._create(old.name, checked, options)  # the old one is gone already
        elif delete_first:
            self._delete(old)
            # Deleted, not forgotten: it stays in state until its replacement exists.
            self._store(replace(old, pending_replacement=True))
            created = self._create(old.name, checked, options)
        else:
            created = self._create(old.name, checked, options)
            with self._guard:  # deleted at the end of the deployment
                self._pending_deletes.append(old)
                self._saved_at = _now()
        return replace(
            created,
            kind=StepKind.REPLACE,
            diff=diff,
            replaced_id=old.id,
            old_outputs=_plain(old.outputs),
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
                properties=to_struct(strip_secrets(old.outputs)),
                old_inputs=to_struct(strip_secrets(old.inputs)),
                timeout=old.options.timeout("delete"),
            )
        )

    # -- calls ---------------------------------------------------------------------------------

    def _check_or_raise(
        self, name: str, old: ResourceState | None, inputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        olds = old.inputs if old is not None else {}
        outcome = self._check(name, olds, dict(inputs))
        if outcome.failures:
            raise CheckFailedError(name, outcome.failures)
        return outcome.inputs

    def _check(self, name: str, olds: dict[str, Any], news: dict[str, Any]) -> CheckOutcome:
        response = self.plugin.check(
            provider_pb2.CheckRequest(
                urn=self.urn(name),
                name=name,
                type=self.type_of(name),
                olds=to_struct(strip_secrets(olds)),
                news=to_struct(strip_secrets(news)),
            )
        )
        failures = tuple(CheckFailure(f.property, f.reason) for f in response.failures)
        return CheckOutcome(annotate_secrets(from_struct(response.inputs), news), failures)

    def _diff(self, old: ResourceState, checked: dict[str, Any]) -> DiffOutcome:
        response = self.plugin.diff(
            provider_pb2.DiffRequest(
                id=old.id,
                urn=self.urn(old.name),
                name=old.name,
                type=self.type_of(old.name),
                olds=to_struct(strip_secrets(old.outputs)),
                news=to_struct(strip_secrets(checked)),
                old_inputs=to_struct(strip_secrets(old.inputs)),
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
        return _plain(old.inputs) != _plain(checked)

    # -- helpers -------------------------------------------------------------------------------

    def _with_provider(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        if PROVIDER_KEY in inputs:
            return dict(inputs)
        return {**inputs, PROVIDER_KEY: self.serialized_provider}

    def _store(self, state: ResourceState) -> None:
        with self._guard:
            if self._dead:
                raise EngineDiedError("the CLI died: nothing more is written to its checkpoint")
            self._states[state.name] = state
            self._saved_at = _now()

    def _refuse_if_dead(self) -> None:
        if self._dead:
            raise EngineDiedError("the CLI died: continue with Engine.from_export(engine.export())")

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
            outputs=_plain(state.outputs),
            inputs=_plain(state.inputs),
            secret_inputs=secret_keys(public(state.inputs)),
            secret_outputs=secret_keys(public(state.outputs)),
            **extra,
        )


def _plain(props: Mapping[str, Any]) -> dict[str, Any]:
    """What a StepResult shows: no ``__provider``, no secret wrappers."""
    plain: dict[str, Any] = strip_secrets(public(props))
    return plain


def _now() -> str:
    """RFC 3339 in UTC, as the CLI stamps a checkpoint's manifest."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def _stack_and_project(stack_urn: str) -> tuple[str, str]:
    """``urn:pulumi:STACK::PROJECT::pulumi:pulumi:Stack::…`` → (STACK, PROJECT)."""
    stack, project = stack_urn.removeprefix("urn:pulumi:").split("::")[:2]
    return stack, project


def _run_all(items: Iterable[_T], function: Callable[[_T], _R], parallel: int) -> list[_R]:
    """``function`` over ``items`` on up to ``parallel`` threads; every call runs to its end,
    then the first failure (in ``items`` order) is raised."""
    listed = list(items)
    if not listed:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(listed)))) as pool:
        futures = [pool.submit(function, item) for item in listed]
    for future in futures:
        if future.exception() is not None:
            future.result()
    return [future.result() for future in futures]


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
    old_inputs, new_inputs = _plain(old.inputs), _plain(checked)
    changed = [k for k in keys if old_inputs.get(k) != new_inputs.get(k)]
    return replace(diff, replaces=(*diff.replaces, *changed)) if changed else diff
