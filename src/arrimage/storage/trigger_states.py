"""Polling triggers' state: a cursor and a bounded list of the source ids already seen."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from arrimage.storage.database import Database
from arrimage.storage.models import Automation, TriggerState

# Enough to cover the items a source returns for the same instant across a few polls. Older ids
# are also caught by the events table's unique de-duplication key.
MAX_SEEN_IDS = 1000


@dataclass
class StoredTriggerState:
    automation_id: str
    cursor: dict[str, Any] | None = None
    seen_ids: list[str] = field(default_factory=list)
    seeded_at: datetime | None = None
    polled_at: datetime | None = None
    error: str | None = None


class TriggerStateRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
        self._insert = dialect.insert(TriggerState.__table__).on_conflict_do_nothing(
            index_elements=["automation_id"]
        )

    def get(self, automation_id: str) -> StoredTriggerState:
        """Return the state of ``automation_id``'s trigger (empty if it never polled)."""
        with self.db.read_session() as session:
            row = session.get(TriggerState, automation_id)
            if row is None:
                return StoredTriggerState(automation_id)
            return StoredTriggerState(automation_id, row.cursor, list(row.seen_ids or []),
                                      row.seeded_at, row.polled_at, row.error)

    def claim_due(self, automation_id: str, every_seconds: float) -> bool:
        """Mark a poll as started if the last one is older than ``every_seconds``.

        Returns False when another scheduler tick or process already took this poll.
        """
        now = datetime.now(timezone.utc)
        table = TriggerState.__table__
        with self.db.write() as connection:
            connection.execute(self._insert, {"automation_id": automation_id, "seen_ids": []})
            claimed = connection.execute(
                update(table)
                .where(table.c.automation_id == automation_id,
                       or_(table.c.polled_at.is_(None),
                           table.c.polled_at <= now - timedelta(seconds=every_seconds)))
                .values(polled_at=now)
            )
            return claimed.rowcount == 1

    def save(self, state: StoredTriggerState) -> None:
        """Store the cursor, the seen ids (newest last, trimmed) and the error of a poll."""
        table = TriggerState.__table__
        with self.db.write() as connection:
            connection.execute(self._insert, {"automation_id": state.automation_id, "seen_ids": []})
            connection.execute(
                update(table).where(table.c.automation_id == state.automation_id).values(
                    cursor=state.cursor, seen_ids=state.seen_ids[-MAX_SEEN_IDS:],
                    seeded_at=state.seeded_at, polled_at=state.polled_at, error=state.error,
                )
            )

    def due_automations(self) -> list[tuple[str, str, str]]:
        """Return ``(automation id, trigger app, trigger key)`` of every enabled automation."""
        with self.db.read() as connection:
            rows = connection.execute(
                select(Automation.id, Automation.trigger_app, Automation.trigger_key)
                .where(Automation.enabled.is_(True))
            )
            return [(row[0], row[1], row[2]) for row in rows]
