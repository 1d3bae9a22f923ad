"""Stored events, and the runs created with them in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from arrimage.engine.errors import NotFoundError
from arrimage.engine.records import RunStatus
from arrimage.i18n import _l
from arrimage.ids import new_id
from arrimage.storage.database import Database
from arrimage.storage.models import Event, Run


@dataclass(frozen=True)
class NewEvent:
    payload: dict[str, Any]
    dedup_key: str


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: ``duplicate`` True means an earlier delivery already created it."""

    event_id: str
    run_id: str | None
    duplicate: bool


_FIND_DUPLICATE = (
    select(Event.id, Run.id)
    .outerjoin(Run, Run.event_id == Event.id)
    .where(Event.automation_id == bindparam("automation"), Event.dedup_key == bindparam("key"))
)
_INSERT_RUN = Run.__table__.insert()


class EventRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        # The RETURNING row shows whether the insert happened, because with psycopg 3.3 and
        # SQLAlchemy 2.1 rowcount is -1 for INSERT … ON CONFLICT DO NOTHING on PostgreSQL.
        self._insert_event = dialect.insert(Event.__table__).on_conflict_do_nothing(
            index_elements=["automation_id", "dedup_key"]
        ).returning(Event.__table__.c.id)

    def store(
        self,
        automation_id: str,
        version: int,
        events: list[NewEvent],
        headers: dict[str, str],
        received_at: datetime | None = None,
    ) -> list[StoredEvent]:
        """Commit each new event with a queued run; a known de-duplication key stores nothing.

        The unique index on (automation, de-duplication key) decides between concurrent
        deliveries of the same event: exactly one insert succeeds.
        """
        received_at = received_at or datetime.now(timezone.utc)
        results: list[StoredEvent] = []
        with self.db.write() as connection:
            for event in events:
                event_id = new_id("evt")
                inserted = connection.execute(self._insert_event, {
                    "id": event_id, "automation_id": automation_id, "dedup_key": event.dedup_key,
                    "payload": event.payload, "headers": headers, "received_at": received_at,
                }).first()
                if inserted is None:
                    existing = connection.execute(
                        _FIND_DUPLICATE, {"automation": automation_id, "key": event.dedup_key}
                    ).first()
                    results.append(StoredEvent(existing[0] if existing else "", existing[1] if existing else None, True))
                    continue
                run_id = new_id("run")
                connection.execute(_INSERT_RUN, {
                    "id": run_id, "automation_id": automation_id, "automation_version": version,
                    "event_id": event_id, "status": RunStatus.QUEUED.value, "created_at": received_at,
                    "next_attempt_at": received_at, "replays": 0,
                })
                results.append(StoredEvent(event_id, run_id, False))
        return results

    def list(self, automation_id: str | None = None, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """Return events, newest first, without their payloads."""
        with self.db.read_session() as session:
            query = (
                select(Event.id, Event.automation_id, Event.dedup_key, Event.received_at, Run.id, Run.status)
                .outerjoin(Run, Run.event_id == Event.id)
                .order_by(Event.received_at.desc(), Event.id.desc())
                .limit(limit).offset(offset)
            )
            if automation_id:
                query = query.where(Event.automation_id == automation_id)
            return [
                {"id": row[0], "automation_id": row[1], "dedup_key": row[2],
                 "received_at": _iso(row[3]), "run_id": row[4], "run_status": row[5]}
                for row in session.execute(query)
            ]

    def get(self, event_id: str) -> dict[str, Any]:
        """Return one event with its payload and the id of its run."""
        with self.db.read_session() as session:
            event = session.get(Event, event_id)
            if event is None:
                raise NotFoundError(_l("No event has the id {id}.", id=event_id))
            run_id = session.scalar(select(Run.id).where(Run.event_id == event_id))
            return {
                "id": event.id, "automation_id": event.automation_id, "dedup_key": event.dedup_key,
                "received_at": _iso(event.received_at), "headers": event.headers,
                "payload": event.payload, "run_id": run_id, "error": event.error,
            }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat()


__all__ = ["EventRepository", "NewEvent", "StoredEvent"]
