"""The task queue: Huey on SQLite by default, on Redis for scale-out.

Messages carry only ids and JSON (see :class:`JsonSerializer`), never pickled objects, so a
shared Redis contains nothing that could run code when read.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.registry import Message
from huey.serializer import Serializer
from huey.storage import SqliteStorage

from arrimage.config import Settings

# The only task fields Arrimage uses; chords, callbacks and expiry stay unused.
_MESSAGE_FIELDS = ("id", "name", "eta", "retries", "retry_delay", "priority", "args", "kwargs",
                   "expires", "expires_resolved", "timeout", "retry_backoff")


class JsonSerializer(Serializer):
    """Serialize Huey messages as JSON; refuse anything that is not plain data."""

    def _serialize(self, data: Any) -> bytes:
        if not isinstance(data, Message):
            return json.dumps({"value": data}).encode()
        if data.on_complete or data.on_error or data.chord_config:
            raise TypeError("Arrimage tasks do not use callbacks or chords")
        fields = {name: getattr(data, name) for name in _MESSAGE_FIELDS}
        for name in ("eta", "expires_resolved"):
            if isinstance(fields[name], datetime):
                fields[name] = fields[name].isoformat()
        fields["args"] = list(fields["args"] or ())
        return json.dumps(fields, separators=(",", ":")).encode()

    def _deserialize(self, data: bytes) -> Any:
        fields = json.loads(data)
        if "value" in fields and "name" not in fields:
            return fields["value"]
        for name in ("eta", "expires_resolved"):
            if fields.get(name):
                fields[name] = datetime.fromisoformat(fields[name])
        fields["args"] = tuple(fields.get("args") or ())
        return Message(**fields)


class SqliteQueueStorage(SqliteStorage):
    """Huey's SQLite storage with ``synchronous=NORMAL`` instead of SQLite's default FULL.

    In WAL mode NORMAL survives a process crash and skips an fsync per message. A power loss
    can drop the last messages, so the scheduler's recovery sweep enqueues those runs again
    from the database.
    """

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("pragma synchronous=NORMAL")
        return connection


def create_huey(settings: Settings, name: str = "arrimage") -> Huey:
    """Return the Huey instance for the configured queue backend (no tasks registered yet)."""
    serializer = JsonSerializer()
    if settings.queue_backend == "redis":
        return RedisHuey(name=name, url=settings.queue_url, results=False, serializer=serializer,
                         utc=True, blocking=True, read_timeout=1)
    path = settings.queue_path
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name=name, filename=str(path), results=False, serializer=serializer,
                      utc=True, timeout=30, storage_class=SqliteQueueStorage)
