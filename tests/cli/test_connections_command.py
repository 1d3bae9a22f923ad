"""``arrimage connections`` and ``arrimage apps samples`` as real processes, against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from cryptography.fernet import Fernet

from arrimage.sandbox import SandboxConfig
from tests.cli.test_cli import Cli, run_cli
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.processes import free_port


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def cli(tmp_path: Path, sandbox: SandboxServer) -> Cli:
    httpx.post(f"{sandbox.base_url}/_sandbox/reset",
               headers={"Authorization": f"Bearer {TOKEN}"}).raise_for_status()
    env = {"ARRIMAGE_DATA_DIR": str(tmp_path / "data")}
    return lambda *args, lang="en_US.UTF-8": run_cli(list(args), env, lang)


def add_sandbox(cli: Cli, sandbox: SandboxServer, lang: str = "en_US.UTF-8") -> str:
    added = cli("connections", "add", "cyberimpact", "sandbox", "--value", f"token={TOKEN}",
                "--value", f"base_url={sandbox.base_url}", lang=lang)
    assert added.returncode == 0, added.stderr
    return added.stdout


def test_add_checks_token_and_names_account(cli: Cli, sandbox: SandboxServer) -> None:
    output = add_sandbox(cli, sandbox)
    listed = cli("connections", "list", "--json")

    assert "account Boutique Sandbox" in output
    connections = json.loads(listed.stdout)
    assert [connection["name"] for connection in connections] == ["sandbox"]
    assert TOKEN not in listed.stdout


def test_add_invalid_token_stores_nothing(cli: Cli, sandbox: SandboxServer) -> None:
    rejected = cli("connections", "add", "cyberimpact", "mauvais", "--value", "token=jeton-invalide",
                   "--value", f"base_url={sandbox.base_url}", lang="fr_CA.UTF-8")
    listed = cli("connections", "list", "--json")

    assert rejected.returncode == 1
    assert "jeton" in rejected.stderr.lower()
    assert json.loads(listed.stdout) == []


def test_add_rejects_value_without_equals(cli: Cli) -> None:
    rejected = cli("connections", "add", "cyberimpact", "x", "--value", "sandbox-token")

    assert rejected.returncode == 2
    assert "KEY=VALUE" in rejected.stderr


def test_check_and_choices(cli: Cli, sandbox: SandboxServer) -> None:
    add_sandbox(cli, sandbox)

    checked = cli("connections", "check", "sandbox", lang="fr_CA.UTF-8")
    groups = cli("connections", "choices", "sandbox", "groups", "--json")
    fields = cli("connections", "choices", "sandbox", "custom_fields")

    assert checked.returncode == 0, checked.stderr
    assert "Boutique Sandbox" in checked.stdout
    assert {"103": "Événements"}.items() <= {
        choice["value"]: choice["label"] for choice in json.loads(groups.stdout)}.items()
    assert "Ville" in fields.stdout


def test_samples_of_group_trigger(cli: Cli, sandbox: SandboxServer) -> None:
    add_sandbox(cli, sandbox)

    samples = cli("apps", "samples", "cyberimpact", "contact_added_to_group",
                  "--connection", "sandbox", "--input", "group=103", "--limit", "2")

    assert samples.returncode == 0, samples.stderr
    items = json.loads(samples.stdout)
    assert len(items) == 2
    assert items[0]["group"] == {"id": 103, "title": "Événements"}


def test_show_reports_last_check(cli: Cli, sandbox: SandboxServer, tmp_path: Path) -> None:
    add_sandbox(cli, sandbox)
    document = {
        "id": "nouveaux-groupes", "name": "Nouveaux groupes",
        "trigger": {"app": "cyberimpact", "event": "group_created", "connection": "sandbox",
                    "poll_interval_minutes": 5},
        "steps": [{"id": "notify", "app": "http", "action": "request",
                   "input": {"url": "http://127.0.0.1:9/groups", "body": {"title": "{{ trigger.title }}"}}}],
    }
    path = tmp_path / "groups.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    imported = cli("automations", "import", str(path), "--enable")

    shown = cli("automations", "show", "nouveaux-groupes", lang="fr_CA.UTF-8")
    shown_json = json.loads(cli("automations", "show", "nouveaux-groupes", "--json").stdout)

    assert imported.returncode == 0, imported.stderr
    assert shown.returncode == 0, shown.stderr
    assert "jamais" in shown.stdout
    assert shown_json["polling"] == {"checked_at": None, "seeded_at": None, "error": None}


def test_add_rejects_taken_name(cli: Cli, sandbox: SandboxServer) -> None:
    add_sandbox(cli, sandbox)
    first_id = json.loads(cli("connections", "list", "--json").stdout)[0]["id"]

    again = cli("connections", "add", "cyberimpact", "sandbox", "--value", f"token={TOKEN}",
                "--value", f"base_url={sandbox.base_url}", lang="fr_CA.UTF-8")
    listed = cli("connections", "list", "--json")

    assert again.returncode == 1
    assert "Traceback" not in again.stderr
    assert "'sandbox'" in again.stderr
    assert first_id in again.stderr
    assert "choisissez-en un autre" in again.stderr
    assert [connection["id"] for connection in json.loads(listed.stdout)] == [first_id]


def test_add_records_the_check(cli: Cli, sandbox: SandboxServer) -> None:
    add_sandbox(cli, sandbox)

    connection = json.loads(cli("connections", "list", "--json").stdout)[0]

    assert connection["account_name"] == "Boutique Sandbox"
    assert connection["checked_at"] is not None


def test_check_records_the_check(cli: Cli, sandbox: SandboxServer) -> None:
    added = cli("connections", "add", "cyberimpact", "sandbox", "--no-check", "--value", f"token={TOKEN}",
                "--value", f"base_url={sandbox.base_url}")
    unchecked = json.loads(cli("connections", "list", "--json").stdout)[0]

    checked = cli("connections", "check", "sandbox")
    connection = json.loads(cli("connections", "list", "--json").stdout)[0]

    assert added.returncode == 0, added.stderr
    assert unchecked["checked_at"] is None
    assert checked.returncode == 0, checked.stderr
    assert connection["account_name"] == "Boutique Sandbox"
    assert connection["checked_at"] is not None


def test_check_with_wrong_key_explains(cli: Cli, sandbox: SandboxServer, tmp_path: Path) -> None:
    add_sandbox(cli, sandbox)
    (tmp_path / "data" / "secret.key").write_bytes(Fernet.generate_key() + b"\n")

    checked = cli("connections", "check", "sandbox", lang="fr_CA.UTF-8")

    assert checked.returncode == 1
    assert "Traceback" not in checked.stderr
    assert "ne peut pas être déchiffré" in checked.stderr
    assert "ARRIMAGE_SECRET_KEY" in checked.stderr


def test_serve_refuses_missing_key(cli: Cli, tmp_path: Path) -> None:
    added = cli("connections", "add", "http", "partner", "--value", "auth_header_value=tok-1")
    key_file = tmp_path / "data" / "secret.key"
    key_file.unlink()

    served = cli("serve", "--port", str(free_port()), lang="fr_CA.UTF-8")

    assert added.returncode == 0, added.stderr
    assert served.returncode == 2
    assert "Traceback" not in served.stderr
    assert str(key_file) in served.stderr
    assert "ARRIMAGE_SECRET_KEY" in served.stderr
    assert "introuvable" in served.stderr
    assert not key_file.exists()
