"""The demo's summary: counts, each event's outcome, the CSV rows set aside, and the addresses.

:meth:`DemoReport.text` is the summary for people, in the current locale, and
:meth:`DemoReport.as_json` the same facts with the sandbox's final contacts, for scripts.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal

from arrimage.demo.csv_import import CsvImportResult
from arrimage.demo.outcomes import EventOutcome
from arrimage.i18n import _, after_colon, current_locale

# Babel's locale of each supported locale, for numbers.
BABEL_LOCALES = {"fr_CA": "fr_CA", "en": "en_CA"}
CREATED = "created"
# A body for the web form recipe, which maps an email address, names and a language.
FORM_SUBMISSION = '{"email": "vous@example.com", "first_name": "Vous", "language": "fr"}'
ADDED_TO_GROUPS = "added_to_groups"


@dataclass(frozen=True)
class Addresses:
    """The addresses of the demo's parts."""

    web_app: str
    sandbox: str
    # The sandbox's API token: random at each start, so the summary prints it.
    sandbox_token: str
    data_dir: Path
    # The webhook URL, secret included, of the web form automation, for a first event of one's own.
    form_webhook: str

    @property
    def outbox(self) -> str:
        """The sandbox's page of the opt-in emails it would have sent."""
        return f"{self.sandbox}/outbox"


@dataclass
class DemoReport:
    """Everything the demo played and what came of it."""

    events: list[EventOutcome]
    csv: CsvImportResult | None
    csv_error: str | None
    contacts: list[dict[str, Any]]
    addresses: Addresses
    seconds: float

    # Counts

    def runs(self, status: str) -> int:
        """Return the number of runs that ended with ``status``."""
        # Only a first copy carries its run's status: repeats leave run_status empty.
        return sum(1 for event in self.events if event.run_status == status)

    def counts(self) -> dict[str, int]:
        """Return the summary's numbers."""
        csv_rows = self.csv.rows.values() if self.csv else []
        created_by_runs = sum(1 for event in self.events if event.result == CREATED)
        grouped_by_runs = sum(1 for event in self.events if event.result == ADDED_TO_GROUPS)
        csv_created = sum(1 for row in csv_rows if row.status == "created")
        csv_updated = sum(1 for row in csv_rows if row.status == "updated")
        return {
            "deliveries": len(self.events),
            "runs_succeeded": self.runs("succeeded"),
            "runs_skipped": self.runs("filtered"),
            "runs_failed": self.runs("failed"),
            "duplicates_ignored": sum(1 for event in self.events if event.outcome == "duplicate"),
            "contacts_created": created_by_runs + csv_created,
            "contacts_created_by_runs": created_by_runs,
            "contacts_created_by_csv": csv_created,
            "contacts_added_to_groups": grouped_by_runs + csv_updated,
            "optins_waiting": sum(1 for contact in self.contacts if contact["optin"] == "pending"),
            "csv_rows": len(self.csv.rows) if self.csv else 0,
            "skipped": len(self.skipped_items()),
            "warnings": sum(len(event.warnings) for event in self.events)
            + (len(self.csv.with_warnings) if self.csv else 0),
            "errors": len(self.errors()),
        }

    def skipped_items(self) -> list[tuple[str, str]]:
        """Return ``(item, reason)`` for each event and CSV row set aside on purpose."""
        items = [(self._event_label(event), event.reason or "")
                 for event in self.events if event.outcome == "skipped"]
        if self.csv:
            items += [(self._row_label(row.number, row.email), row.detail)
                      for _number, row in sorted(self.csv.rows.items()) if row.status == "skipped"]
        return items

    def errors(self) -> list[tuple[str, str]]:
        """Return ``(item, problem)`` for each event or row that failed, and a failed import."""
        items = [(self._event_label(event), event.reason or "")
                 for event in self.events if event.outcome == "failed"]
        if self.csv:
            items += [(self._row_label(row.number, row.email), row.detail)
                      for _number, row in sorted(self.csv.rows.items()) if row.status == "failed"]
        if self.csv_error:
            items.append((_("CSV import"), self.csv_error))
        return items

    @property
    def ok(self) -> bool:
        """Whether every event and row is accounted for without an error."""
        return not self.errors()

    # Output

    def as_json(self) -> dict[str, Any]:
        """Return the summary, each outcome and the final contacts as JSON-ready data."""
        csv: dict[str, Any] | None = None
        if self.csv:
            csv = {
                "file": str(self.csv.file), "report": str(self.csv.report),
                "rows": len(self.csv.rows),
                **{status: self.csv.count(status) for status in ("created", "updated", "skipped", "failed")},
                "set_aside": [
                    {"row": row.number, "email": row.email, "status": row.status,
                     "detail": row.detail, "warnings": row.warnings}
                    for _number, row in sorted(self.csv.rows.items())
                    if row.status != "created" or row.warnings
                ],
            }
        return {
            "ok": self.ok,
            "locale": current_locale(),
            "seconds": round(self.seconds, 2),
            "web_app": self.addresses.web_app,
            "sandbox": self.addresses.sandbox,
            "sandbox_token": self.addresses.sandbox_token,
            "outbox": self.addresses.outbox,
            "data_dir": str(self.addresses.data_dir),
            "form_webhook": self.addresses.form_webhook,
            "counts": self.counts(),
            "events": [event.as_dict() for event in self.events],
            "csv": csv,
            "csv_error": self.csv_error,
            "skipped": [{"item": item, "reason": reason} for item, reason in self.skipped_items()],
            "errors": [{"item": item, "problem": problem} for item, problem in self.errors()],
            "contacts": self.contacts,
        }

    def text(self, *, serving: bool = True) -> list[str]:
        """Return the summary's lines for people, in the current locale.

        ``serving`` is false when the demo stops after the summary: the addresses of the web
        app and the outbox are then left out, because their servers have stopped.
        """
        counts = self.counts()
        seconds = format_decimal(round(self.seconds, 1), locale=BABEL_LOCALES[current_locale()])
        lines = [_("Arrimage demo: {deliveries} webhook deliveries and {rows} CSV rows played in "
                   "{seconds} s.", deliveries=counts["deliveries"], rows=counts["csv_rows"],
                   seconds=seconds), ""]

        lines.append(_("Events sent to the webhooks:"))
        for event in self.events:
            lines.append("  " + _item(self._event_label(event), event.message))
            for warning in event.warnings:
                lines.append("      " + _("Warning: {message}", message=after_colon(warning)))
        lines.append("")
        lines.extend(self._csv_lines())

        lines.append(_("Summary:"))
        lines.append("  " + _("Runs succeeded: {count}", count=counts["runs_succeeded"]))
        lines.append("  " + _("Contacts created: {count} ({runs} by runs, {csv} by the CSV import)",
                              count=counts["contacts_created"], runs=counts["contacts_created_by_runs"],
                              csv=counts["contacts_created_by_csv"]))
        lines.append("  " + _("Existing contacts added to groups: {count}",
                              count=counts["contacts_added_to_groups"]))
        lines.append("  " + _("Opt-in emails waiting in the outbox: {count}", count=counts["optins_waiting"]))
        lines.append("  " + _("Duplicate deliveries ignored: {count}", count=counts["duplicates_ignored"]))
        lines.append("  " + _("Skipped, each with its reason: {count}", count=counts["skipped"]))
        lines.extend("    - " + _item(item, reason) for item, reason in self.skipped_items())
        errors = self.errors()
        lines.append("  " + _("Errors: {count}", count=len(errors)))
        lines.extend("    - " + _item(item, problem) for item, problem in errors)
        lines.append("")

        if not serving:
            lines.append(_("Demo data: {path} (erased when the demo starts again)",
                           path=self.addresses.data_dir))
            lines.append(_("The web app and the sandbox stopped with the demo. Start it without "
                           "--exit to open them."))
            return lines

        lines.append(_("Web app: {url} (the first visit creates the administrator account)",
                       url=self.addresses.web_app))
        lines.append(_("Outbox: {url} (open an email and confirm the subscription)",
                       url=self.addresses.outbox))
        lines.append(_("Cyberimpact sandbox: {url}, API token {token}",
                       url=self.addresses.sandbox, token=self.addresses.sandbox_token))
        lines.append(_("Demo data: {path} (erased when the demo starts again)",
                       path=self.addresses.data_dir))
        lines.append("")
        lines.append(_("Send a form submission of your own, and its opt-in email appears in the outbox:"))
        lines.append(f"  curl -s -H 'Content-Type: application/json' -d '{FORM_SUBMISSION}' "
                     f"{self.addresses.form_webhook}")
        lines.append(_("Call the sandbox's API with its token:"))
        lines.append(f"  curl -s -H 'Authorization: Bearer {self.addresses.sandbox_token}' "
                     f"{self.addresses.sandbox}/ping")
        lines.append(_("Use the command line on the demo's data while the demo runs:"))
        lines.append(f"  arrimage --data-dir {shlex.quote(str(self.addresses.data_dir))} runs list")
        return lines

    def _csv_lines(self) -> list[str]:
        if self.csv is None:
            return [_("CSV import: not done, see the errors below."), ""]
        lines = [
            _("CSV import of {file} ({rows} rows):", file=self.csv.file.name, rows=len(self.csv.rows)),
            "  " + _("Contacts created: {count}", count=self.csv.count("created")),
            "  " + _("Existing contacts added to groups: {count}", count=self.csv.count("updated")),
            "  " + _("Rows skipped: {count}", count=self.csv.count("skipped")),
            "  " + _("Rows failed: {count}", count=self.csv.count("failed")),
        ]
        for row in sorted(self.csv.rows.values(), key=lambda outcome: outcome.number):
            label = self._row_label(row.number, row.email)
            if row.status == "updated":
                lines.append("  " + _item(label, row.detail))
            if row.warnings:
                lines.append("  " + _item(label, _("Warning: {message}",
                                                   message=after_colon(row.warnings))))
        lines.append("  " + _("Report with one line per row: {path}", path=self.csv.report))
        lines.append("")
        return lines

    @staticmethod
    def _event_label(event: EventOutcome) -> str:
        who = f"{event.name} <{event.email}>" if event.name else event.email
        return f"{event.label}, {who}"

    @staticmethod
    def _row_label(number: int, email: str | None) -> str:
        text = _("CSV row {row}", row=number)
        return f"{text} <{email}>" if email else text


def _item(item: str, text: str) -> str:
    """Return ``item: text`` with the current language's punctuation."""
    return _("{item}: {text}", item=item, text=text)
