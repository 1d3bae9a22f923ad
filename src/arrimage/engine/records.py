"""Run and step statuses, and the record of one step as the executor produces it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from arrimage.i18n import _l


class RunStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    FILTERED = "filtered"  # stopped by a filter step: a normal end, not an error
    WAITING_RETRY = "waiting_retry"


FINISHED_RUN_STATUSES = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.FILTERED})


class StepStatus(enum.StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    FILTERED = "filtered"
    WAITING_RETRY = "waiting_retry"
    PENDING = "pending"  # reset by a replay, to be run again


@dataclass
class StepRecord:
    """The record of one step; ``input`` is the mapped input, after templates."""

    step_id: str
    position: int
    kind: str
    status: StepStatus
    app: str | None = None
    operation: str | None = None
    input: Any = None
    output: Any = None
    warnings: list[Any] = field(default_factory=list)
    error: dict[str, Any] | None = None
    attempts: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration_ms: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready data (dates in ISO 8601)."""
        return {
            "step_id": self.step_id,
            "position": self.position,
            "kind": self.kind,
            "app": self.app,
            "operation": self.operation,
            "status": str(self.status),
            "input": self.input,
            "output": self.output,
            "warnings": self.warnings,
            "error": self.error,
            "attempts": self.attempts,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_ms": self.duration_ms,
        }


@dataclass
class RunOutcome:
    """The end state of one pass of the executor over a run."""

    status: RunStatus
    error: dict[str, Any] | None = None
    retry_in_seconds: float | None = None


# Status labels for people. The stored and API values stay the English keys.
STATUS_LABELS = {
    "queued": _l("queued"),
    "running": _l("running"),
    "succeeded": _l("succeeded"),
    "failed": _l("failed"),
    "filtered": _l("stopped by a filter"),
    "waiting_retry": _l("waiting to retry"),
    "pending": _l("to run again"),
}


def status_label(status: str | None) -> str:
    """Return a run or step status in the current language (the key itself if unknown)."""
    if not status:
        return "-"
    label = STATUS_LABELS.get(status)
    return label.render() if label else status
