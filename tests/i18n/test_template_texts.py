"""Every text a person reads in the web app's templates goes through ``_()``.

Jinja expressions and tags are blanked out, then the remaining HTML is parsed: any word left in
text nodes or in attributes that browsers show or read aloud is an untranslated string.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from arrimage.web.pages.common import TEMPLATES_DIR

TEMPLATES = sorted(TEMPLATES_DIR.rglob("*.html"))
JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.DOTALL)
# Attributes whose value is displayed or read aloud by screen readers.
VISIBLE_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "data-copied", "data-failed",
                      "data-filled"}
# Attribute text that a macro writes out, such as ' aria-invalid="true"', is markup, not prose.
ATTRIBUTE_SYNTAX = re.compile(r'^[\w-]+="')
# Text that needs no translation: the product's name.
ALLOWED_WORDS = {"Arrimage"}
LETTER = re.compile(r"[^\W\d_]")


class TextCollector(HTMLParser):
    """Collect the words of text nodes and visible attributes, skipping code samples."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.code_depth = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("pre", "code", "script", "style"):
            self.code_depth += 1
        for name, value in attrs:
            shown = name in VISIBLE_ATTRIBUTES or (
                name == "value" and tag == "input" and dict(attrs).get("type") in ("submit", "button", "reset"))
            if shown and value:
                self.check(value, f"<{tag} {name}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("pre", "code", "script", "style") and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.code_depth:
            self.check(data, "text")

    def check(self, text: str, where: str) -> None:
        words = [word for word in text.replace("§", " ").split()
                 if LETTER.search(word) and not ATTRIBUTE_SYNTAX.match(word)]
        leftover = [word for word in words if word not in ALLOWED_WORDS]
        if leftover:
            self.found.append(f"{where}: {' '.join(leftover)!r}")


def test_templates_exist() -> None:
    assert TEMPLATES, f"no template in {TEMPLATES_DIR}"


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(path.relative_to(TEMPLATES_DIR)) for path in TEMPLATES])
def test_template_has_no_raw_text(path: Path) -> None:
    collector = TextCollector()
    collector.feed(JINJA.sub("§", path.read_text(encoding="utf-8")))

    assert collector.found == [], f"{path.name} has text outside _(): wrap it in {{{{ _('…') }}}}"
