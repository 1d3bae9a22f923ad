"""Stored connections: saved credentials for one account of an app, secrets encrypted."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import bindparam, or_, select, text

from arrimage.connectors.context import ConnectionData
from arrimage.connectors.declaration import App, FieldType
from arrimage.engine.errors import ConflictError, InvalidInputError, NotFoundError
from arrimage.i18n import _l
from arrimage.ids import new_id
from arrimage.storage.database import Database
from arrimage.storage.models import Automation, AutomationVersion, Connection
from arrimage.storage.secrets import SecretBox

# Key of the PostgreSQL advisory lock that serializes connection name changes (any constant
# that no other lock of Arrimage uses).
_NAME_LOCK_KEY = 7461721

# How many decrypted connections a process keeps; past it the cache starts over.
_MAX_DECRYPTED = 256

_RESOLVE = select(
    Connection.id, Connection.app, Connection.name, Connection.config, Connection.secrets
).where(
    Connection.app == bindparam("app"),
    or_(Connection.id == bindparam("reference"), Connection.name == bindparam("reference")),
)


class ConnectionRepository:
    """Create, read and delete connections; secrets are only ever returned decrypted to code."""

    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box
        # Decrypted secrets by ciphertext, so that each one is decrypted once per process.
        self._decrypted: dict[bytes, dict[str, Any]] = {}

    def create(self, app: App, name: str, values: dict[str, Any]) -> dict[str, Any]:
        """Store a connection; password fields go to the encrypted part. Returns its summary.

        Raises :class:`ConflictError` when another connection to ``app`` has the same name.
        """
        config, secrets = _split_values(app, values)
        now = datetime.now(timezone.utc)
        connection = Connection(
            id=new_id("con"), app=app.key, name=name.strip() or app.key, config=config,
            secrets=self.box.encrypt_json(secrets), created_at=now, updated_at=now,
        )
        with self.db.session() as session:
            self._lock_names(session)
            _reject_taken_name(session, app, connection.name)
            session.add(connection)
        return summarize(connection)

    def check_name_free(self, app: App, name: str, connection_id: str | None = None) -> None:
        """Raise :class:`ConflictError` if a connection to ``app`` other than ``connection_id`` has ``name``.

        Entry points call it before checking credentials with the app, so a taken name is
        reported without a request to the app. :meth:`create` and :meth:`update` check again.
        """
        with self.db.read_session() as session:
            _reject_taken_name(session, app, name.strip() or app.key, connection_id)

    def update(self, connection_id: str, app: App, *, name: str | None = None,
               values: dict[str, Any] | None = None, removed: Collection[str] = ()) -> dict[str, Any]:
        """Rename a connection, replace some of its values and remove the keys in ``removed``.

        Values that are neither replaced nor removed are kept. Raises :class:`ConflictError`
        when the new name is taken by another connection to ``app``.
        """
        with self.db.session() as session:
            connection = _get(session, connection_id)
            if name is not None and (name.strip() or connection.name) != connection.name:
                self._lock_names(session)
                _reject_taken_name(session, app, name.strip(), connection_id)
                connection.name = name.strip()
            if values or removed:
                config, secrets = _split_values(app, values or {})
                kept_config = {key: value for key, value in connection.config.items() if key not in removed}
                connection.config = {**kept_config, **config}
                stored = self.box.decrypt_json(connection.secrets)
                kept_secrets = {key: value for key, value in stored.items() if key not in removed}
                connection.secrets = self.box.encrypt_json({**kept_secrets, **secrets})
            connection.updated_at = datetime.now(timezone.utc)
            return summarize(connection)

    def list(self, app: str | None = None) -> list[dict[str, Any]]:
        """Return every connection's summary (no secrets), newest first."""
        with self.db.read_session() as session:
            query = select(Connection).order_by(Connection.created_at.desc())
            if app:
                query = query.where(Connection.app == app)
            return [summarize(connection) for connection in session.scalars(query)]

    def get(self, connection_id: str) -> dict[str, Any]:
        """Return one connection's summary (no secrets)."""
        with self.db.read_session() as session:
            return summarize(_get(session, connection_id))

    def resolve(self, reference: str, app: str) -> ConnectionData:
        """Return the connection named or identified by ``reference`` for ``app``, decrypted.

        Every delivery and every step calls this, so it runs a prebuilt Core statement and
        decrypts each stored ciphertext once per process.
        """
        with self.db.read() as connection:
            matches = connection.execute(_RESOLVE, {"app": app, "reference": reference}).all()
        if not matches:
            raise NotFoundError(_l(
                "No {app} connection is named {reference}: create it, or fix the name in the "
                "automation.", app=app, reference=repr(reference)))
        if len(matches) > 1:
            raise ConflictError(_l(
                "Several {app} connections are named {reference}: use the connection's id.",
                app=app, reference=repr(reference)))
        row = matches[0]
        return ConnectionData(
            id=row.id, app=row.app, name=row.name, config=dict(row.config),
            secrets=self._decrypt(bytes(row.secrets)),
        )

    def _decrypt(self, ciphertext: bytes) -> dict[str, Any]:
        # A ciphertext always decrypts to the same secrets, so it is a safe cache key, because
        # a changed secret is stored as a new ciphertext. Callers get a copy, so that a caller
        # that changes it leaves the cache as it was. The secrets are flat text values, so a
        # shallow copy is enough.
        secrets = self._decrypted.get(ciphertext)
        if secrets is None:
            secrets = self.box.decrypt_json(ciphertext)
            if len(self._decrypted) >= _MAX_DECRYPTED:
                self._decrypted.clear()
            self._decrypted[ciphertext] = secrets
        return dict(secrets)

    def _lock_names(self, session: Any) -> None:
        # On SQLite, BEGIN IMMEDIATE already serializes writers. On PostgreSQL, two transactions
        # could both find a name free and both insert it, so they take this lock in turn.
        if not self.db.is_sqlite:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NAME_LOCK_KEY})

    def delete(self, connection_id: str) -> None:
        """Delete a connection unless an automation uses it (the error lists which)."""
        with self.db.session() as session:
            connection = _get(session, connection_id)
            users = _automations_using(session, connection)
            if users:
                raise ConflictError(_l(
                    "The connection {name} is used by: {automations}. Change these automations "
                    "first.", name=connection.name, automations=", ".join(users)), automations=users)
            session.delete(connection)


def summarize(connection: Connection) -> dict[str, Any]:
    """Return what may be shown of a connection: never its secrets."""
    return {
        "id": connection.id,
        "app": connection.app,
        "name": connection.name,
        "config": dict(connection.config),
        "account_name": connection.account_name,
        "checked_at": connection.checked_at.isoformat() if connection.checked_at else None,
        "created_at": connection.created_at.isoformat(),
    }


def _split_values(app: App, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    known = {field.key: field for field in app.connection_fields}
    config: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    for key, value in values.items():
        field = known.get(key)
        if field is None:
            raise InvalidInputError(_l(
                "The app {app} has no connection field {field}. Known: {known}.",
                app=app.key, field=repr(key), known=", ".join(known) or "-"))
        (secrets if field.type is FieldType.PASSWORD else config)[key] = value
    return config, secrets


def _reject_taken_name(session: Any, app: App, name: str, connection_id: str | None = None) -> None:
    """Raise :class:`ConflictError` naming the connection to ``app`` that already has ``name``.

    Steps find a connection by app and name, so two connections to one app must not share a
    name. Connections to different apps may.
    """
    query = select(Connection.id).where(Connection.app == app.key, Connection.name == name)
    if connection_id is not None:
        query = query.where(Connection.id != connection_id)
    existing_id = session.scalar(query.limit(1))
    if existing_id is not None:
        raise ConflictError(_l(
            "The {app} connection {id} already has the name {name}. Steps find a connection by "
            "its name, so choose another name.", app=app.name, id=existing_id, name=repr(name)),
            connection_id=existing_id)


def _get(session: Any, connection_id: str) -> Connection:
    connection = session.get(Connection, connection_id)
    if connection is None:
        raise NotFoundError(_l("No connection has the id {id}.", id=connection_id))
    return connection


def _automations_using(session: Any, connection: Connection) -> list[str]:
    """Return the ids of automations whose current version refers to ``connection``."""
    rows = session.execute(
        select(Automation.id, AutomationVersion.document).join(
            AutomationVersion,
            (AutomationVersion.automation_id == Automation.id)
            & (AutomationVersion.version == Automation.current_version),
        )
    )
    references = {connection.id, connection.name}
    return [automation_id for automation_id, document in rows
            if references & set(_connection_references(document))]


def _connection_references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["connection"]] if isinstance(node.get("connection"), str) else []
        for value in node.values():
            if isinstance(value, dict | list):
                found += _connection_references(value)
        return found
    if isinstance(node, list):
        return [ref for item in node for ref in _connection_references(item)]
    return []
