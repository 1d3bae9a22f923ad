"""Errors of the engine and of the steps it runs.

::

    ArrimageError
    ├── DocumentError            an automation document is invalid (lists every issue)
    ├── NotFoundError            an automation, run, event or connection id does not exist
    ├── ConflictError            the request contradicts the stored state (e.g. a used connection)
    ├── WebhookRejectedError     a webhook delivery is refused (carries the HTTP status)
    ├── SecretDecryptionError    the secret key cannot decrypt a stored secret (storage.secrets)
    └── StepError                a step failed; the run records it
        ├── TransientStepError   may succeed later: retried with back-off
        │   ├── StepTimeoutError
        │   ├── ConnectError
        │   ├── RateLimitedError (carries retry_after)
        │   └── ServerError      (5xx)
        └── PermanentStepError   fails the step at once with the app's reason
            ├── TemplateError    a mapping could not be evaluated
            ├── InvalidInputError
            ├── AuthenticationError
            └── AppRejectedError (4xx)

Every message that reaches a user is a :class:`~arrimage.i18n.LazyText`, rendered in the
reader's language; ``str(error)`` renders it in the current locale.
"""

from __future__ import annotations

import re
from typing import Any

from arrimage.i18n import LazyText, _l, current_locale, normalize_locale


class ArrimageError(Exception):
    """Base class of Arrimage's own errors; ``message`` is rendered for the user."""

    code = "error"

    def __init__(self, message: LazyText | str, **details: Any) -> None:
        self.message = message if isinstance(message, LazyText) else LazyText(message)
        self.details = details
        super().__init__(self.message.render("en"))

    def __str__(self) -> str:
        return self.message.render()

    def to_record(self) -> dict[str, Any]:
        """Return a JSON-ready description for storage: code, message in every language."""
        return {"code": self.code, "message": self.message.as_dict(), **self.details}


_LOCATION_PARTS = (
    (re.compile(r"^step ('[^']*') \((.*)\)$"), lambda m: _l("step {step_id} ({path})", step_id=m[1], path=m[2])),
    (re.compile(r"^step ('[^']*')$"), lambda m: _l("step {step_id}", step_id=m[1])),
    (re.compile(r"^field (.+)$"), lambda m: _l("field {field}", field=m[1])),
    (re.compile(r"^branch (.+)$"), lambda m: _l("branch {branch}", branch=m[1])),
    (re.compile(r"^trigger$"), lambda m: _l("trigger")),
)


def localize_location(location: str, locale: str | None = None) -> str:
    """Translate the words of a location such as ``step 'x' (steps[0]), field input.url``.

    Locations are built in English because the API also returns them as stable keys. Only their
    words (step, field, branch, trigger) change with the reader's language.
    """
    parts = []
    for part in location.split(", "):
        for pattern, label in _LOCATION_PARTS:
            match = pattern.match(part)
            if match:
                part = label(match).render(locale)
                break
        parts.append(part)
    return ", ".join(parts)


class LocationText(LazyText):
    """A location used as a message parameter, rendered with :func:`localize_location`."""

    def __init__(self, location: str) -> None:
        super().__init__(location)

    def render(self, locale: str | None = None) -> str:
        return localize_location(self.message, locale)


class DocumentIssue:
    """One problem in an automation document, located by step id and field.

    ``location`` is the stable key that the API returns and the editor uses to show the problem
    next to its field, such as ``step 'notify' (steps[0]), field input.url``. ``where``, when
    given, names the same place for people, with the step's and field's labels.
    """

    def __init__(self, location: str, message: LazyText, where: LazyText | None = None) -> None:
        self.location = location
        self.message = message
        self.where = where

    def where_text(self, locale: str | None = None) -> str:
        """Return where the problem is: ``where`` if given, else the location's words translated."""
        if self.where is not None:
            return self.where.render(locale)
        return localize_location(self.location, locale)

    def render(self, locale: str | None = None) -> str:
        return _l("{where}: {problem}", where=self.where_text(locale), problem=self.message).render(locale)

    def to_record(self) -> dict[str, Any]:
        return {"location": self.location, "message": self.message.as_dict()}


class DocumentError(ArrimageError):
    """An automation document is invalid; ``issues`` locates each problem."""

    code = "invalid_document"

    def __init__(self, issues: list[DocumentIssue]) -> None:
        self.issues = issues
        text = "\n".join(issue.render("en") for issue in issues)
        super().__init__(_l("The automation is invalid:\n{issues}", issues=_IssueList(issues)))
        self.args = (text,)

    def to_record(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message.as_dict(),
            "issues": [issue.to_record() for issue in self.issues],
        }


class _IssueList(LazyText):
    """The issues of a :class:`DocumentError` as a rendered bullet list."""

    def __init__(self, issues: list[DocumentIssue]) -> None:
        super().__init__("")
        self.issues = issues

    def render(self, locale: str | None = None) -> str:
        return "\n".join(f"- {issue.render(locale)}" for issue in self.issues)


class NotFoundError(ArrimageError):
    """A stored record does not exist."""

    code = "not_found"


class ConflictError(ArrimageError):
    """The request contradicts the stored state."""

    code = "conflict"


class StepError(ArrimageError):
    """A step failed. ``transient`` tells whether trying again may succeed."""

    code = "step_failed"
    transient = False

    def __init__(
        self,
        message: LazyText | str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, **details)
        self.status_code = status_code
        self.retry_after = retry_after

    def to_record(self) -> dict[str, Any]:
        record = super().to_record()
        record["transient"] = self.transient
        if self.status_code is not None:
            record["status_code"] = self.status_code
        if self.retry_after is not None:
            record["retry_after"] = self.retry_after
        return record


class TransientStepError(StepError):
    """A failure that may pass: timeouts, lost connections, rate limits, server errors."""

    code = "transient_error"
    transient = True


class StepTimeoutError(TransientStepError):
    code = "timeout"


class ConnectError(TransientStepError):
    code = "connect_error"


class RateLimitedError(TransientStepError):
    """The app requested a slower rate; ``retry_after`` is in seconds when the app gave one."""

    code = "rate_limited"


class ServerError(TransientStepError):
    code = "server_error"


# The promise of another try that ends transient errors' messages in each catalogue:
# "Arrimage will try again", "… later" or "… in 30 s", as a sentence or as a final clause.
_RETRY_SENTENCES = {
    "en": re.compile(r"(?<=[.!?])\s+Arrimage will try again(?: later| in \S+\s?s)?\."),
    "fr": re.compile(r"(?<=[.!?])\s+Arrimage réessaiera(?: plus tard| dans \S+\s?s)?\."),
}
_RETRY_CLAUSES = {
    "en": re.compile(r"\s*[,:]\s*Arrimage will try again(?: later| in \S+\s?s)?(?=\.)"),
    "fr": re.compile(r"\s*[,:]\s*Arrimage réessaiera(?: plus tard| dans \S+\s?s)?(?=\.)"),
}


class _FinalAttemptText(LazyText):
    """A transient error's message once no try is left (see :func:`after_last_attempt`)."""

    def __init__(self, original: LazyText, attempts: int) -> None:
        super().__init__(original.message, **original.params)
        self.original = original
        self.attempts = attempts

    def render(self, locale: str | None = None) -> str:
        locale = normalize_locale(locale or current_locale())
        language = locale.split("_")[0]
        text = self.original.render(locale)
        text = _RETRY_SENTENCES[language].sub("", text)
        text = _RETRY_CLAUSES[language].sub("", text).rstrip()
        if not text.endswith((".", "!", "?")):
            text += "."
        ending = _l("Attempts made: {count}. Replay the run once the cause is fixed.",
                    count=self.attempts)
        return f"{text} {ending.render(locale)}"


def after_last_attempt(message: LazyText, attempts: int) -> LazyText:
    """Return a transient error's ``message`` for the record of its last try.

    Messages of transient errors end with a promise to try again, which is false once the
    tries are used up. The returned text drops that promise and states how many tries were made
    and what to do instead. A promise worded otherwise than the catalogues' is left in place.
    """
    return _FinalAttemptText(message, attempts)


class PermanentStepError(StepError):
    """A failure that trying again will not fix: the input or the configuration must change."""

    code = "permanent_error"


class TemplateError(PermanentStepError):
    """A mapping template has a syntax error or refers to a missing value."""

    code = "template_error"


class InvalidInputError(PermanentStepError):
    code = "invalid_input"


class AuthenticationError(PermanentStepError):
    code = "authentication_failed"


class AppRejectedError(PermanentStepError):
    """The app returned a client error (4xx) other than authentication or throttling."""

    code = "app_rejected"


class WebhookRejectedError(ArrimageError):
    """A webhook delivery is rejected; ``status_code`` is the HTTP response status (400, 401, 404, 413, 415)."""

    code = "webhook_rejected"

    def __init__(self, status_code: int, message: LazyText | str, **details: Any) -> None:
        super().__init__(message, **details)
        self.status_code = status_code
