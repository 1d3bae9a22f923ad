"""``arrimage demo`` as real processes: the bundled events end to end, checked contact by contact.

Three demos start at once, each with its own folder. One runs ``--exit --json`` in English on
free ports. One runs ``--exit`` in English on its default ports, while this process listens on
8465 and 8466 to check that the demo picks others. One runs in French on free ports and keeps
serving until it gets SIGINT. Other demos get SIGINT or
SIGTERM at given moments of their start, and the installation runs in this process against a
sandbox of its own.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from arrimage.demo.bundle import bundled_deliveries
from arrimage.demo.contacts_csv import (
    CSV_FILE,
    EXISTING_CONTACT_ROW,
    INVALID_BIRTHDATE_ROW,
    REPEATED_ROWS,
    ROW_COUNT,
    UNSUBSCRIBED_ROW,
    contact_rows,
)
from arrimage.demo.dates import dated_now
from arrimage.demo.installation import install
from arrimage.demo.recipes import bundled_recipes_dir
from arrimage.demo.scenario import DemoOptions, demo_settings, run_demo
from arrimage.demo.servers import DEFAULT_APP_PORT, DEFAULT_SANDBOX_PORT, start_sandbox
from arrimage.demo.workspace import MARKER_FILE, DemoFolderError, prepare_folder
from arrimage.engine.dry_run import dry_run
from arrimage.i18n import use_locale
from arrimage.runtime import Runtime
from arrimage.web.editor.samples import current_sample

DEMO_TIMEOUT_SECONDS = 240
NBSP = "\u00a0"
GENDERS = {"Femme": "f", "Homme": "m", "": None}
LANGUAGES = {"Français": "fr_ca", "Anglais": "en_ca", "": None}
COUNTRIES = {"Canada": "CA", "France": "FR", "États-Unis": "US"}


@dataclass
class Demo:
    """A finished demo process: its exit code, output and data folder."""

    returncode: int
    stdout: str
    stderr: str
    folder: Path
    lock_error: str | None = None


def environment(language: str) -> dict[str, str]:
    """Return this process's environment with ``LANG`` set and no other Arrimage setting."""
    inherited = {name: value for name, value in os.environ.items()
                 if not name.startswith("ARRIMAGE_") and name not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    return {**inherited, "LANG": language}


FREE_PORTS = ("--port", "0", "--sandbox-port", "0")


def start(tmp: Path, name: str, language: str, *options: str,
          ports: tuple[str, ...] = FREE_PORTS) -> tuple[subprocess.Popen[bytes], Path]:
    folder = tmp / name
    with (tmp / f"{name}.out").open("wb") as stdout, (tmp / f"{name}.err").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "arrimage", "demo", *ports, "--data-dir", str(folder), *options],
            env=environment(language), stdout=stdout, stderr=stderr)
    return process, folder


def hold_port(port: int) -> socket.socket | None:
    """Listen on ``port`` so that a demo finds it taken; return None when it is taken already."""
    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen()
    except OSError:
        sock.close()
        return None
    return sock


def finish(process: subprocess.Popen[bytes], tmp: Path, name: str, folder: Path) -> Demo:
    try:
        process.wait(timeout=DEMO_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return Demo(process.returncode, (tmp / f"{name}.out").read_text(encoding="utf-8"),
                (tmp / f"{name}.err").read_text(encoding="utf-8"), folder)


def wait_for_text(path: Path, text: str, process: subprocess.Popen[bytes], poll_seconds: float = 0.2) -> None:
    deadline = time.monotonic() + DEMO_TIMEOUT_SECONDS
    while text not in path.read_text(encoding="utf-8", errors="replace"):
        assert process.poll() is None, f"the demo exited early:\n{path.read_text()}"
        assert time.monotonic() < deadline, f"no {text!r} after {DEMO_TIMEOUT_SECONDS} s"
        time.sleep(poll_seconds)


@pytest.fixture(scope="module")
def demos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Demo]]:
    tmp = tmp_path_factory.mktemp("demo")
    # Held, or taken by another program: either way the English demo must move to free ports.
    taken_ports = [hold_port(DEFAULT_APP_PORT), hold_port(DEFAULT_SANDBOX_PORT)]
    json_run = start(tmp, "json", "en_US.UTF-8", "--exit", "--json")
    english_run = start(tmp, "english", "en_US.UTF-8", "--exit", ports=())
    french_process, french_folder = start(tmp, "french", "fr_CA.UTF-8")
    try:
        wait_for_text(tmp / "french.out", "Ctrl-C", french_process)
        # The folder of a running demo is locked, so a second demo must not erase it.
        lock_error = None
        with use_locale("en"):
            try:
                prepare_folder(french_folder).release()
            except DemoFolderError as error:
                lock_error = str(error)
        french_process.send_signal(signal.SIGINT)
        french = finish(french_process, tmp, "french", french_folder)
        french.lock_error = lock_error
        yield {"json": finish(json_run[0], tmp, "json", json_run[1]),
               "english": finish(english_run[0], tmp, "english", english_run[1]),
               "french": french}
    finally:
        for process in (json_run[0], english_run[0], french_process):
            if process.poll() is None:
                process.kill()
        for sock in taken_ports:
            if sock is not None:
                sock.close()


@pytest.fixture(scope="module")
def report(demos: dict[str, Demo]) -> dict[str, Any]:
    demo = demos["json"]
    assert demo.returncode == 0, demo.stderr
    parsed: dict[str, Any] = json.loads(demo.stdout)
    return parsed


@pytest.fixture(scope="module")
def contacts(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {contact["email"].casefold(): contact for contact in report["contacts"]}


def outcomes(report: dict[str, Any], key: str) -> list[dict[str, Any]]:
    return [event for event in report["events"] if event["key"] == key]


# The JSON summary.

def test_json_run_has_no_error(report: dict[str, Any]) -> None:
    assert report["ok"] is True
    assert report["errors"] == []
    assert report["locale"] == "en"
    assert report["web_app"].startswith("http://127.0.0.1:")
    assert report["outbox"] == report["sandbox"] + "/outbox"
    assert len(report["sandbox_token"]) >= 24
    assert report["form_webhook"].startswith(report["web_app"] + "/hooks/form-to-optin/")


def test_counts(report: dict[str, Any]) -> None:
    counts = report["counts"]

    assert counts["deliveries"] == 10
    assert counts["runs_succeeded"] == 6
    assert counts["runs_skipped"] == 3
    assert counts["runs_failed"] == 0
    assert counts["duplicates_ignored"] == 1
    assert counts["contacts_created_by_runs"] == 1
    assert counts["contacts_created_by_csv"] == ROW_COUNT - 4
    assert counts["contacts_created"] == 1 + ROW_COUNT - 4
    assert counts["contacts_added_to_groups"] == 2
    assert counts["optins_waiting"] == 4
    assert counts["skipped"] == 6
    assert counts["warnings"] == 2
    assert counts["errors"] == 0


def test_every_delivery_accounted_for(report: dict[str, Any]) -> None:
    expected = {
        "forms-helene-cote": ["succeeded"],
        "forms-francois-belanger": ["succeeded"],
        "forms-emilie-gagnon": ["succeeded"],
        "forms-marc-ouellet": ["skipped"],
        "shopify-customer-mathieu-levesque": ["succeeded"],
        "shopify-customer-camille-berube": ["skipped"],
        "shopify-customer-julie-simard": ["skipped"],
        "shopify-order-1002": ["succeeded", "duplicate"],
        "woocommerce-order-4821": ["succeeded"],
    }

    played = {delivery.key for delivery in bundled_deliveries()}

    assert played == set(expected)
    for key, statuses in expected.items():
        assert [event["outcome"] for event in outcomes(report, key)] == statuses, key
    for event in report["events"]:
        if event["outcome"] == "skipped":
            assert event["reason"], event


def test_results_of_runs(report: dict[str, Any]) -> None:
    results = {event["key"]: event["result"] for event in report["events"] if event["outcome"] == "succeeded"}

    assert results == {
        "forms-helene-cote": "optin_sent",
        "forms-francois-belanger": "optin_sent",
        "forms-emilie-gagnon": "optin_sent",
        "shopify-customer-mathieu-levesque": "optin_sent",
        "shopify-order-1002": "added_to_groups",
        "woocommerce-order-4821": "created",
    }


def test_duplicate_delivery_one_run(report: dict[str, Any]) -> None:
    first, repeat = outcomes(report, "shopify-order-1002")

    assert first["run_status"] == "succeeded"
    assert repeat["outcome"] == "duplicate"
    assert repeat["run_id"] == first["run_id"]
    assert repeat["run_status"] is None


def test_unticked_newsletter_box_skipped(report: dict[str, Any], contacts: dict[str, Any]) -> None:
    [event] = outcomes(report, "forms-marc-ouellet")

    assert event["run_status"] == "filtered"
    assert '"Oui"' in event["reason"]
    assert '"Infolettre"' in event["reason"]
    assert "marc.ouellet@example.net" not in contacts


def test_customer_without_consent_basis_skipped(report: dict[str, Any],
                                                contacts: dict[str, Any]) -> None:
    [event] = outcomes(report, "shopify-customer-camille-berube")

    assert event["outcome"] == "skipped"
    assert event["run_status"] == "filtered"
    assert "opening an account is not a purchase" in event["reason"]
    assert "camille.berube@example.org" not in contacts


def test_subscriber_without_purchase_gets_optin(report: dict[str, Any],
                                                contacts: dict[str, Any]) -> None:
    [event] = outcomes(report, "shopify-customer-mathieu-levesque")
    mathieu = contacts["mathieu.levesque@example.com"]

    assert event["result"] == "optin_sent"
    check_contact(mathieu, {"first_name": "Mathieu", "last_name": "Lévesque", "country": "CA",
                            "postal_code": "G1V 1R6", "groups": ["Clients boutique"],
                            "status": "optin_pending", "consent": None, "optin": "pending"})


def test_unsubscribed_customer_skipped(report: dict[str, Any], contacts: dict[str, Any]) -> None:
    [event] = outcomes(report, "shopify-customer-julie-simard")

    assert event["outcome"] == "skipped"
    assert "unsubscribed" in event["reason"]
    assert "julie.simard@example.net" not in contacts


def test_invalid_birthdate_left_out_with_warning(report: dict[str, Any]) -> None:
    [event] = outcomes(report, "forms-emilie-gagnon")

    assert event["outcome"] == "succeeded"
    assert len(event["warnings"]) == 1
    assert "31 février 1990" in event["warnings"][0]


# The sandbox's final contacts, one by one.

def check_contact(contact: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        assert contact[key] == value, f"{contact['email']}: {key} is {contact[key]!r}, expected {value!r}"


def test_google_forms_people_wait_for_optin(contacts: dict[str, Any]) -> None:
    expected = {
        "helene.cote@example.com": {
            "email": "Helene.Cote@example.com", "first_name": "Hélène", "last_name": "Côté",
            "country": "CA", "gender": "f", "language": "fr_ca", "birthdate": "1990-12-04"},
        "francois.belanger@example.com": {
            "first_name": "François", "last_name": "Bélanger", "country": "CA", "gender": "m",
            "language": "en_ca", "birthdate": "1985-03-12"},
        "emilie.gagnon@example.org": {
            "first_name": "Émilie", "last_name": "Gagnon-Thériault", "country": "FR", "gender": "f",
            "language": "fr_ca", "birthdate": None},
    }

    for email, values in expected.items():
        contact = contacts[email]
        check_contact(contact, values)
        check_contact(contact, {"groups": ["Infolettre"], "status": "optin_pending", "consent": None,
                                "optin": "pending"})


def test_shop_buyers_become_active_clients(contacts: dict[str, Any]) -> None:
    expected = {
        "noemie.poirier@example.org": {
            "first_name": "Noémie", "last_name": "Poirier", "country": "CA", "postal_code": "G1K 3C6",
            "language": "fr_ca"},
    }

    for email, values in expected.items():
        contact = contacts[email]
        check_contact(contact, values)
        check_contact(contact, {"groups": ["Clients boutique"], "status": "subscribed", "optin": None})
        assert contact["consent"]["relation_type"] == "active-clients", email
    assert contacts["noemie.poirier@example.org"]["consent"]["proof"].startswith("Commande WooCommerce n° 4821 ")


def test_existing_buyer_only_grouped(contacts: dict[str, Any]) -> None:
    sophie = contacts["sophie.cote@example.com"]

    check_contact(sophie, {"first_name": "Sophie", "last_name": "Côté", "groups": ["Clients boutique", "Infolettre"]})
    assert sophie["consent"]["relation_type"] == "information-request"


def test_csv_rows_become_contacts(demos: dict[str, Demo], contacts: dict[str, Any]) -> None:
    path = demos["json"].folder / CSV_FILE
    with path.open(encoding="utf-8-sig", newline="") as source:
        rows = list(csv.DictReader(source, delimiter=";"))
    set_aside = {EXISTING_CONTACT_ROW, UNSUBSCRIBED_ROW, *REPEATED_ROWS}

    assert len(rows) == ROW_COUNT
    for number, row in enumerate(rows, start=2):
        if number in set_aside:
            continue
        contact = contacts[row["Courriel"].casefold()]
        birthdate = None
        if row["Date de naissance"] and number != INVALID_BIRTHDATE_ROW:
            day, month, year = row["Date de naissance"].split("/")
            birthdate = f"{year}-{month}-{day}"
        check_contact(contact, {
            "first_name": row["Prénom"], "last_name": row["Nom"], "company": row["Entreprise"] or None,
            "gender": GENDERS[row["Genre"]], "language": LANGUAGES[row["Langue"]],
            "birthdate": birthdate, "country": COUNTRIES[row["Pays"]], "postal_code": row["Code postal"],
            "groups": sorted(group.strip() for group in row["Groupes"].split(",")),
            "status": "subscribed", "optin": None,
        })
        assert contact["consent"] == {"type": "implied", "relation_type": "active-clients",
                                      "date": row["Date de consentement"],
                                      "proof": row["Preuve de consentement"]}, number


def test_csv_rows_set_aside(report: dict[str, Any], contacts: dict[str, Any]) -> None:
    rows = {row["row"]: row for row in report["csv"]["set_aside"]}

    assert set(rows) == {EXISTING_CONTACT_ROW, UNSUBSCRIBED_ROW, INVALID_BIRTHDATE_ROW, *REPEATED_ROWS}
    for number, earlier in REPEATED_ROWS.items():
        assert rows[number]["status"] == "skipped"
        assert rows[number]["detail"] == f"Same email address as row {earlier}."
    assert rows[UNSUBSCRIBED_ROW]["status"] == "skipped"
    assert rows[EXISTING_CONTACT_ROW]["status"] == "updated"
    assert rows[INVALID_BIRTHDATE_ROW]["status"] == "created"
    assert "31/02/1988" in rows[INVALID_BIRTHDATE_ROW]["warnings"]
    assert contacts["etienne.lavoie@example.com"]["groups"] == ["Clients boutique", "Événements"]
    assert contacts["etienne.lavoie@example.com"]["consent"]["relation_type"] == "business-card"
    assert contacts["luc.pelletier@example.com"]["status"] == "unsubscribed"
    assert contacts["luc.pelletier@example.com"]["groups"] == ["Infolettre"]


# The summaries for people, and the end of the demo.

def test_english_summary(demos: dict[str, Demo]) -> None:
    demo = demos["english"]

    assert demo.returncode == 0, demo.stderr
    for line in ("Runs succeeded: 6", "Contacts created: 497 (1 by runs, 496 by the CSV import)",
                 "Opt-in emails waiting in the outbox: 4", "Duplicate deliveries ignored: 1",
                 "Skipped, each with its reason: 6", "Errors: 0"):
        assert line in demo.stdout
    assert "Same email address as row 13." in demo.stdout
    assert "Demo data: " in demo.stdout
    assert "The web app and the sandbox stopped with the demo." in demo.stdout
    # With --exit the servers have stopped when the summary prints, so no address is printed.
    assert "Web app: http://127.0.0.1:" not in demo.stdout
    assert "/outbox (open an email" not in demo.stdout
    assert "curl -s -H" not in demo.stdout
    assert "Press Ctrl-C" not in demo.stdout + demo.stderr


def test_taken_default_ports_announced(demos: dict[str, Demo]) -> None:
    stdout = demos["english"].stdout

    assert f"Port {DEFAULT_APP_PORT} is in use, so the web app listens on " in stdout
    assert f"Port {DEFAULT_SANDBOX_PORT} is in use, so the Cyberimpact sandbox listens on " in stdout


def test_sandbox_token_printed(demos: dict[str, Demo]) -> None:
    english = demos["english"].stdout
    french = demos["french"].stdout
    [token] = [line.split(": ", 1)[1].split(" ")[0] for line in english.splitlines()
               if line.startswith("Its API token for this run: ")]

    assert len(token) >= 24
    assert f"jeton d’API pour cette exécution{NBSP}: " in french
    assert ", jeton d’API " in french
    assert "curl -s -H 'Authorization: Bearer " in french
    assert "sandbox-token" not in english + french


def test_french_summary_cli_line(demos: dict[str, Demo]) -> None:
    demo = demos["french"]

    assert f"pendant qu’elle tourne{NBSP}:" in demo.stdout
    assert f"  arrimage --data-dir {demo.folder} runs list" in demo.stdout


def test_french_summary(demos: dict[str, Demo]) -> None:
    demo = demos["french"]

    for line in (f"Exécutions réussies{NBSP}: 6",
                 f"Courriels de confirmation d’abonnement en attente dans la boîte d’envoi{NBSP}: 4",
                 "au sens de la LCAP, ouvrir un compte n’est pas un achat",
                 f"Envois en double ignorés{NBSP}: 1", f"Erreurs{NBSP}: 0",
                 "La personne n’a pas coché « Oui »", f"Application Web{NBSP}: http://127.0.0.1:",
                 "curl -s -H 'Content-Type: application/json'"):
        assert line.replace(" « ", f" «{NBSP}").replace(" »", f"{NBSP}»") in demo.stdout, line


def test_ctrl_c_stops_cleanly(demos: dict[str, Demo]) -> None:
    demo = demos["french"]

    assert demo.returncode == 0, demo.stderr
    assert demo.stdout.rstrip().endswith("La démo est arrêtée.")
    assert "Traceback" not in demo.stdout + demo.stderr


def test_running_demo_folder_locked(demos: dict[str, Demo]) -> None:
    lock_error = demos["french"].lock_error

    assert lock_error is not None
    assert "Another arrimage demo is using" in lock_error


# Demos that cannot start: run in this process, because they stop before any server starts.

def test_foreign_folder_not_erased(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "arrimage.db").write_text("real data", encoding="utf-8")

    with use_locale("en"):
        code = run_demo(DemoOptions(data_dir=tmp_path, exit_when_done=True))

    assert code == 2
    assert "contains data that the demo did not create" in capsys.readouterr().err
    assert (tmp_path / "arrimage.db").read_text(encoding="utf-8") == "real data"
    assert not (tmp_path / MARKER_FILE).exists()


def test_taken_port_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken, use_locale("en"):
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = run_demo(DemoOptions(data_dir=tmp_path / "demo", port=port, exit_when_done=True))

    error = capsys.readouterr().err
    assert code == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in error
    assert "--port" in error


# The bundled data.

def test_dates_moved_to_demo_time() -> None:
    moment = datetime(2026, 3, 15, 14, 5, 9, 123000, tzinfo=UTC)
    shopify = {"created_at": "2024-12-04T14:03:11-05:00", "email_marketing_consent": {"consent_updated_at": None},
               "customer": {"updated_at": "2024-12-04T14:03:11-05:00"}}
    woocommerce = {"date_created": "2024-12-04T14:05:40", "date_created_gmt": "2024-12-04T19:05:40",
                   "date_completed": None}
    forms = {"create_time": "2024-12-04T19:05:40.000Z", "answers": {"Courriel": "a@example.com"}}

    assert dated_now(shopify, "shopify", moment) == {
        "created_at": "2026-03-15T10:05:09-04:00", "email_marketing_consent": {"consent_updated_at": None},
        "customer": {"updated_at": "2026-03-15T10:05:09-04:00"}}
    assert dated_now(woocommerce, "woocommerce", moment) == {
        "date_created": "2026-03-15T10:05:09", "date_created_gmt": "2026-03-15T14:05:09",
        "date_completed": None}
    assert dated_now(forms, "google_forms", moment) == {
        "create_time": "2026-03-15T14:05:09.123Z", "answers": {"Courriel": "a@example.com"}}


def test_csv_same_for_same_day() -> None:
    day = datetime(2026, 3, 15).date()

    first = contact_rows(day)

    assert first == contact_rows(day)
    assert len(first) == ROW_COUNT
    emails = [row[0].casefold() for row in first]
    assert len(set(emails)) == ROW_COUNT - len(REPEATED_ROWS)
    assert all(row[10] < "2026-03-15" for row in first)


# Signals during the start and the playing of the events.

@dataclass(frozen=True)
class Stop:
    """When to send which signal: a delay after the start, or the first line that contains a text."""

    signal: int
    delay: float = 0.0
    after_text: str | None = None
    # Lines of stages that must not appear, because they start after the signal.
    later_stages: tuple[str, ...] = ()


STOPS = {
    "while loading": Stop(signal.SIGINT, delay=0.5,
                          later_stages=("Sending", "Waiting for", "Importing", "Arrimage demo:")),
    "after start lines": Stop(signal.SIGTERM, after_text="Its API token",
                              later_stages=("Waiting for", "Importing", "Arrimage demo:")),
    "while sending": Stop(signal.SIGINT, after_text="Sending",
                          later_stages=("Importing", "Arrimage demo:")),
}


@pytest.fixture(scope="module")
def stopped_demos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Demo]:
    tmp = tmp_path_factory.mktemp("stopped")
    finished = {}
    for number, (name, stop) in enumerate(STOPS.items()):
        label = f"stop{number}"
        process, folder = start(tmp, label, "en_US.UTF-8")
        try:
            if stop.after_text:
                wait_for_text(tmp / f"{label}.out", stop.after_text, process, poll_seconds=0.01)
            else:
                time.sleep(stop.delay)
            process.send_signal(stop.signal)
            finished[name] = finish(process, tmp, label, folder)
        finally:
            if process.poll() is None:
                process.kill()
    return finished


@pytest.mark.parametrize("name", list(STOPS))
def test_signal_stops_demo_cleanly(stopped_demos: dict[str, Demo], name: str) -> None:
    demo = stopped_demos[name]
    output = demo.stdout + demo.stderr

    assert demo.returncode == 130, output
    assert demo.stdout.rstrip().splitlines()[-1] == "The demo stopped.", output
    assert "Traceback" not in output
    assert "WARNING" not in output, output
    assert "ERROR" not in output, output
    for stage in STOPS[name].later_stages:
        assert stage not in output, output


def test_stopped_demo_releases_folder(stopped_demos: dict[str, Demo]) -> None:
    # The folder's lock is free again, so a new demo could start on it.
    with use_locale("en"):
        for demo in stopped_demos.values():
            prepare_folder(demo.folder).release()


# The installation, in this process, against a sandbox of its own.

def gallery_entries() -> dict[str, dict[str, Any]]:
    entries = yaml.safe_load((bundled_recipes_dir() / "gallery.yaml").read_text(encoding="utf-8"))
    return {entry["file"]: entry for entry in entries if "file" in entry}


@pytest.fixture(params=["en", "fr_CA"])
def installed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    token = "installation-test-token"
    with use_locale("en"):
        folder = prepare_folder(tmp_path / "demo")
    sandbox = start_sandbox(folder.path, 0, token)
    runtime = Runtime(demo_settings(folder.path, DEFAULT_APP_PORT, sandbox.base_url, token))
    try:
        with use_locale(request.param):
            install(runtime, sandbox.base_url, token)
        yield request.param, runtime
    finally:
        runtime.close()
        sandbox.stop()
        folder.release()


def test_automations_named_in_locale(installed: tuple[str, Runtime]) -> None:
    locale, runtime = installed
    automations = {automation["id"]: automation for automation in runtime.automations.list()}
    gallery = gallery_entries()
    checked = 0

    for file, entry in gallery.items():
        document = yaml.safe_load((bundled_recipes_dir() / f"{file}.yaml").read_text(encoding="utf-8"))
        if document["id"] not in automations:
            continue
        checked += 1
        stored = runtime.automations.get(document["id"])["document"]
        assert stored["name"] == entry["name"][locale].strip(), file
        assert stored["description"] == entry["description"][locale].strip(), file
    assert checked == 5


def test_google_forms_dry_run_passes_filter(installed: tuple[str, Runtime]) -> None:
    _locale, runtime = installed
    automation_id = "google-forms-optin"
    document = runtime.automations.get(automation_id)["document"]
    sample = current_sample(runtime, automation_id, document)

    result = dry_run(runtime, document, sample.payload)

    assert sample.source == "recipe"
    assert sample.payload == gallery_entries()["google-forms-to-cyberimpact-optin"]["sample"]
    assert str(result.status) == "succeeded", result.to_dict("en")
    assert [step.step_id for step in result.steps] == ["accepts_newsletter", "optin"]
    assert [email["to"].casefold() for email in result.emails] == ["eloise.damour@exemple.ca"]
