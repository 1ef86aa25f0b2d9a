"""Builders shared by the executor tests: tiny plans, a run helper on a MemorySink."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tasks_engine.backends.fake import FakeBackend
from tasks_engine.plan.model import RunPlan, StepSpec, StepType
from tasks_engine.runtime.executor import execute_plan
from tasks_engine.runtime.results import RunResult, StepResult
from tasks_engine.runtime.sinks import MemorySink


@dataclass
class Outcome:
    result: RunResult
    sink: MemorySink
    backend: FakeBackend

    def step(self, step_id: str) -> StepResult:
        return next(s for s in self.result.steps if s.id == step_id)

    @property
    def engine(self) -> list[str]:
        return self.sink.texts(engine=True)


class Kit:
    @staticmethod
    def step(step_id: str, *deps: str, **kwargs: Any) -> StepSpec:
        kwargs.setdefault("type", StepType.CMD)
        if kwargs["type"] is StepType.CMD:
            kwargs.setdefault("image", "busybox")
        kwargs.setdefault("retry_delay", 0)
        return StepSpec(id=step_id, depends_on=list(deps), **kwargs)

    @staticmethod
    def plan(*steps: StepSpec, **kwargs: Any) -> RunPlan:
        kwargs.setdefault("run_id", "run1")
        return RunPlan(steps=list(steps), **kwargs)

    @staticmethod
    def run(plan: RunPlan, backend: FakeBackend, **kwargs: Any) -> Outcome:
        sink = MemorySink()
        kwargs.setdefault("poll_interval", 0.01)
        kwargs.setdefault("stop_grace", 5.0)
        result = execute_plan(plan, backend, sink=sink, **kwargs)
        return Outcome(result, sink, backend)


@pytest.fixture
def kit() -> Kit:
    return Kit()
