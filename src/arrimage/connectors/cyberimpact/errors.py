"""Errors of the Cyberimpact client, and how an error response's body is read.

Each class extends one of the engine's step errors, so the engine's retry rules apply:
transient errors are retried with back-off, permanent ones fail the step at once.

::

    StepError (arrimage.engine.errors)
    ├── TransientStepError
    │   ├── StepTimeoutError             no response within the timeout
    │   ├── ConnectError                 connection refused, reset or lost
    │   ├── RateLimitedError             429, with retry_after from the Retry-After header
    │   └── ServerError                  5xx, or a 2xx body that is not JSON
    └── PermanentStepError
        ├── AuthenticationError
        │   ├── InvalidTokenError        401: the API token is invalid, revoked or missing
        │   └── AccessDeniedError        403: the token may not use the API
        └── AppRejectedError
            └── CyberimpactRejectedError       any other 4xx, with the parsed body
                ├── CyberimpactNotFoundError   404: unknown member, group or route
                ├── MemberExistsError          409, or a body saying the member exists
                ├── UnsubscribedError          the address unsubscribed
                ├── ConsentConflictError       422 on PUT /members/{key}/consent
                └── CyberimpactValidationError 400 or 422: an invalid field or body

Cyberimpact documents no error body. Known clients read a top-level ``message`` and an
``errors`` value that is a list of ``{field, description}`` objects, a list of strings, or an
object keyed by field name. :func:`parse_error_body` accepts all of them, and plain text too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from arrimage.engine.errors import AppRejectedError, AuthenticationError
from arrimage.i18n import LazyText

# Characters of a non-JSON body kept in a message: enough for an error line, short of a page.
EXCERPT_CHARS = 200


@dataclass(frozen=True)
class FieldError:
    """One problem that an error body reports, on a field when it names one."""

    field: str | None
    description: str

    def render(self) -> str:
        """Return ``field: description``, or the description alone."""
        return f"{self.field}: {self.description}" if self.field else self.description


@dataclass(frozen=True)
class ErrorBody:
    """The content of an error response: its top-level message and its per-field errors."""

    message: str | None
    errors: tuple[FieldError, ...] = ()

    def summary(self) -> str:
        """Return one readable line: the message, then each error in brackets."""
        parts = [self.message] if self.message else []
        details = "; ".join(error.render() for error in self.errors)
        if details:
            parts.append(f"({details})" if parts else details)
        return " ".join(parts) or "-"

    def text(self) -> str:
        """Return every sentence of the body, lower-case, for matching known phrases."""
        return " ".join([self.message or "", *(error.description for error in self.errors)]).lower()

    @property
    def field(self) -> str | None:
        """Return the first field that the errors name, or None."""
        return next((error.field for error in self.errors if error.field), None)

    def to_record(self) -> dict[str, Any]:
        """Return the body as JSON-ready data for the run record."""
        return {
            "api_message": self.message,
            "errors": [{"field": error.field, "description": error.description}
                       for error in self.errors],
        }


def parse_error_body(content: bytes, content_type: str = "") -> ErrorBody:
    """Read an error response body in any of the shapes that Cyberimpact clients expect.

    A body that is not JSON becomes a message made of its first :data:`EXCERPT_CHARS`
    characters, with whitespace collapsed.
    """
    text = content.decode("utf-8", errors="replace")
    try:
        data = json.loads(text) if text.strip() else None
    except ValueError:
        data = None
        if "json" in content_type:
            text = f"(invalid JSON) {text}"

    if isinstance(data, dict):
        return ErrorBody(_message_of(data), tuple(_errors_of(data.get("errors"))))
    if isinstance(data, list):
        return ErrorBody(None, tuple(_errors_of(data)))
    if isinstance(data, str) and data.strip():
        return ErrorBody(data.strip())
    return ErrorBody(excerpt(text) or None)


def excerpt(text: str) -> str:
    """Return ``text`` on one line, cut to :data:`EXCERPT_CHARS` characters."""
    flat = " ".join(text.split())
    if len(flat) <= EXCERPT_CHARS:
        return flat
    return flat[: EXCERPT_CHARS - 1] + "…"


def _message_of(data: dict[str, Any]) -> str | None:
    # A legacy Cyberimpact plugin read {"error": "Not authorized"}. Newer clients read "message".
    for key in ("message", "error", "description"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _errors_of(value: Any) -> list[FieldError]:
    if isinstance(value, str) and value.strip():
        return [FieldError(None, value.strip())]
    if isinstance(value, list):
        found: list[FieldError] = []
        for item in value:
            found.extend(_item_errors(item))
        return found
    if isinstance(value, dict):
        return [
            FieldError(str(field), description)
            for field, messages in value.items()
            for description in _strings(messages)
        ]
    return []


def _item_errors(item: Any) -> list[FieldError]:
    if isinstance(item, str):
        return [FieldError(None, item.strip())] if item.strip() else []
    if not isinstance(item, dict):
        return []
    field = item.get("field")
    field_name = str(field) if field not in (None, "") else None
    for key in ("description", "message", "error"):
        descriptions = _strings(item.get(key))
        if descriptions:
            return [FieldError(field_name, description) for description in descriptions]
    return []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list):
        return [str(part).strip() for part in value if str(part).strip()]
    return []


class InvalidTokenError(AuthenticationError):
    """Cyberimpact returned 401: the API token is invalid, revoked or missing."""

    code = "cyberimpact_invalid_token"


class AccessDeniedError(AuthenticationError):
    """Cyberimpact returned 403: the token is known but may not use the API."""

    code = "cyberimpact_access_denied"


class CyberimpactRejectedError(AppRejectedError):
    """Cyberimpact returned a 4xx status. ``body`` contains its message and field errors."""

    code = "cyberimpact_rejected"

    def __init__(
        self, message: LazyText | str, *, body: ErrorBody, status_code: int, **details: Any
    ) -> None:
        super().__init__(message, status_code=status_code, **body.to_record(), **details)
        self.body = body

    @property
    def api_message(self) -> str | None:
        """Return the top-level message of the response, or None when it had none."""
        return self.body.message

    @property
    def field(self) -> str | None:
        """Return the first field that the response blames, or None."""
        return self.body.field


class CyberimpactNotFoundError(CyberimpactRejectedError):
    """Cyberimpact returned 404: no member, group or route matches the request."""

    code = "cyberimpact_not_found"


class MemberExistsError(CyberimpactRejectedError):
    """A member with this email address already exists: an outcome, not a crash."""

    code = "cyberimpact_member_exists"


class UnsubscribedError(CyberimpactRejectedError):
    """The address unsubscribed, so only a confirmed opt-in can subscribe it again."""

    code = "cyberimpact_unsubscribed"


class ConsentConflictError(CyberimpactRejectedError):
    """Cyberimpact kept the member's consent, because an express consent cannot become implied."""

    code = "cyberimpact_consent_conflict"


class CyberimpactValidationError(CyberimpactRejectedError):
    """Cyberimpact rejected a field value or the body (400 or 422). ``field`` names the field."""

    code = "cyberimpact_invalid"
