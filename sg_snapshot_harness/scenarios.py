"""The scenario-table runner the lifecycle tests share: play each step, check its kind (or its
exception), the exact AWS calls it made (the emulator's log), then what AWS holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import pytest

from sg_snapshot_provider.emulator import Emulator

from .engine import StepKind


class ScenarioStep(Protocol):
    """One row: ``action`` with ``inputs``; ``expect`` is a step kind, an exception class, or
    None for out-of-band actions (which are not checked); ``aws``: the calls it must make."""

    @property
    def action(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any] | None: ...
    @property
    def expect(self) -> StepKind | type[Exception] | None: ...
    @property
    def aws(self) -> tuple[str, ...]: ...


class ScenarioRunner:
    """Subclasses fill ``actions`` and say what to check after a step."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.actions: dict[str, Callable[[Any], Any]] = {}

    def play(self, number: int, step: ScenarioStep) -> None:
        self.emulator.clear_calls()
        where = f"step {number} ({step.action} {step.inputs})"
        if step.expect is None:
            self.actions[step.action](step)
            self.emulator.clear_calls()
            return
        if isinstance(step.expect, type):
            with pytest.raises(step.expect):
                self.actions[step.action](step)
        else:
            result = self.actions[step.action](step)
            assert result.kind is step.expect, where
        made = self.calls_of(step)
        assert made == list(step.aws), f"{where}: made {made}"
        self.check(where, step)

    def play_all(self, steps: Sequence[ScenarioStep]) -> None:
        for number, step in enumerate(steps, start=1):
            self.play(number, step)

    def aws_calls(self) -> list[str]:
        return [f"{call.service}:{call.operation}" for call in self.emulator.calls()]

    def calls_of(self, step: ScenarioStep) -> list[str]:
        """The calls to compare with the row (``service:Operation``)."""
        return self.aws_calls()

    def check(self, where: str, step: ScenarioStep) -> None:
        """What AWS must hold after a checked step."""
