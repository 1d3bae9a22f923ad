"""The demo's listening sockets and its Cyberimpact sandbox, all on 127.0.0.1.

A port the user chose must be free. A default port that is taken (another demo, or
``arrimage serve``) is replaced by a free port, so two demos can run side by side.
"""

from __future__ import annotations

import socket
from pathlib import Path

from arrimage.emulators.serving import BackgroundServer
from arrimage.i18n import _
from arrimage.sandbox import SandboxConfig, create_app
from arrimage.sandbox.seed import SEEDS_DIR

HOST = "127.0.0.1"
DEFAULT_APP_PORT = 8465
DEFAULT_SANDBOX_PORT = 8466
SANDBOX_SEED = SEEDS_DIR / "quebec-shop.json"
SANDBOX_FOLDER = "sandbox"
# uvicorn's default backlog.
LISTEN_BACKLOG = 2048


class PortInUseError(Exception):
    """A port given on the command line is taken. The message names it and the option."""


def bind_app_socket(port: int | None, option: str = "--port") -> socket.socket:
    """Return a socket bound to ``port``, or to 8465 else a free port when ``port`` is None."""
    try:
        return _bound(DEFAULT_APP_PORT if port is None else port)
    except OSError:
        if port is not None:
            raise PortInUseError(_port_in_use(port, option)) from None
    return _bound(0)


def start_sandbox(folder: Path, port: int | None, token: str,
                  option: str = "--sandbox-port") -> BackgroundServer:
    """Serve the sandbox, seeded with the sample Québec shop, with its data in ``folder``."""
    config = SandboxConfig(tokens=[token], data_dir=folder / SANDBOX_FOLDER, seed=SANDBOX_SEED)
    app = create_app(config)
    try:
        server = BackgroundServer(app, name="Cyberimpact sandbox",
                                  port=DEFAULT_SANDBOX_PORT if port is None else port)
    except OSError:
        if port is not None:
            raise PortInUseError(_port_in_use(port, option)) from None
        server = BackgroundServer(app, name="Cyberimpact sandbox", port=0)
    return server.start()


def _bound(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        # Listening at once: with SO_REUSEADDR, Linux lets a second socket bind the same port
        # while neither listens.
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def _port_in_use(port: int, option: str) -> str:
    return _("Port {port} on {host} is already in use: stop the other server, or choose another "
             "port with {option}.", port=port, host=HOST, option=option)
