"""Stored automations: each save of a changed document is a new version."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, func, select, update

from arrimage.engine.document import ActionStep, AutomationDocument, SearchStep
from arrimage.engine.errors import ConflictError, DocumentError, DocumentIssue, NotFoundError
from arrimage.engine.validation import load_document
from arrimage.i18n import _l
from arrimage.ids import new_id, new_secret
from arrimage.storage.connections import ConnectionRepository
from arrimage.storage.database import Database
from arrimage.storage.models import Automation, AutomationVersion, Run, TriggerState
from arrimage.storage.secrets import SecretBox


@dataclass(frozen=True)
class ActiveAutomation:
    """The automation data that the webhook intake reads in one query."""

    id: str
    enabled: bool
    version: int
    document: AutomationDocument
    webhook_secret: bytes


_ACTIVE = (
    select(Automation.enabled, Automation.current_version, Automation.webhook_secret, AutomationVersion.document)
    .join(AutomationVersion, (AutomationVersion.automation_id == Automation.id)
          & (AutomationVersion.version == Automation.current_version))
    .where(Automation.id == bindparam("automation"))
)


class AutomationRepository:
    def __init__(self, db: Database, box: SecretBox, connections: ConnectionRepository) -> None:
        self.db = db
        self.box = box
        self.connections = connections

    def save(self, data: dict[str, Any], *, check_connections: bool = True, draft: bool = False) -> dict[str, Any]:
        """Validate ``data`` and store it: a new automation, or a new version of an existing one.

        Returns the summary with ``created`` and ``new_version`` flags. Raises DocumentError.
        ``check_connections=False`` accepts connections that do not exist yet (a recipe imported
        before its connections are made); the caller must keep such an automation off.
        ``draft=True`` (the editor) also accepts missing required values and connections, but
        only while the automation is off: an automation that is on is always checked in full.
        """
        if draft and data.get("id") and self._is_enabled(str(data["id"])):
            draft = False
        document = load_document(data, draft=draft)
        if check_connections and not draft:
            self._check_connections(document)
        now = datetime.now(timezone.utc)

        with self.db.session() as session:
            automation = session.get(Automation, document.id) if document.id else None
            created = automation is None
            new_version = True
            if automation is None:
                automation_id = document.id or new_id("aut")
                automation = Automation(
                    id=automation_id, name=document.name, enabled=False, current_version=1,
                    webhook_secret=self.box.encrypt_text(new_secret()),
                    trigger_app=document.trigger.app, trigger_key=document.trigger.event,
                    created_at=now, updated_at=now,
                )
                session.add(automation)
                stored = _stored_form(document, automation_id)
                session.add(AutomationVersion(automation_id=automation_id, version=1, document=stored, created_at=now))
            else:
                stored = _stored_form(document, automation.id)
                current = session.get(AutomationVersion, (automation.id, automation.current_version))
                if current is not None and current.document == stored:
                    new_version = False
                else:
                    latest = session.scalar(
                        select(func.max(AutomationVersion.version)).where(AutomationVersion.automation_id == automation.id)
                    ) or 0
                    automation.current_version = latest + 1
                    session.add(AutomationVersion(
                        automation_id=automation.id, version=latest + 1, document=stored, created_at=now))
                    automation.name = document.name
                    automation.trigger_app = document.trigger.app
                    automation.trigger_key = document.trigger.event
                    automation.updated_at = now
            session.flush()
            summary = self._summary(automation, stored)
        summary.update(created=created, new_version=new_version)
        return summary

    def list(self) -> list[dict[str, Any]]:
        """Return every automation's summary with its last run's status and time."""
        with self.db.read_session() as session:
            automations = list(session.scalars(select(Automation).order_by(Automation.created_at)))
            last_runs = dict(
                session.execute(
                    select(Run.automation_id, func.max(Run.created_at)).group_by(Run.automation_id)
                ).all()
            )
            summaries = []
            for automation in automations:
                summary = self._summary(automation, None)
                last = last_runs.get(automation.id)
                summary["last_run_at"] = last.isoformat() if last else None
                if last is not None:
                    summary["last_run_status"] = session.scalar(
                        select(Run.status).where(Run.automation_id == automation.id, Run.created_at == last).limit(1)
                    )
                summaries.append(summary)
            return summaries

    def get(self, automation_id: str) -> dict[str, Any]:
        """Return one automation's summary with its current document."""
        with self.db.read_session() as session:
            automation = _get(session, automation_id)
            version = session.get(AutomationVersion, (automation.id, automation.current_version))
            return self._summary(automation, version.document if version else None)

    def document(self, automation_id: str, version: int | None = None) -> dict[str, Any]:
        """Return the stored document (the current version unless ``version`` is given)."""
        with self.db.read_session() as session:
            automation = _get(session, automation_id)
            stored = session.get(AutomationVersion, (automation.id, version or automation.current_version))
            if stored is None:
                raise NotFoundError(_l("The automation {id} has no version {version}.",
                                       id=automation_id, version=version))
            return dict(stored.document)

    def active(self, automation_id: str) -> ActiveAutomation | None:
        """Return the automation with its parsed current document, or None if it does not exist."""
        with self.db.read() as connection:
            row = connection.execute(_ACTIVE, {"automation": automation_id}).first()
        if row is None:
            return None
        enabled, version, secret, stored = row
        return ActiveAutomation(automation_id, enabled, version, parsed_version(automation_id, version, stored), secret)

    def versioned_document(self, automation_id: str, version: int) -> AutomationDocument:
        """Return a parsed version of an automation (parsing is cached, the read is not)."""
        return parsed_version(automation_id, version, self.document(automation_id, version))

    def set_enabled(self, automation_id: str, enabled: bool) -> dict[str, Any]:
        """Turn an automation on or off.

        Turning on checks the current version in full, since the editor may have saved it as
        a draft; raises DocumentError listing what is missing.
        """
        if enabled:
            load_document(self.document(automation_id))
        with self.db.session() as session:
            automation = _get(session, automation_id)
            if enabled and not automation.enabled:
                # Turning a polling automation on seeds its trigger again: nothing old fires.
                session.execute(update(TriggerState).where(TriggerState.automation_id == automation_id)
                                .values(seeded_at=None, polled_at=None))
            automation.enabled = enabled
            automation.updated_at = datetime.now(timezone.utc)
            return self._summary(automation, None)

    def _is_enabled(self, automation_id: str) -> bool:
        with self.db.read_session() as session:
            automation = session.get(Automation, automation_id)
            return bool(automation is not None and automation.enabled)

    def delete(self, automation_id: str) -> None:
        """Delete an automation with its versions, events and runs."""
        with self.db.session() as session:
            session.delete(_get(session, automation_id))

    def webhook_secret(self, automation_id: str) -> str:
        """Return the secret part of the automation's webhook URL."""
        with self.db.read_session() as session:
            return self.box.decrypt_text(_get(session, automation_id).webhook_secret)

    def secret_matches(self, active: ActiveAutomation, given: str) -> bool:
        """Compare a presented webhook secret with the stored one in constant time."""
        expected = self.box.decrypt_text(active.webhook_secret)
        return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))

    def _summary(self, automation: Automation, document: dict[str, Any] | None) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "id": automation.id,
            "name": automation.name,
            "enabled": automation.enabled,
            "version": automation.current_version,
            "trigger": {"app": automation.trigger_app, "event": automation.trigger_key},
            "created_at": automation.created_at.isoformat(),
            "updated_at": automation.updated_at.isoformat(),
        }
        if document is not None:
            summary["document"] = document
        return summary

    def _check_connections(self, document: AutomationDocument) -> None:
        issues: list[DocumentIssue] = []
        references: list[tuple[str, str, str]] = []
        if document.trigger.connection:
            references.append(("trigger, field connection", document.trigger.connection, document.trigger.app))
        for location, step in document.iter_steps():
            if isinstance(step, ActionStep | SearchStep) and step.connection:
                references.append((f"step {step.id!r} ({location}), field connection", step.connection, step.app))
        for location, reference, app in references:
            try:
                self.connections.resolve(reference, app)
            except (NotFoundError, ConflictError) as exc:
                issues.append(DocumentIssue(location, exc.message))
        if issues:
            raise DocumentError(issues)


def _stored_form(document: AutomationDocument, automation_id: str) -> dict[str, Any]:
    stored = document.model_dump(mode="json", exclude_none=True)
    stored["id"] = automation_id
    return stored


def parsed_version(automation_id: str, version: int, stored: dict[str, Any]) -> AutomationDocument:
    """Return a version's parsed document, reusing the last parse of the same stored document.

    The cache entry is checked against ``stored`` because an id and version do not identify
    one document for ever: an automation deleted and created again with the same id starts
    at version 1 again, possibly in another process.
    """
    key = (automation_id, version)
    cached = _VERSION_CACHE.get(key)
    if cached is not None and cached[0] == stored:
        return cached[1]
    document = AutomationDocument.model_validate(stored)
    if len(_VERSION_CACHE) > 1024:
        _VERSION_CACHE.clear()
    _VERSION_CACHE[key] = (stored, document)
    return document


_VERSION_CACHE: dict[tuple[str, int], tuple[dict[str, Any], AutomationDocument]] = {}


def _get(session: Any, automation_id: str) -> Automation:
    automation = session.get(Automation, automation_id)
    if automation is None:
        raise NotFoundError(_l("No automation has the id {id}.", id=automation_id))
    return automation
