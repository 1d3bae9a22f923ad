"""Logging: ids in every line, no secrets, and the setup used by the command line.

Library code only calls ``logging.getLogger(__name__)``; :func:`configure_logging` is for the
``arrimage`` command. Ids (automation, run, step, event) travel in ``extra`` and are printed
as ``key=value`` after the message.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

ID_FIELDS = ("automation_id", "event_id", "run_id", "step_id", "connection_id")


class ContextAdapter(logging.LoggerAdapter[logging.Logger]):
    """A logger adapter that merges its ids with the ``extra`` of each call."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(self.extra or {}), **(kwargs.get("extra") or {})}
        return msg, kwargs


class IdFormatter(logging.Formatter):
    """Append the ids a record carries, such as ``run_id=run_…``."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = " ".join(f"{name}={getattr(record, name)}" for name in ID_FIELDS if getattr(record, name, None))
        return f"{text} [{ids}]" if ids else text


def mask_email(address: str) -> str:
    """Return ``address`` with most of the local part hidden, for logs: ``el***@exemple.ca``."""
    local, at, domain = address.partition("@")
    if not at:
        return "***"
    return f"{local[:2]}***@{domain}"


def configure_logging(level: str = "INFO") -> None:
    """Send logs to standard error with ids; quiet the per-request lines of httpx."""
    handler = logging.StreamHandler()
    handler.setFormatter(IdFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request with its full URL at INFO; query strings can hold tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("huey").setLevel(logging.WARNING)
