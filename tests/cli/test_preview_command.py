"""``arrimage preview``: tables and JSON in English and French, without a data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

NBSP = "\u00a0"
CONSENT = {"relation_type": "web-contacts", "consent_proof": "Formulaire du site"}
EVENT = {
    "courriel": "Sophie.Lavoie@Example.COM", "genre": "Femme", "langue": "Français",
    "pays": "États-Unis", "naissance": "4 décembre 1990", "code_postal": "90210",
    "province": "QC",
}


def automation(**formats: Any) -> dict[str, Any]:
    contact: dict[str, Any] = {
        "id": "contact", "app": "cyberimpact", "action": "create_contact",
        "input": {
            "email": "{{ trigger.courriel }}", "gender": "{{ trigger.genre }}",
            "language": "{{ trigger.langue }}", "country": "{{ trigger.pays }}",
            "birthdate": "{{ trigger.naissance }}", "postal_code": "{{ trigger.code_postal }}",
            **CONSENT,
        },
    }
    if formats:
        contact["formats"] = formats
    return {
        "id": "apercu",
        "name": "Formulaire vers Cyberimpact",
        "trigger": {"app": "webhook", "event": "catch_hook"},
        "steps": [
            {"id": "quebec_only", "type": "filter",
             "conditions": [{"value": "{{ trigger.province }}", "operator": "equals",
                             "compare_to": "QC"}]},
            contact,
        ],
    }


def preview(folder: Path, document: dict[str, Any], event: dict[str, Any], *args: str,
            lang: str = "en_US.UTF-8") -> subprocess.CompletedProcess[str]:
    """Run ``arrimage preview`` in ``folder``, with no ARRIMAGE_* variable set."""
    automation_path = folder / "automation.yaml"
    event_path = folder / "event.json"
    automation_path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                               encoding="utf-8")
    event_path.write_text(json.dumps(event, ensure_ascii=False), encoding="utf-8")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("ARRIMAGE_") and name not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    # A wide terminal keeps each table row on one line, so the checks can read whole messages.
    env.update({"LANG": lang, "COLUMNS": "400"})
    return subprocess.run(
        [sys.executable, "-m", "arrimage", "preview", str(automation_path),
         "--event", str(event_path), *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=60, check=False,
    )


def row_of(output: str, key: str) -> list[str]:
    """Return the cells of the table row that starts with ``key``."""
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip("│ ").split("│")]
        if cells and cells[0] == key:
            return cells
    raise AssertionError(f"no row {key!r} in:\n{output}")


def test_preview_table_in_english(tmp_path: Path) -> None:
    result = preview(tmp_path, automation(), {**EVENT, "genre": "Peut-être"})

    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "Preview of Formulaire vers Cyberimpact: no app is called and nothing is stored." in output
    assert "Step quebec_only: filter" in output
    assert "The filter's conditions hold, so the run goes on." in output
    assert "Step contact: action cyberimpact.create_contact" in output
    assert row_of(output, "language")[:3] == ["language", "Français", "fr_ca"]
    assert row_of(output, "country")[:3] == ["country", "États-Unis", "US"]
    assert row_of(output, "birthdate")[:3] == ["birthdate", "4 décembre 1990", "1990-12-04"]
    gender = row_of(output, "gender")
    assert gender[:3] == ["gender", "Peut-être", "(left out)"]
    assert gender[3].startswith('Warning: "Peut-être" is not a gender Arrimage recognizes')
    assert "later steps read this operation's sample output" in output
    assert "A run would go through every step shown." in output
    assert not (tmp_path / "data").exists()


def test_preview_table_in_french(tmp_path: Path) -> None:
    result = preview(tmp_path, automation(off=["birthdate"]), {**EVENT, "genre": "Peut-être"},
                     lang="fr_CA.UTF-8")

    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert f"Aperçu de Formulaire vers Cyberimpact{NBSP}: aucune application n’est appelée" in output
    assert f"Étape contact{NBSP}: action cyberimpact.create_contact" in output
    assert "Valeur associée" in output
    assert row_of(output, "gender")[2] == "(non transmise)"
    assert row_of(output, "gender")[3].startswith(f"Avertissement{NBSP}: «{NBSP}Peut-être{NBSP}»")
    birthdate = row_of(output, "birthdate")
    assert birthdate[:3] == ["birthdate", "4 décembre 1990", "4 décembre 1990"]
    assert birthdate[3] == f"Conversion désactivée{NBSP}: valeur transmise telle quelle."
    assert "Une exécution passerait par toutes les étapes affichées." in output


def test_preview_json_structure(tmp_path: Path) -> None:
    result = preview(tmp_path, automation(date_order="mdy"),
                     {**EVENT, "naissance": "04/12/1990"}, "--json")

    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["automation"] == {"id": "apercu", "name": "Formulaire vers Cyberimpact"}
    assert data["outcome"] == "succeeded"
    assert data["stopped_at"] is None
    filter_step, contact = data["steps"]
    assert filter_step == {
        "id": "quebec_only", "type": "filter", "location": "steps[0]", "status": "ok",
        "match": "all", "passed": True,
        "conditions": [{"value": "QC", "absent": False, "operator": "equals",
                        "compare_to": "QC", "passed": True}],
        "errors": [],
    }
    assert contact["app"] == "cyberimpact"
    assert contact["operation"] == "create_contact"
    assert contact["sample_output"]["outcome"] == "created"
    birthdate = next(field for field in contact["fields"] if field["key"] == "birthdate")
    assert birthdate == {
        "key": "birthdate", "label": "Birth date", "mapped": "04/12/1990", "sent": "1990-04-12",
        "evaluated": True, "normalizer": "birthdate", "off": False, "warnings": [], "errors": [],
    }


def test_preview_json_in_french(tmp_path: Path) -> None:
    result = preview(tmp_path, automation(), {**EVENT, "genre": "Peut-être"}, "--json",
                     lang="fr_CA.UTF-8")

    data = json.loads(result.stdout)
    gender = next(field for field in data["steps"][1]["fields"] if field["key"] == "gender")
    assert gender["label"] == "Genre"
    assert gender["warnings"][0]["code"] == "gender.unknown"
    assert gender["warnings"][0]["message"].startswith(f"«{NBSP}Peut-être{NBSP}»")
    assert data["steps"][1]["note"].startswith("L’application n’est pas appelée")


def test_preview_filtered_event(tmp_path: Path) -> None:
    result = preview(tmp_path, automation(), {**EVENT, "province": "ON"})

    assert result.returncode == 0, result.stderr
    assert "so a run would stop here (stopped by a filter)" in result.stdout
    assert "A run would stop at the filter quebec_only." in result.stdout
    assert "Step contact" not in result.stdout


def test_preview_failure_exits_one(tmp_path: Path) -> None:
    result = preview(tmp_path, automation(), {**EVENT, "courriel": "sophie@"}, lang="fr_CA.UTF-8")

    assert result.returncode == 1
    assert "Une exécution échouerait à l’étape contact." in result.stdout
    assert row_of(result.stdout, "email")[3].startswith(f"Erreur{NBSP}:")


def test_preview_missing_key_on_field(tmp_path: Path) -> None:
    document = automation()
    document["steps"][1]["input"]["first_name"] = "{{ trigger.prenom }}"
    result = preview(tmp_path, document, EVENT)

    assert result.returncode == 1
    first_name = row_of(result.stdout, "first_name")
    assert first_name[1:3] == ["(template error)", "(template error)"]
    assert "trigger has no key 'prenom'" in first_name[3]
    assert row_of(result.stdout, "gender")[2] == "f"


@pytest.mark.parametrize("lang", ["en_US.UTF-8", "fr_CA.UTF-8"])
def test_preview_invalid_document(tmp_path: Path, lang: str) -> None:
    document = automation()
    document["steps"][1]["input"]["gender"] = "Peut-être"
    result = preview(tmp_path, document, EVENT, lang=lang)

    assert result.returncode == 1
    assert "input.gender" in result.stderr
    if lang.startswith("fr"):
        assert "ne fait pas partie des choix possibles (f, m, o)" in result.stderr
    else:
        assert "is not one of the choices (f, m, o)" in result.stderr


def test_preview_event_not_json(tmp_path: Path) -> None:
    (tmp_path / "event.json").write_text("{", encoding="utf-8")
    automation_path = tmp_path / "automation.yaml"
    automation_path.write_text(yaml.safe_dump(automation()), encoding="utf-8")
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("ARRIMAGE_") and name not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    result = subprocess.run(
        [sys.executable, "-m", "arrimage", "preview", str(automation_path),
         "--event", str(tmp_path / "event.json")],
        cwd=tmp_path, env={**env, "LANG": "en_US.UTF-8"}, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "is not valid JSON" in result.stderr


def test_preview_shows_filter_warning(tmp_path: Path) -> None:
    document = automation()
    document["steps"][1]["input"]["note"] = "Pays : {{ trigger.origine | country }}"

    result = preview(tmp_path, document, {**EVENT, "origine": "Québec"})

    assert result.returncode == 0, result.stderr
    assert "Pays : None" not in result.stdout
    assert row_of(result.stdout, "note")[2] == "Pays : Québec"
    assert "Warning: The country filter could not convert" in row_of(result.stdout, "note")[3]
