"""Encryption of stored secrets (API tokens, webhook secrets) with Fernet.

The key comes from :meth:`arrimage.config.Settings.fernet_key` and never enters the database.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken


class SecretDecryptionError(Exception):
    """A stored secret cannot be decrypted: the secret key is not the one that encrypted it."""


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
            raise SecretDecryptionError(
                "A stored secret cannot be decrypted: the secret key differs from the one used "
                "to save it. Restore the backed-up key (ARRIMAGE_SECRET_KEY or data/secret.key)."
            ) from exc

    def encrypt_json(self, value: dict[str, Any]) -> bytes:
        """Return a JSON object encrypted."""
        return self.encrypt_text(json.dumps(value, separators=(",", ":")))

    def decrypt_json(self, token: bytes) -> dict[str, Any]:
        """Return the JSON object that :meth:`encrypt_json` encrypted."""
        value = json.loads(self.decrypt_text(token))
        if not isinstance(value, dict):
            raise SecretDecryptionError("A stored secret is not a JSON object.")
        return value
