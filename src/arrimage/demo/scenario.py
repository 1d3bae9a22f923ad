"""Start the demo's parts, play the bundled events, print the summary, and serve until stopped.

The main thread serves the web app with uvicorn, as ``arrimage serve`` does, with the queue
workers and the scheduler, because uvicorn and Huey handle signals only there. The sandbox
runs in a daemon thread, and a player thread posts the events once the web app responds.

Ctrl-C (SIGINT) or SIGTERM only records a stop request (:class:`~arrimage.stop_signals.StopSignals`),
and each step checks it before it starts, so a signal at any moment ends the demo the same
way: no later step starts, uvicorn stops gracefully, the player thread ends, then the sandbox
and the folder's lock are released, and the demo prints that it stopped.
"""

from __future__ import annotations

import contextvars
import logging
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import typer
import uvicorn

from arrimage.cli.common import print_json
from arrimage.config import ConfigurationError, Settings
from arrimage.demo.bundle import bundled_deliveries
from arrimage.demo.contacts import final_contacts, read_sandbox_state
from arrimage.demo.contacts_csv import CSV_FILE, ROW_COUNT
from arrimage.demo.csv_import import import_demo_csv
from arrimage.demo.dates import SHOP_ZONE
from arrimage.demo.installation import CYBERIMPACT_CONNECTION, Installation, install
from arrimage.demo.outcomes import event_outcomes
from arrimage.demo.player import play
from arrimage.demo.servers import (
    DEFAULT_APP_PORT,
    DEFAULT_SANDBOX_PORT,
    HOST,
    PortInUseError,
    bind_app_socket,
    start_sandbox,
)
from arrimage.demo.summary import Addresses, DemoReport
from arrimage.demo.waiting import wait_for_runs
from arrimage.demo.workspace import DemoFolderError, prepare_folder
from arrimage.emulators.serving import BackgroundServer
from arrimage.engine.errors import ArrimageError
from arrimage.i18n import _
from arrimage.runtime import Runtime
from arrimage.stop_signals import StopSignals
from arrimage.web.app import create_app

logger = logging.getLogger(__name__)

# Ample for the handful of runs on one machine: each takes tens of milliseconds.
RUN_TIMEOUT_SECONDS = 60.0
SERVER_START_TIMEOUT_SECONDS = 30.0
PLAYER_JOIN_SECONDS = 10.0
EXIT_ERRORS = 1
EXIT_UNUSABLE = 2
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class DemoOptions:
    """The command's options: the data folder, the ports, and how to end and print."""

    data_dir: Path
    port: int | None = None
    sandbox_port: int | None = None
    exit_when_done: bool = False
    json_output: bool = False


class _Stopped(Exception):
    """A stop signal arrived: the demo ends before its next step."""


def run_demo(options: DemoOptions, stop: StopSignals | None = None) -> int:
    """Run the demo and return the exit code: 0, 1 when an event or row failed, 2 when the demo
    cannot start, 130 when a signal stopped it before the summary.

    ``stop`` carries SIGINT and SIGTERM. Without it, the demo installs its own handlers while it
    runs, in the main thread only.
    """
    signals = stop if stop is not None else StopSignals().install()
    try:
        return _run(options, signals)
    finally:
        if stop is None:
            signals.restore()


def _run(options: DemoOptions, signals: StopSignals) -> int:
    say = _printer(options.json_output)
    if signals.requested.is_set():
        say(_("The demo stopped."))
        return EXIT_INTERRUPTED
    try:
        folder = prepare_folder(options.data_dir)
    except DemoFolderError as error:
        typer.echo(str(error), err=True)
        return EXIT_UNUSABLE

    app_socket: socket.socket | None = None
    sandbox: BackgroundServer | None = None
    server: uvicorn.Server | None = None
    runtime: Runtime | None = None
    player: _Player | None = None
    try:
        _check(signals)
        app_socket = bind_app_socket(options.port)
        token = secrets.token_urlsafe(24)
        sandbox = start_sandbox(folder.path, options.sandbox_port, token)
        _check(signals)
        app_port = int(app_socket.getsockname()[1])
        settings = demo_settings(folder.path, app_port, sandbox.base_url, token)
        runtime = Runtime(settings)
        say(_("Demo data in {path}, erased at each start of the demo.", path=folder.path))
        for line in _moved_port_lines(options, app_port, sandbox.base_url):
            say(line)
        say(_("Cyberimpact sandbox at {url}, with the groups and contacts of a small Québec shop.",
              url=sandbox.base_url))
        say(_("Its API token for this run: {token} (the demo picks a new one at each start).",
              token=token))
        installation = install(runtime, sandbox.base_url, token)
        _check(signals)

        server = uvicorn.Server(uvicorn.Config(
            create_app(runtime, consumer=True, scheduler=True), log_config=None, access_log=False,
            server_header=False))
        running = server
        signals.on_stop(lambda: setattr(running, "should_exit", True))
        form = installation.automations[installation.form_automation]
        addresses = Addresses(web_app=settings.base_url, sandbox=sandbox.base_url, sandbox_token=token,
                              data_dir=folder.path, form_webhook=form.webhook_url)
        player = _Player(runtime, installation, addresses, server, signals, options, say)
        # A new thread starts with the default locale: run it in a copy of this context.
        context = contextvars.copy_context()
        threading.Thread(target=context.run, args=(player.run,), name="demo player", daemon=True).start()
        server.run(sockets=[app_socket])
    except (PortInUseError, ConfigurationError, ArrimageError) as error:
        typer.echo(str(error), err=True)
        return EXIT_UNUSABLE
    except _Stopped:
        pass
    except KeyboardInterrupt:
        # Only when the handlers could not be installed (outside the main thread).
        signals.request(signal.SIGINT)
    finally:
        # The player stops before the sandbox and the runtime that it uses.
        if player is not None:
            player.stopping.set()
            player.finished.wait(PLAYER_JOIN_SECONDS)
        if sandbox is not None:
            sandbox.stop()
        if runtime is not None:
            runtime.close()
        if app_socket is not None:
            app_socket.close()
        folder.release()

    stopped = signals.requested.is_set()
    if server is not None and not server.started and not stopped:
        typer.echo(_("The web app did not start. The log above gives the reason."), err=True)
        return EXIT_ERRORS
    if stopped or not options.exit_when_done:
        say(_("The demo stopped."))
    if player is None or player.exit_code is None:
        return EXIT_INTERRUPTED
    return player.exit_code


def _check(signals: StopSignals) -> None:
    """Raise :class:`_Stopped` when a stop signal arrived, so the next step does not start."""
    if signals.requested.is_set():
        raise _Stopped


def _moved_port_lines(options: DemoOptions, app_port: int, sandbox_url: str) -> list[str]:
    """Return a line for each default port that was taken and replaced by a free one."""
    lines = []
    if options.port is None and app_port != DEFAULT_APP_PORT:
        lines.append(_("Port {port} is in use, so the web app listens on {actual}.",
                       port=DEFAULT_APP_PORT, actual=app_port))
    sandbox_port = urlsplit(sandbox_url).port
    if options.sandbox_port is None and sandbox_port != DEFAULT_SANDBOX_PORT:
        lines.append(_("Port {port} is in use, so the Cyberimpact sandbox listens on {actual}.",
                       port=DEFAULT_SANDBOX_PORT, actual=sandbox_port))
    return lines


def demo_settings(folder: Path, port: int, sandbox_url: str, sandbox_token: str) -> Settings:
    """Return the settings of the demo's Arrimage: SQLite and its queue in ``folder``, on 127.0.0.1.

    The database, queue, public address and secret key of the environment are ignored on
    purpose, so the demo never writes into a real installation. ``sandbox_url`` and
    ``sandbox_token`` are those of the demo's own sandbox, which may listen on another port
    than 8466 and accepts only its random token.
    """
    return Settings(data_dir=folder, database_url="", queue_url="", public_url="", secret_key="",
                    host=HOST, port=port, queue_name="arrimage-demo", sandbox_url=sandbox_url,
                    sandbox_token=sandbox_token)


class _Player:
    """Play the events once the web app responds, then print the summary.

    Each step checks the stop request before it starts and raises :class:`_Stopped` when it was
    made, so that a signal leaves no step half announced.
    """

    def __init__(self, runtime: Runtime, installation: Installation, addresses: Addresses,
                 server: uvicorn.Server, signals: StopSignals, options: DemoOptions,
                 say: Callable[[str], None]) -> None:
        self.runtime = runtime
        self.installation = installation
        self.addresses = addresses
        self.server = server
        self.signals = signals
        self.options = options
        self.say = say
        self.stopping = threading.Event()
        self.finished = threading.Event()
        self.exit_code: int | None = None

    def run(self) -> None:
        try:
            if not self._wait_for_server():
                return
            report = self.play()
            self._check()
            self.print(report)
            self.exit_code = 0 if report.ok else EXIT_ERRORS
        except _Stopped:
            return
        except Exception:
            if self._stop_requested():
                return
            logger.exception("the demo failed while playing the events")
            typer.echo(_("The demo failed while playing the events. The log above gives the reason."), err=True)
            self.exit_code = EXIT_ERRORS
        finally:
            self.finished.set()
            if self.options.exit_when_done:
                self.server.should_exit = True

    def play(self) -> DemoReport:
        """Post the deliveries, wait for their runs, import the CSV file and read the sandbox."""
        started = time.monotonic()
        deliveries = bundled_deliveries()
        copies = sum(1 + delivery.repeat for delivery in deliveries)
        self._check()
        self.say(_("Sending {count} webhook deliveries to {url}/hooks/…", count=copies,
                   url=self.addresses.web_app))
        played = play(deliveries, self.installation, datetime.now(UTC), self._stop_requested)
        run_ids = [run_id for delivery in played for run_id in delivery.run_ids]

        self._check()
        self.say(_("Waiting for {count} runs to finish…", count=len(run_ids)))
        waiting_since = time.monotonic()
        runs = wait_for_runs(self.runtime, run_ids, RUN_TIMEOUT_SECONDS, self._stop_requested)
        titles = {group_id: title for title, group_id in self.installation.groups.items()}
        outcomes = event_outcomes(played, runs, titles, time.monotonic() - waiting_since)

        self._check()
        self.say(_("Importing {file} ({rows} rows) into the sandbox in batches…", file=CSV_FILE,
                   rows=ROW_COUNT))
        csv_result, csv_error = None, None
        try:
            csv_result = import_demo_csv(self.runtime, self.addresses.data_dir, CYBERIMPACT_CONNECTION,
                                         datetime.now(SHOP_ZONE).date())
        except ArrimageError as error:
            csv_error = str(error)

        self._check()
        tables = read_sandbox_state(self.addresses.sandbox, self.addresses.sandbox_token)
        return DemoReport(events=outcomes, csv=csv_result, csv_error=csv_error,
                          contacts=final_contacts(tables), addresses=self.addresses,
                          seconds=time.monotonic() - started)

    def print(self, report: DemoReport) -> None:
        """Print the summary, as text or JSON, and how to stop when the demo keeps serving."""
        if self.options.json_output:
            print_json(report.as_json())
        else:
            typer.echo("")
            for line in report.text(serving=not self.options.exit_when_done):
                typer.echo(line)
        if not self.options.exit_when_done:
            self.say(_("Press Ctrl-C to stop the demo."))

    def _wait_for_server(self) -> bool:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_SECONDS
        while not self.server.started:
            if self._stop_requested():
                return False
            if time.monotonic() > deadline:
                typer.echo(_("The web app did not start within {seconds} s.",
                             seconds=round(SERVER_START_TIMEOUT_SECONDS)), err=True)
                self.exit_code = EXIT_ERRORS
                return False
            time.sleep(0.05)
        return True

    def _stop_requested(self) -> bool:
        # uvicorn replaces the signal handlers while it serves, and sets should_exit for a signal.
        return self.stopping.is_set() or self.signals.requested.is_set() or self.server.should_exit

    def _check(self) -> None:
        if self._stop_requested():
            raise _Stopped


def _printer(json_output: bool) -> Callable[[str], None]:
    """Return how progress lines are printed: on standard error when standard output is JSON."""
    def say(text: str) -> None:
        typer.echo(text, err=json_output)
    return say
