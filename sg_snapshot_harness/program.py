"""Run a real Pulumi program (a directory with ``Pulumi.yaml`` and ``__main__.py``) without the CLI.

The program runs under ``pulumi.runtime.set_mocks``. Our dynamic resources are not mocked: their
registrations go through an ``Engine`` to the real plugin (Check → Create, or Check → Diff → …
when the engine already holds them) with the resource options the program gave them, so they
really act on the configured AWS endpoint. Every other resource (pulumi-aws, components) is
mocked: its outputs echo its inputs, its ID is fake.

As ``pulumi up`` does, a run can preview first, in its own plugin process: the program runs with
``preview=True``, our resources get only Check and Diff, and what a real preview does not know is
unknown to the program (the ID and output-only properties of anything to be created or
replaced, the outputs of mocked resources), so a program that only works with known values
fails here as it would under the CLI.

A run is one deployment (``Engine.begin``), as a ``pulumi up`` is: each registration is
checked and applied as it comes, the old resources of replacements and the resources in state
the program no longer declares are deleted at the end, and after a failed step nothing new
starts and nothing is deleted (``pkg/resource/deploy/deployment_executor.go`` in pulumi). The
dynamic resources' secret inputs (``pulumi.Output.secret``) reach the engine as secrets, which it
keeps in state; the program gets plain values back.

Each run happens on a fresh thread, so the Pulumi runtime's context variables (root stack,
config, settings) start empty and one run cannot leak into the next.
"""

from __future__ import annotations

import asyncio
import runpy
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import SETTINGS, get_root_resource
from pulumi.runtime.stack import Stack, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .engine import DeploymentRun, Engine, Options, StepKind, StepResult
from .plugin import PluginProcess
from .properties import strip_secrets, with_secrets

#: Type tokens of Python dynamic resources start with this.
DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic"


@dataclass(frozen=True)
class RegisteredResource:
    """A resource the program declared, with the ID and outputs it was given."""

    type: str
    name: str
    id: str
    outputs: dict[str, Any]

    @property
    def dynamic(self) -> bool:
        """Whether it went through the real plugin."""
        return self.type.startswith(DYNAMIC_TYPE_PREFIX)


@dataclass
class ProgramRun:
    """The result of one ``up`` of a program: stack outputs, resources and engine steps."""

    project: str
    stack: str
    outputs: dict[str, Any]
    resources: list[RegisteredResource]
    steps: list[StepResult]
    engine: Engine = field(repr=False)
    #: What the preview before the up planned, when there was one.
    preview_steps: list[StepResult] = field(default_factory=list)

    def dynamic_resources(self) -> list[RegisteredResource]:
        """The resources that went through the real plugin, in registration order."""
        return [resource for resource in self.resources if resource.dynamic]

    def destroy(self) -> list[StepResult]:
        """Delete the program's dynamic resources through the engine, newest first."""
        names = [resource.name for resource in self.dynamic_resources()]
        return [self.engine.destroy(name) for name in reversed(names) if self.engine.state(name)]


class EngineMocks(pulumi.runtime.Mocks):
    """Sends dynamic resources to the engine (``preview``: Check and Diff only); echoes every
    other resource. With ``run`` each registration is a step of that one deployment (the deletes
    happen at its end); without, each is a deployment of its own (``Engine.up``)."""

    def __init__(
        self, engine: Engine, *, preview: bool = False, run: DeploymentRun | None = None
    ) -> None:
        self.engine = engine
        self.preview = preview
        self.run = run
        self.resources: list[RegisteredResource] = []
        self.steps: list[StepResult] = []
        #: What the monitor saw of each dynamic registration that MockResourceArgs leaves out:
        #: its resource options, and its inputs with unknowns kept.
        self.registrations: dict[tuple[str, str], tuple[Options, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[Any, Any]]:
        """Create (or update) a dynamic resource for real; fake anything else."""
        if args.typ.startswith(DYNAMIC_TYPE_PREFIX):
            with self._lock:
                options, inputs = self.registrations.pop(
                    (args.typ, args.name), (Options(), with_secrets(args.inputs))
                )
            self.engine.register_type(args.name, args.typ)
            step = self._dynamic(args.name, inputs, options)
            resource_id, outputs = self._as_registered(step)
        else:
            inputs = strip_secrets(args.inputs)
            # In a preview a mocked resource is one to create: its ID is not known yet.
            resource_id = f"{args.name}-id" if args.custom and not self.preview else ""
            outputs, step = inputs, None
        with self._lock:
            self.resources.append(RegisteredResource(args.typ, args.name, resource_id, outputs))
            if step is not None:
                self.steps.append(step)
        return resource_id, outputs

    def _dynamic(self, name: str, inputs: dict[str, Any], options: Options) -> StepResult:
        if self.preview:
            return self.engine.preview(name, inputs, options)
        if self.run is not None:
            return self.run.register(name, inputs, options)
        return self.engine.up(name, inputs, options)

    def _as_registered(self, step: StepResult) -> tuple[str, dict[str, Any]]:
        """What the engine answers the program: in a preview, a resource to be created or
        replaced has no ID yet, and one to be changed shows its new inputs only (the engine's
        own answers for a provider that does not preview, ``provider_plugin.go``)."""
        if not step.preview:
            return step.id, step.outputs
        if step.kind in (StepKind.CREATE, StepKind.REPLACE):
            return "", step.inputs
        if step.kind is StepKind.UPDATE:
            return step.id, step.inputs
        return step.id, step.outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """Provider functions (invokes) answer with nothing."""
        return {}, None


class OptionsMonitor(MockMonitor):  # type: ignore[misc]
    """The SDK's mock monitor, noting what ``MockResourceArgs`` does not carry for dynamic
    resources: the registration's resource options and dependencies, and its inputs with
    unknowns and secrets kept (the plugin must see a preview's unknowns, not their absence; the
    engine keeps secretness in state)."""

    def __init__(self, mocks: EngineMocks) -> None:
        super().__init__(mocks)
        self.engine_mocks = mocks

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        if request.type.startswith(DYNAMIC_TYPE_PREFIX):
            inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
            with self.engine_mocks._lock:
                self.engine_mocks.registrations[(request.type, request.name)] = (
                    _options_of(request),
                    with_secrets(dict(inputs)),
                )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def _options_of(request: Any) -> Options:
    timeouts = request.customTimeouts
    custom = {
        name: value
        for name, value in (
            ("create", timeouts.create),
            ("update", timeouts.update),
            ("delete", timeouts.delete),
        )
        if value
    }
    return Options(
        ignore_changes=tuple(request.ignoreChanges),
        retain_on_delete=bool(request.retainOnDelete),
        protect=bool(request.protect),
        delete_before_replace=(
            bool(request.deleteBeforeReplace) if request.deleteBeforeReplaceDefined else None
        ),
        replace_on_changes=tuple(request.replaceOnChanges),
        custom_timeouts=custom or None,
        dependencies=tuple(dict.fromkeys(urn.rsplit("::", 1)[-1] for urn in request.dependencies)),
    )


def read_project_name(program_dir: Path) -> str:
    """The ``name:`` of a ``Pulumi.yaml`` (a top-level scalar; no YAML parser needed)."""
    for line in (program_dir / "Pulumi.yaml").read_text().splitlines():
        if line.startswith("name:"):
            return line.partition(":")[2].strip().strip("'\"")
    raise ValueError(f"{program_dir / 'Pulumi.yaml'} has no top-level name")


def namespaced_config(project: str, config: Mapping[str, str]) -> dict[str, str]:
    """Stack config with every bare key put in the project's namespace (``volumeArn`` →
    ``project:volumeArn``); keys that already have a namespace (``aws:region``) stay as they are."""
    return {(key if ":" in key else f"{project}:{key}"): value for key, value in config.items()}


def run_program(
    program_dir: str | Path,
    engine: Engine,
    *,
    config: Mapping[str, str] | None = None,
    stack: str = "dev",
    project: str | None = None,
    preview_plugin: PluginProcess | None = None,
    secret_config: Iterable[str] = (),
) -> ProgramRun:
    """Run the program in ``program_dir`` once (like ``pulumi up``) and return what it made.

    With ``preview_plugin`` (default: the engine's), the program is previewed first in that
    plugin (as ``pulumi up`` previews in a plugin process of its own), with Check and Diff only;
    a preview that fails stops the run before anything is created. ``config`` is the stack
    config; bare keys are put in the project's namespace, and the keys of ``secret_config``
    are the ones set with ``--secret`` (the program sees them as secret). The steps are those
    of the program's resources, then the deletes of those it no longer declares. Exceptions of
    the program or of the plugin propagate (the first failed step's, when a step failed).
    """
    directory = Path(program_dir)
    project_name = project or read_project_name(directory)
    full_config = namespaced_config(project_name, config or {})
    secret_keys = list(namespaced_config(project_name, dict.fromkeys(secret_config, "")))
    preview_steps: list[StepResult] = []
    preview_plugin = preview_plugin or engine.preview_plugin
    if preview_plugin is not None:
        previewing = EngineMocks(engine.for_preview(preview_plugin), preview=True)
        _in_fresh_thread(
            lambda: _run_under_mocks(
                directory, previewing, project_name, stack, full_config, secret_keys
            )
        )
        preview_steps = previewing.steps
    run = engine.begin()
    mocks = EngineMocks(engine, run=run)
    outputs = _deploy(
        run,
        lambda: _run_under_mocks(directory, mocks, project_name, stack, full_config, secret_keys),
    )
    mocks.steps.extend(run.finish(delete_undeclared=True))
    return ProgramRun(
        project_name, stack, outputs, mocks.resources, mocks.steps, engine, preview_steps
    )


def _deploy(run: DeploymentRun, program: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run the program as one deployment: its first failed step is the error (whatever the
    program made of it), and a failed program deletes nothing at the end."""
    try:
        outputs = _in_fresh_thread(program)
    except BaseException as error:
        raise (run.failure or error) from None
    if run.failure is not None:
        raise run.failure
    return outputs


def _run_under_mocks(
    directory: Path,
    mocks: EngineMocks,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
) -> dict[str, Any]:
    """Run ``directory/__main__.py`` as the Python language host would; return the stack outputs."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_ignore_unretrieved_failures)
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_all_config(config, secret_keys)
        pulumi.runtime.set_mocks(
            mocks,
            project=project,
            stack=stack,
            preview=mocks.preview,
            monitor=OptionsMonitor(mocks),
        )
        # The runtime's pending outputs default to one container shared by every context; a
        # failed run leaves tasks of its (closed) loop in it. Give this run its own, of the
        # runtime's own type (a deque up to pulumi 3.2xx, a set in newer releases).
        SETTINGS.outputs = type(SETTINGS.outputs)()

        def body() -> None:
            runpy.run_path(str(directory), run_name="__main__")

        _sync_await(run_pulumi_func(body))
        return _stack_outputs()
    finally:
        loop.close()
        asyncio.set_event_loop(None)


def _ignore_unretrieved_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """When a resource fails, every output depending on it fails too and is never awaited; the
    first failure is raised to the caller, so asyncio's report of the others is noise."""
    if "never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


def _stack_outputs() -> dict[str, Any]:
    """Await every value the program exported on the root stack."""
    root = get_root_resource()
    if not isinstance(root, Stack):
        raise RuntimeError("the program ran without a root stack resource")
    return {
        name: _sync_await(pulumi.Output.from_input(value).future())
        for name, value in root.outputs.items()
    }


def _in_fresh_thread(function: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Call ``function`` on a new thread (an empty context) and hand back its result or error."""
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(function())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target, name="pulumi-program")
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return results[0]
