"""``arrimage import`` as a real process, against the Cyberimpact sandbox and the storage backends."""

from __future__ import annotations

import csv
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from arrimage.config import Settings
from arrimage.runtime import Runtime
from arrimage.sandbox import SandboxConfig
from arrimage.web.pages.recipes import load_gallery
from tests.cli.test_cli import Cli, run_cli
from tests.recipes.test_recipes import RECIPES_DIR
from tests.sandbox.conftest import SandboxServer
from tests.sandbox.helpers import SEED, TOKEN
from tests.support.backends import Backend
from tests.support.sink import Sink

EXISTING = "genevieve.tremblay@example.com"  # sandbox starting data: member 5001, groups 101 and 102
UNSUBSCRIBED = "luc.pelletier@example.com"  # sandbox starting data: unsubscribed
EVENTS_GROUP = 103
CONSENT = ["--relation-type", "active-clients", "--consent-date", "2024-05-01",
           "--consent-proof", "Registre des ventes 2024"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    running = SandboxServer(SandboxConfig(tokens=[TOKEN], seed=SEED)).start()
    yield running
    running.stop()


@pytest.fixture
def admin(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.base_url, headers={"Authorization": f"Bearer {TOKEN}"},
                      timeout=10) as http:
        http.post("/_sandbox/reset").raise_for_status()
        yield http


@pytest.fixture
def data_dir(tmp_path: Path, sandbox: SandboxServer, admin: httpx.Client) -> Path:
    """A data folder with a Cyberimpact connection named "sandbox"."""
    folder = tmp_path / "data"
    runtime = Runtime(Settings(data_dir=folder))
    runtime.connections.create(runtime.apps["cyberimpact"], "sandbox",
                               {"token": TOKEN, "base_url": sandbox.base_url})
    runtime.close()
    return folder


@pytest.fixture
def cli(data_dir: Path) -> Cli:
    env = {"ARRIMAGE_DATA_DIR": str(data_dir)}
    return lambda *args, lang="en_US.UTF-8": run_cli(list(args), env, lang)


def write_csv(path: Path, rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as output:
        csv.writer(output, delimiter=delimiter).writerows(rows)
    return path


def read_report(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.split("\n", 1)[0].count(";") else ","
    return list(csv.DictReader(text.splitlines(), delimiter=delimiter))


def member(admin: httpx.Client, email: str) -> dict[str, Any] | None:
    response = admin.get(f"/members/{email.replace('+', '%2B')}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def group_ids(admin: httpx.Client, email: str) -> set[int]:
    response = admin.get(f"/members/{email}/groups", params={"limit": 100})
    response.raise_for_status()
    return {group["id"] for group in response.json()["groups"]}


def sandbox_tables(admin: httpx.Client) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = admin.get("/_sandbox/state").json()["tables"]
    return tables


def generated_rows(count: int, prefix: str = "client") -> list[list[str]]:
    rows = [["Courriel", "Prénom", "Nom", "Langue"]]
    rows += [[f"{prefix}{index:05d}@exemple.ca", f"Prénom{index}", "Tremblay", "français"]
             for index in range(count)]
    return rows


def bulk_args(path: Path, *extra: str) -> list[str]:
    return ["import", str(path), "--bulk", "--connection", "sandbox", "--group", str(EVENTS_GROUP),
            *CONSENT, "--yes", *extra]


# -- batch path ----------------------------------------------------------------------------

def test_bulk_windows_1252_semicolons(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "clients.csv", [
        ["Adresse courriel", "Prénom", "Nom de famille", "Langue", "Code postal", "Pays",
         "Date de naissance", "Entreprise"],
        ["eloise.belanger@exemple.ca", "Éloïse", "Bélanger", "Français", "h2x1y4", "Canada",
         "4 décembre 1990", "Café Müller"],
    ], encoding="cp1252", delimiter=";")

    result = cli(*bulk_args(path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Windows-1252 text, semicolon delimiter" in result.stdout
    created = member(admin, "eloise.belanger@exemple.ca")
    assert created is not None
    assert (created["firstname"], created["lastname"], created["company"]) == ("Éloïse", "Bélanger", "Café Müller")
    assert (created["language"], created["postalCode"], created["country"]) == ("fr_ca", "H2X 1Y4", "CA")
    assert created["birthdate"] == "1990-12-04"
    assert group_ids(admin, "eloise.belanger@exemple.ca") == {EVENTS_GROUP}
    consent = admin.get("/members/eloise.belanger@exemple.ca/consent").json()
    assert consent["relationType"] == "active-clients"
    assert consent["consentDate"].startswith("2024-05-01")
    assert consent["consentProof"] == "Registre des ventes 2024"
    report = read_report(tmp_path / "clients.report.csv")
    assert [(line["row"], line["status"]) for line in report] == [("2", "created")]


def test_bulk_utf8_bom_multiline_note(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "crm.csv", [
        ["E-mail", "First name", "Last name", "Notes"],
        ["marie@exemple.ca", "Marie", "Côté", "Rencontrée au salon\nRappeler en mars"],
        ["paul@exemple.ca", "Paul", "Roy", ""],
    ], encoding="utf-8-sig")

    result = cli(*bulk_args(path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "UTF-8 (BOM) text, comma delimiter" in result.stdout
    report = read_report(tmp_path / "crm.report.csv")
    assert [(line["row"], line["email"], line["status"]) for line in report] == [
        ("2", "marie@exemple.ca", "created"), ("3", "paul@exemple.ca", "created")]
    created = member(admin, "marie@exemple.ca")
    assert created is not None
    assert created["note"] == "Rencontrée au salon Rappeler en mars"


def test_existing_contacts_keep_details(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    before = member(admin, EXISTING)
    consent_before = admin.get(f"/members/{EXISTING}/consent").json()
    unsubscribed_before = admin.get(f"/members/unsubscribed/{UNSUBSCRIBED}").json()
    path = write_csv(tmp_path / "contacts.csv", [
        ["Courriel", "Prénom", "Nom", "Langue", "Code postal"],
        [EXISTING.upper(), "Autre", "Nom changé", "anglais", "H0H 0H0"],
        [UNSUBSCRIBED, "Luc", "Changé", "", ""],
    ])

    result = cli(*bulk_args(path))

    assert result.returncode == 0, result.stdout + result.stderr
    after = member(admin, EXISTING)
    assert before is not None and after is not None
    for key in ("firstname", "lastname", "language", "postalCode", "birthdate", "country"):
        assert after[key] == before[key], key
    assert admin.get(f"/members/{EXISTING}/consent").json() == consent_before
    assert group_ids(admin, EXISTING) == {101, 102, EVENTS_GROUP}
    assert admin.get(f"/members/unsubscribed/{UNSUBSCRIBED}").json() == unsubscribed_before
    assert sandbox_tables(admin)["batches"] == []
    report = {line["row"]: line for line in read_report(tmp_path / "contacts.report.csv")}
    assert report["2"]["status"] == "updated"
    assert "details were not changed" in report["2"]["detail"]
    assert "added to the groups Événements (103) only" in report["2"]["detail"]
    assert report["3"]["status"] == "skipped"
    assert "unsubscribed" in report["3"]["detail"]


def test_invalid_emails_failed_with_reason(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", [
        ["Courriel", "Prénom"],
        ["pas-un-courriel", "Sans"],
        ["", "Vide"],
        ["bon@exemple.ca", "Bon"],
        ["Bon@Exemple.ca", "Doublon"],
    ])

    result = cli(*bulk_args(path))

    assert result.returncode == 1
    assert "1 created" in result.stdout
    assert "2 failed" in result.stdout
    report = {line["row"]: line for line in read_report(tmp_path / "contacts.report.csv")}
    assert report["2"]["status"] == "failed"
    assert "not a valid email address" in report["2"]["detail"]
    assert report["3"]["status"] == "failed"
    assert "email address is empty" in report["3"]["detail"]
    assert report["4"]["status"] == "created"
    assert report["5"]["status"] == "skipped"
    assert "row 4" in report["5"]["detail"]
    assert member(admin, "pas-un-courriel") is None


def test_warning_for_value_left_out(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", [
        ["Courriel", "Sexe", "Date de naissance"],
        ["alex@exemple.ca", "peut-être", "31/02/1990"],
    ])

    result = cli(*bulk_args(path))

    assert result.returncode == 0, result.stdout + result.stderr
    report = read_report(tmp_path / "contacts.report.csv")
    assert report[0]["status"] == "created"
    assert report[0]["warnings"].count(" | ") == 1
    created = member(admin, "alex@exemple.ca")
    assert created is not None
    assert (created["gender"], created["birthdate"]) == ("", None)


def test_1200_rows_through_throttling(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    admin.patch("/_sandbox/faults", json={
        "throttle_every": 3, "retry_after_seconds": 1, "throttle_routes": ["POST /batches"],
    }).raise_for_status()
    path = write_csv(tmp_path / "gros.csv", generated_rows(1200))

    result = cli(*bulk_args(path, "--chunk-size", "100"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1200 created" in result.stdout
    faults = admin.get("/_sandbox/faults").json()
    assert faults["faultsSent"] >= 4
    report = read_report(tmp_path / "gros.report.csv")
    assert [int(line["row"]) for line in report] == list(range(2, 1202))
    assert {line["status"] for line in report} == {"created"}
    tables = sandbox_tables(admin)
    assert len(tables["batches"]) == 12
    emails = [row["email"] for row in tables["members"] if row["email"].startswith("client")]
    assert len(emails) == len(set(emails)) == 1200


def test_resume_after_kill(data_dir: Path, admin: httpx.Client, tmp_path: Path) -> None:
    admin.patch("/_sandbox/faults", json={"batch_delay_ms": 700}).raise_for_status()
    path = write_csv(tmp_path / "reprise.csv", generated_rows(600, "reprise"))
    env = {**os.environ, "ARRIMAGE_DATA_DIR": str(data_dir), "LANG": "en_US.UTF-8"}
    args = [sys.executable, "-m", "arrimage", *bulk_args(path, "--chunk-size", "100")]

    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_sent_batches(data_dir / "imports", 2, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    sent_before_kill = len(sandbox_tables(admin)["batches"])
    admin.patch("/_sandbox/faults", json={"batch_delay_ms": 0}).raise_for_status()
    # A restart takes a while, and by then Cyberimpact has processed what was sent. This
    # includes a batch sent in the instant before the kill, whose id the import never recorded.
    wait_for_processed_batches(admin)

    resumed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert "Resuming after row" in resumed.stdout
    assert "600 created" in resumed.stdout
    assert 2 <= sent_before_kill < 6
    tables = sandbox_tables(admin)
    assert len(tables["batches"]) == 6
    emails = [row["email"] for row in tables["members"] if row["email"].startswith("reprise")]
    assert len(emails) == len(set(emails)) == 600
    report = read_report(tmp_path / "reprise.report.csv")
    assert [int(line["row"]) for line in report] == list(range(2, 602))
    assert {line["status"] for line in report} == {"created"}


def wait_for_processed_batches(admin: httpx.Client) -> None:
    """Wait until the sandbox has completed every batch it received."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(batch["status"] == "COMPLETED" for batch in sandbox_tables(admin)["batches"]):
            return
        time.sleep(0.1)
    raise AssertionError("the sandbox did not complete its batches within 30 s")


def wait_for_sent_batches(folder: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until the progress file records ``count`` batches with their Cyberimpact id."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the import ended before it could be interrupted"
        for state_file in folder.glob("*.sqlite") if folder.exists() else []:
            try:
                with sqlite3.connect(state_file) as db:
                    sent = db.execute("SELECT count(*) FROM chunks WHERE batch_id IS NOT NULL").fetchone()[0]
            except sqlite3.OperationalError:
                continue
            if sent >= count:
                return
        time.sleep(0.05)
    raise AssertionError(f"{count} batches were not sent within 60 s")


def test_rerun_sends_nothing(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", generated_rows(3))
    first = cli(*bulk_args(path))

    second = cli(*bulk_args(path))

    assert first.returncode == 0, first.stdout + first.stderr
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already imported" in second.stdout
    assert "3 created" in second.stdout
    assert len(sandbox_tables(admin)["batches"]) == 1


def test_other_options_need_restart(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", generated_rows(2))
    cli(*bulk_args(path))

    changed = cli("import", str(path), "--bulk", "--connection", "sandbox", *CONSENT, "--yes")
    restarted = cli("import", str(path), "--bulk", "--connection", "sandbox", *CONSENT, "--yes", "--restart")

    assert changed.returncode == 2
    assert "--restart" in changed.stderr
    assert restarted.returncode == 0, restarted.stdout + restarted.stderr
    assert "2 skipped" in restarted.stdout


def test_confirmation_declined(cli: Cli, admin: httpx.Client, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", generated_rows(2))
    args = [arg for arg in bulk_args(path) if arg != "--yes"]

    result = cli(*args)

    assert result.returncode != 0
    assert "Courriel" in result.stdout
    assert "email" in result.stdout
    assert sandbox_tables(admin)["batches"] == []


def test_bulk_needs_consent(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", generated_rows(2))

    result = cli("import", str(path), "--bulk", "--connection", "sandbox", "--yes",
                 "--relation-type", "active-clients", "--consent-proof", "Registre")

    assert result.returncode == 2
    assert "--consent-date" in result.stderr


def test_bulk_in_french(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", generated_rows(1))

    result = cli(*bulk_args(path), lang="fr_CA.UTF-8")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Lignes\u00a0: 1 créée, 0 mise à jour, 0 en file d’attente, 0 ignorée, 0 échouée." in result.stdout
    report = read_report(tmp_path / "contacts.report.csv")
    assert report[0]["statut"] == "créée"
    assert report[0]["référence"].startswith("lot ")
    assert report[0]["référence"].removeprefix("lot ").isdigit()


def test_report_follows_language_of_rerun(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", [*generated_rows(2), ["client00000@exemple.ca"]])
    cli(*bulk_args(path))

    rerun = cli(*bulk_args(path), lang="fr_CA.UTF-8")

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    report = read_report(tmp_path / "contacts.report.csv")
    assert [line["détail"] for line in report] == [
        "Ajouté à Cyberimpact.", "Ajouté à Cyberimpact.", "Même adresse courriel qu’à la ligne 2."]


def test_bulk_in_french_plural(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", [
        ["Courriel", "Prénom"],
        ["un@exemple.ca", "Un"], ["deux@exemple.ca", "Deux"],
        ["pas-un-courriel", "Trois"], ["", "Quatre"],
        ["UN@exemple.ca", "Doublon"], ["deux@exemple.ca", "Doublon"],
    ])

    result = cli(*bulk_args(path), lang="fr_CA.UTF-8")

    assert result.returncode == 1
    assert "Lignes\u00a0: 2 créées, 0 mise à jour, 0 en file d’attente, 2 ignorées, 2 échouées." in result.stdout
    statuses = [line["statut"] for line in read_report(tmp_path / "contacts.report.csv")]
    assert statuses == ["créée", "créée", "échouée", "échouée", "ignorée", "ignorée"]


def test_invalid_relation_type_quoted_in_french(cli: Cli, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "contacts.csv", generated_rows(1))

    result = cli("import", str(path), "--bulk", "--connection", "sandbox", "--yes",
                 "--relation-type", "client-actif", lang="fr_CA.UTF-8")

    assert result.returncode == 2
    assert "Valeur de --relation-type invalide, «\u00a0client-actif\u00a0»\u00a0: " in result.stderr
    assert "'client-actif'" not in result.stderr


def gallery_csv_commands() -> list[str]:
    """Return the commands of the recipes gallery's CSV entry, one per locale when it has several."""
    entry = next(entry for entry in load_gallery(RECIPES_DIR) if entry.get("key") == "csv-import")
    command = entry["command"]
    return sorted(set(command.values())) if isinstance(command, dict) else [command]


@pytest.mark.parametrize("command", gallery_csv_commands())
def test_gallery_csv_command_runs(command: str, sandbox: SandboxServer, admin: httpx.Client,
                                  tmp_path: Path) -> None:
    words = shlex.split(command)
    assert words[:2] == ["arrimage", "import"]
    connection = words[words.index("--connection") + 1]
    folder = tmp_path / "data"
    runtime = Runtime(Settings(data_dir=folder))
    runtime.connections.create(runtime.apps["cyberimpact"], connection,
                               {"token": TOKEN, "base_url": sandbox.base_url})
    runtime.close()
    path = write_csv(tmp_path / words[2], [["Courriel", "Prénom"], ["galerie@exemple.ca", "Gaëlle"]])
    args = [*words[1:2], str(path), *words[3:], "--yes"]

    result = run_cli(args, {"ARRIMAGE_DATA_DIR": str(folder)})

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 created" in result.stdout
    created = member(admin, "galerie@exemple.ca")
    assert created is not None
    assert 101 in group_ids(admin, "galerie@exemple.ca")


def contact_automation(action: str) -> dict[str, Any]:
    return {
        "id": "clients", "name": "Clients",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [{
            "id": "contact", "app": "cyberimpact", "action": action, "connection": "sandbox",
            "input": {
                "email": "{{ trigger.email }}", "first_name": "{{ trigger['Prénom'] }}",
                "groups": [EVENTS_GROUP], "relation_type": "web-contacts",
                "consent_date": "{{ trigger.consent_date | default('') }}",
                "consent_proof": "Formulaire du site, ligne {{ trigger.source_row }}",
            },
        }],
    }


def test_create_contact_automation_in_batches(
    data_dir: Path, cli: Cli, admin: httpx.Client, tmp_path: Path
) -> None:
    runtime = Runtime(Settings(data_dir=data_dir))
    runtime.automations.save(contact_automation("create_contact"))
    runtime.close()
    path = write_csv(tmp_path / "site.csv", [
        ["Courriel", "Prénom", "Date de consentement"],
        ["nouvelle@exemple.ca", "Nadia", "2025-01-15"],
        [EXISTING, "Autre", "2025-01-15"],
        ["sansdate@exemple.ca", "Sam", ""],
    ])

    result = cli("import", str(path), "--automation", "clients", "--yes")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "batches" in result.stdout
    report = {line["row"]: line for line in read_report(tmp_path / "site.report.csv")}
    assert report["2"]["status"] == "created"
    assert report["3"]["status"] == "skipped"
    assert report["4"]["status"] == "failed"
    assert "consent date is empty" in report["4"]["detail"]
    assert group_ids(admin, EXISTING) == {101, 102}
    consent = admin.get("/members/nouvelle@exemple.ca/consent").json()
    assert (consent["relationType"], consent["consentProof"]) == ("web-contacts", "Formulaire du site, ligne 2")
    created = member(admin, "nouvelle@exemple.ca")
    assert created is not None and created["firstname"] == "Nadia"


# -- event path ----------------------------------------------------------------------------

@pytest.fixture
def backend_cli(backend: Backend, runtime: Runtime, queue_name: str) -> Cli:
    env = {"ARRIMAGE_DATA_DIR": str(runtime.settings.data_dir), **backend.env(queue_name)}
    return lambda *args, lang="en_US.UTF-8": run_cli(list(args), env, lang)


def forward_automation(sink_url: str) -> dict[str, Any]:
    return {
        "id": "commandes", "name": "Commandes",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [{"id": "forward", "app": "http", "action": "request",
                   "input": {"url": f"{sink_url}/orders",
                             "body": {"email": "{{ trigger.email }}", "total": "{{ trigger.Total }}",
                                      "row": "{{ trigger.source_row }}"}}}],
    }


def test_event_path_creates_runs(backend_cli: Cli, runtime: Runtime, tmp_path: Path, sink: Sink) -> None:
    runtime.automations.save(forward_automation(sink.url))
    runtime.automations.set_enabled("commandes", True)
    path = write_csv(tmp_path / "commandes.csv", [
        ["Courriel", "Total"],
        ["anne@exemple.ca", "12,50"],
        ["invalide", "3"],
        ["anne@exemple.ca", "8"],
    ], delimiter=";")

    first = backend_cli("import", str(path), "--automation", "commandes", "--yes")
    second = backend_cli("import", str(path), "--automation", "commandes", "--yes", "--restart")

    assert first.returncode == 1, first.stdout + first.stderr
    assert "2 queued" in first.stdout
    assert "1 failed" in first.stdout
    events = runtime.events.list("commandes")
    assert sorted(event["dedup_key"].rsplit(":", 1)[1] for event in events) == ["2", "4"]
    assert all(event["run_id"] for event in events)
    report = {line["row"]: line for line in read_report(tmp_path / "commandes.report.csv")}
    assert report["3"]["status"] == "failed"
    assert "not a valid email address" in report["3"]["detail"]
    assert report["2"]["reference"].startswith("run_")
    assert second.returncode == 1
    assert "2 skipped" in second.stdout
    assert len(runtime.events.list("commandes")) == 2

    run_id = report["2"]["reference"]
    assert runtime.execute_run(run_id) == "succeeded"
    assert [request.json() for request in sink.requests] == [
        {"email": "anne@exemple.ca", "total": "12,50", "row": 2}]


def test_event_path_needs_enabled(backend_cli: Cli, runtime: Runtime, tmp_path: Path, sink: Sink) -> None:
    runtime.automations.save(forward_automation(sink.url))
    path = write_csv(tmp_path / "commandes.csv", [["Courriel"], ["anne@exemple.ca"]])

    result = backend_cli("import", str(path), "--automation", "commandes", "--yes")

    assert result.returncode == 2
    assert "arrimage automations enable commandes" in result.stderr
    assert runtime.events.list("commandes") == []
