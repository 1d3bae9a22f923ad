"""Arguments of connector functions: the request, the connection and the step's context."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class ConnectionData:
    """A connection as connectors see it: configuration plus decrypted secrets."""

    id: str
    app: str
    name: str
    config: dict[str, Any]
    # Kept out of the representation, which tracebacks, debuggers and log lines print.
    secrets: dict[str, Any] = field(repr=False)

    def value(self, key: str) -> Any:
        """Return a secret or configuration value, secrets first; None if absent."""
        if key in self.secrets:
            return self.secrets[key]
        return self.config.get(key)


@dataclass(frozen=True)
class WebhookRequest:
    """A webhook delivery as received: raw body bytes (for signatures) and lower-case headers."""

    body: bytes
    headers: dict[str, str]
    query: dict[str, str] = field(default_factory=dict)
    # What some apps sign besides the body, such as HubSpot's v3 signature: the HTTP method and
    # the URL as this process received it. Behind a proxy, the app signed the URL users gave it,
    # which is the same path and query under ARRIMAGE_PUBLIC_URL.
    method: str = "POST"
    url: str = ""
    published_url: str = ""

    @property
    def content_type(self) -> str:
        """Return the media type without parameters, lower-case (``application/json``)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclass
class TriggerContext:
    """The context passed to a trigger's ``parse`` or ``poll``."""

    automation_id: str
    options: dict[str, Any]
    connection: ConnectionData | None
    http: httpx.Client | None = None
    logger: logging.LoggerAdapter[logging.Logger] | None = None


@dataclass(frozen=True)
class FormatSettings:
    """A step's settings for converting values to the app's formats (its ``formats:`` block)."""

    # Keys of the fields whose value is sent as mapped, only trimmed, without conversion.
    off: frozenset[str] = frozenset()
    # Order of all-numeric dates such as 04/12/1990: "dmy", "mdy" or "ymd".
    date_order: str = "dmy"
    # "fr_ca" or "en_ca" for languages other than French and English, or None to leave them out.
    default_language: str | None = None
    # Whether a province or state given as the country becomes CA or US.
    province_implies_country: bool = False


@dataclass
class StepContext:
    """The context passed to an action's or search's ``perform``, besides its mapped input."""

    automation_id: str
    run_id: str
    step_id: str
    attempt: int
    connection: ConnectionData | None
    http: httpx.Client
    timeout_seconds: float
    logger: logging.LoggerAdapter[logging.Logger]
    # Warnings the step wants shown on its record (e.g. a value left out).
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # The step's conversion settings, the defaults when the step has no formats: block.
    formats: FormatSettings = field(default_factory=FormatSettings)
    # Facts an earlier attempt recorded before it failed with a transient error (such as the id
    # of a contact it created), so the retry can finish the work instead of starting over.
    # The engine passes them to the step's next attempt, or to its replay after a failure.
    progress: dict[str, Any] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """Return a key stable across retries of this step, for apps that de-duplicate writes."""
        return f"arrimage-{self.run_id}-{self.step_id}"
