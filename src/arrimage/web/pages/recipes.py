"""Ready-made automations (``recipes/*.yaml``) and their import as automations that stay off."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from arrimage.demo.recipes import bundled_recipes_dir
from arrimage.engine.errors import DocumentError
from arrimage.engine.validation import load_document
from arrimage.i18n import _l
from arrimage.storage.listings import automation_names, connection_names
from arrimage.web.editor.samples import Sample, save_sample
from arrimage.web.pages.automations import app_name, connection_needs, step_apps
from arrimage.web.pages.common import Page, signed_in, signed_in_form

logger = logging.getLogger(__name__)

router = APIRouter()


def recipes_dir() -> Path:
    """Return the recipes folder: ``ARRIMAGE_RECIPES_DIR``, else the recipes shipped with Arrimage.

    The package's ``recipes`` folder is a link to the repository's top-level ``recipes/`` in a
    source tree, and a copy of its files in an installed package.
    """
    configured = os.environ.get("ARRIMAGE_RECIPES_DIR")
    if configured:
        return Path(configured)
    return bundled_recipes_dir()


GALLERY_FILE = "gallery.yaml"


def load_recipes(folder: Path) -> list[dict[str, Any]]:
    """Return every valid recipe of ``folder`` with its key (file name) and parsed document.

    Recipes come in the gallery's order (``gallery.yaml``), then any other file by name. Each
    carries ``names`` and ``descriptions`` by locale from the gallery, when it lists them.
    """
    gallery = load_gallery(folder)
    order = {entry.get("file"): index for index, entry in enumerate(gallery)}
    recipes = []
    paths = [path for path in folder.glob("*.yaml") if path.name != GALLERY_FILE]
    for path in sorted(paths, key=lambda path: (order.get(path.stem, len(order)), path.name)):
        data, modified = _read(path, path.stat().st_mtime)
        if data is None:
            continue
        try:
            document = load_document(data)
        except DocumentError:
            logger.warning("skipping the invalid recipe %s", path.name)
            continue
        entry = next((entry for entry in gallery if entry.get("file") == path.stem), {})
        recipes.append({"key": path.stem, "data": data, "document": document,
                        "names": entry.get("name") or {}, "descriptions": entry.get("description") or {},
                        "sample": entry.get("sample") if isinstance(entry.get("sample"), dict) else None})
    return recipes


def load_gallery(folder: Path) -> list[dict[str, Any]]:
    """Return the gallery's entries (names and descriptions by locale), or [] when absent."""
    path = folder / GALLERY_FILE
    if not path.is_file():
        return []
    data, _modified = _read_any(path, path.stat().st_mtime)
    return [entry for entry in data if isinstance(entry, dict)] if isinstance(data, list) else []


def in_locale(texts: dict[str, str], locale: str, fallback: str) -> str:
    """Return the text of ``locale`` (fr_CA or en), else the other language's, else ``fallback``."""
    if not isinstance(texts, dict):
        return fallback
    return str(texts.get(locale) or texts.get("fr_CA") or texts.get("en") or fallback).strip()


def localized_recipe(recipe: dict[str, Any], locale: str) -> dict[str, Any]:
    """Return what the gallery shows of a recipe, in ``locale``."""
    document = recipe["document"]
    return {
        "key": recipe["key"],
        "name": in_locale(recipe["names"], locale, document.name),
        "description": in_locale(recipe["descriptions"], locale, document.description or ""),
        "trigger_app": document.trigger.app,
        "step_apps": step_apps(document),
        "id": document.id,
    }


def _read(path: Path, modified: float) -> tuple[dict[str, Any] | None, float]:
    data, modified = _read_any(path, modified)
    return (data if isinstance(data, dict) else None), modified


@lru_cache(maxsize=64)
def _read_any(path: Path, modified: float) -> tuple[Any, float]:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), modified
    except (OSError, yaml.YAMLError):
        logger.warning("cannot read the recipe file %s", path.name)
        return None, modified


@router.get("/recipes")
def list_recipes(page: Page = Depends(signed_in)) -> HTMLResponse:
    return _render(page)


@router.post("/recipes/{key}/import", response_model=None)
def import_recipe(key: str, checked: tuple[Page, dict[str, str]] = Depends(signed_in_form)) -> HTMLResponse | RedirectResponse:
    page, _form = checked
    found = next((recipe for recipe in load_recipes(recipes_dir()) if recipe["key"] == key), None)
    if found is None:
        return page.render("error.html", status_code=404, title=_l("Recipe not found"),
                           message=_l("No recipe is named {name}.", name=key), back="/recipes")
    data = dict(found["data"])
    data["name"] = in_locale(found["names"], page.locale, data.get("name") or found["key"])
    data["description"] = in_locale(found["descriptions"], page.locale, data.get("description") or "")
    if data.get("id") and data["id"] in automation_names(page.runtime.db):
        return _render(page, error=_l("This recipe is already imported as the automation {id}.", id=data["id"]),
                       status_code=409)
    try:
        summary = page.runtime.automations.save(data, check_connections=False)
    except DocumentError as error:
        return _render(page, error=error.message, status_code=422)
    if found["sample"]:
        save_sample(page.runtime, summary["id"], Sample(found["sample"], "recipe"))
    logger.info("recipe imported", extra={"automation_id": summary["id"]})
    return page.redirect(f"/automations/{summary['id']}?done=imported")


def _render(page: Page, error: Any = None, status_code: int = 200) -> HTMLResponse:
    existing = connection_names(page.runtime.db)
    imported = automation_names(page.runtime.db)
    recipes = []
    for recipe in load_recipes(recipes_dir()):
        document = recipe["document"]
        recipes.append({
            **localized_recipe(recipe, page.locale),
            "needs": connection_needs(document, existing),
            "imported": bool(document.id and document.id in imported),
        })
    imports = [
        {"key": entry.get("key"), "name": in_locale(entry.get("name") or {}, page.locale, ""),
         "description": in_locale(entry.get("description") or {}, page.locale, ""),
         "command": _command(entry.get("command"), page.locale), "docs": in_locale(entry.get("docs") or {}, page.locale, "")}
        for entry in load_gallery(recipes_dir()) if entry.get("command")
    ]
    return page.render("recipes.html", status_code=status_code, section="automations", recipes=recipes,
                       imports=imports, apps=page.runtime.apps, app_name=app_name, error=error)


def _command(command: Any, locale: str) -> str:
    # A command is one string, or one per locale when its example values are in words.
    if isinstance(command, dict):
        return in_locale(command, locale, "")
    return str(command or "")
