"""Run and step results: plain data, JSON-ready, the same shape a worker stores and the API returns.

Statuses follow ACR exactly (run: ``Succeeded Failed Canceled Error Timeout``; step: ``successful failed
skipped``) because users' scripts and dashboards compare these strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    """ACR's run statuses: ``Queued``, ``Started`` (an agent took it) and ``Running`` are active; the rest
    are final."""

    QUEUED = "Queued"
    STARTED = "Started"
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    CANCELED = "Canceled"
    ERROR = "Error"
    TIMEOUT = "Timeout"

    @property
    def finished(self) -> bool:
        return self not in (RunStatus.QUEUED, RunStatus.STARTED, RunStatus.RUNNING)


class StepStatus(StrEnum):
    SKIPPED = "skipped"
    RUNNING = "inprogress"
    SUCCESSFUL = "successful"
    FAILED = "failed"


def _iso(t: datetime | None) -> str | None:
    return t.isoformat().replace("+00:00", "Z") if t else None


@dataclass
class OutputImage:
    registry: str
    repository: str
    tag: str
    digest: str

    def to_dict(self) -> dict[str, Any]:
        return {"registry": self.registry, "repository": self.repository, "tag": self.tag, "digest": self.digest}


@dataclass
class StepResult:
    id: str
    status: StepStatus = StepStatus.SKIPPED
    exit_code: int | None = None
    attempts: int = 0
    start_time: datetime | None = None
    finish_time: datetime | None = None
    error: str | None = None
    image_id: str | None = None
    # ref -> digest for images this step pushed
    pushed: dict[str, str] = field(default_factory=dict)
    # platforms a build step built for (``linux/arm64``), as recorded in the run record
    platforms: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status.value,
            "exitCode": self.exit_code,
            "attempts": self.attempts,
            "startTime": _iso(self.start_time),
            "finishTime": _iso(self.finish_time),
        }
        if self.error:
            out["error"] = self.error
        if self.image_id:
            out["imageId"] = self.image_id
        if self.pushed:
            out["pushed"] = dict(self.pushed)
        if self.platforms:
            out["platforms"] = list(self.platforms)
        return out


@dataclass
class RunError:
    """Why a run did not succeed: which step (if any) and the reason, for humans and for the API."""

    message: str
    step_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"stepId": self.step_id, "message": self.message}


@dataclass
class RunResult:
    run_id: str
    status: RunStatus
    start_time: datetime
    finish_time: datetime
    steps: list[StepResult]
    output_images: list[OutputImage] = field(default_factory=list)
    dependencies: list[dict[str, Any]] = field(default_factory=list)
    error: RunError | None = None

    @property
    def duration(self) -> float:
        return (self.finish_time - self.start_time).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "status": self.status.value,
            "startTime": _iso(self.start_time),
            "finishTime": _iso(self.finish_time),
            "steps": [s.to_dict() for s in self.steps],
            "outputImages": [o.to_dict() for o in self.output_images],
            "dependencies": list(self.dependencies),
            "error": self.error.to_dict() if self.error else None,
        }
