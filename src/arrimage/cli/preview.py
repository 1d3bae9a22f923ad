"""``arrimage preview``: what an automation would send for an event, without calling any app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from arrimage.cli.automations import read_document, report_document_error
from arrimage.cli.common import print_json, read_event
from arrimage.engine.errors import DocumentError
from arrimage.engine.preview import (
    SAMPLE_OUTPUT_NOTE,
    AutomationPreview,
    FieldPreview,
    StepPreview,
    preview_automation,
)
from arrimage.i18n import _, after_colon
from arrimage.normalize import Message


def preview(
    file: Path = typer.Argument(..., help=_("Automation YAML file.")),
    event: Path = typer.Option(..., "--event", help=_("JSON file with the trigger's data.")),
    as_json: bool = typer.Option(False, "--json", help=_("Print JSON.")),
) -> None:
    """Print each step's mapped and converted values, and exit with code 1 if a run would fail."""
    data = read_document(file)
    payload = read_event(event)
    try:
        result = preview_automation(data, payload)
    except DocumentError as error:
        report_document_error(file, error)
        raise typer.Exit(1) from error

    if as_json:
        print_json(result.to_dict())
    else:
        print_preview(result)
    if result.outcome == "failed":
        raise typer.Exit(1)


def print_preview(result: AutomationPreview) -> None:
    """Print a preview for a person: one table per step, then how a run would end."""
    console = Console()
    console.print(Text(_("Preview of {name}: no app is called and nothing is stored.",
                         name=result.name), style="bold"))
    for step in result.steps:
        console.print()
        if step.type == "filter":
            _print_filter(console, step)
        elif step.type == "path":
            _print_path(console, step)
        else:
            _print_operation(console, step)
    console.print()
    console.print(Text(_outcome_text(result), style="bold"))


def _print_operation(console: Console, step: StepPreview) -> None:
    operation = f"{step.app}.{step.operation}"
    if step.type == "search":
        title = _("Step {step_id}: search {operation}", step_id=step.step_id, operation=operation)
    else:
        title = _("Step {step_id}: action {operation}", step_id=step.step_id, operation=operation)
    console.print(Text(title, style="bold"))

    table = Table(_("Field"), _("Mapped value"), _("Sent value"), _("Messages"))
    table.columns[0].no_wrap = True
    for field in step.fields:
        if field.evaluated:
            mapped, sent = _shown(field.mapped, _("(empty)")), _shown(field.sent, _("(left out)"))
        else:
            mapped = sent = _("(template error)")
        table.add_row(Text(field.key), Text(mapped), Text(sent), _field_notes(field))
    console.print(table)

    if step.status == "error":
        console.print(Text(_("A run would fail at this step."), style="red"))
    console.print(Text(SAMPLE_OUTPUT_NOTE.render()))


def _field_notes(field: FieldPreview) -> Text:
    notes = Text()
    lines: list[tuple[str, str]] = []
    if field.off:
        lines.append((_("Conversion turned off: sent as mapped."), ""))
    lines += [(_("Error: {message}", message=after_colon(message.render())), "red") for message in field.errors]
    lines += [(_("Warning: {message}", message=after_colon(message.render())), "yellow")
              for message in field.warnings]
    for index, (line, style) in enumerate(lines):
        if index:
            notes.append("\n")
        notes.append(line, style=style)
    return notes


def _print_filter(console: Console, step: StepPreview) -> None:
    console.print(Text(_("Step {step_id}: filter", step_id=step.step_id), style="bold"))
    if step.conditions:
        console.print(_conditions_table(step.conditions))
    _print_errors(console, step.errors)
    if step.status == "filtered":
        console.print(Text(_("The filter's conditions do not hold, so a run would stop here "
                             "(stopped by a filter)."), style="yellow"))
    elif step.passed:
        console.print(Text(_("The filter's conditions hold, so the run goes on.")))


def _print_path(console: Console, step: StepPreview) -> None:
    console.print(Text(_("Step {step_id}: path", step_id=step.step_id), style="bold"))
    for branch in step.branches:
        verdict = _("conditions hold") if branch.passed else _("conditions do not hold")
        console.print(Text(_("Branch {branch}: {verdict}", branch=branch.name, verdict=verdict)))
        console.print(_conditions_table(branch.conditions))
    _print_errors(console, step.errors)
    if step.status == "error":
        return
    if step.branch is None:
        console.print(Text(_("No branch's conditions hold, so the otherwise steps run.")))
    else:
        console.print(Text(_("Branch taken: {branch}.", branch=step.branch)))


def _conditions_table(conditions: list[dict[str, Any]]) -> Table:
    table = Table(_("Value"), _("Operator"), _("Compare to"), _("Result"))
    for condition in conditions:
        value = _("(absent)") if condition["absent"] else _shown(condition["value"], _("(empty)"))
        table.add_row(Text(value), Text(condition["operator"]),
                      Text(_shown(condition["compare_to"], "")),
                      Text(_("yes") if condition["passed"] else _("no")))
    return table


def _print_errors(console: Console, errors: list[Message]) -> None:
    for message in errors:
        console.print(Text(_("Error: {message}", message=after_colon(message.render())), style="red"))


def _outcome_text(result: AutomationPreview) -> str:
    if result.outcome == "failed":
        return _("A run would fail at step {step_id}.", step_id=result.stopped_at)
    if result.outcome == "filtered":
        return _("A run would stop at the filter {step_id}.", step_id=result.stopped_at)
    return _("A run would go through every step shown.")


def _shown(value: Any, empty: str) -> str:
    """Return a value as a table cell: text as is, other values as compact JSON."""
    if value is None or value == "":
        return empty
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)
