"""Provider secrets typed into the admin API are stored encrypted (Fernet).

The key comes from `IRISGATE_ENCRYPTION_KEY` (a Fernet key, or any passphrase, which is
stretched with SHA-256), else from `encryption.key` in the app dir, generated on first use.
Every instance sharing a store must share this key.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from irisgate.admin.appfiles import read_or_create
from irisgate.schemas.errors import GatewayError

ENV_ENCRYPTION_KEY = "IRISGATE_ENCRYPTION_KEY"
KEY_FILE = "encryption.key"


class SecretBox:
    """Fernet, loaded on first use: a gateway whose keys all come from the config file or the
    environment never imports `cryptography` (about 7 MB less per worker)."""

    def __init__(self, key: str) -> None:
        self._key = _fernet_key(key)
        self._cipher: Any = None

    @classmethod
    def for_app_dir(cls, app_dir: Path) -> SecretBox:
        configured = os.environ.get(ENV_ENCRYPTION_KEY, "").strip()
        if configured:
            return cls(configured)
        key, _ = read_or_create(app_dir / KEY_FILE, lambda: base64.urlsafe_b64encode(os.urandom(32)).decode())
        return cls(key)

    @property
    def _fernet(self) -> Any:
        if self._cipher is None:
            from cryptography.fernet import Fernet

            self._cipher = Fernet(self._key)
        return self._cipher

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise GatewayError(
                500,
                f"A stored provider key cannot be decrypted: is {ENV_ENCRYPTION_KEY} (or {KEY_FILE}) the one "
                "it was saved with?",
                code="secret_undecryptable",
            ) from None


def _fernet_key(key: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(key.encode())) == 32:
            return key.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest())
