"""SIGINT and SIGTERM kept as a stop request, for code that stops between two steps of its own.

Python's default SIGINT handler raises ``KeyboardInterrupt`` wherever the main thread is, so a
Ctrl-C can cut an import, a clean-up or a hand-over between threads in half. The handler of
:class:`StopSignals` only records the signal. The code checks :attr:`StopSignals.requested`
between steps, and the callbacks given to :meth:`StopSignals.on_stop` run inside the handler,
so they must only set flags.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """A stop request set by SIGINT or SIGTERM once :meth:`install` has run."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        # The first signal received, for the exit status 128 + its number.
        self.signum: int | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}

    def install(self) -> StopSignals:
        """Handle SIGINT and SIGTERM from now on, in the main thread only (elsewhere do nothing)."""
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def restore(self) -> None:
        """Put back the handlers that :meth:`install` replaced."""
        for signum, handler in self._previous.items():
            # None means a handler set from C, which Python cannot put back: use the default.
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        self._previous.clear()

    def request(self, signum: int) -> None:
        """Record a stop request, as the signal ``signum`` does, and run the callbacks."""
        if self.signum is None:
            self.signum = signum
        self.requested.set()
        for callback in list(self._callbacks):
            callback()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` at the stop request, or now when it was already made."""
        self._callbacks.append(callback)
        if self.requested.is_set():
            callback()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.request(signum)
