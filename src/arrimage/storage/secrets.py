"""Encryption of stored secrets (API tokens, webhook secrets) with Fernet.

The key comes from :meth:`arrimage.config.Settings.fernet_key` and never enters the database.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import exists, select

from arrimage.engine.errors import ArrimageError
from arrimage.i18n import _l
from arrimage.storage.database import Database
from arrimage.storage.models import Automation, Connection


class SecretDecryptionError(ArrimageError):
    """A stored secret cannot be decrypted: the secret key is not the one that encrypted it.

    Trying again does not help, so a step that meets it fails at once with this message.
    """

    code = "secret_key_mismatch"


class SecretBox:
    """Encrypt and decrypt small values with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt_text(self, text: str) -> bytes:
        """Return ``text`` encrypted (Fernet tokens are authenticated and carry a timestamp)."""
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt_text(self, token: bytes) -> str:
        """Return the text that :meth:`encrypt_text` encrypted."""
        try:
            return self._fernet.decrypt(token).decode("utf-8")
        except InvalidToken as exc:
            raise SecretDecryptionError(_l(
                "A stored secret cannot be decrypted: the secret key differs from the one used "
                "to save it. Restore the backed-up key: set ARRIMAGE_SECRET_KEY, or put the file "
                "secret.key back in the data folder.")) from exc

    def encrypt_json(self, value: dict[str, Any]) -> bytes:
        """Return a JSON object encrypted."""
        return self.encrypt_text(json.dumps(value, separators=(",", ":")))

    def decrypt_json(self, token: bytes) -> dict[str, Any]:
        """Return the JSON object that :meth:`encrypt_json` encrypted."""
        value = json.loads(self.decrypt_text(token))
        if not isinstance(value, dict):
            raise SecretDecryptionError(_l("A stored secret is not a JSON object."))
        return value


def holds_encrypted_secrets(db: Database) -> bool:
    """Return whether the database contains a value encrypted with the secret key.

    Connections keep their secrets encrypted, and every automation its webhook secret.
    """
    with db.read() as connection:
        return bool(connection.scalar(select(exists(select(Connection.id)) | exists(select(Automation.id)))))
