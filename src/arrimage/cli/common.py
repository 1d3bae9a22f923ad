"""Helpers shared by the commands: settings with command-line overrides, the runtime, output."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError

from arrimage.config import ConfigurationError, Settings
from arrimage.engine.json_errors import json_problem
from arrimage.i18n import _
from arrimage.logs import configure_logging
from arrimage.runtime import Runtime


@dataclass
class _State:
    overrides: dict[str, Any] = field(default_factory=dict)
    # SIGINT or SIGTERM received while the commands were loading, for a command that handles it.
    startup_signal: int | None = None


STATE = _State()


def settings(**extra: Any) -> Settings:
    """Return the settings from the environment, with the command's flags on top."""
    values = {**STATE.overrides, **{key: value for key, value in extra.items() if value is not None}}
    try:
        return Settings(**values)
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    except ValidationError as error:
        for problem in error.errors():
            name = "_".join(str(part) for part in problem["loc"])
            typer.echo(_("Invalid value for the setting {name} (ARRIMAGE_{variable} or a command-line "
                         "option): {problem}.", name=name, variable=name.upper(), problem=problem["msg"]),
                       err=True)
        raise typer.Exit(2) from error


def runtime(*, create: bool = False, **extra: Any) -> Runtime:
    """Return a runtime for a short command (migrations applied, no threads started).

    Unless ``create`` is true, a missing SQLite database ends the command with a message
    instead of creating an empty installation in the wrong folder.
    """
    current = settings(**extra)
    configure_logging("WARNING")
    if not create and not has_data(current):
        typer.echo(_("No Arrimage data in {path}: run the command from the folder where the server "
                     "runs, or pass --data-dir (or set ARRIMAGE_DATA_DIR).",
                     path=current.data_dir.resolve()), err=True)
        raise typer.Exit(2)
    try:
        return Runtime(current)
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error


def has_data(current: Settings) -> bool:
    """Return whether the configured database exists (always true for a database server)."""
    if current.database_url and not current.database_url.startswith("sqlite"):
        return True
    return (current.data_dir / "arrimage.db").exists() or bool(current.database_url)


def read_event(path: Path) -> dict[str, Any]:
    """Read an event file, a JSON object. Exit with code 2 and a message if it cannot be read."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        typer.echo(_("File not found: {path}.", path=path), err=True)
        raise typer.Exit(2)
    except json.JSONDecodeError as error:
        typer.echo(_("{path} is not valid JSON: {problem} at line {line}, column {column}.",
                     path=path, problem=json_problem(error).render(), line=error.lineno,
                     column=error.colno), err=True)
        raise typer.Exit(2)
    if not isinstance(payload, dict):
        typer.echo(_("{path} must contain a JSON object.", path=path), err=True)
        raise typer.Exit(2)
    return payload


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON (UTF-8, not escaped)."""
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def ask(label: str, *, hide_input: bool = False) -> str:
    """Prompt for a value after ``label``, with the colon of the reader's language.

    French puts a non-breaking space before the colon, so the colon is part of the message
    rather than Click's fixed ": " suffix.
    """
    answer: str = typer.prompt(_("{label}: ", label=label), prompt_suffix="", hide_input=hide_input)
    return answer


def confirm(question: str, *, default: bool = False) -> bool:
    """Ask a yes-or-no ``question`` and return the reply, which Click reads as y or n in every language."""
    choices = "[Y/n]" if default else "[y/N]"
    answer: bool = typer.confirm(_("{label}: ", label=f"{question} {choices}"), default=default,
                                 show_default=False, prompt_suffix="")
    return answer


def parse_values(pairs: list[str]) -> dict[str, Any]:
    """Return ``KEY=VALUE`` options as a dict; an item without ``=`` ends the command."""
    values: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            typer.echo(_("Invalid option value {value}: write KEY=VALUE, such as group=103.",
                         value=repr(pair)), err=True)
            raise typer.Exit(2)
        values[key.strip()] = value
    return values
