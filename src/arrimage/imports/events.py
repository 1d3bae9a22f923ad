"""The event path: each row becomes a stored event of an automation, with a queued run.

Events go through :meth:`arrimage.storage.events.EventRepository.store`, like webhook
deliveries. Each event's de-duplication key is the file's SHA-256 and the row number. So a
row imported again (a re-run of the same file, or a resume after a crash) starts no second
run. The same values in another file or on another row do start one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arrimage.connectors.context import FormatSettings
from arrimage.i18n import _l
from arrimage.imports.contacts import RowRejected, check_email
from arrimage.imports.reading import SourceRow
from arrimage.imports.state import ImportState, Outcome, stored_warnings
from arrimage.storage.events import NewEvent

if TYPE_CHECKING:
    from arrimage.runtime import Runtime

EVENTS_PER_TRANSACTION = 200
# Kept with each event like a webhook's headers, so the run history shows where it came from.
EVENT_HEADERS = {"user-agent": "arrimage import"}


def dedup_key(sha256: str, row_number: int) -> str:
    """Return the de-duplication key of a row of the file with hash ``sha256``."""
    return f"csv:{sha256[:32]}:{row_number}"


class EventImport:
    """Store rows as events of one automation and queue their runs."""

    def __init__(
        self,
        runtime: Runtime,
        automation_id: str,
        version: int,
        sha256: str,
        file_name: str,
        state: ImportState,
        *,
        check_emails: bool,
    ) -> None:
        self.runtime = runtime
        self.automation_id = automation_id
        self.version = version
        self.sha256 = sha256
        self.file_name = file_name
        self.state = state
        self.check_emails = check_emails
        self._buffer: list[tuple[int, str | None, str, dict[str, Any]]] = []

    def handle(self, row: SourceRow) -> None:
        """Check one row and add it to the events to store."""
        warnings = list(row.warnings)
        if row.is_empty:
            self.state.record(row.number, None, Outcome("skipped", _l("Empty row.")))
            return

        payload = row.payload(self.file_name)
        email: str | None = row.values.get("email") or None
        if self.check_emails:
            try:
                email, email_warnings = check_email(email, FormatSettings())
            except RowRejected as exc:
                self.state.record(row.number, email,
                                  Outcome("failed", exc.reason, stored_warnings(warnings)))
                return
            warnings.extend(email_warnings)
            payload["email"] = email

        self._buffer.append((row.number, email, stored_warnings(warnings), payload))
        if len(self._buffer) >= EVENTS_PER_TRANSACTION:
            self.flush()

    def flush(self) -> None:
        """Store the buffered events in one transaction, record them, then queue their runs."""
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        events = [NewEvent(payload=payload, dedup_key=dedup_key(self.sha256, number))
                  for number, _email, _warnings, payload in rows]
        stored = self.runtime.events.store(self.automation_id, self.version, events, EVENT_HEADERS)

        to_enqueue: list[str] = []
        for (number, email, warnings, _payload), event in zip(rows, stored, strict=True):
            if event.duplicate:
                outcome = Outcome("skipped", _l(
                    "This row of this file was already imported (run {run}).",
                    run=event.run_id or "-"), warnings, event.run_id or "")
            else:
                outcome = Outcome("queued", _l("Event stored; its run is queued."), warnings,
                                  event.run_id or "")
                if event.run_id:
                    to_enqueue.append(event.run_id)
            self.state.record(number, email, outcome)
        self.state.commit()
        # A run whose message is lost here is queued again by the scheduler's recovery sweep.
        for run_id in to_enqueue:
            self.runtime.enqueue_run(run_id)

    def finish(self) -> None:
        """Store the events still buffered."""
        self.flush()
        self.state.commit()
