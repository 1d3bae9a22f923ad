"""Stored runs and step records: claiming a run, recording steps, recovery, replay, retention.

A worker *claims* a run before executing it and holds a lease that each recorded step renews.
Only the lease holder may record steps, so a run resumed after its worker died is never
executed by two workers at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, delete, func, or_, select, update

from arrimage.engine.errors import ConflictError, NotFoundError
from arrimage.engine.records import (
    FINISHED_RUN_STATUSES,
    STATUS_LABELS,
    RunOutcome,
    RunStatus,
    StepRecord,
    StepStatus,
)
from arrimage.i18n import _l
from arrimage.storage.database import Database
from arrimage.storage.events import _iso
from arrimage.storage.models import AutomationVersion, Event, Run, RunStep


_RUNS = Run.__table__
_STEPS = RunStep.__table__
_CLAIM = (
    update(_RUNS)
    .where(
        _RUNS.c.id == bindparam("b_run"),
        or_(
            _RUNS.c.status == RunStatus.QUEUED.value,
            and_(_RUNS.c.status == RunStatus.WAITING_RETRY.value, _RUNS.c.next_attempt_at <= bindparam("b_due")),
            and_(_RUNS.c.status == RunStatus.RUNNING.value, _RUNS.c.lease_until < bindparam("b_now")),
        ),
    )
    .values(status=RunStatus.RUNNING.value, worker=bindparam("b_worker"), lease_until=bindparam("b_lease"),
            started_at=func.coalesce(_RUNS.c.started_at, bindparam("b_now")))
)
_LOAD_RUN = (
    select(Run.automation_id, Run.automation_version, Event.id, Event.payload, Event.received_at,
           AutomationVersion.document)
    .join(Event, Event.id == Run.event_id)
    .join(AutomationVersion, (AutomationVersion.automation_id == Run.automation_id)
          & (AutomationVersion.version == Run.automation_version))
    .where(Run.id == bindparam("b_run"))
)
_LOAD_STEPS = select(_STEPS).where(_STEPS.c.run_id == bindparam("b_run"))
_INSERT_STEP = _STEPS.insert()
_UPDATE_STEP = _STEPS.update().where(_STEPS.c.run_id == bindparam("b_run"), _STEPS.c.step_id == bindparam("b_step"))
_RENEW = (
    update(_RUNS)
    .where(_RUNS.c.id == bindparam("b_run"), _RUNS.c.worker == bindparam("b_worker"),
           _RUNS.c.status == RunStatus.RUNNING.value)
    .values(lease_until=bindparam("b_lease"))
)
_FINISH = update(_RUNS).where(
    _RUNS.c.id == bindparam("b_run"), _RUNS.c.worker == bindparam("b_worker"),
    _RUNS.c.status == RunStatus.RUNNING.value,
)


class LeaseLostError(Exception):
    """Another worker took this run over (its lease had expired): stop without recording."""


@dataclass
class ClaimedRun:
    run_id: str
    automation_id: str
    automation_version: int
    document: dict[str, Any]
    event: dict[str, Any]
    trigger_output: dict[str, Any]
    records: dict[str, StepRecord]


class RunRepository:
    def __init__(self, db: Database, lease_seconds: float) -> None:
        self.db = db
        self.lease = timedelta(seconds=lease_seconds)

    def claim(self, run_id: str, worker: str) -> ClaimedRun | None:
        """Take ``run_id`` for ``worker`` if it is queued, due, or abandoned; else return None."""
        now = _now()
        with self.db.write() as connection:
            claimed = connection.execute(_CLAIM, {
                "b_run": run_id, "b_worker": worker, "b_now": now,
                "b_due": now + timedelta(seconds=1), "b_lease": now + self.lease,
            })
            if claimed.rowcount != 1:
                return None

            run = connection.execute(_LOAD_RUN, {"b_run": run_id}).one()
            records = {row.step_id: _record(row) for row in connection.execute(_LOAD_STEPS, {"b_run": run_id})}
            if "trigger" not in records:
                trigger = StepRecord(step_id="trigger", position=0, kind="trigger",
                                     status=StepStatus.SUCCEEDED, output=run[3], started_at=run[4],
                                     finished_at=now, attempts=1)
                connection.execute(_INSERT_STEP, _row(run_id, trigger))
                records["trigger"] = trigger

        return ClaimedRun(
            run_id=run_id, automation_id=run[0], automation_version=run[1], document=run[5],
            event={"id": run[2], "received_at": _iso(run[4])}, trigger_output=run[3], records=records,
        )

    def save_step(self, run_id: str, worker: str, record: StepRecord) -> None:
        """Commit a step's record and renew the lease; raise LeaseLostError if it was lost."""
        with self.db.write() as connection:
            renewed = connection.execute(_RENEW, {"b_run": run_id, "b_worker": worker, "b_lease": _now() + self.lease})
            if renewed.rowcount != 1:
                raise LeaseLostError(run_id)
            values = _row(run_id, record)
            changed = connection.execute(_UPDATE_STEP, {**values, "b_run": run_id, "b_step": record.step_id})
            if changed.rowcount == 0:
                connection.execute(_INSERT_STEP, values)

    def finish(self, run_id: str, worker: str, outcome: RunOutcome) -> bool:
        """Record how the pass ended; returns False if the lease was lost meanwhile."""
        now = _now()
        values: dict[str, Any] = {"status": outcome.status.value, "error": outcome.error,
                                  "lease_until": None, "b_run": run_id, "b_worker": worker}
        if outcome.status is RunStatus.WAITING_RETRY:
            values["next_attempt_at"] = now + timedelta(seconds=outcome.retry_in_seconds or 0)
            values["finished_at"] = None
        else:
            values["finished_at"] = now
            values["next_attempt_at"] = None
        with self.db.write() as connection:
            return connection.execute(_FINISH, values).rowcount == 1

    def due_for_recovery(
        self,
        grace_seconds: float,
        limit: int = 500,
        *,
        in_queue: Callable[[], frozenset[str] | None] = frozenset,
    ) -> list[str]:
        """Return runs that a lost queue message or a dead worker left behind, and mark them.

        A queued or waiting run still not picked up ``grace_seconds`` after it was due, and a
        running run whose lease expired, are returned so the caller enqueues them again.
        ``in_queue`` returns the ids of runs whose message is still in the queue: those are
        waiting their turn and are skipped. It is called only when some run is overdue, outside
        the write transaction. When it returns None, the queue's content is unknown, and then
        only expired leases are returned.
        """
        now = _now()
        overdue = now - timedelta(seconds=grace_seconds)
        runs = Run.__table__
        expired_lease = and_(runs.c.status == RunStatus.RUNNING.value, runs.c.lease_until < now)
        overdue_queued = and_(
            runs.c.status.in_([RunStatus.QUEUED.value, RunStatus.WAITING_RETRY.value]),
            runs.c.next_attempt_at < overdue,
        )
        with self.db.read() as connection:
            any_overdue = connection.execute(select(runs.c.id).where(overdue_queued).limit(1)).first()
        queued = in_queue() if any_overdue is not None else frozenset()
        condition = expired_lease if queued is None else or_(overdue_queued, expired_lease)
        in_queue_ids = queued or frozenset()
        with self.db.session() as session:
            run_ids = [
                run_id
                for run_id in session.scalars(
                    select(runs.c.id).where(condition).limit(limit + len(in_queue_ids))
                )
                if run_id not in in_queue_ids
            ][:limit]
            if run_ids:
                # Push queued and waiting runs' due time forward so the next sweep skips them
                # while the new message is in the queue.
                session.execute(
                    update(runs).where(runs.c.id.in_(run_ids), runs.c.status != RunStatus.RUNNING.value)
                    .values(next_attempt_at=now)
                )
        return run_ids

    def replay(self, run_id: str, current_version: int) -> dict[str, Any]:
        """Queue a failed run again from its failed step, with the automation's current version."""
        runs = Run.__table__
        steps = RunStep.__table__
        with self.db.session() as session:
            status = session.scalar(select(runs.c.status).where(runs.c.id == run_id))
            if status is None:
                raise NotFoundError(_l("No run has the id {id}.", id=run_id))
            if status != RunStatus.FAILED.value:
                raise ConflictError(_l(
                    "The run {id} has the status {status}: only a failed run can be replayed.",
                    id=run_id, status=STATUS_LABELS.get(status, status)))
            session.execute(
                update(steps).where(steps.c.run_id == run_id, steps.c.status == StepStatus.FAILED.value)
                .values(status=StepStatus.PENDING.value, attempts=0)
            )
            session.execute(
                update(runs).where(runs.c.id == run_id).values(
                    status=RunStatus.QUEUED.value, error=None, finished_at=None, worker=None,
                    automation_version=current_version, next_attempt_at=_now(),
                    replays=runs.c.replays + 1,
                )
            )
        return self.get(run_id)

    def get(self, run_id: str) -> dict[str, Any]:
        """Return a run with its event id and every step record, in execution order."""
        with self.db.read_session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise NotFoundError(_l("No run has the id {id}.", id=run_id))
            summary = _summary(run)
            summary["steps"] = [_record(step).as_dict() for step in session.scalars(
                select(RunStep).where(RunStep.run_id == run_id).order_by(RunStep.position))]
            return summary

    def list(self, *, automation_id: str | None = None, status: str | None = None,
             since: datetime | None = None, until: datetime | None = None,
             limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Return runs, newest first, filtered by automation, status and creation time."""
        with self.db.read_session() as session:
            query = select(Run).order_by(Run.created_at.desc(), Run.id.desc()).limit(limit).offset(offset)
            if automation_id:
                query = query.where(Run.automation_id == automation_id)
            if status:
                query = query.where(Run.status == status)
            if since:
                query = query.where(Run.created_at >= since)
            if until:
                query = query.where(Run.created_at < until)
            return [_summary(run) for run in session.scalars(query)]

    def erase_email(self, email: str) -> int:
        """Delete every event, run and step record that mentions ``email``; return the run count.

        The address is matched without regard to case, in event payloads and in the input and
        output of every step, as written or JSON-escaped (non-ASCII characters).
        """
        needles = {email.strip().lower(), json.dumps(email.strip().lower())[1:-1]}
        with self.db.session() as session:
            event_ids: set[str] = set()
            for needle in needles:
                event_ids.update(session.scalars(
                    select(Event.id).where(func.lower(cast(Event.payload, Text)).contains(needle, autoescape=True))))
                step_runs = select(RunStep.run_id).where(or_(
                    func.lower(cast(RunStep.input, Text)).contains(needle, autoescape=True),
                    func.lower(cast(RunStep.output, Text)).contains(needle, autoescape=True),
                ))
                event_ids.update(session.scalars(select(Run.event_id).where(Run.id.in_(step_runs))))
            if not event_ids:
                return 0
            chunk_ids = list(event_ids)
            erased = 0
            for start in range(0, len(chunk_ids), 500):
                chunk = chunk_ids[start:start + 500]
                run_ids = select(Run.id).where(Run.event_id.in_(chunk)).scalar_subquery()
                session.execute(delete(RunStep).where(RunStep.run_id.in_(run_ids)))
                erased += session.execute(delete(Run).where(Run.event_id.in_(chunk))).rowcount
                session.execute(delete(Event).where(Event.id.in_(chunk)))
            return erased

    def purge(self, older_than_days: int) -> int:
        """Delete finished runs (with their steps and events) created before the retention period."""
        cutoff = _now() - timedelta(days=older_than_days)
        finished = [status.value for status in FINISHED_RUN_STATUSES]
        with self.db.session() as session:
            event_ids = list(session.scalars(
                select(Run.event_id).where(Run.created_at < cutoff, Run.status.in_(finished))))
            if not event_ids:
                return 0
            for start in range(0, len(event_ids), 500):
                chunk = event_ids[start:start + 500]
                run_ids = select(Run.id).where(Run.event_id.in_(chunk)).scalar_subquery()
                session.execute(delete(RunStep).where(RunStep.run_id.in_(run_ids)))
                session.execute(delete(Run).where(Run.event_id.in_(chunk)))
                session.execute(delete(Event).where(Event.id.in_(chunk)))
            return len(event_ids)


def _row(run_id: str, record: StepRecord) -> dict[str, Any]:
    return {
        "run_id": run_id, "step_id": record.step_id, "position": record.position,
        "kind": record.kind, "app": record.app, "operation": record.operation,
        "status": record.status.value, "input": record.input, "output": record.output,
        "warnings": record.warnings, "error": record.error, "attempts": record.attempts,
        "started_at": record.started_at, "finished_at": record.finished_at,
        "duration_ms": record.duration_ms,
    }


def _record(row: Any) -> StepRecord:
    return StepRecord(
        step_id=row.step_id, position=row.position, kind=row.kind, status=StepStatus(row.status),
        app=row.app, operation=row.operation, input=row.input, output=row.output,
        warnings=list(row.warnings or []), error=row.error, attempts=row.attempts,
        started_at=row.started_at, finished_at=row.finished_at, duration_ms=row.duration_ms,
    )


def _summary(run: Run) -> dict[str, Any]:
    return {
        "id": run.id, "automation_id": run.automation_id, "automation_version": run.automation_version,
        "event_id": run.event_id, "status": run.status, "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
        "next_attempt_at": _iso(run.next_attempt_at), "error": run.error, "replays": run.replays,
    }


def _now() -> datetime:
    return datetime.now(timezone.utc)
