"""Settings read from ``ARRIMAGE_*`` environment variables and command-line flags.

Everything has a default that works on one machine with no other service: data in
``./data`` (or ``ARRIMAGE_DATA_DIR``), a SQLite database and a SQLite-backed queue in it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from arrimage.i18n import _

logger = logging.getLogger(__name__)

DEFAULT_PORT = 8465
# The address of ``arrimage sandbox`` started without --port.
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8466"
# The token that ``arrimage sandbox`` accepts when it is started without --token. It repeats
# ``arrimage.sandbox.config.DEFAULT_TOKEN`` because importing the sandbox package loads its web app.
DEFAULT_SANDBOX_TOKEN = "sandbox-token"
SECRET_KEY_FILE = "secret.key"


class ConfigurationError(Exception):
    """A setting is missing or invalid; the message names the variable and the fix."""


class Settings(BaseSettings):
    """Arrimage's configuration. Each field maps to ``ARRIMAGE_<FIELD NAME>``.

    ``sandbox_url`` (``ARRIMAGE_SANDBOX_URL``, default ``http://127.0.0.1:8466``) is the address
    of the local Cyberimpact sandbox that the connection form's "Use the local sandbox" button
    fills in, with ``sandbox_token`` (``ARRIMAGE_SANDBOX_TOKEN``, default ``sandbox-token``).
    Set them when ``arrimage sandbox`` runs on another port or with another token.
    ``arrimage demo`` sets both to those of its own sandbox.
    """

    model_config = SettingsConfigDict(env_prefix="ARRIMAGE_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the database, queue and key.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file arrimage.db in data_dir."
    )
    queue_url: str | None = Field(
        default=None, description="redis://… for Redis; default: SQLite file queue.db in data_dir."
    )
    queue_name: str = Field(
        default="arrimage", description="Queue name; processes sharing a queue use the same name."
    )
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_url: str | None = Field(
        default=None, description="Base URL that apps use to reach the webhooks (shown to users)."
    )
    secret_key: str | None = Field(
        default=None, description="Fernet key for stored secrets; default: data_dir/secret.key."
    )
    sandbox_url: str = Field(
        default=DEFAULT_SANDBOX_URL,
        description="Base URL of the local Cyberimpact sandbox that the connection form offers.",
    )
    sandbox_token: str = Field(
        default=DEFAULT_SANDBOX_TOKEN,
        description="API token of that sandbox, filled in by the same button.",
    )

    workers: int = Field(default=4, ge=1, le=64, description="Worker threads per process.")
    webhook_max_bytes: int = Field(default=1_048_576, ge=1024, description="Largest webhook body.")
    run_retention_days: int = Field(default=30, ge=1)
    max_attempts: int = Field(default=5, ge=1, le=50, description="Tries of a step on transient errors.")
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_max_seconds: float = Field(default=300.0, gt=0)
    run_lease_seconds: float = Field(
        default=300.0, gt=0, description="A running run whose worker is silent this long is resumed."
    )
    queued_grace_seconds: float = Field(
        default=60.0, gt=0, description="A queued run not picked up after this long is enqueued again."
    )
    scheduler_interval_seconds: float = Field(default=5.0, gt=0)
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    queue_poll_seconds: float = Field(
        default=0.05, gt=0, description="Maximum pause, in seconds, of an idle SQLite queue consumer."
    )
    log_level: str = "INFO"

    @field_validator("database_url", "queue_url", "secret_key", "public_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @field_validator("sandbox_url")
    @classmethod
    def _check_sandbox_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return DEFAULT_SANDBOX_URL
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not a valid URL: start it with http:// or https://, "
                             f"such as {DEFAULT_SANDBOX_URL}")
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to ``data_dir/arrimage.db``."""
        if self.database_url:
            url = self.database_url
            # "postgresql://" means psycopg 3, the driver Arrimage installs, not psycopg2.
            if url.startswith("postgresql://") or url.startswith("postgres://"):
                url = "postgresql+psycopg://" + url.split("://", 1)[1]
            return url
        return f"sqlite:///{(self.data_dir / 'arrimage.db').resolve()}"

    @cached_property
    def queue_backend(self) -> str:
        """Return ``redis`` or ``sqlite``."""
        if not self.queue_url or self.queue_url.startswith("sqlite"):
            return "sqlite"
        if self.queue_url.startswith(("redis://", "rediss://", "unix://")):
            return "redis"
        raise ConfigurationError(
            f"ARRIMAGE_QUEUE_URL={self.queue_url!r} is not supported: "
            "use redis://host:port/db, or leave it empty for the SQLite queue."
        )

    @cached_property
    def queue_path(self) -> Path:
        """Return the SQLite queue file (``sqlite:///path`` or ``data_dir/queue.db``)."""
        if self.queue_url and self.queue_url.startswith("sqlite:///"):
            return Path(self.queue_url.removeprefix("sqlite:///"))
        return self.data_dir / "queue.db"

    @property
    def base_url(self) -> str:
        """Return the URL users give to apps for webhooks, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def ensure_data_dir(self) -> Path:
        """Create the data directory if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def fernet_key(self, *, may_create: Callable[[], bool] = lambda: True) -> bytes:
        """Return the key that encrypts stored secrets, creating it on first start.

        The key lives outside the database on purpose: a copy of the database alone does not
        reveal API tokens. Losing the key makes every stored secret unreadable. When neither
        ``ARRIMAGE_SECRET_KEY`` nor the key file exists, a new key is created only if
        ``may_create()`` returns true. Otherwise :class:`ConfigurationError` is raised, because
        a new key would not decrypt what the database already contains.
        """
        if self.secret_key:
            key = self.secret_key.encode()
            _check_fernet_key(key, "ARRIMAGE_SECRET_KEY")
            return key

        path = self.ensure_data_dir() / SECRET_KEY_FILE
        if path.exists():
            key = path.read_bytes().strip()
            _check_fernet_key(key, str(path))
            return key

        if not may_create():
            raise ConfigurationError(_(
                "The secret key file {path} is missing, and the database contains secrets "
                "encrypted with another key, so Arrimage does not create a new one. Restore the "
                "backed-up key file, or set ARRIMAGE_SECRET_KEY to the key.", path=path.resolve()))

        key = Fernet.generate_key()
        # O_EXCL: two processes starting at once must not write two different keys.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return self.fernet_key(may_create=may_create)
        with os.fdopen(fd, "wb") as key_file:
            key_file.write(key + b"\n")
        logger.warning(
            "Created a new secret key at %s. Back it up: without it, stored tokens and "
            "webhook secrets cannot be decrypted.",
            path,
        )
        return key


def _check_fernet_key(key: bytes, source: str) -> None:
    try:
        Fernet(key)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"The secret key from {source} is not a valid Fernet key (32 url-safe base64 bytes). "
            "Restore the backed-up key, or generate one with "
            "'python -c \"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())\"'."
        ) from exc
