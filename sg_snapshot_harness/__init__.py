"""The engine harness: the real dynamic-provider plugin driven over gRPC by a fake engine, and a
runner for Pulumi programs under mocks whose dynamic resources go through that engine.

A development package of this repository, used by the tests and by ``scripts/`` (demo, bench,
reliability, golden states). It is not in the wheel: pyproject.toml packages only
``sg_snapshot_provider``, and nothing in that package imports this one."""

from sg_snapshot_provider.inputs import PROVIDER_KEY

from .engine import (
    CheckFailedError,
    CheckFailure,
    CheckOutcome,
    DeploymentCancelledError,
    DeploymentFailedError,
    DeploymentRun,
    DiffOutcome,
    Engine,
    EngineDiedError,
    Options,
    PendingCreate,
    ProtectedError,
    ResourceState,
    StepKind,
    StepResult,
)
from .plugin import PluginError, PluginProcess, PluginStartError, plugin_environment, start_plugin
from .program import ProgramRun, RegisteredResource, run_program
from .properties import UNKNOWN, Secret

__all__ = [
    "PROVIDER_KEY",
    "UNKNOWN",
    "CheckFailedError",
    "CheckFailure",
    "CheckOutcome",
    "DeploymentCancelledError",
    "DeploymentFailedError",
    "DeploymentRun",
    "DiffOutcome",
    "Engine",
    "EngineDiedError",
    "Options",
    "PendingCreate",
    "PluginError",
    "PluginProcess",
    "PluginStartError",
    "ProgramRun",
    "ProtectedError",
    "RegisteredResource",
    "ResourceState",
    "Secret",
    "StepKind",
    "StepResult",
    "plugin_environment",
    "run_program",
    "start_plugin",
]
