"""Wait until the queued runs are over, by reading their records."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from arrimage.engine.records import FINISHED_RUN_STATUSES
from arrimage.runtime import Runtime

POLL_INTERVAL_SECONDS = 0.1
FINISHED = frozenset(str(status) for status in FINISHED_RUN_STATUSES)


def wait_for_runs(runtime: Runtime, run_ids: list[str], timeout_seconds: float,
                  stop_requested: Callable[[], bool] = lambda: False) -> dict[str, dict[str, Any]]:
    """Return each run's record once all are succeeded, failed or filtered.

    After ``timeout_seconds``, or when ``stop_requested`` returns true, the records are returned
    as they are: a run still queued, running or waiting to retry keeps that status, and the
    caller reports it.
    """
    deadline = time.monotonic() + timeout_seconds
    records: dict[str, dict[str, Any]] = {}
    while True:
        for run_id in run_ids:
            if records.get(run_id, {}).get("status") not in FINISHED:
                records[run_id] = runtime.runs.get(run_id)
        unfinished = [run_id for run_id in run_ids if records[run_id]["status"] not in FINISHED]
        if not unfinished or time.monotonic() >= deadline or stop_requested():
            return records
        time.sleep(POLL_INTERVAL_SECONDS)
