"""Engine errors: the message of a transient error once no try is left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from arrimage.engine.errors import after_last_attempt
from arrimage.i18n import LOCALES_DIR, LazyText, _l

FRENCH_DIR = LOCALES_DIR / "fr_CA" / "LC_MESSAGES"
PROMISE = re.compile(r"will try again|réessaiera", re.IGNORECASE)


def promising_messages() -> list[str]:
    """Return every catalogue message id that promises another try."""
    found = []
    for po_path in sorted(FRENCH_DIR.glob("*.po")):
        with Path(po_path).open("rb") as po_file:
            for message in read_po(po_file, locale="fr_CA"):
                if message.id and isinstance(message.id, str) and PROMISE.search(message.id):
                    found.append(message.id)
    return found


def sample_text(msgid: str) -> LazyText:
    """Return ``msgid`` with each field filled with a short sample value."""
    fields = {name: "30" if name == "seconds" else f"<{name}>"
              for name in re.findall(r"\{(\w+)\}", msgid)}
    return LazyText(msgid, **fields)


def test_catalogue_has_promises() -> None:
    assert len(promising_messages()) >= 10


@pytest.mark.parametrize("msgid", promising_messages())
@pytest.mark.parametrize("locale", ["en", "fr_CA"])
def test_final_message_drops_promise(msgid: str, locale: str) -> None:
    final = after_last_attempt(sample_text(msgid), 5).render(locale)

    assert not PROMISE.search(final), final
    assert ".." not in final
    assert not re.search(r"[\s\u00a0]*[:,]\.", final), final


def test_final_message_counts_attempts() -> None:
    message = _l("{url} answered {status}: a server error, Arrimage will try again.",
                 url="http://127.0.0.1:9/hook", status=503)

    final = after_last_attempt(message, 3)

    assert final.render("en") == ("http://127.0.0.1:9/hook answered 503: a server error. Attempts made: 3. "
                                  "Replay the run once the cause is fixed.")
    assert final.render("fr_CA") == ("http://127.0.0.1:9/hook a répondu 503 (erreur du serveur). Tentatives "
                                     "effectuées\u00a0: 3. Relancez l’exécution une fois la cause corrigée.")


def test_final_message_keeps_other_text() -> None:
    message = _l("HubSpot had a server error ({status}) on {request}. Arrimage will try again. "
                 "Response from HubSpot: {detail}", status=502, request="GET /contacts", detail="busy")

    final = after_last_attempt(message, 2).render("en")

    assert final.startswith("HubSpot had a server error (502) on GET /contacts. Response from HubSpot: busy")
