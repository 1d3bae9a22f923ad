"""``arrimage demo``: the whole product on sample events, with a local Cyberimpact sandbox."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from arrimage.cli.common import STATE, settings
from arrimage.i18n import _
from arrimage.logs import configure_logging
from arrimage.stop_signals import StopSignals

DEMO_FOLDER = "demo"


def demo(
    exit_when_done: bool = typer.Option(False, "--exit", help=_("Stop once the summary is printed, instead of keeping the web app running until Ctrl-C.")),
    json_output: bool = typer.Option(False, "--json", help=_("Print the summary as one JSON object, with the sandbox's final contacts.")),
    port: Optional[int] = typer.Option(None, "--port", min=0, max=65535, help=_("Port of the web app: 0 takes any free port. Default: 8465, or a free port when 8465 is taken.")),
    sandbox_port: Optional[int] = typer.Option(None, "--sandbox-port", min=0, max=65535, help=_("Port of the Cyberimpact sandbox: 0 takes any free port. Default: 8466, or a free port when 8466 is taken.")),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help=_("Folder of the demo's data, erased at each start (default: the folder demo inside the data folder).")),
) -> None:
    # Installed before the demo's modules load, so a Ctrl-C at any moment stops the demo the same way.
    stop = StopSignals().install()
    if STATE.startup_signal is not None:
        stop.request(STATE.startup_signal)
    try:
        # Imported here: the demo's modules (emulators, player) would slow every other command's start.
        from arrimage.demo.scenario import DemoOptions, run_demo

        # Progress and errors only: runs and requests would drown the summary at INFO.
        configure_logging(os.environ.get("ARRIMAGE_LOG_LEVEL", "WARNING"))
        folder = data_dir if data_dir is not None else settings().data_dir / DEMO_FOLDER
        code = run_demo(DemoOptions(data_dir=folder, port=port, sandbox_port=sandbox_port,
                                    exit_when_done=exit_when_done, json_output=json_output), stop)
    finally:
        stop.restore()
    if code:
        raise typer.Exit(code)
