"""Seed data: custom fields, groups and members loaded from a JSON or YAML file.

Dates in a seed file are ``yyyy-mm-dd HH:MM:SS`` in the sandbox's time zone, or ISO 8601 with
an offset. Member fields use the API's names and pass the same checks as ``POST /members``.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field

from arrimage.sandbox.config import SandboxConfig
from arrimage.sandbox.consent import (
    check_consent_date,
    check_proof,
    check_relation_type,
    consent_type,
)
from arrimage.sandbox.dates import to_db
from arrimage.sandbox.errors import ApiError
from arrimage.sandbox.store import Store
from arrimage.sandbox.validation import member_columns

logger = logging.getLogger(__name__)

SEEDS_DIR = Path(__file__).parent / "seeds"


class SeedError(ValueError):
    """A seed file is unreadable or contains invalid data; the message names the file and entry."""


class SeedCustomField(BaseModel):
    """A custom-field definition."""

    id: int = Field(ge=1, le=999_999_999)
    name: str
    type: Literal["text", "date", "integer", "decimal number"]


class SeedGroup(BaseModel):
    """A group, static unless ``isDynamic``."""

    id: int | None = None
    title: str
    isPublic: bool = False
    isDynamic: bool = False
    mailingsCount: int = 0
    createdOn: str


class SeedMember(BaseModel):
    """A member: API fields plus its groups, dates, consent and counters."""

    model_config = ConfigDict(extra="allow")

    id: int | None = None
    email: str
    groups: list[int] = Field(default_factory=list)
    joinedOn: str
    updatedOn: str | None = None
    unsubscribedOn: str | None = None
    hardBouncedOn: str | None = None
    relationType: str = "active-clients"
    consentDate: str | None = None
    consentProof: str | None = None
    mailingsReceived: int = 0
    mailingsOpened: int = 0
    mailingsClicked: int = 0


class SeedFile(BaseModel):
    """The whole seed document."""

    customFields: list[SeedCustomField] = Field(default_factory=list)
    groups: list[SeedGroup] = Field(default_factory=list)
    members: list[SeedMember] = Field(default_factory=list)


def read_seed(path: Path) -> SeedFile:
    """Parse a ``.json``, ``.yaml`` or ``.yml`` seed file."""
    try:
        text = path.read_text(encoding="utf-8")
        data = (
            yaml.safe_load(text) if path.suffix.lower() in (".yaml", ".yml") else json.loads(text)
        )
        return SeedFile.model_validate(data)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise SeedError(f"cannot load seed file {path}: {exc}") from exc


def _instant(value: str | None, zone: ZoneInfo) -> str | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return to_db(moment)


def _insert(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> None:
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(values.values()))


def _member_values(conn: sqlite3.Connection, member: SeedMember, zone: ZoneInfo) -> dict[str, Any]:
    fields = member.model_dump(exclude={"groups"})
    relation = check_relation_type(member.relationType)
    values = member_columns(
        conn, {**(member.model_extra or {}), "email": member.email}, "create", {}
    )
    values.update(
        joined_on=_instant(member.joinedOn, zone),
        updated_on=_instant(member.updatedOn, zone),
        unsubscribed_on=_instant(member.unsubscribedOn, zone),
        hard_bounced_on=_instant(member.hardBouncedOn, zone),
        consent_type=consent_type(relation),
        relation_type=relation,
        consent_date=check_consent_date(member.consentDate),
        consent_proof=check_proof(member.consentProof),
        mailings_received=fields["mailingsReceived"],
        mailings_opened=fields["mailingsOpened"],
        mailings_clicked=fields["mailingsClicked"],
    )
    if member.id is not None:
        values["id"] = member.id
    return values


def load_seed(store: Store, config: SandboxConfig, seed: SeedFile, source: str = "seed") -> None:
    """Insert a seed's records into ``store`` in one transaction; raise SeedError on bad data."""
    zone = config.zone
    with store.transaction() as conn:
        for field in seed.customFields:
            _insert(conn, "custom_fields", field.model_dump())
        for group in seed.groups:
            values = {
                "title": group.title,
                "is_public": group.isPublic,
                "is_dynamic": group.isDynamic,
                "mailings_count": group.mailingsCount,
                "created_on": _instant(group.createdOn, zone),
            }
            _insert(conn, "groups", values if group.id is None else {"id": group.id, **values})
        for index, member in enumerate(seed.members):
            try:
                values = _member_values(conn, member, zone)
                _insert(conn, "members", values)
                member_id = conn.execute(
                    "SELECT id FROM members WHERE email = ?", (values["email"],)
                ).fetchone()[0]
                conn.executemany(
                    "INSERT INTO memberships (member_id, group_id) VALUES (?, ?)",
                    [(member_id, group_id) for group_id in member.groups],
                )
            except (ApiError, ValueError, sqlite3.IntegrityError) as exc:
                detail = (
                    "; ".join(text for _f, text in exc.errors)
                    if isinstance(exc, ApiError)
                    else str(exc)
                )
                raise SeedError(f"{source}: member {index} is invalid: {detail}") from exc
    logger.info(
        "Sandbox seeded from %s: %d custom fields, %d groups, %d members",
        source,
        len(seed.customFields),
        len(seed.groups),
        len(seed.members),
    )


def load_seed_file(store: Store, config: SandboxConfig, path: Path) -> None:
    """Read ``path`` and load it into ``store``."""
    load_seed(store, config, read_seed(path), str(path))


def seed_store(store: Store, config: SandboxConfig) -> None:
    """Load ``config.seed`` into ``store`` when one is configured."""
    if config.seed is not None:
        load_seed_file(store, config, config.seed)
