"""The scheduler: recovery of lost runs, the retention purge and (later) polling triggers.

Several processes may run a scheduler thread, but only the holder of the ``scheduler`` lease
acts, so each periodic job runs once per tick however many processes there are. The lease is a
database row with an expiry, renewed every tick: if its holder dies, another process takes
over after ``lease_seconds``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite

from arrimage.storage.database import Database
from arrimage.storage.models import Lease

logger = logging.getLogger(__name__)


class LeaderLease:
    """A named lease in the database; :meth:`acquire` takes or renews it."""

    def __init__(self, db: Database, name: str, owner: str, lease_seconds: float) -> None:
        self.db = db
        self.name = name
        self.owner = owner
        self.duration = timedelta(seconds=lease_seconds)
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert

    def acquire(self) -> bool:
        """Return True if this owner holds the lease now (taking it over if it expired)."""
        now = datetime.now(timezone.utc)
        table = Lease.__table__
        with self.db.session() as session:
            session.execute(
                self._insert(table).values(name=self.name, owner=self.owner, expires_at=now + self.duration)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            taken = session.execute(
                update(table)
                .where(table.c.name == self.name,
                       or_(table.c.owner == self.owner, table.c.expires_at < now))
                .values(owner=self.owner, expires_at=now + self.duration)
            )
            return taken.rowcount == 1

    def release(self) -> None:
        """Give the lease up so another process can take it at once."""
        table = Lease.__table__
        with self.db.session() as session:
            session.execute(
                update(table).where(table.c.name == self.name, table.c.owner == self.owner)
                .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1))
            )


class Scheduler:
    """A thread that runs ``jobs`` every ``interval`` seconds while it holds the lease."""

    def __init__(self, db: Database, jobs: list[tuple[str, float, Callable[[], None]]],
                 interval_seconds: float, lease_seconds: float | None = None) -> None:
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.lease = LeaderLease(db, "scheduler", self.owner, lease_seconds or max(15.0, interval_seconds * 3))
        self.jobs = jobs  # (name, every_seconds, function)
        self.interval = interval_seconds
        self._last_run: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.is_leader = False

    def start(self) -> None:
        """Start the scheduler thread."""
        self._thread = threading.Thread(target=self._loop, name="arrimage-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and give the lease up."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.is_leader:
            try:
                self.lease.release()
            except Exception:  # shutting down: the lease expires by itself anyway
                logger.warning("could not release the scheduler lease", exc_info=True)

    def tick(self, now: float) -> None:
        """Run the jobs that are due, if this process holds the lease."""
        leader = self.lease.acquire()
        if leader != self.is_leader:
            logger.info("scheduler %s %s the lease", self.owner, "took" if leader else "lost")
        self.is_leader = leader
        if not leader:
            return
        for name, every, job in self.jobs:
            if now - self._last_run.get(name, float("-inf")) < every:
                continue
            self._last_run[name] = now
            try:
                job()
            except Exception:
                logger.exception("scheduled job %s failed; it runs again next time", name)

    def _loop(self) -> None:
        import time

        while not self._stop.is_set():
            try:
                self.tick(time.monotonic())
            except Exception:
                logger.exception("scheduler tick failed")
            self._stop.wait(self.interval)
