"""The scheduler's lease: one holder at a time, take-over after expiry or release."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

from sqlalchemy import update

from arrimage.queue.scheduler import LeaderLease, Scheduler
from arrimage.runtime import Runtime
from arrimage.storage.models import Lease


def expire(runtime: Runtime, name: str) -> None:
    """Move a lease's expiry into the past, as if its holder had stopped renewing it."""
    with runtime.db.session() as session:
        session.execute(update(Lease).where(Lease.name == name)
                        .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))


def test_lease_has_one_holder(runtime: Runtime) -> None:
    first = LeaderLease(runtime.db, "test", "first", lease_seconds=60)
    second = LeaderLease(runtime.db, "test", "second", lease_seconds=60)

    assert first.acquire() is True
    assert second.acquire() is False
    assert first.acquire() is True


def test_lease_taken_after_expiry(runtime: Runtime) -> None:
    first = LeaderLease(runtime.db, "test", "first", lease_seconds=60)
    second = LeaderLease(runtime.db, "test", "second", lease_seconds=60)
    first.acquire()
    expire(runtime, "test")

    assert second.acquire() is True
    assert first.acquire() is False


def test_lease_taken_after_release(runtime: Runtime) -> None:
    first = LeaderLease(runtime.db, "test", "first", lease_seconds=60)
    second = LeaderLease(runtime.db, "test", "second", lease_seconds=60)
    first.acquire()

    first.release()

    assert second.acquire() is True
    assert first.acquire() is False


def test_concurrent_acquire_one_winner(runtime: Runtime) -> None:
    leases = [LeaderLease(runtime.db, "test", f"owner-{n}", lease_seconds=60) for n in range(8)]
    barrier = threading.Barrier(len(leases))
    results: dict[str, bool] = {}

    def acquire(lease: LeaderLease) -> None:
        barrier.wait()
        results[lease.owner] = lease.acquire()

    threads = [threading.Thread(target=acquire, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert list(results.values()).count(True) == 1


def test_two_schedulers_run_each_job_once(runtime: Runtime) -> None:
    calls: Counter[tuple[str, str, int]] = Counter()
    current_round = 0

    def job(scheduler_name: str, job_name: str) -> None:
        calls[(scheduler_name, job_name, current_round)] += 1

    schedulers = {
        name: Scheduler(runtime.db, jobs=[
            ("recover", 1.0, lambda name=name: job(name, "recover")),
            ("purge", 1.0, lambda name=name: job(name, "purge")),
        ], interval_seconds=1.0)
        for name in ("left", "right")
    }

    for current_round in range(5):
        barrier = threading.Barrier(2)
        now = 10.0 * current_round

        def tick(scheduler: Scheduler, now: float = now) -> None:
            barrier.wait()
            scheduler.tick(now)

        threads = [threading.Thread(target=tick, args=(scheduler,)) for scheduler in schedulers.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    for round_number in range(5):
        for job_name in ("recover", "purge"):
            runs = sum(calls[(name, job_name, round_number)] for name in schedulers)
            assert runs == 1, (job_name, round_number, calls)
    assert len({name for name, _job, _round in calls}) == 1
    assert sum(scheduler.is_leader for scheduler in schedulers.values()) == 1
