"""Reads for the web app's lists (each in one query whatever the number of rows), and a check record."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select, update

from arrimage.storage.database import Database
from arrimage.storage.models import Automation, AutomationVersion, Connection, Run


def automation_overview(db: Database, search: str = "") -> list[dict[str, Any]]:
    """Return every automation with its current document and its last run's status and time.

    ``search`` keeps the automations whose name contains it, ignoring case.
    """
    latest_run = (
        select(Run.id).where(Run.automation_id == Automation.id)
        .order_by(Run.created_at.desc(), Run.id.desc()).limit(1)
        .correlate(Automation).scalar_subquery()
    )
    query = (
        select(Automation.id, Automation.name, Automation.enabled, Automation.current_version,
               AutomationVersion.document, Run.status, Run.created_at)
        .join(AutomationVersion, (AutomationVersion.automation_id == Automation.id)
              & (AutomationVersion.version == Automation.current_version))
        .outerjoin(Run, Run.id == latest_run)
        .order_by(func.lower(Automation.name), Automation.id)
    )
    if search.strip():
        query = query.where(func.lower(Automation.name).contains(search.strip().lower(), autoescape=True))
    with db.read() as connection:
        rows = connection.execute(query).all()
    return [
        {"id": row[0], "name": row[1], "enabled": row[2], "version": row[3], "document": row[4],
         "last_run_status": row[5], "last_run_at": row[6]}
        for row in rows
    ]


def connection_names(db: Database) -> dict[str, set[str]]:
    """Return, per app, the ids and names of its connections (what ``connection:`` may name)."""
    names: dict[str, set[str]] = {}
    with db.read() as connection:
        for app, connection_id, name in connection.execute(
                select(Connection.app, Connection.id, Connection.name)):
            names.setdefault(app, set()).update((connection_id, name))
    return names


def automation_names(db: Database) -> dict[str, str]:
    """Return every automation's name by id, for labels and filters."""
    with db.read() as connection:
        return dict(connection.execute(select(Automation.id, Automation.name).order_by(Automation.name)).all())



def record_connection_check(db: Database, connection_id: str, account_name: str | None) -> None:
    """Store the account name that a successful check of a connection returned, and when."""
    with db.session() as session:
        session.execute(update(Connection).where(Connection.id == connection_id).values(
            account_name=(account_name or None) and account_name[:200], checked_at=datetime.now(timezone.utc)))
