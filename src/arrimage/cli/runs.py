"""``arrimage runs`` and ``arrimage run``: run history, replay, and one-off test runs."""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import typer
from cryptography.fernet import Fernet
from rich.console import Console
from rich.table import Table

from arrimage.cli.automations import read_document, report_document_error
from arrimage.cli.common import confirm, has_data, print_json, read_event, runtime, settings
from arrimage.engine.errors import DocumentError
from arrimage.engine.executor import RunPlan
from arrimage.engine.records import RunStatus, StepRecord, StepStatus, status_label
from arrimage.engine.validation import load_document
from arrimage.i18n import _, current_locale
from arrimage.web.api.runs import replay as replay_run

runs_app = typer.Typer(help=_("Inspect and replay runs."), no_args_is_help=True)


@runs_app.command("list", help=_("List runs, newest first."))
def list_runs(
    automation: str | None = typer.Option(None, "--automation", help=_("Only this automation's runs.")),
    status: RunStatus | None = typer.Option(None, "--status", help=_("Only runs with this status.")),
    limit: int = typer.Option(20, "--limit", min=1, max=500, help=_("How many runs to show.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    runs = runtime().runs.list(automation_id=automation, status=status.value if status else None, limit=limit)
    if as_json:
        print_json(runs)
        return
    if not runs:
        typer.echo(_("No runs yet."))
        return
    table = Table(_("Run"), _("Automation"), _("Status"), _("Created"), _("Error"))
    table.columns[0].no_wrap = True  # ids are copied into other commands: never cut them
    table.columns[1].no_wrap = True
    for run in runs:
        table.add_row(run["id"], run["automation_id"], status_label(run["status"]), run["created_at"],
                      _error_text(run["error"]))
    Console().print(table)


@runs_app.command("show", help=_("Show a run with each step's input, output and error."))
def show_run(
    run_id: str = typer.Argument(..., help=_("Run id.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    run = runtime().runs.get(run_id)
    if as_json:
        print_json(run)
        return
    print_run(run)


@runs_app.command("replay", help=_("Replay a failed run from its failed step, with the current version."))
def replay(
    run_id: str = typer.Argument(..., help=_("Run id.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    run = replay_run(runtime(), run_id)
    if as_json:
        print_json(run)
        return
    typer.echo(_("Run {id} is queued again; a running server or worker will resume it.", id=run_id))


@runs_app.command("erase", help=_("Erase every event and run that mentions an email address."))
def erase(
    email: str = typer.Argument(..., help=_("The email address.")),
    yes: bool = typer.Option(False, "--yes", help=_("Do not ask for confirmation.")),
) -> None:
    if "@" not in email:
        typer.echo(_("{value} is not an email address.", value=repr(email)), err=True)
        raise typer.Exit(2)
    rt = runtime()
    if not yes and not confirm(_("Erase every event and run that mentions {email}? This cannot be undone.", email=email)):
        raise typer.Exit(1)
    count = rt.runs.erase_email(email)
    if count == 1:
        typer.echo(_("Erased 1 run with its event."))
    else:
        typer.echo(_("Erased {count} runs with their events.", count=count))


def run_file(
    file: Path = typer.Argument(..., help=_("Automation YAML file.")),
    event: Path = typer.Option(..., "--event", help=_("JSON file with the trigger's data.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    """Run ``file`` once on ``event`` in this process; nothing is queued or stored."""
    data = read_document(file)
    try:
        document = load_document(data)
    except DocumentError as error:
        report_document_error(file, error)
        raise typer.Exit(1)
    payload = read_event(event)

    # Connections are read from the data folder when there is one. Otherwise a throwaway folder
    # keeps the command from creating an installation where the user happens to be.
    scratch = None if has_data(settings()) else tempfile.TemporaryDirectory(prefix="arrimage-run-")
    if scratch:
        rt = runtime(create=True, data_dir=Path(scratch.name), secret_key=Fernet.generate_key().decode())
    else:
        rt = runtime()
    now = datetime.now(timezone.utc)
    recorder = _MemoryRecorder()
    trigger = StepRecord(step_id="trigger", position=0, kind="trigger", status=StepStatus.SUCCEEDED,
                         output=payload, started_at=now, finished_at=now, attempts=1)
    recorder.save_step(trigger)
    plan = RunPlan(run_id="test", automation_id=document.id or "test", document=document,
                   trigger_output=payload, event={"id": "test", "received_at": now.isoformat()},
                   records={"trigger": trigger})
    try:
        outcome = rt.executor.execute(plan, recorder)
    finally:
        rt.close()
        if scratch:
            scratch.cleanup()
    result = {"status": outcome.status.value, "error": outcome.error,
              "steps": [record.as_dict() for record in recorder.records]}
    if as_json:
        print_json(result)
    else:
        print_run(result)
    if outcome.status not in (RunStatus.SUCCEEDED, RunStatus.FILTERED):
        raise typer.Exit(1)


class _MemoryRecorder:
    def __init__(self) -> None:
        self.records: list[StepRecord] = []

    def save_step(self, record: StepRecord) -> None:
        self.records = [r for r in self.records if r.step_id != record.step_id] + [record]


def print_run(run: dict[str, Any]) -> None:
    """Print a run and its steps for a person."""
    console = Console()
    if run.get("id"):
        header = _("Run {id}: {status}", id=run["id"], status=status_label(run["status"]))
    else:
        header = _("Test run (not stored): {status}", status=status_label(run["status"]))
    console.print(f"[bold]{header}[/bold]")
    if run.get("error"):
        console.print("  " + _error_text(run["error"]), style="red")
    for step in run["steps"]:
        operation = f" {step['app']}.{step['operation']}" if step.get("app") else ""
        timing = f" {step['duration_ms']:.1f} ms" if step.get("duration_ms") is not None else ""
        console.print(f"- {step['step_id']} ({step['kind']}{operation}): {status_label(step['status'])}{timing}")
        if step["kind"] != "trigger" and step.get("input") is not None:
            console.print("    " + _("input: {value}", value=_compact(step["input"])), markup=False)
        if step.get("output") is not None:
            console.print("    " + _("output: {value}", value=_compact(step["output"])), markup=False)
        for warning in step.get("warnings") or []:
            console.print("    " + _("warning: {value}", value=_compact(warning)), style="yellow", markup=False)
        if step.get("error"):
            console.print("    " + _("error: {value}", value=_error_text(step["error"])), style="red", markup=False)


def _error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return ""
    message = error.get("message")
    if isinstance(message, dict):
        return str(message.get(current_locale()) or message.get("en") or "")
    return str(message or error.get("code") or "")


def _compact(value: Any, limit: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
