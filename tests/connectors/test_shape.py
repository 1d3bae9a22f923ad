"""Every connector package has the same shape: APP, samples, QUALITY.yaml and translated labels."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from babel.messages.pofile import read_po

import arrimage.connectors
from arrimage.connectors.declaration import App, Operation
from arrimage.connectors.registry import CONNECTOR_MODULES, all_apps
from arrimage.i18n import LOCALES_DIR, LazyText

CONNECTORS_DIR = Path(arrimage.connectors.__file__).parent
ALL_PACKAGES = sorted(
    path.name for path in CONNECTORS_DIR.iterdir()
    if path.is_dir() and not path.name.startswith(("_", "."))
)
QUALITY_STATUSES = {"done", "todo", "exempt"}


def checklist_of(package: str) -> object:
    quality_path = CONNECTORS_DIR / package / "QUALITY.yaml"
    if not quality_path.is_file():
        return None
    return yaml.safe_load(quality_path.read_text(encoding="utf-8"))


def is_under_construction(package: str) -> bool:
    """Return whether the package's checklist marks its declaration as still to do."""
    checklist = checklist_of(package)
    return isinstance(checklist, dict) and str(checklist.get("declaration", "")).startswith("todo")


# A connector being built has "declaration: todo" in its QUALITY.yaml. It is not registered and
# has no APP yet, but every other rule of the shape applies to it.
UNDER_CONSTRUCTION = [package for package in ALL_PACKAGES if is_under_construction(package)]
PACKAGES = [package for package in ALL_PACKAGES if package not in UNDER_CONSTRUCTION]


def load_app(package: str) -> App:
    module = importlib.import_module(f"arrimage.connectors.{package}")
    app = getattr(module, "APP", None)
    assert isinstance(app, App), f"arrimage.connectors.{package} has no APP"
    return app


def operations() -> Iterator[tuple[str, Operation]]:
    for package in PACKAGES:
        app = load_app(package)
        for operation in (*app.triggers, *app.actions, *app.searches):
            yield package, operation


OPERATIONS = list(operations())
OPERATION_IDS = [f"{package}.{operation.key}" for package, operation in OPERATIONS]


def operation_texts(operation: Operation) -> list[LazyText]:
    texts = [operation.noun, operation.label, operation.description]
    for field in operation.fields:
        texts.append(field.label)
        if field.help is not None:
            texts.append(field.help)
    return texts


def french_catalogue() -> dict[str, str]:
    """Return every reviewed French entry: message id to its non-empty, non-fuzzy translation."""
    entries: dict[str, str] = {}
    for po_path in sorted((LOCALES_DIR / "fr_CA" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale="fr_CA")
        for message in catalog:
            if message.id and isinstance(message.string, str) and message.string and not message.fuzzy:
                entries[str(message.id)] = message.string
    return entries


def test_packages_found() -> None:
    assert PACKAGES, f"no connector package under {CONNECTORS_DIR}"


def test_registry_lists_every_package() -> None:
    assert sorted(CONNECTOR_MODULES) == sorted(f"arrimage.connectors.{name}" for name in PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_package_has_init_with_app(package: str) -> None:
    assert (CONNECTORS_DIR / package / "__init__.py").is_file()
    app = load_app(package)
    assert all_apps()[app.key] is app


@pytest.mark.parametrize("package", PACKAGES)
def test_package_has_json_samples(package: str) -> None:
    samples = sorted((CONNECTORS_DIR / package / "samples").glob("*.json"))
    assert samples, f"{package}/samples/ has no JSON file"
    for sample_path in samples:
        assert isinstance(json.loads(sample_path.read_text(encoding="utf-8")), dict), sample_path.name


@pytest.mark.parametrize("package", UNDER_CONSTRUCTION or ["-"])
def test_unfinished_package_not_registered(package: str) -> None:
    if package == "-":
        pytest.skip("no connector is under construction")
    assert f"arrimage.connectors.{package}" not in CONNECTOR_MODULES
    assert (CONNECTORS_DIR / package / "__init__.py").is_file()


@pytest.mark.parametrize("package", ALL_PACKAGES)
def test_package_has_quality_checklist(package: str) -> None:
    quality_path = CONNECTORS_DIR / package / "QUALITY.yaml"
    assert quality_path.is_file()
    checklist = yaml.safe_load(quality_path.read_text(encoding="utf-8"))
    assert isinstance(checklist, dict)
    assert checklist
    unknown = {rule: status for rule, status in checklist.items() if status not in QUALITY_STATUSES}
    assert unknown == {}


@pytest.mark.parametrize(("package", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_operation_sample_matches_file(package: str, operation: Operation) -> None:
    sample_path = CONNECTORS_DIR / package / "samples" / f"{operation.key}.json"
    assert sample_path.is_file()
    assert dict(operation.sample) == json.loads(sample_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("package", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_operation_has_english_labels(package: str, operation: Operation) -> None:
    for text in operation_texts(operation):
        assert text.render("en").strip(), f"{package}.{operation.key}: empty text {text!r}"


@pytest.mark.parametrize(("package", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_operation_has_french_labels(package: str, operation: Operation) -> None:
    french = french_catalogue()
    missing = [text.message for text in operation_texts(operation) if text.message not in french]
    assert missing == []

