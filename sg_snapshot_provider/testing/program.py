"""Run a real Pulumi program (a directory with ``Pulumi.yaml`` and ``__main__.py``) without the CLI.

The program runs under ``pulumi.runtime.set_mocks``. Our dynamic resources are not mocked: their
registrations go through an ``Engine`` to the real plugin (Check → Create, or Check → Diff → …
when the engine already holds them), so they really act on the configured AWS endpoint. Every
other resource (pulumi-aws, components) is mocked: its outputs echo its inputs, its ID is fake.

Each run happens on a fresh thread, so the Pulumi runtime's context variables (root stack,
config, settings) start empty and one run cannot leak into the next.
"""

from __future__ import annotations

import asyncio
import runpy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS, get_root_resource
from pulumi.runtime.stack import Stack, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from .engine import Engine, StepResult

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

    def dynamic_resources(self) -> list[RegisteredResource]:
        """The resources that went through the real plugin, in registration order."""
        return [resource for resource in self.resources if resource.dynamic]

    def destroy(self) -> list[StepResult]:
        """Delete the program's dynamic resources through the engine, newest first."""
        names = [resource.name for resource in self.dynamic_resources()]
        return [self.engine.destroy(name) for name in reversed(names) if self.engine.state(name)]


class EngineMocks(pulumi.runtime.Mocks):
    """Sends dynamic resources to the engine; echoes every other resource."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.resources: list[RegisteredResource] = []
        self.steps: list[StepResult] = []
        self._lock = threading.Lock()

    def new_resource(
        self, args: pulumi.runtime.MockResourceArgs
    ) -> tuple[str | None, dict[Any, Any]]:
        """Create (or update) a dynamic resource for real; fake anything else."""
        inputs = _unwrap_secrets(args.inputs)
        if args.typ.startswith(DYNAMIC_TYPE_PREFIX):
            step = self.engine.up(args.name, inputs)
            resource_id, outputs = step.id, step.outputs
        else:
            resource_id = f"{args.name}-id" if args.custom else ""
            outputs, step = inputs, None
        with self._lock:
            self.resources.append(RegisteredResource(args.typ, args.name, resource_id, outputs))
            if step is not None:
                self.steps.append(step)
        return resource_id, outputs

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        """Provider functions (invokes) answer with nothing."""
        return {}, None


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
) -> ProgramRun:
    """Run the program in ``program_dir`` once (like ``pulumi up``) and return what it made.

    ``config`` is the stack config; bare keys are put in the project's namespace. Exceptions of
    the program or of the plugin propagate.
    """
    directory = Path(program_dir)
    project_name = project or read_project_name(directory)
    mocks = EngineMocks(engine)
    full_config = namespaced_config(project_name, config or {})

    def program() -> dict[str, Any]:
        return _run_under_mocks(directory, mocks, project_name, stack, full_config)

    outputs = _in_fresh_thread(program)
    return ProgramRun(project_name, stack, outputs, mocks.resources, mocks.steps, engine)


def _run_under_mocks(
    directory: Path, mocks: EngineMocks, project: str, stack: str, config: dict[str, str]
) -> dict[str, Any]:
    """Run ``directory/__main__.py`` as the Python language host would; return the stack outputs."""
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_ignore_unretrieved_failures)
    asyncio.set_event_loop(loop)
    try:
        pulumi.runtime.set_all_config(config, [])
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=False)
        # The runtime's set of pending outputs defaults to one set shared by every context; a
        # failed run leaves tasks of its (closed) loop in it. Give this run its own.
        SETTINGS.outputs = set()

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


def _unwrap_secrets(value: Any) -> Any:
    """Plain values for the plugin: the engine strips secrets before calling a dynamic provider
    (it answers Configure with acceptSecrets=False), and ``__provider`` is always a secret."""
    value = rpc.unwrap_rpc_secret(value)
    if isinstance(value, dict):
        return {key: _unwrap_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(item) for item in value]
    return value
