"""The database engine, sessions and automatic migrations.

SQLite runs in WAL mode, and every write transaction starts with ``BEGIN IMMEDIATE``: a
transaction that began as a reader and then tries to write can fail at once with
"database is locked", whereas an immediate one waits its turn for ``busy_timeout``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option for read-only work on SQLite: a plain BEGIN lets readers run beside a writer.
READ_ONLY = {"arrimage_read_only": True}


class Database:
    """An engine plus a session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _create_engine(url, echo=echo)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self._migrated = False
        self._migrate_lock = threading.Lock()
        # SQLite allows one writer at a time, and a writer that finds the lock taken sleeps in
        # steps of up to 100 ms. Queuing this process's writers on a Python lock hands the
        # database over at once instead; other processes still wait through busy_timeout.
        self._write_lock: threading.RLock | None = threading.RLock() if self.is_sqlite else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Open a session whose transaction commits at the end of the block, or rolls back."""
        if self._write_lock is None:
            with self.session_factory() as session:
                with session.begin():
                    yield session
            return
        with self._write_lock:
            with self.session_factory() as session:
                with session.begin():
                    yield session

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """Open a Core connection in a write transaction (the hot paths use Core, not the ORM)."""
        if self._write_lock is None:
            with self.engine.begin() as connection:
                yield connection
            return
        with self._write_lock:
            with self.engine.begin() as connection:
                yield connection

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """Open a Core connection for reads only; on SQLite it does not take the write lock."""
        with self.engine.connect() as connection:
            connection = connection.execution_options(**READ_ONLY)
            try:
                yield connection
            finally:
                connection.rollback()

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """Open a session for reads only; on SQLite it does not take the write lock."""
        with self.session_factory() as session:
            session.connection(execution_options=READ_ONLY)
            try:
                yield session
            finally:
                session.rollback()

    def migrate(self) -> None:
        """Apply every Alembic migration not yet applied (safe to call from several processes)."""
        with self._migrate_lock:
            if self._migrated:
                return
            config = alembic_config(self.url)
            with self.engine.begin() as connection:
                if not self.is_sqlite:
                    # Two processes starting together must not both create the tables.
                    connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7461720)")
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            self._migrated = True

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def alembic_config(url: str) -> AlembicConfig:
    """Return an Alembic configuration pointing at the packaged migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _create_engine(url: str, *, echo: bool) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)

    path = url.removeprefix("sqlite:///")
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below issue BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a process crash; only a power loss can drop the last
        # transactions, which is the usual trade for SQLite servers.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin_sqlite(connection: Any) -> None:
        if connection.get_execution_options().get("arrimage_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
