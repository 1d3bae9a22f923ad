"""Benchmark: peak memory and rate of ``arrimage import --bulk`` as the CSV file grows.

Generates a CSV file of each size in ``--rows``, with French headers, semicolons and a quoted
note with a line break on every tenth row. Runs ``arrimage import --bulk`` on each file as a
separate process against a Cyberimpact sandbox on 127.0.0.1. Reports the import process's
peak RSS (``resource.getrusage(RUSAGE_CHILDREN)``, read after each import ends) and its wall
time.
A flat peak RSS across sizes shows the import streams the file instead of loading it.

    python benchmarks/csv_import_memory.py                     # 1 000, 10 000 and 100 000 rows
    python benchmarks/csv_import_memory.py --rows 100000 --json

The sandbox runs in this process, on a thread, so its memory is not counted. Each size gets a
fresh sandbox, so every row creates a new contact. The import's CPU time is its own
(``RUSAGE_CHILDREN``), and the sandbox's is this process's CPU time while the import runs,
because this process only waits for the import meanwhile.

Whether the import is limited by the sandbox's batch processing shows in two readings:
- the CPU time per row between the two largest sizes (start-up excluded), of the import and
  of the sandbox: the side that needs more sets the pace, as they run on separate cores;
- the share of the import's time during which the sandbox's batch worker was processing a
  batch, added up from the worker's log.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import logging
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import calibration_ms, load_average, self_cpu_seconds  # noqa: E402

from arrimage.config import Settings  # noqa: E402
from arrimage.runtime import Runtime  # noqa: E402
from arrimage.sandbox import SandboxConfig  # noqa: E402
from tests.sandbox.conftest import SandboxServer  # noqa: E402

TOKEN = "benchmark-token"
HEADERS = ["Courriel", "Prénom", "Nom", "Langue", "Code postal", "Pays", "Date de naissance", "Note"]


MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre"]
LANGUAGES = ["français", "Français", "anglais", "English", "fr", ""]
COUNTRIES = ["Canada", "CA", "canada", "Québec, Canada", "États-Unis", ""]
POSTAL_LETTERS = "ABCEGHJKLMNPRSTVXY"
FIRST_BIRTHDATE = dt.date(1940, 1, 1)


def write_rows(path: Path, count: int) -> None:
    """Write ``count`` contacts, one row at a time.

    Birthdates and postal codes are spread as in a real export: at 100 000 rows, about
    24 000 distinct dates, and a postal code of its own on almost every row. Other columns
    repeat a few spellings, so that no conversion is reused more often than real data allows.
    """
    with path.open("w", encoding="utf-8", newline="") as output:
        writer = csv.writer(output, delimiter=";")
        writer.writerow(HEADERS)
        for index in range(count):
            note = "Rencontré au salon\nRappeler en mars" if index % 10 == 0 else ""
            # A multiplicative hash spreads consecutive rows over the whole range.
            spread = index * 2_654_435_761 % 2**32
            birthdate = FIRST_BIRTHDATE + dt.timedelta(days=spread % 24_000)
            birthdate_text = f"{birthdate.day} {MONTHS[birthdate.month - 1]} {birthdate.year}"
            letters = [POSTAL_LETTERS[spread // 18**power % 18] for power in range(3)]
            digits = [spread // 10**power % 10 for power in range(3)]
            postal_code = (f"{letters[0]}{digits[0]}{letters[1]} "
                           f"{digits[1]}{letters[2]}{digits[2]}")
            writer.writerow([f"contact{index:07d}@exemple.ca", f"Prénom{index}", "Tremblay",
                             LANGUAGES[index % 6], postal_code, COUNTRIES[index % 6],
                             birthdate_text, note])


class BatchWorkTimer(logging.Handler):
    """Adds up the seconds the sandbox's batch worker spent on each batch, from its log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seconds = 0.0
        self.batches = 0
        # Wall-clock span from the start of the first batch to the end of the last (epoch s).
        self.first_start = float("inf")
        self.last_end = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Sandbox batch") and isinstance(record.args, tuple):
            seconds = float(record.args[-1])
            self.seconds += seconds
            self.batches += 1
            self.first_start = min(self.first_start, record.created - seconds)
            self.last_end = max(self.last_end, record.created)

    @property
    def span(self) -> float:
        """Seconds from the start of the first batch to the end of the last."""
        return max(self.last_end - self.first_start, 1e-9)


def run_import(rows: int, folder: Path, chunk_size: int) -> dict[str, Any]:
    """Import ``rows`` generated rows into a fresh sandbox; return peak RSS, timing and CPU time."""
    timer = BatchWorkTimer()
    worker_log = logging.getLogger("arrimage.sandbox.batches")
    worker_log.setLevel(logging.INFO)
    worker_log.addHandler(timer)
    server = SandboxServer(SandboxConfig(tokens=[TOKEN])).start()
    try:
        data_dir = folder / f"data-{rows}"
        runtime = Runtime(Settings(data_dir=data_dir))
        runtime.connections.create(runtime.apps["cyberimpact"], "sandbox",
                                   {"token": TOKEN, "base_url": server.base_url})
        runtime.close()
        path = folder / f"contacts-{rows}.csv"
        write_rows(path, rows)

        env = {**os.environ, "ARRIMAGE_DATA_DIR": str(data_dir), "LANG": "en_US.UTF-8"}
        command = [sys.executable, "-m", "arrimage", "import", str(path), "--bulk",
                   "--connection", "sandbox", "--relation-type", "active-clients",
                   "--consent-date", "2024-05-01", "--consent-proof", "Registre des ventes",
                   "--chunk-size", str(chunk_size), "--yes"]
        calibration = calibration_ms()
        load_before = load_average()
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_cpu_before = self_cpu_seconds()
        started = time.monotonic()
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - started
        sandbox_cpu = self_cpu_seconds() - own_cpu_before
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        import_cpu = (children.ru_utime - children_before.ru_utime
                      + children.ru_stime - children_before.ru_stime)
        peak_kib = children.ru_maxrss
        if result.returncode != 0:
            raise SystemExit(f"import of {rows} rows failed:\n{result.stdout}\n{result.stderr}")
        if f"{rows} created" not in result.stdout:
            raise SystemExit(f"import of {rows} rows did not create every contact:\n{result.stdout}")
    finally:
        server.stop()
        worker_log.removeHandler(timer)
    # RUSAGE_CHILDREN keeps the maximum over every child so far, so a smaller later child
    # cannot be measured: sizes run from the smallest up.
    return {
        "rows": rows,
        "file_mib": round(path.stat().st_size / 2**20, 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "peak_grew": peak_kib > children_before.ru_maxrss,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "import_cpu_s": round(import_cpu, 1),
        "sandbox_cpu_s": round(sandbox_cpu, 1),
        "sandbox_batch_work_s": round(timer.seconds, 1),
        "sandbox_batch_work_share": round(timer.seconds / seconds, 2),
        # The share of the time between the first batch and the last: start-up, reading the
        # account and writing the report are left out.
        "sandbox_batch_work_share_of_span": round(timer.seconds / timer.span, 2),
        "import_cpu_exact_s": import_cpu,
        "sandbox_cpu_exact_s": sandbox_cpu,
        "load_average_before": load_before,
        "calibration_ms": calibration,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="arrimage-import-bench-") as folder:
        for rows in sorted(options.rows):
            results.append(run_import(rows, Path(folder), options.chunk_size))
            if not options.json:
                print(results[-1], flush=True)

    per_row = cpu_per_row(results)
    if per_row and not options.json:
        print(per_row, flush=True)
    if options.json:
        print(json.dumps({
            "python": platform.python_version(), "machine": platform.machine(),
            "cpus": os.cpu_count(), "results": results, "cpu_per_row_us": per_row,
        }, indent=2))


def cpu_per_row(results: list[dict[str, Any]]) -> dict[str, float] | None:
    """Return the CPU µs per row of the import and the sandbox between the two largest sizes.

    The difference leaves out what does not grow with the file: the command's start-up and
    the reading of the account.
    """
    if len(results) < 2:
        return None
    smaller, larger = results[-2], results[-1]
    rows = larger["rows"] - smaller["rows"]
    per_row: dict[str, float] = {}
    for side in ("import", "sandbox"):
        seconds = larger[f"{side}_cpu_exact_s"] - smaller[f"{side}_cpu_exact_s"]
        per_row[side] = round(seconds / rows * 1e6, 1)
    return per_row


if __name__ == "__main__":
    main()
