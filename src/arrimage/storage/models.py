"""Database tables, as SQLAlchemy 2 declarative models.

Timestamps are timezone-aware UTC. JSON columns hold documents that only Arrimage reads:
automation documents, event payloads, and each step's input and output.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware.

    SQLite keeps no offset, so values are converted to UTC on the way in and tagged on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware value")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Connection(Base):
    """Saved credentials for one account of an app. ``secrets`` is Fernet-encrypted JSON."""

    __tablename__ = "connections"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    app: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secrets: Mapped[bytes] = mapped_column(LargeBinary)
    account_name: Mapped[str | None] = mapped_column(String(200))
    checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Automation(Base):
    """An automation's identity and state; its content lives in versions."""

    __tablename__ = "automations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # The secret in the webhook URL, encrypted because the UI shows the URL again for copying.
    webhook_secret: Mapped[bytes] = mapped_column(LargeBinary)
    trigger_app: Mapped[str] = mapped_column(String(64))
    trigger_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    versions: Mapped[list[AutomationVersion]] = relationship(
        back_populates="automation", cascade="all, delete-orphan", order_by="AutomationVersion.version"
    )


class AutomationVersion(Base):
    """One saved version of an automation document (the JSON form of the YAML file)."""

    __tablename__ = "automation_versions"

    automation_id: Mapped[str] = mapped_column(
        ForeignKey("automations.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]

    automation: Mapped[Automation] = relationship(back_populates="versions")


class Event(Base):
    """One item a trigger produced, stored before the sender gets its 2xx response."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("automation_id", "dedup_key", name="uq_events_dedup"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    automation_id: Mapped[str] = mapped_column(
        ForeignKey("automations.id", ondelete="CASCADE"), index=True
    )
    # The source's event id, or a hash of the body. A second delivery with the same key gets a
    # 2xx response and starts nothing.
    dedup_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    # Only non-sensitive headers (content type, user agent, the source's id headers).
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime] = mapped_column(index=True)
    # A bad event that was accepted keeps its error here, for replay after a fix.
    error: Mapped[str | None] = mapped_column(Text)


class Run(Base):
    """One event going through one automation."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_runs_automation_created", "automation_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    automation_id: Mapped[str] = mapped_column(ForeignKey("automations.id", ondelete="CASCADE"))
    automation_version: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # When a waiting run is due, or when a queued run may be considered lost.
    next_attempt_at: Mapped[datetime | None]
    # A running run whose lease expires was abandoned by a dead worker and is resumed.
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    replays: Mapped[int] = mapped_column(Integer, default=0)

    steps: Mapped[list[RunStep]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="RunStep.position"
    )


class RunStep(Base):
    """The record of one step of a run: what went in, what came out, and how it went."""

    __tablename__ = "run_steps"
    __table_args__ = (UniqueConstraint("run_id", "step_id", name="uq_run_steps_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    app: Mapped[str | None] = mapped_column(String(64))
    operation: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    input: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    output: Mapped[Any | None] = mapped_column(JSON)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[float | None]

    run: Mapped[Run] = relationship(back_populates="steps")


class TriggerState(Base):
    """A polling trigger's cursor and the ids it has already seen, per automation."""

    __tablename__ = "trigger_states"

    automation_id: Mapped[str] = mapped_column(
        ForeignKey("automations.id", ondelete="CASCADE"), primary_key=True
    )
    cursor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Newest last; trimmed to a maximum length so the set stays bounded.
    seen_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    seeded_at: Mapped[datetime | None]
    polled_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class Lease(Base):
    """A named lock with an expiry, held by one process (the scheduler's)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class User(Base):
    """A person who signs in to the web app. ``password_hash`` is an argon2 hash."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # The interface language and time zone this person chose; None follows the browser.
    locale: Mapped[str | None] = mapped_column(String(10))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser. Only a SHA-256 of the cookie's token is stored."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A token for scripts calling the REST API. Only a SHA-256 of it is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, shown in the list so a person can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class LoginAttempt(Base):
    """Failed sign-ins counted per email address and per client address, for rate limiting."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]


class StoredSetting(Base):
    """A setting changed in the web app (such as the run retention), as JSON."""

    __tablename__ = "stored_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime]
