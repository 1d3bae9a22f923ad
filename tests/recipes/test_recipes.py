"""Every recipe under recipes/ is a valid automation document for the current catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from arrimage.connectors.registry import all_apps
from arrimage.engine.validation import load_document

RECIPES_DIR = Path(__file__).resolve().parents[2] / "recipes"
RECIPES = sorted(RECIPES_DIR.glob("*.yaml"))


def test_recipes_exist() -> None:
    assert RECIPES, f"no recipe in {RECIPES_DIR}"


@pytest.mark.parametrize("path", RECIPES, ids=[path.stem for path in RECIPES])
def test_recipe_is_valid(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))

    loaded = load_document(document, all_apps())

    assert loaded.name
    assert loaded.description, f"{path.name} needs a description saying what it does"
