"""The French (Québec) catalogues checked against every message marked in the code.

Babel extracts the message ids of ``_("…")`` and ``_l("…")`` calls from ``src/arrimage``, Python
files and the web app's Jinja templates (``web/templates/**.html``).
All ``fr_CA`` ``.po`` files are read together, as :func:`arrimage.i18n.translations` merges them.
Each failure names the message id and where it sits: source file and line, or catalogue file
and line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import arrimage
from arrimage.i18n import LOCALES_DIR, placeholders

SOURCE_DIR = Path(arrimage.__file__).parent
FRENCH_DIR = LOCALES_DIR / "fr_CA" / "LC_MESSAGES"
KEYWORDS = {"_": None, "_l": None, "_n": (1, 2), "pgettext": ((1, "c"), 2)}
METHOD_MAP = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]

# Words for "email" that a French text must replace with « courriel ».
ENGLISH_EMAIL_WORDS = {"email", "emails", "e-mail", "e-mails"}
# Characters that make a token code rather than prose: a field name, an address, a template.
CODE_CHARACTERS = re.compile(r"[_@/=:{}\[\]<>|`'\"\\]|\.\w")
# Punctuation that may surround a word in a French sentence.
PROSE_PUNCTUATION = ".,;!?()«»\u201c\u201d"
# Elided articles and pronouns before a word (l’email, d’e-mail, qu’un…).
ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)[’']", re.IGNORECASE)
ENGLISH_RUN = re.compile(r"\bruns?\b", re.IGNORECASE)
FRENCH_RACE = re.compile(r"\bcourses?\b", re.IGNORECASE)


@dataclass(frozen=True)
class FrenchEntry:
    """One entry of a ``fr_CA`` catalogue, with the place it was read from."""

    msgid: str
    msgstr: str
    fuzzy: bool
    where: str
    # Index of the plural form (msgstr[0], msgstr[1]…), 0 for a message without plural.
    form: int = 0


def message_key(msgid: str, context: str | None) -> str:
    """Return the key of a message: its id, after its context and EOT as gettext stores them."""
    return f"{context}\x04{msgid}" if context else msgid


@functools.cache
def code_messages() -> dict[str, tuple[str, ...]]:
    """Return every marked message key (see :func:`message_key`) with the ``file:line`` places
    that use it."""
    places: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(SOURCE_DIR), method_map=METHOD_MAP, keywords=KEYWORDS
    ):
        msgid = message_key(message[0] if isinstance(message, tuple) else message, context)
        places.setdefault(msgid, []).append(f"{SOURCE_DIR.name}/{filename}:{lineno}")
    return {msgid: tuple(where) for msgid, where in places.items()}


@functools.cache
def french_entries() -> tuple[FrenchEntry, ...]:
    """Return the entries of every ``fr_CA`` ``.po`` file, header left out."""
    entries: list[FrenchEntry] = []
    for po_path in sorted(FRENCH_DIR.glob("*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale="fr_CA")
        catalogue_name = po_path.relative_to(LOCALES_DIR)
        for message in catalog:
            if not message.id:
                continue
            msgid = message_key(message.id[0] if isinstance(message.id, tuple) else message.id, message.context)
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            for form, msgstr in enumerate(forms):
                entries.append(FrenchEntry(
                    msgid=msgid,
                    msgstr=msgstr or "",
                    fuzzy=message.fuzzy,
                    where=f"{catalogue_name}:{message.lineno}",
                    form=form,
                ))
    return tuple(entries)


def reviewed_entries() -> list[FrenchEntry]:
    """Return the entries that reach a user: translated and not fuzzy."""
    return [entry for entry in french_entries() if entry.msgstr and not entry.fuzzy]


def source_of(msgid: str) -> str:
    return ", ".join(code_messages().get(msgid, ("not in the code",)))


def report(problems: list[str], title: str) -> str:
    return f"{len(problems)} {title}:\n" + "\n".join(problems)


def english_email_words(text: str) -> list[str]:
    """Return the prose words of ``text`` that are English for "email", skipping code tokens."""
    found = []
    for token in text.split():
        word = ELISION.sub("", token.strip(PROSE_PUNCTUATION))
        if CODE_CHARACTERS.search(word):
            continue
        if word.lower() in ENGLISH_EMAIL_WORDS:
            found.append(word)
    return found


def test_extraction_finds_messages() -> None:
    assert code_messages(), f"Babel found no _() or _l() message under {SOURCE_DIR}"


def test_french_catalogues_exist() -> None:
    assert french_entries(), f"no entry in {FRENCH_DIR}/*.po"


def test_every_message_has_french() -> None:
    translated = {entry.msgid for entry in reviewed_entries()}
    entered = {entry.msgid for entry in french_entries()}
    problems = []
    for msgid, places in code_messages().items():
        if msgid in translated:
            continue
        reason = "only an empty or fuzzy entry" if msgid in entered else "no entry"
        problems.append(f"{', '.join(places)}: {msgid!r} has {reason} in fr_CA/LC_MESSAGES/*.po")
    if problems:
        pytest.fail(report(problems, "messages without a French translation"), pytrace=False)


def test_no_fuzzy_french_entry() -> None:
    problems = [
        f"{entry.where}: {entry.msgid!r} is fuzzy, so users see the English text "
        f"(used at {source_of(entry.msgid)})"
        for entry in french_entries()
        if entry.fuzzy
    ]
    if problems:
        pytest.fail(report(problems, "fuzzy French entries"), pytrace=False)


def test_french_placeholders_match() -> None:
    problems = []
    for entry in reviewed_entries():
        try:
            expected = placeholders(entry.msgid)
            found = placeholders(entry.msgstr)
        except ValueError as error:
            problems.append(f"{entry.where}: {entry.msgid!r} is not a valid format string: {error}")
            continue
        if found != expected:
            problems.append(
                f"{entry.where}: {entry.msgid!r} has fields {sorted(expected)} but the "
                f"French has {sorted(found)}"
            )
    if problems:
        pytest.fail(report(problems, "French translations with other {fields}"), pytrace=False)


def test_no_stale_french_entry() -> None:
    in_code = code_messages()
    problems = [
        f"{entry.where}: {entry.msgid!r} is no longer marked with _() or _l() in the code"
        for entry in french_entries()
        if entry.msgid not in in_code
    ]
    if problems:
        pytest.fail(report(problems, "stale French entries"), pytrace=False)


def test_duplicate_french_entries_agree() -> None:
    by_msgid: dict[tuple[str, int], list[FrenchEntry]] = {}
    for entry in reviewed_entries():
        by_msgid.setdefault((entry.msgid, entry.form), []).append(entry)
    problems = [
        f"{entry_list[0].msgid!r} is translated differently in "
        + "; ".join(f"{entry.where} ({entry.msgstr!r})" for entry in entry_list)
        for entry_list in by_msgid.values()
        if len({entry.msgstr for entry in entry_list}) > 1
    ]
    if problems:
        pytest.fail(report(problems, "messages with conflicting French translations"), pytrace=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Adresse e-mail invalide", ["e-mail"]),
        ("Aucun Email envoyé.", ["Email"]),
        ("Vérifiez l’email.", ["email"]),
        ("Le champ email_address est vide.", []),
        ("Écrivez à a@email.ca ou {email}.", []),
        ("Ajoutez 'email' ou email: dans le fichier.", []),
        ("Les courriels et les exécutions", []),
    ],
)
def test_email_word_detection(text: str, expected: list[str]) -> None:
    assert english_email_words(text) == expected


def test_french_says_courriel() -> None:
    problems = [
        f"{entry.where}: the French for {entry.msgid!r} uses {words} (write « courriel »)"
        for entry in reviewed_entries()
        if (words := english_email_words(entry.msgstr))
    ]
    if problems:
        pytest.fail(report(problems, "French translations that say email"), pytrace=False)


def test_french_run_is_not_course() -> None:
    problems = [
        f"{entry.where}: the French for {entry.msgid!r} says « course » (write « exécution »)"
        for entry in reviewed_entries()
        if ENGLISH_RUN.search(entry.msgid) and FRENCH_RACE.search(entry.msgstr)
    ]
    if problems:
        pytest.fail(report(problems, "French translations that call a run a course"), pytrace=False)
