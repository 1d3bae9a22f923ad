"""Import the demo's CSV file into the sandbox in batches, as ``arrimage import --bulk`` does.

The import runs the same code as the command. The columns are matched by their French headers,
and each row goes through the Cyberimpact field converters. New contacts go out in
``addMembers`` batches with the consent basis "active client" and the row's consent date and
proof. Existing contacts are only added to the row's groups. The progress file and the report are in
the demo's folder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from arrimage.connectors.cyberimpact.connection import client_for_connection
from arrimage.demo.contacts_csv import CSV_FILE, write_contacts_csv
from arrimage.imports.bulk import BulkImport, BulkSettings
from arrimage.imports.contacts import ConsentFallback
from arrimage.imports.reading import CsvSource, inspect_file, match_headers, sniff_delimiter
from arrimage.imports.state import ImportState, Outcome, Text, shown_text, stored_text
from arrimage.imports.targets import column_values, date_order_formats
from arrimage.runtime import Runtime

RELATION_TYPE = "active-clients"
# The export writes birth dates day first, as French Canadian spreadsheets do.
DATE_ORDER = "dmy"
IMPORTS_FOLDER = "imports"


@dataclass(frozen=True)
class RowOutcome:
    """The outcome of one row, as the import report states it."""

    number: int
    email: str | None
    status: str
    detail: str
    warnings: str


@dataclass
class CsvImportResult:
    """Every row's outcome, and where the file and its report are."""

    file: Path
    report: Path
    rows: dict[int, RowOutcome] = field(default_factory=dict)

    def count(self, status: str) -> int:
        """Return the number of rows with ``status`` (created, updated, skipped or failed)."""
        return sum(1 for row in self.rows.values() if row.status == status)

    @property
    def with_warnings(self) -> list[RowOutcome]:
        """The rows with a value left out, in file order."""
        return [row for _number, row in sorted(self.rows.items()) if row.warnings]


class _RecordingState(ImportState):
    """A progress file that also keeps each row's final outcome in memory for the summary."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.outcomes: dict[int, RowOutcome] = {}
        self._pending_warnings: dict[int, str] = {}

    def record(self, number: int, email: str | None, outcome: Outcome) -> None:
        super().record(number, email, outcome)
        self._keep(number, email, outcome)

    def add_pending(self, number: int, email: str, batch_key: str, member: dict[str, object],
                    warnings: Text) -> None:
        super().add_pending(number, email, batch_key, member, warnings)
        self._pending_warnings[number] = stored_text(warnings)

    def finish_chunk(self, chunk_id: int, outcomes: dict[int, Outcome]) -> None:
        emails = dict(self.chunk_rows(chunk_id))
        super().finish_chunk(chunk_id, outcomes)
        for number, outcome in outcomes.items():
            self._keep(number, emails.get(number), outcome)

    def _keep(self, number: int, email: str | None, outcome: Outcome) -> None:
        # A batch's outcome has no warnings of its own: those of the row's conversion apply.
        warnings = outcome.warnings or self._pending_warnings.pop(number, "")
        self.outcomes[number] = RowOutcome(number, email, outcome.status, shown_text(outcome.detail),
                                           shown_text(warnings))


def import_demo_csv(runtime: Runtime, folder: Path, connection_name: str, today: dt.date) -> CsvImportResult:
    """Write the CSV file into ``folder`` and import it through the Cyberimpact connection."""
    path = write_contacts_csv(folder / CSV_FILE, today)
    facts = inspect_file(path)
    delimiter = sniff_delimiter(path, facts.encoding)
    connection = runtime.connections.resolve(connection_name, "cyberimpact")
    report = path.with_name(f"{path.stem}.report.csv")
    state = _RecordingState(ImportState.path_for(folder / IMPORTS_FOLDER, facts.sha256,
                                                 f"bulk-{connection.id}"))
    try:
        with CsvSource(path, facts.encoding, delimiter) as source:
            mapping = match_headers(source.headers, {})
            client = client_for_connection(connection, runtime.http,
                                           runtime.settings.http_timeout_seconds)
            importer = BulkImport(BulkSettings(
                client=client, values_of=column_values, formats=date_order_formats(DATE_ORDER),
                fallback=ConsentFallback(relation_type=RELATION_TYPE),
            ), state)
            importer.prepare()
            for row in source.rows(mapping):
                importer.handle(row)
            importer.finish()
        state.set_meta("completed_at", dt.datetime.now().astimezone().isoformat(timespec="seconds"))
        state.commit()
        state.write_report(report, delimiter)
        return CsvImportResult(file=path, report=report, rows=dict(state.outcomes))
    finally:
        state.close()
