"""The ``arrimage`` command. Messages follow ``LANG`` (French unless it names English)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

from arrimage.stop_signals import StopSignals

# Loading the commands can take a second or more. A Ctrl-C or SIGTERM meanwhile is kept until the
# command starts, instead of ending the process with a KeyboardInterrupt traceback from an import.
STARTUP_SIGNALS = StopSignals().install()

import typer  # noqa: E402

from arrimage.i18n import _, locale_from_environment, set_locale  # noqa: E402

# Before the command modules are imported: their help texts are translated when they load.
set_locale(locale_from_environment())

from arrimage import __version__  # noqa: E402
from arrimage.cli import apps as apps_commands  # noqa: E402
from arrimage.cli import automations as automation_commands  # noqa: E402
from arrimage.cli import connections as connection_commands  # noqa: E402
from arrimage.cli import demo as demo_commands  # noqa: E402
from arrimage.cli import imports as import_commands  # noqa: E402
from arrimage.cli import normalize as normalize_commands  # noqa: E402
from arrimage.cli import preview as preview_commands  # noqa: E402
from arrimage.cli import runs as run_commands  # noqa: E402
from arrimage.cli import sandbox as sandbox_commands  # noqa: E402
from arrimage.cli import serve as serve_commands  # noqa: E402
from arrimage.cli import users as user_commands  # noqa: E402
from arrimage.cli.common import STATE  # noqa: E402
from arrimage.engine.errors import ArrimageError  # noqa: E402

STARTUP_SIGNALS.restore()

app = typer.Typer(
    name="arrimage",
    help=_("Automations that connect Cyberimpact to your forms, online stores and CRM."),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(automation_commands.app, name="automations")
app.add_typer(run_commands.runs_app, name="runs")
app.add_typer(apps_commands.app, name="apps")
app.add_typer(connection_commands.app, name="connections")
app.add_typer(user_commands.app, name="users")
app.command("serve", help=_("Run the web app, the webhook intake, the scheduler and workers in one process."))(serve_commands.serve)
app.command("worker", help=_("Run queue workers only (to scale out with PostgreSQL and Redis)."))(serve_commands.worker)
app.command("sandbox", help=_("Run a local Cyberimpact emulator (no real email is sent)."))(sandbox_commands.sandbox)
app.command("demo", help=_("Play sample events through the whole product, with a local Cyberimpact sandbox, then keep the web app running until Ctrl-C.") + "\n\n" + _("Exit status: 0 when every event and CSV row went through, also when stopped after the summary; 1 when one failed; 2 when the demo cannot start; 130 when Ctrl-C or SIGTERM stopped it before the summary."))(demo_commands.demo)
app.command("normalize", help=_("Convert one value to the format Cyberimpact accepts, and say why when it cannot."))(normalize_commands.normalize)
app.command("run", help=_("Run an automation file once on an event file, without the queue, to test it."))(run_commands.run_file)
app.command("preview", help=_("Show what an automation file would send for an event file, without calling any app."))(preview_commands.preview)
app.command("import", help=_("Import a CSV file: one event per row for an automation, or contacts to Cyberimpact in batches."))(import_commands.import_csv)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"arrimage {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    context: typer.Context,
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=_("Data folder (default: ARRIMAGE_DATA_DIR or ./data).")),
    database_url: Optional[str] = typer.Option(None, "--database-url", help=_("Database URL (default: SQLite in the data folder).")),
    queue_url: Optional[str] = typer.Option(None, "--queue-url", help=_("Queue URL, such as redis://127.0.0.1:6379/0 (default: SQLite).")),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help=_("Show the version and exit.")),
) -> None:
    if STARTUP_SIGNALS.signum is not None:
        # The demo prints that it stopped and exits with its own status. Other commands end
        # silently, with the status a shell gives a process ended by that signal.
        if context.invoked_subcommand != "demo":
            raise typer.Exit(128 + STARTUP_SIGNALS.signum)
        STATE.startup_signal = STARTUP_SIGNALS.signum
    overrides = {"data_dir": data_dir, "database_url": database_url, "queue_url": queue_url}
    STATE.overrides = {key: value for key, value in overrides.items() if value is not None}


def main() -> None:
    """Entry point of the ``arrimage`` command."""
    try:
        app()
    except ArrimageError as error:
        typer.echo(str(error), err=True)
        sys.exit(1)
