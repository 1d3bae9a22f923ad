"""``arrimage sandbox``: a local Cyberimpact emulator for learning, demos and tests."""

from __future__ import annotations

from pathlib import Path

import typer

from arrimage.i18n import _
from arrimage.logs import configure_logging
from arrimage.sandbox.app import run_sandbox
from arrimage.sandbox.config import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_TOKEN, SandboxConfig
from arrimage.sandbox.seed import SEEDS_DIR

DEFAULT_SEED = SEEDS_DIR / "quebec-shop.json"


def sandbox(
    host: str = typer.Option(DEFAULT_HOST, "--host", help=_("Address to listen on.")),
    port: int = typer.Option(DEFAULT_PORT, "--port", help=_("Port to listen on.")),
    token: list[str] = typer.Option([], "--token", help=_("API token to accept (repeatable). Default: the sandbox token.")),
    data_dir: Path | None = typer.Option(None, "--data-dir", help=_("Keep the sandbox's data in this folder (default: in memory).")),
    # The default is described rather than shown: its path is inside this installation.
    seed: Path | None = typer.Option(None, "--seed", show_default=False, help=_("JSON or YAML file of starting groups, custom fields and contacts (default: the sample shop).")),
    empty: bool = typer.Option(False, "--empty", help=_("Start with no data instead of the sample shop.")),
) -> None:
    configure_logging("INFO")
    tokens = token or [DEFAULT_TOKEN]
    config = SandboxConfig(tokens=tokens, data_dir=data_dir, seed=None if empty else (seed or DEFAULT_SEED))
    base_url = f"http://{host}:{port}"
    typer.echo(_("Cyberimpact sandbox at {url}. API token: {token}", url=base_url, token=tokens[0]))
    typer.echo(_("Opt-in emails it would have sent: {url}/outbox", url=base_url))
    run_sandbox(config, host=host, port=port)
