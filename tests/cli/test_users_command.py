"""``arrimage users``: web app accounts created and changed from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from arrimage.config import Settings
from arrimage.runtime import Runtime
from arrimage.web.auth import sign_in

PASSWORD = "a long enough password"


def run_users(tmp_path: Path, *args: str, typed: str, lang: str = "en_US.UTF-8") -> subprocess.CompletedProcess[str]:
    inherited = {name: value for name, value in os.environ.items()
                 if not name.startswith("ARRIMAGE_") and name not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    return subprocess.run(
        [sys.executable, "-m", "arrimage", "users", *args],
        env={**inherited, "LANG": lang, "ARRIMAGE_DATA_DIR": str(tmp_path / "data")},
        input=typed, capture_output=True, text=True, timeout=60, check=False,
    )


def test_users_create_then_sign_in(tmp_path: Path) -> None:
    created = run_users(tmp_path, "create", "Admin@Example.com", typed=f"{PASSWORD}\n{PASSWORD}\n")

    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    try:
        result = sign_in(runtime, "admin@example.com", PASSWORD, "127.0.0.1")
    finally:
        runtime.close()
    assert created.returncode == 0, created.stderr
    assert "Created the account admin@example.com" in created.stdout
    assert result.user is not None


def test_users_create_rejects_short_password(tmp_path: Path) -> None:
    created = run_users(tmp_path, "create", "admin@example.com", typed="short\nshort\n")

    assert created.returncode == 2
    assert "at least 12 characters" in created.stderr
    assert not (tmp_path / "data" / "arrimage.db").exists()


def test_users_create_rejects_taken_address(tmp_path: Path) -> None:
    run_users(tmp_path, "create", "admin@example.com", typed=f"{PASSWORD}\n{PASSWORD}\n")

    again = run_users(tmp_path, "create", "admin@example.com", typed=f"{PASSWORD}\n{PASSWORD}\n")

    assert again.returncode == 1
    assert "already exists" in again.stderr


def test_users_password_changes_it(tmp_path: Path) -> None:
    run_users(tmp_path, "create", "admin@example.com", typed=f"{PASSWORD}\n{PASSWORD}\n")
    new_password = PASSWORD + " changed"

    changed = run_users(tmp_path, "password", "admin@example.com", typed=f"{new_password}\n{new_password}\n")

    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    try:
        old = sign_in(runtime, "admin@example.com", PASSWORD, "127.0.0.1")
        new = sign_in(runtime, "admin@example.com", new_password, "127.0.0.1")
    finally:
        runtime.close()
    assert changed.returncode == 0, changed.stderr
    assert old.user is None
    assert new.user is not None


def test_users_token_opens_the_api(tmp_path: Path) -> None:
    run_users(tmp_path, "create", "admin@example.com", typed=f"{PASSWORD}\n{PASSWORD}\n")

    made = run_users(tmp_path, "token", "admin@example.com", "--name", "script", typed="")
    missing = run_users(tmp_path, "token", "nobody@example.com", typed="")

    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert "\n" not in token
    assert "shown only once" in made.stderr
    runtime = Runtime(Settings(data_dir=tmp_path / "data"))
    try:
        user = runtime.users.find_api_token(token)
    finally:
        runtime.close()
    assert user is not None
    assert user.email == "admin@example.com"
    assert missing.returncode == 1
    assert "No account has the address nobody@example.com" in missing.stderr


def test_french_prompts_have_spaced_colon(tmp_path: Path) -> None:
    run_users(tmp_path, "create", "admin@example.com", typed=f"{PASSWORD}\n{PASSWORD}\n")

    changed = run_users(tmp_path, "password", "admin@example.com", typed=f"{PASSWORD}\n{PASSWORD}\n",
                        lang="fr_CA.UTF-8")

    assert changed.returncode == 0, changed.stderr
    assert "Mot de passe\u00a0:" in changed.stdout
    assert "Répétez le mot de passe\u00a0:" in changed.stdout
    assert "passe:" not in changed.stdout


def test_different_repeat_asked_again(tmp_path: Path) -> None:
    other = PASSWORD + " other"

    created = run_users(tmp_path, "create", "admin@example.com",
                        typed=f"{PASSWORD}\n{other}\n{PASSWORD}\n{PASSWORD}\n", lang="fr_CA.UTF-8")

    assert created.returncode == 0, created.stderr
    assert "Les deux mots de passe diffèrent" in created.stderr
    assert "do not match" not in created.stderr + created.stdout
