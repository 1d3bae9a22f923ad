"""Fixtures of the Google Forms tests: the emulator on 127.0.0.1 and an example form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arrimage.emulators.google_forms import FormsState, GoogleFormsEmulator

OWNER_TOKEN = "emulator-owner-token"
SIGNING_SECRET = "signature-secret-3f9a1c"
EMAIL = "Courriel"
TOPICS = "Sujets qui vous intéressent"
BIRTHDATE = "Date de naissance"
FORM_QUESTIONS = [
    {"title": EMAIL, "kind": "text", "required": True},
    {"title": "Prénom", "kind": "text"},
    {"title": "Section 2", "kind": "section"},
    {"title": TOPICS, "kind": "checkbox", "options": ["Infolettre", "Promotions", "Événements"]},
    {"title": BIRTHDATE, "kind": "date"},
    {"title": "Langue", "kind": "radio", "options": ["Français", "English"]},
    {"title": "Pièce jointe", "kind": "file_upload"},
    {"title": "Disponibilités", "kind": "checkbox_grid", "rows": ["Lundi", "Mardi"],
     "options": ["Matin", "Soir"]},
    {"title": "Satisfaction", "kind": "grid", "rows": ["Accueil", "Prix"],
     "options": ["Bien", "Mal"]},
    {"title": "Commentaire", "kind": "paragraph"},
    {"title": "Commentaire", "kind": "paragraph"},
]
# A response that leaves the optional date, the file, a grid row and one comment empty.
ANSWERS = {
    EMAIL: "eloise.damour@exemple.ca",
    "Prénom": "Éloïse",
    TOPICS: ["Infolettre", "Promotions"],
    "Langue": "Français",
    "Disponibilités": {"Lundi": ["Matin", "Soir"], "Mardi": []},
    "Satisfaction": {"Accueil": "Bien"},
    "Commentaire": "Merci « beaucoup » — à bientôt ✨",
}


@pytest.fixture
def emulator() -> Iterator[GoogleFormsEmulator]:
    running = GoogleFormsEmulator(FormsState(tokens=(OWNER_TOKEN,))).start()
    yield running
    running.stop()


@pytest.fixture
def form_id(emulator: GoogleFormsEmulator) -> str:
    return emulator.state.add_form("Inscription à l'infolettre", FORM_QUESTIONS)
