"""Run storage: exclusive claims, lease take-over, recovery and the retention purge."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select, update

from arrimage.engine.records import RunOutcome, RunStatus, StepRecord, StepStatus
from arrimage.runtime import Runtime
from arrimage.storage.events import NewEvent
from arrimage.storage.models import Event, Run, RunStep
from arrimage.storage.runs import ClaimedRun, LeaseLostError

AUTOMATION_ID = "stored-runs"


@pytest.fixture
def runtime(runtime: Runtime) -> Runtime:
    runtime.automations.save({
        "id": AUTOMATION_ID, "name": "Stored runs",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [],
    })
    return runtime


def new_run(runtime: Runtime, key: str) -> str:
    stored = runtime.events.store(AUTOMATION_ID, 1, [NewEvent({"key": key}, key)], {})
    run_id = stored[0].run_id
    assert run_id is not None
    return run_id


def set_run(runtime: Runtime, run_id: str, **values: Any) -> None:
    """Change a run's columns directly, to place it in time without sleeping."""
    with runtime.db.session() as session:
        session.execute(update(Run).where(Run.id == run_id).values(**values))


def step(step_id: str = "first") -> StepRecord:
    now = datetime.now(timezone.utc)
    return StepRecord(step_id=step_id, position=1, kind="action", status=StepStatus.SUCCEEDED,
                      app="http", operation="request", input={"n": 1}, output={"ok": True},
                      attempts=1, started_at=now, finished_at=now, duration_ms=1.0)


def ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(**delta)


def count(runtime: Runtime, model: Any, run_ids: list[str]) -> int:
    column = model.run_id if model is RunStep else model.id
    with runtime.db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(column.in_(run_ids))) or 0)


# -- claims and leases ---------------------------------------------------------------------

def test_claim_is_exclusive(runtime: Runtime) -> None:
    run_id = new_run(runtime, "a")
    barrier = threading.Barrier(2)
    claims: dict[str, ClaimedRun | None] = {}

    def claim(worker: str) -> None:
        barrier.wait()
        claims[worker] = runtime.runs.claim(run_id, worker)

    threads = [threading.Thread(target=claim, args=(worker,)) for worker in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    winners = [worker for worker, claimed in claims.items() if claimed is not None]
    assert len(winners) == 1
    assert runtime.runs.get(run_id)["status"] == "running"


def test_claim_loads_trigger_record(runtime: Runtime) -> None:
    run_id = new_run(runtime, "a")

    claimed = runtime.runs.claim(run_id, "one")

    assert claimed is not None
    assert claimed.trigger_output == {"key": "a"}
    assert claimed.records["trigger"].status is StepStatus.SUCCEEDED


def test_claim_of_held_run_fails(runtime: Runtime) -> None:
    run_id = new_run(runtime, "a")
    runtime.runs.claim(run_id, "one")

    assert runtime.runs.claim(run_id, "two") is None


def test_expired_lease_taken_over(runtime: Runtime) -> None:
    run_id = new_run(runtime, "a")
    runtime.runs.claim(run_id, "old")
    runtime.runs.save_step(run_id, "old", step("first"))
    set_run(runtime, run_id, lease_until=ago(seconds=5))

    claimed = runtime.runs.claim(run_id, "new")

    assert claimed is not None
    assert claimed.records["first"].output == {"ok": True}
    with pytest.raises(LeaseLostError):
        runtime.runs.save_step(run_id, "old", step("second"))
    runtime.runs.save_step(run_id, "new", step("second"))
    steps = [record["step_id"] for record in runtime.runs.get(run_id)["steps"]]
    assert steps == ["trigger", "first", "second"]


def test_finish_after_takeover_refused(runtime: Runtime) -> None:
    run_id = new_run(runtime, "a")
    runtime.runs.claim(run_id, "old")
    set_run(runtime, run_id, lease_until=ago(seconds=5))
    runtime.runs.claim(run_id, "new")

    assert runtime.runs.finish(run_id, "old", RunOutcome(RunStatus.SUCCEEDED)) is False
    assert runtime.runs.finish(run_id, "new", RunOutcome(RunStatus.SUCCEEDED)) is True
    assert runtime.runs.get(run_id)["status"] == "succeeded"


# -- recovery ------------------------------------------------------------------------------

def test_recovery_finds_lost_runs(runtime: Runtime) -> None:
    lost = new_run(runtime, "lost")
    fresh = new_run(runtime, "fresh")
    abandoned = new_run(runtime, "abandoned")
    leased = new_run(runtime, "leased")
    finished = new_run(runtime, "finished")
    set_run(runtime, lost, next_attempt_at=ago(seconds=120))
    runtime.runs.claim(abandoned, "dead-worker")
    set_run(runtime, abandoned, lease_until=ago(seconds=5))
    runtime.runs.claim(leased, "live-worker")
    runtime.runs.claim(finished, "live-worker")
    runtime.runs.finish(finished, "live-worker", RunOutcome(RunStatus.SUCCEEDED))
    set_run(runtime, finished, next_attempt_at=ago(seconds=120))

    due = runtime.runs.due_for_recovery(60)

    assert set(due) == {lost, abandoned}
    assert fresh not in due


def test_recovery_skips_requeued_run(runtime: Runtime) -> None:
    lost = new_run(runtime, "lost")
    set_run(runtime, lost, next_attempt_at=ago(seconds=120))

    first = runtime.runs.due_for_recovery(60)
    second = runtime.runs.due_for_recovery(60)

    assert first == [lost]
    assert second == []


def test_recovery_finds_overdue_retry(runtime: Runtime) -> None:
    waiting = new_run(runtime, "waiting")
    runtime.runs.claim(waiting, "one")
    runtime.runs.finish(waiting, "one", RunOutcome(RunStatus.WAITING_RETRY, retry_in_seconds=1))
    set_run(runtime, waiting, next_attempt_at=ago(seconds=120))

    assert runtime.runs.due_for_recovery(60) == [waiting]


def test_recovery_skips_run_still_in_queue(runtime: Runtime) -> None:
    waiting_turn = new_run(runtime, "waiting its turn")
    lost = new_run(runtime, "lost")
    runtime.huey.flush()
    runtime.enqueue_run(waiting_turn)
    set_run(runtime, waiting_turn, next_attempt_at=ago(seconds=120))
    set_run(runtime, lost, next_attempt_at=ago(seconds=120))

    recovered = runtime.recover_runs()

    assert recovered == 1
    assert runtime.run_ids_in_queue() == {waiting_turn, lost}
    assert runtime.huey.pending_count() == 2


def test_recovery_reads_queue_only_when_overdue(runtime: Runtime) -> None:
    fresh = new_run(runtime, "fresh")
    reads: list[str] = []

    def read_queue() -> frozenset[str]:
        reads.append("read")
        return frozenset()

    assert runtime.runs.due_for_recovery(60, in_queue=read_queue) == []
    assert reads == []

    set_run(runtime, fresh, next_attempt_at=ago(seconds=120))

    assert runtime.runs.due_for_recovery(60, in_queue=read_queue) == [fresh]
    assert reads == ["read"]


def test_recovery_with_unknown_queue_takes_leases_only(runtime: Runtime) -> None:
    lost = new_run(runtime, "lost")
    abandoned = new_run(runtime, "abandoned")
    set_run(runtime, lost, next_attempt_at=ago(seconds=120))
    runtime.runs.claim(abandoned, "dead-worker")
    set_run(runtime, abandoned, lease_until=ago(seconds=5))

    assert runtime.runs.due_for_recovery(60, in_queue=lambda: None) == [abandoned]
    assert set(runtime.runs.due_for_recovery(60)) == {lost, abandoned}


# -- retention -----------------------------------------------------------------------------

def finish_run(runtime: Runtime, key: str, status: RunStatus, age_days: float) -> str:
    run_id = new_run(runtime, key)
    runtime.runs.claim(run_id, "one")
    runtime.runs.save_step(run_id, "one", step())
    runtime.runs.finish(run_id, "one", RunOutcome(status))
    set_run(runtime, run_id, created_at=ago(days=age_days))
    return run_id


def test_purge_deletes_old_finished_runs(runtime: Runtime) -> None:
    old = [finish_run(runtime, f"old-{status}", status, 31)
           for status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.FILTERED)]
    old_events = [runtime.runs.get(run_id)["event_id"] for run_id in old]
    recent = finish_run(runtime, "recent", RunStatus.SUCCEEDED, 29)
    old_queued = new_run(runtime, "old-queued")
    set_run(runtime, old_queued, created_at=ago(days=31))
    old_running = new_run(runtime, "old-running")
    runtime.runs.claim(old_running, "one")
    set_run(runtime, old_running, created_at=ago(days=31))

    purged = runtime.runs.purge(30)

    assert purged == 3
    assert count(runtime, Run, old) == 0
    assert count(runtime, RunStep, old) == 0
    with runtime.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.id.in_(old_events))) == 0
    assert count(runtime, Run, [recent, old_queued, old_running]) == 3
    assert count(runtime, RunStep, [recent]) == 2
    assert {event["run_id"] for event in runtime.events.list(AUTOMATION_ID)} == {recent, old_queued, old_running}
