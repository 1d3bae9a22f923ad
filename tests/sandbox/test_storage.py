"""Tests of SQLite file storage, seed files, the admin state and the French catalogue."""

from __future__ import annotations

import ast
import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from babel.messages.pofile import read_po

from arrimage.i18n import LOCALES_DIR, placeholders
from arrimage.sandbox import SandboxConfig, create_app
from arrimage.sandbox.seed import SeedError

from .conftest import SandboxServer
from .helpers import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}
SANDBOX_SOURCES = Path(__file__).parents[2] / "src" / "arrimage" / "sandbox"


def test_sqlite_file_survives_restart(
    tmp_path: Path, start_sandbox: Callable[..., SandboxServer]
) -> None:
    first = start_sandbox(data_dir=tmp_path)
    created = httpx.post(f"{first.base_url}/members", headers=AUTH, json={"email": "a@example.com"})
    assert created.status_code == 201
    first.stop()
    assert (tmp_path / "sandbox.db").exists()

    second = start_sandbox(data_dir=tmp_path)
    member = httpx.get(f"{second.base_url}/members/a@example.com", headers=AUTH)
    assert member.json()["id"] == created.json()["id"]


def test_yaml_seed(tmp_path: Path, start_sandbox: Callable[..., SandboxServer]) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text(
        "groups:\n"
        "  - {id: 7, title: Infolettre, isPublic: true, createdOn: '2024-01-02 03:04:05'}\n"
        "members:\n"
        "  - {email: zoe@example.com, firstname: Zoé, groups: [7], joinedOn: '2024-02-03 10:00'}\n",
        encoding="utf-8",
    )
    server = start_sandbox(seed=seed)
    body = httpx.get(f"{server.base_url}/groups/7/members", headers=AUTH).json()
    assert [m["firstname"] for m in body["members"]] == ["Zoé"]
    assert body["members"][0]["joinedOn"] == "2024-02-03 10:00:00.000"


def test_invalid_seed_names_member(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps({"members": [{"email": "bad", "joinedOn": "2024-01-01 00:00:00"}]}),
        encoding="utf-8",
    )
    with pytest.raises(SeedError, match="member 0"):
        create_app(SandboxConfig(seed=seed))


def test_state_and_reset(client: httpx.Client) -> None:
    client.post("/members", json={"email": "a@example.com"})
    state = client.get("/_sandbox/state").json()
    assert len(state["tables"]["members"]) == 11
    assert state["faults"]["settings"]["fail_next"] == 0
    client.post("/_sandbox/reset")
    assert len(client.get("/_sandbox/state").json()["tables"]["members"]) == 10


def test_admin_needs_token(client: httpx.Client) -> None:
    assert httpx.post(f"{client.base_url}/_sandbox/reset").status_code == 401


def _msgids_in_code() -> set[str]:
    found = set()
    for path in SANDBOX_SOURCES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "_l")
            ):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path}: msgid must be a literal"
                found.add(first.value)
    return found


def test_french_catalogue_complete() -> None:
    with (LOCALES_DIR / "fr_CA" / "LC_MESSAGES" / "sandbox.po").open("rb") as po_file:
        catalog = read_po(po_file, locale="fr_CA")
    entries = {str(message.id): message for message in catalog if message.id}
    assert set(entries) == _msgids_in_code()
    for msgid, message in entries.items():
        assert not message.fuzzy, msgid
        assert message.string, msgid
        assert placeholders(msgid) == placeholders(str(message.string)), msgid
