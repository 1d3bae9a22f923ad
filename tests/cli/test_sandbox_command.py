"""``arrimage sandbox`` as a real process: it serves the seeded sample shop on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from arrimage.sandbox.seed import SEEDS_DIR
from tests.support.processes import ArrimageProcess, free_port

TOKEN = {"Authorization": "Bearer sandbox-token"}


def wait_for_ping(base_url: str, process: ArrimageProcess) -> httpx.Response:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            return httpx.get(f"{base_url}/ping", headers=TOKEN, timeout=1)
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"the sandbox did not answer:\n{process.log()}")


def test_sandbox_serves_sample_shop(tmp_path: Path) -> None:
    port = free_port()
    process = ArrimageProcess(["sandbox", "--port", str(port)], {}, tmp_path / "sandbox.log").start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        ping = wait_for_ping(base_url, process)
        groups = httpx.get(f"{base_url}/groups", headers=TOKEN, timeout=5).json()["groups"]
    finally:
        process.stop()

    assert ping.json()["ping"] == "success"
    titles = {group["title"] for group in groups}
    assert {"Infolettre", "Clients boutique", "Événements"} <= titles
    assert "API token: sandbox-token" in process.log()


def test_sandbox_empty_has_no_groups(tmp_path: Path) -> None:
    port = free_port()
    process = ArrimageProcess(["sandbox", "--port", str(port), "--empty", "--token", "my-token"], {},
                              tmp_path / "sandbox.log").start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                groups = httpx.get(f"{base_url}/groups", headers={"Authorization": "Bearer my-token"}, timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, process.log()
                time.sleep(0.1)
    finally:
        process.stop()

    assert groups.status_code == 200
    assert groups.json()["groups"] == []


def test_help_hides_seed_path() -> None:
    helped = subprocess.run([sys.executable, "-m", "arrimage", "sandbox", "--help"],
                            env={**os.environ, "LANG": "en_US.UTF-8", "COLUMNS": "200"},
                            capture_output=True, text=True, timeout=60, check=False)

    assert helped.returncode == 0, helped.stderr
    assert str(SEEDS_DIR) not in helped.stdout
    assert "default: the sample shop" in helped.stdout
