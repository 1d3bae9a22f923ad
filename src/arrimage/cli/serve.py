"""``arrimage serve`` and ``arrimage worker``: the long-running processes."""

from __future__ import annotations

import contextvars
import logging
import signal
import socket
import threading
import time

import httpx
import typer
import uvicorn

from arrimage.catalogue import webhook_url
from arrimage.cli.common import settings
from arrimage.config import ConfigurationError
from arrimage.examples import example_automation, example_event
from arrimage.engine.records import status_label
from arrimage.i18n import _
from arrimage.logs import configure_logging
from arrimage.runtime import Runtime
from arrimage.web.app import create_app

logger = logging.getLogger(__name__)


def serve(
    host: str | None = typer.Option(None, "--host", help=_("Address to listen on (default 127.0.0.1).")),
    port: int | None = typer.Option(None, "--port", help=_("Port to listen on (default 8465).")),
    workers: int | None = typer.Option(None, "--workers", help=_("Worker threads for runs (default 4).")),
    consumer: bool = typer.Option(True, "--consumer/--no-consumer", help=_("Run queue workers in this process.")),
    example: bool = typer.Option(False, "--example", help=_("Import the example automation, turn it on and send it a sample event.")),
) -> None:
    current = settings(host=host, port=port, workers=workers)
    configure_logging(current.log_level)
    if not port_is_free(current.host, current.port):
        typer.echo(_("Port {port} on {host} is already in use: stop the other server, or choose "
                     "another port with --port or ARRIMAGE_PORT.", port=current.port, host=current.host),
                   err=True)
        raise typer.Exit(2)
    try:
        runtime = Runtime(current)
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error

    app = create_app(runtime, consumer=consumer, scheduler=True)
    config = uvicorn.Config(app, host=current.host, port=current.port, log_config=None,
                            access_log=False, server_header=False)
    server = uvicorn.Server(config)
    typer.echo(_("Arrimage is running at {url} (data in {data_dir}). Press Ctrl-C to stop.",
                 url=current.base_url, data_dir=current.data_dir.resolve()))
    typer.echo(_("API documentation: {url}/api/docs", url=current.base_url))
    if example:
        # A new thread starts with the default locale: run it in a copy of this context.
        context = contextvars.copy_context()
        threading.Thread(target=context.run, args=(_play_example, runtime, server), daemon=True).start()
    server.run()
    logger.info("web server stopped")
    typer.echo(_("Arrimage stopped."))


def port_is_free(host: str, port: int) -> bool:
    """Return whether ``host:port`` can be bound now (checked before anything starts)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def worker(
    workers: int | None = typer.Option(None, "--workers", help=_("Worker threads (default 4).")),
    scheduler: bool = typer.Option(True, "--scheduler/--no-scheduler", help=_("Take part in the scheduler election.")),
) -> None:
    current = settings(workers=workers)
    configure_logging(current.log_level)
    try:
        runtime = Runtime(current)
    except ConfigurationError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_args: stop.set())

    runtime.start_consumer()
    if scheduler:
        runtime.start_scheduler()
    typer.echo(_("Worker running with {count} threads on the {backend} queue. Press Ctrl-C to stop.",
                 count=current.workers, backend=current.queue_backend))
    stop.wait()
    typer.echo(_("Stopping: finishing the runs in progress…"))
    runtime.close()


def _play_example(runtime: Runtime, server: uvicorn.Server) -> None:
    """Import and enable the example, post the sample event, and print how the run went."""
    while not server.started:
        time.sleep(0.05)
    base_url = runtime.settings.base_url
    summary = runtime.automations.save(example_automation(base_url))
    runtime.automations.set_enabled(summary["id"], True)
    url = webhook_url(runtime, summary["id"]) or ""

    response = httpx.post(url, json=example_event(), timeout=10)
    run_id = (response.json().get("events") or [{}])[0].get("run_id")
    status = "?"
    for _attempt in range(100):
        if run_id is None:
            break
        status = runtime.runs.get(run_id)["status"]
        if status in ("succeeded", "failed", "filtered"):
            break
        time.sleep(0.1)

    typer.echo("")
    typer.echo(_("Example automation {id} is on. Its webhook URL:", id=summary["id"]))
    typer.echo(f"  {url}")
    typer.echo(_("A sample event was sent: run {run_id} {status}. See it with:", run_id=run_id,
                 status=status_label(status)))
    typer.echo(f"  {base_url}/runs/{run_id}")
    typer.echo(f"  arrimage runs show {run_id}")
    typer.echo(_("Send your own event with:"))
    typer.echo(f"  curl -s -H 'Content-Type: application/json' -d '{{\"email\": \"a@exemple.ca\", \"province\": \"QC\"}}' {url}")
