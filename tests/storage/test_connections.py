"""Connection storage: unique names per app, and the secret key that encrypts their secrets."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet

from arrimage.config import SECRET_KEY_FILE, ConfigurationError, Settings
from arrimage.engine.errors import ArrimageError, ConflictError
from arrimage.ids import new_id
from arrimage.runtime import Runtime
from arrimage.storage.models import Connection
from arrimage.storage.secrets import SecretBox, SecretDecryptionError, holds_encrypted_secrets

HTTP_VALUES = {"auth_header_name": "X-Token", "auth_header_value": "tok-1"}


def add_http(runtime: Runtime, name: str) -> dict[str, object]:
    return runtime.connections.create(runtime.apps["http"], name, dict(HTTP_VALUES))


def test_create_rejects_taken_name(runtime: Runtime) -> None:
    first = add_http(runtime, "Partner")

    with pytest.raises(ConflictError) as raised:
        add_http(runtime, " Partner ")

    english = raised.value.message.render("en")
    french = raised.value.message.render("fr_CA")
    assert "'Partner'" in english
    assert str(first["id"]) in english
    assert "choose another name" in english
    assert str(first["id"]) in french
    assert "choisissez-en un autre" in french
    assert [entry["id"] for entry in runtime.connections.list()] == [first["id"]]


def test_same_name_for_other_app_allowed(runtime: Runtime) -> None:
    add_http(runtime, "boutique")

    other = runtime.connections.create(runtime.apps["shopify"], "boutique", {"signing_secret": "s"})

    assert other["name"] == "boutique"
    assert len(runtime.connections.list()) == 2


def test_rename_rejects_taken_name(runtime: Runtime) -> None:
    first = add_http(runtime, "Partner")
    second = add_http(runtime, "Partner (test)")
    app = runtime.apps["http"]

    with pytest.raises(ConflictError) as raised:
        runtime.connections.update(str(second["id"]), app, name="Partner")
    kept = runtime.connections.update(str(first["id"]), app, name="Partner")

    assert str(first["id"]) in raised.value.message.render("en")
    assert runtime.connections.get(str(second["id"]))["name"] == "Partner (test)"
    assert kept["name"] == "Partner"


def test_resolve_reports_stored_duplicates(runtime: Runtime) -> None:
    add_http(runtime, "Partner")
    # A database written before names were unique may hold two connections with one name.
    now = datetime.now(timezone.utc)
    with runtime.db.session() as session:
        session.add(Connection(id=new_id("con"), app="http", name="Partner", config={},
                               secrets=runtime.box.encrypt_json({}), created_at=now, updated_at=now))

    with pytest.raises(ConflictError) as raised:
        runtime.connections.resolve("Partner", "http")

    assert "Several http connections are named 'Partner'" in raised.value.message.render("en")


def test_wrong_key_error_in_both_languages() -> None:
    token = SecretBox(Fernet.generate_key()).encrypt_json({"token": "t"})

    with pytest.raises(SecretDecryptionError) as raised:
        SecretBox(Fernet.generate_key()).decrypt_json(token)

    assert isinstance(raised.value, ArrimageError)
    assert "ARRIMAGE_SECRET_KEY" in raised.value.message.render("en")
    assert "ne peut pas être déchiffré" in raised.value.message.render("fr_CA")


def test_holds_encrypted_secrets(runtime: Runtime) -> None:
    before = holds_encrypted_secrets(runtime.db)
    add_http(runtime, "Partner")

    assert before is False
    assert holds_encrypted_secrets(runtime.db) is True


def test_missing_key_with_secrets_refused(settings: Settings, runtime: Runtime) -> None:
    add_http(runtime, "Partner")
    runtime.close()
    key_file = settings.data_dir / SECRET_KEY_FILE
    key_file.unlink()

    with pytest.raises(ConfigurationError) as raised:
        Runtime(settings)

    message = str(raised.value)
    assert str(key_file) in message
    assert "ARRIMAGE_SECRET_KEY" in message
    assert not key_file.exists()


def test_missing_key_without_secrets_created(settings: Settings, runtime: Runtime) -> None:
    runtime.users.create("admin@example.com", "not-a-real-hash")
    runtime.close()
    key_file = settings.data_dir / SECRET_KEY_FILE
    key_file.unlink()

    restarted = Runtime(settings)
    restarted.close()

    assert key_file.exists()


def test_resolve_sees_updated_secret(runtime: Runtime) -> None:
    app = runtime.apps["cyberimpact"]
    created = runtime.connections.create(app, "main", {"token": "first", "base_url": "http://127.0.0.1:1"})

    assert runtime.connections.resolve("main", "cyberimpact").secrets == {"token": "first"}
    runtime.connections.update(created["id"], app, values={"token": "second"})

    assert runtime.connections.resolve("main", "cyberimpact").secrets == {"token": "second"}
    assert runtime.connections.resolve(created["id"], "cyberimpact").secrets == {"token": "second"}


def test_resolved_secrets_are_copies(runtime: Runtime) -> None:
    app = runtime.apps["cyberimpact"]
    runtime.connections.create(app, "main", {"token": "kept", "base_url": "http://127.0.0.1:1"})

    runtime.connections.resolve("main", "cyberimpact").secrets["token"] = "changed by a caller"

    assert runtime.connections.resolve("main", "cyberimpact").secrets == {"token": "kept"}


def test_connection_repr_hides_secrets(runtime: Runtime) -> None:
    app = runtime.apps["cyberimpact"]
    runtime.connections.create(app, "main", {"token": "hidden-token", "base_url": "http://127.0.0.1:1"})

    representation = repr(runtime.connections.resolve("main", "cyberimpact"))

    assert "hidden-token" not in representation
    assert "main" in representation
