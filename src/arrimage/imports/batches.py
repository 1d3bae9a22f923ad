"""Send batches to Cyberimpact and wait for them on a thread, while the import converts rows.

Cyberimpact processes a batch some time after ``POST /batches``, and the import learns the
outcome by polling ``GET /batches/{id}``. Done on the import's own thread, that waiting would
stop the conversion of the next rows, and the import would alternate between working and
waiting instead of keeping Cyberimpact busy. :class:`BatchSender` does the requests on a
thread of its own. The import's thread keeps the progress file: it submits stored batches and
applies the :class:`BatchEvent` items the sender reports, in the order they happened.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from arrimage.connectors.cyberimpact.client import CyberimpactClient
from arrimage.connectors.cyberimpact.errors import CyberimpactRejectedError
from arrimage.engine.errors import ArrimageError
from arrimage.i18n import _l

logger = logging.getLogger(__name__)

T = TypeVar("T")
Call = Callable[[Callable[[], T]], T]

# The sandbox completes a batch of 500 contacts in about 50 ms, and Cyberimpact's delay is not
# published. The wait doubles up to the maximum, so a slow batch costs few requests.
POLL_FIRST_SECONDS = 0.05
POLL_MAX_SECONDS = 5.0
# Statuses of a finished batch: COMPLETED is documented, DONE is accepted as a variant.
FINISHED_BATCH_STATUSES = ("COMPLETED", "DONE")


@dataclass(frozen=True)
class BatchEvent:
    """An event in a submitted batch's life, reported by the sender.

    ``kind`` is ``sent`` (``batch_id`` is Cyberimpact's id), ``rejected`` (Cyberimpact rejected
    the batch: ``error``), ``done`` (``result`` has ``successes`` and ``errors``) or
    ``failed`` (a request failed after its retries: ``error`` is raised on the import's
    thread, and the sender stops).
    """

    kind: str
    chunk_id: int = 0
    batch_id: int = 0
    result: dict[str, Any] | None = None
    error: BaseException | None = None


_STOP = object()


class BatchSender:
    """A thread that sends submitted batches in order and polls them until each is done.

    At most ``max_waiting`` batches wait at Cyberimpact at a time: a batch submitted beyond
    that is sent once the oldest is done. ``call`` runs each request with the import's
    retries. ``in_flight`` lists ``(chunk id, batch id)`` of batches sent by an earlier run,
    which are polled first.
    """

    def __init__(
        self,
        client: CyberimpactClient,
        call: Call[Any],
        max_waiting: int,
        in_flight: Iterable[tuple[int, int]] = (),
    ) -> None:
        self._client = client
        self._call = call
        self._max_waiting = max_waiting
        self._waiting: deque[tuple[int, int]] = deque(in_flight)
        self._jobs: queue.Queue[Any] = queue.Queue()
        self._events: queue.Queue[BatchEvent] = queue.Queue()
        # Batches submitted and not yet reported done, rejected or failed.
        self.outstanding = len(self._waiting)
        self._thread = threading.Thread(target=self._run, name="arrimage-batches", daemon=True)
        self._thread.start()

    def submit(self, chunk_id: int, body: dict[str, Any]) -> None:
        """Queue a stored batch for sending."""
        self.outstanding += 1
        self._jobs.put((chunk_id, body))

    def events(self, *, wait: bool) -> list[BatchEvent]:
        """Return the events reported so far; with ``wait``, block until there is one."""
        found: list[BatchEvent] = []
        if wait:
            found.append(self._events.get())
        while True:
            try:
                found.append(self._events.get_nowait())
            except queue.Empty:
                break
        for event in found:
            if event.kind != "sent":
                self.outstanding -= 1
        return found

    def close(self) -> None:
        """Stop the thread once the batches submitted so far are done."""
        self._jobs.put(_STOP)
        self._thread.join()

    # The sender's thread

    def _run(self) -> None:
        try:
            self._work()
        except Exception as exc:  # noqa: BLE001
            # An unexpected response must not leave the import waiting for an event forever.
            logger.exception("the batch sender stopped")
            self._events.put(BatchEvent("failed", error=ArrimageError(_l(
                "Arrimage could not read Cyberimpact's response about a batch ({problem}). Run the "
                "same command again to resume the import.", problem=type(exc).__name__))))

    def _work(self) -> None:
        stopping = False
        delay = POLL_FIRST_SECONDS
        while True:
            if not stopping and len(self._waiting) < self._max_waiting:
                # Wait for a job only when no batch is waiting to be polled, else poll soon.
                try:
                    job = self._jobs.get(timeout=None if not self._waiting else delay)
                except queue.Empty:
                    job = None
                if job is _STOP:
                    stopping = True
                elif job is not None:
                    if not self._send(*job):
                        return
                    continue
            if not self._waiting:
                if stopping:
                    return
                continue
            polled = self._poll_oldest()
            if polled is None:
                return
            if polled:
                delay = POLL_FIRST_SECONDS
            else:
                if stopping or len(self._waiting) >= self._max_waiting:
                    # No job can be taken meanwhile, so the wait happens here.
                    time.sleep(delay)
                delay = min(delay * 2, POLL_MAX_SECONDS)

    def _send(self, chunk_id: int, body: dict[str, Any]) -> bool:
        """Send one batch; return False when the sender must stop."""
        try:
            batch = self._call(lambda: self._client.create_batch(body))
        except CyberimpactRejectedError as exc:
            self._events.put(BatchEvent("rejected", chunk_id, error=exc))
            return True
        except Exception as exc:  # noqa: BLE001 - reported to the import's thread, which raises it
            self._events.put(BatchEvent("failed", chunk_id, error=exc))
            return False
        batch_id = int(batch["id"])
        self._waiting.append((chunk_id, batch_id))
        self._events.put(BatchEvent("sent", chunk_id, batch_id))
        logger.info("sent batch %s with %d contacts", batch_id, len(body["members"]))
        return True

    def _poll_oldest(self) -> bool | None:
        """Poll the oldest batch once: True when it is done, False if not yet, None on failure."""
        chunk_id, batch_id = self._waiting[0]
        try:
            batch = self._call(lambda: self._client.get_batch(batch_id))
        except Exception as exc:  # noqa: BLE001 - reported to the import's thread, which raises it
            self._events.put(BatchEvent("failed", chunk_id, batch_id, error=exc))
            return None
        if str(batch.get("status", "")).upper() not in FINISHED_BATCH_STATUSES:
            return False
        self._waiting.popleft()
        result = batch.get("result")
        self._events.put(BatchEvent("done", chunk_id, batch_id,
                                    result if isinstance(result, dict) else {}))
        return True
