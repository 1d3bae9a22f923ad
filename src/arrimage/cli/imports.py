"""``arrimage import FILE.csv``: send the rows of a CSV file to an automation or to Cyberimpact."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from arrimage.cli.common import confirm, runtime
from arrimage.connectors.cyberimpact.connection import client_for_connection
from arrimage.connectors.cyberimpact.fields import RELATION_TYPE_VALUES
from arrimage.engine.errors import ArrimageError
from arrimage.i18n import _, _n
from arrimage.imports.bulk import DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, BulkImport, BulkSettings
from arrimage.imports.contacts import ConsentFallback
from arrimage.imports.events import EventImport
from arrimage.imports.reading import (
    ColumnMapping,
    CsvSource,
    FileFacts,
    ImportFileError,
    inspect_file,
    match_headers,
    parse_map_options,
    sniff_delimiter,
)
from arrimage.imports.state import ImportState
from arrimage.imports.targets import column_values, contact_step, date_order_formats, step_values
from arrimage.runtime import Runtime

PROGRESS_EVERY_ROWS = 50
EXIT_INTERRUPTED = 130


@dataclass
class Plan:
    """The destination of the rows, and the settings that a resumed import must share."""

    mode: str  # "events" or "bulk"
    target: str
    description: str
    fingerprint: dict[str, Any] = field(default_factory=dict)


def import_csv(
    file: Path = typer.Argument(..., help=_("The CSV file: UTF-8 or Windows-1252, with commas, semicolons or tabs.")),
    automation: Optional[str] = typer.Option(None, "--automation", "-a", help=_("Automation that receives the rows.")),
    bulk: bool = typer.Option(False, "--bulk", help=_("Send the contacts to Cyberimpact in batches (with --connection, or with an automation whose only step creates contacts).")),
    events: bool = typer.Option(False, "--events", help=_("Give the automation one event per row, even when it could import in batches.")),
    connection: Optional[str] = typer.Option(None, "--connection", help=_("Cyberimpact connection for --bulk without an automation.")),
    groups: list[str] = typer.Option([], "--group", help=_("Id of a group to add every contact to (repeat for several).")),
    relation_type: Optional[str] = typer.Option(None, "--relation-type", help=_("Consent basis of the contacts, such as active-clients.")),
    consent_date: Optional[str] = typer.Option(None, "--consent-date", help=_("Date the contacts gave consent (yyyy-mm-dd), for rows without one.")),
    consent_proof: Optional[str] = typer.Option(None, "--consent-proof", help=_("How the contacts gave consent, for rows without a proof (255 characters at most).")),
    maps: list[str] = typer.Option([], "--map", help=_("Column=field to choose a column's field, or Column=- to leave it out (repeat for several).")),
    date_order: str = typer.Option("dmy", "--date-order", help=_("Order of numeric dates such as 04/12/1990: dmy, mdy or ymd.")),
    chunk_size: int = typer.Option(DEFAULT_CHUNK_SIZE, "--chunk-size", min=1, max=MAX_CHUNK_SIZE, help=_("Contacts per Cyberimpact batch.")),
    report: Optional[Path] = typer.Option(None, "--report", help=_("Report file (default: FILE.report.csv beside the file).")),
    restart: bool = typer.Option(False, "--restart", help=_("Forget the progress of an earlier import of this file and start over.")),
    yes: bool = typer.Option(False, "--yes", "-y", help=_("Do not ask to confirm the columns.")),
) -> None:
    rt = runtime()
    try:
        code = _import(rt, file, automation=automation, bulk=bulk, events=events, connection=connection,
                       groups=groups, relation_type=relation_type, consent_date=consent_date,
                       consent_proof=consent_proof, maps=maps, date_order=date_order,
                       chunk_size=chunk_size, report=report, restart=restart, yes=yes)
    except ImportFileError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    finally:
        rt.close()
    if code:
        raise typer.Exit(code)


def _import(rt: Runtime, file: Path, **options: Any) -> int:
    facts = inspect_file(file)
    delimiter = sniff_delimiter(file, facts.encoding)
    report_path = options["report"] or file.with_name(f"{file.stem}.report.csv")

    with CsvSource(file, facts.encoding, delimiter) as source:
        mapping = match_headers(source.headers, parse_map_options(options["maps"]))
        plan, start = _plan(rt, file, facts, mapping, options)
        typer.echo(_("{file}: {encoding} text, {delimiter} delimiter, {count} columns.",
                     file=file.name, encoding=facts.encoding_label,
                     delimiter=_delimiter_name(delimiter), count=len(source.headers)))
        _print_mapping(mapping, plan.mode)
        typer.echo(plan.description)

        state_path = ImportState.path_for(rt.settings.data_dir / "imports", facts.sha256, plan.target)
        if options["restart"]:
            _remove_state(state_path)
        state = ImportState(state_path)
        try:
            fingerprint = json.dumps({**plan.fingerprint, "mapping": mapping.as_dict()}, sort_keys=True,
                                     ensure_ascii=False)
            stored = state.meta("fingerprint")
            if stored is not None and stored != fingerprint:
                raise ImportFileError(_(
                    "An import of this file with other options or columns was started earlier "
                    "(progress file {path}). Run it with the same options to resume it, or add "
                    "--restart to start over.", path=state_path))
            if state.meta("completed_at"):
                state.write_report(report_path, delimiter)
                typer.echo(_("This file was already imported on {date}. Nothing was sent again. "
                             "Add --restart to import it again.", date=state.meta("completed_at")))
                return _summary(state, report_path)
            last_row = state.last_row()
            if last_row > 1:
                typer.echo(_("Resuming after row {row} (progress file {path}).", row=last_row,
                             path=state_path))
            if not options["yes"] and not confirm(_("Import the rows with these columns?"), default=True):
                return 1

            state.set_meta("fingerprint", fingerprint)
            state.commit()
            return _run(rt, source, mapping, plan, start, state, report_path, delimiter, last_row)
        finally:
            state.close()


def _plan(
    rt: Runtime, file: Path, facts: FileFacts, mapping: ColumnMapping, options: dict[str, Any]
) -> tuple[Plan, Any]:
    """Check the options and return the plan with a function that builds the importer."""
    automation_id = options["automation"]
    fields = mapping.field_index()
    if options["bulk"] and options["events"]:
        raise ImportFileError(_("Choose --bulk or --events, not both."))
    if automation_id is None and not options["bulk"]:
        raise ImportFileError(_("Give the automation that receives the rows with --automation ID, "
                                "or send the contacts to Cyberimpact with --bulk --connection NAME."))

    fallback = ConsentFallback(
        relation_type=_relation_type_option(options["relation_type"]),
        consent_date=_date_option(options["consent_date"]),
        consent_proof=(options["consent_proof"] or "").strip() or None,
    )
    settings_fingerprint = {
        "relation_type": fallback.relation_type,
        "consent_date": options["consent_date"], "consent_proof": fallback.consent_proof,
        "groups": sorted(options["groups"]), "date_order": options["date_order"],
    }

    if automation_id is None:
        if not options["connection"]:
            raise ImportFileError(_("--bulk without --automation needs --connection NAME (a Cyberimpact connection)."))
        if "email" not in fields:
            raise ImportFileError(_("No column contains the email address. Name it Courriel or Email, "
                                    "or choose it with --map \"Column=email\"."))
        if fallback.relation_type is None:
            raise ImportFileError(_("Give the contacts' consent basis with --relation-type, such as "
                                    "active-clients or express-consent."))
        if fallback.consent_date is None and "consent_date" not in fields:
            raise ImportFileError(_("Give the date the contacts gave consent with --consent-date "
                                    "yyyy-mm-dd, or in a column such as Date de consentement."))
        if fallback.consent_proof is None and "consent_proof" not in fields:
            raise ImportFileError(_("Give the consent proof with --consent-proof, such as \"Clients "
                                    "of the store, 2024 sales register\", or in a column."))
        connection = rt.connections.resolve(options["connection"], "cyberimpact")
        plan = Plan("bulk", f"bulk-{connection.id}", _(
            "New contacts go to Cyberimpact ({connection}) in batches of {size}. Existing contacts "
            "are only added to the groups; their details are never changed.",
            connection=connection.name, size=options["chunk_size"]),
            {**settings_fingerprint, "connection": connection.id})

        def bulk_import(state: ImportState, notify: Any) -> BulkImport:
            client = client_for_connection(connection, rt.http, rt.settings.http_timeout_seconds)
            return BulkImport(BulkSettings(
                client=client, values_of=column_values,
                formats=date_order_formats(options["date_order"]), fallback=fallback,
                extra_groups=_group_option(options["groups"]), chunk_size=options["chunk_size"],
            ), state, notify)

        return plan, bulk_import

    active = rt.automations.active(automation_id)
    if active is None:
        raise ImportFileError(_("No automation has the id {id}: see arrimage automations list.", id=automation_id))
    found = None if options["events"] else contact_step(active.document)
    if options["bulk"] and found is None:
        raise ImportFileError(_(
            "The automation {id} cannot import in batches: its only step must be Cyberimpact's "
            "create contact or find or create contact. Leave out --bulk to send one event per row.",
            id=automation_id))

    if found is not None:
        if not found.step.connection:
            raise ImportFileError(_("The step {step} of {id} has no connection.", step=found.step.id, id=automation_id))
        connection = rt.connections.resolve(found.step.connection, "cyberimpact")
        policy = found.existing_policy
        plan = Plan("bulk", automation_id, _(
            "The automation {id} creates contacts, so new contacts go to Cyberimpact ({connection}) "
            "in batches of {size}, mapped by its step {step}. Existing contacts are never changed.",
            id=automation_id, connection=connection.name, size=options["chunk_size"], step=found.step.id),
            {**settings_fingerprint, "automation": automation_id, "version": active.version})

        def automation_bulk(state: ImportState, notify: Any) -> BulkImport:
            client = client_for_connection(connection, rt.http, rt.settings.http_timeout_seconds)
            return BulkImport(BulkSettings(
                client=client, values_of=step_values(rt, found, file.name),
                formats=found.step.format_settings(), fallback=fallback,
                extra_groups=_group_option(options["groups"]), existing_policy=policy,
                chunk_size=options["chunk_size"],
            ), state, notify)

        return plan, automation_bulk

    if not active.enabled:
        raise ImportFileError(_("The automation {id} is off: turn it on with arrimage automations "
                                "enable {id}, then import again.", id=automation_id))
    plan = Plan("events", automation_id, _(
        "Each row becomes an event of the automation {id} (version {version}), with its own run.",
        id=automation_id, version=active.version), {"automation": automation_id, "mode": "events"})

    def event_import(state: ImportState, notify: Any) -> EventImport:
        return EventImport(rt, automation_id, active.version, facts.sha256, file.name, state,
                           check_emails="email" in fields)

    return plan, event_import


def _run(
    rt: Runtime, source: CsvSource, mapping: ColumnMapping, plan: Plan, start: Any,
    state: ImportState, report_path: Path, delimiter: str, last_row: int,
) -> int:
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(), console=console,
    )
    started = time.monotonic()
    done = 0
    importer: BulkImport | EventImport | None = None
    with progress:
        task = progress.add_task(_("Import"), total=source_size(source), status="")
        try:
            importer = start(state, lambda text: progress.console.print(text))
            if isinstance(importer, BulkImport):
                progress.update(task, description=_("Reading the account"))
                importer.prepare()
                progress.update(task, description=_("Import"))
            for row in source.rows(mapping):
                if row.number <= last_row:
                    continue
                importer.handle(row)
                done += 1
                if done % PROGRESS_EVERY_ROWS == 0:
                    elapsed = max(time.monotonic() - started, 1e-6)
                    progress.update(task, completed=source.bytes_read, status=_rate(done, elapsed))
            progress.update(task, description=_("Waiting for Cyberimpact"))
            importer.finish()
            elapsed = max(time.monotonic() - started, 1e-6)
            progress.update(task, completed=source_size(source), status=_rate(done, elapsed),
                            description=_("Import"))
        except KeyboardInterrupt:
            _save_progress(importer, state)
            state.write_report(report_path, delimiter)
            progress.stop()
            typer.echo(_("Interrupted. Run the same command again to resume: rows already sent are "
                         "not sent twice."), err=True)
            return EXIT_INTERRUPTED
        except ArrimageError as error:
            _save_progress(importer, state)
            state.write_report(report_path, delimiter)
            progress.stop()
            typer.echo(str(error), err=True)
            typer.echo(_("The import stopped. Fix the cause, then run the same command again to resume."), err=True)
            return 1

    state.set_meta("completed_at", dt.datetime.now().astimezone().isoformat(timespec="seconds"))
    state.commit()
    state.write_report(report_path, delimiter)
    return _summary(state, report_path)


def _save_progress(importer: BulkImport | EventImport | None, state: ImportState) -> None:
    if isinstance(importer, BulkImport):
        importer.save_progress()
    state.commit()


def _rate(rows: int, seconds: float) -> str:
    rate = round(rows / seconds)
    return _("{rows} rows, {rate} rows/s", rows=rows, rate=rate)


def source_size(source: CsvSource) -> int:
    """Return the file's size in bytes, the progress bar's total."""
    return max(source.path.stat().st_size, 1)


def _summary(state: ImportState, report_path: Path) -> int:
    counts = state.counts()
    parts = [
        _n("{count} created", "{count} created", counts.get("created", 0)),
        _n("{count} updated", "{count} updated", counts.get("updated", 0)),
        _n("{count} queued", "{count} queued", counts.get("queued", 0)),
        _n("{count} skipped", "{count} skipped", counts.get("skipped", 0)),
        _n("{count} failed", "{count} failed", counts.get("failed", 0)),
    ]
    typer.echo(_("Rows: {counts}.", counts=", ".join(parts)))
    typer.echo(_("Report: {path}", path=report_path))
    return 1 if counts.get("failed", 0) else 0


def _print_mapping(mapping: ColumnMapping, mode: str) -> None:
    table = Table(_("Column"), _("Field"), _("Matched by"))
    how = {"header": _("name"), "option": "--map", "duplicate": _("field already taken"),
           "unknown": _("no field has this name")}
    for match in mapping.columns:
        if match.field is None and mode == "bulk":
            shown = _("(not imported)")
        elif match.field is None:
            shown = _("(trigger.{header} only)", header=match.header)
        else:
            shown = match.field
        table.add_row(match.header, shown, how[match.source])
    Console(width=120).print(table)


def _remove_state(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _delimiter_name(delimiter: str) -> str:
    names = {",": _("comma"), ";": _("semicolon"), "\t": _("tab")}
    return names[delimiter]


def _relation_type_option(value: str | None) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if text not in RELATION_TYPE_VALUES:
        raise ImportFileError(_("Invalid --relation-type \"{value}\": use one of {choices}.",
                                value=value, choices=", ".join(sorted(RELATION_TYPE_VALUES))))
    return text


def _date_option(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ImportFileError(_("Invalid --consent-date \"{value}\": write the date as yyyy-mm-dd, such "
                                "as 2024-03-15.", value=value)) from None
    if day > dt.date.today():
        raise ImportFileError(_("The --consent-date {value} is in the future.", value=value))
    return day


def _group_option(values: list[str]) -> tuple[int, ...]:
    groups: list[int] = []
    for value in values:
        for item in value.split(","):
            text = item.strip()
            if not text:
                continue
            if not text.isdigit() or int(text) <= 0:
                raise ImportFileError(_("Invalid --group \"{value}\": give a Cyberimpact group id, such as "
                                        "103 (see arrimage connections choices NAME groups).", value=text))
            groups.append(int(text))
    return tuple(groups)
