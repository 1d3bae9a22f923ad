"""Every recipe under recipes/ is a valid automation document for the current catalogue, and
the gallery names and describes each one in French and English."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from arrimage.connectors.registry import all_apps
from arrimage.engine.validation import load_document
from arrimage.web.pages.recipes import GALLERY_FILE, load_gallery, load_recipes

RECIPES_DIR = Path(__file__).resolve().parents[2] / "recipes"
RECIPES = sorted(path for path in RECIPES_DIR.glob("*.yaml") if path.name != GALLERY_FILE)


def test_recipes_exist() -> None:
    assert RECIPES, f"no recipe in {RECIPES_DIR}"


@pytest.mark.parametrize("path", RECIPES, ids=[path.stem for path in RECIPES])
def test_recipe_is_valid(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))

    loaded = load_document(document, all_apps())

    assert loaded.name
    assert loaded.description, f"{path.name} needs a description saying what it does"


def test_gallery_lists_every_recipe_once() -> None:
    listed = [entry["file"] for entry in load_gallery(RECIPES_DIR) if "file" in entry]

    assert sorted(listed) == sorted(path.stem for path in RECIPES)


@pytest.mark.parametrize("entry", load_gallery(RECIPES_DIR), ids=lambda entry: entry.get("file") or entry.get("key"))
def test_gallery_entry_speaks_both_languages(entry: dict) -> None:
    for part in ("name", "description"):
        texts = entry[part]
        assert set(texts) == {"fr_CA", "en"}, f"{part} needs fr_CA and en"
        assert all(text.strip() for text in texts.values())
    assert entry["name"]["fr_CA"] != entry["name"]["en"]


def test_recipes_come_in_gallery_order_with_names() -> None:
    recipes = load_recipes(RECIPES_DIR)

    assert [recipe["key"] for recipe in recipes][:1] == [load_gallery(RECIPES_DIR)[0]["file"]]
    assert all(recipe["names"]["en"] and recipe["names"]["fr_CA"] for recipe in recipes)
