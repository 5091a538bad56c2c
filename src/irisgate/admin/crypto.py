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

from cryptography.fernet import Fernet, InvalidToken

from irisgate.admin.appfiles import read_or_create
from irisgate.schemas.errors import GatewayError

ENV_ENCRYPTION_KEY = "IRISGATE_ENCRYPTION_KEY"
KEY_FILE = "encryption.key"


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(_fernet_key(key))

    @classmethod
    def for_app_dir(cls, app_dir: Path) -> SecretBox:
        configured = os.environ.get(ENV_ENCRYPTION_KEY, "").strip()
        if configured:
            return cls(configured)
        key, _ = read_or_create(app_dir / KEY_FILE, lambda: Fernet.generate_key().decode())
        return cls(key)

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
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
