"""Admin authentication: one admin token; browser sessions in signed cookies; CSRF tokens.

The token comes from the config file (`admin_token`), else `IRISGATE_ADMIN_TOKEN`, else a file
irisgate generates in the app dir at first start (`irisgate serve` then prints a login URL once,
as Jupyter does). `/api` takes `Authorization: Bearer <token>` or a session cookie; a session is
stateless (expiry, nonce, HMAC keyed by the token), so every worker and replica accepts it, and
changing the token ends every session. Signing out ends one session everywhere: its nonce goes into
the store's `revoked_sessions`, which the guard (`server/admin_guard.py`) checks for every cookie.
Requests that change something with a session must carry the session's CSRF token (header
`X-CSRF-Token` or form field `csrf_token`).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from irisgate.admin.appfiles import read_or_create
from irisgate.config import GatewayConfig

ENV_ADMIN_TOKEN = "IRISGATE_ADMIN_TOKEN"
TOKEN_FILE = "admin_token"
SESSION_COOKIE = "irisgate_session"
SESSION_SECONDS = 12 * 3600
CSRF_HEADER = "x-csrf-token"


def resolve_admin_token(config: GatewayConfig, app_dir: Path) -> tuple[str, bool]:
    """The admin token and whether it was generated just now."""
    if config.admin_token:
        return config.admin_token, False
    from_env = os.environ.get(ENV_ADMIN_TOKEN, "").strip()
    if from_env:
        return from_env, False
    return read_or_create(app_dir / TOKEN_FILE, lambda: "iris-admin-" + secrets.token_urlsafe(24))


@dataclass(frozen=True)
class Session:
    nonce: str
    expires: int  # Unix time


class AdminAuth:
    def __init__(self, token: str) -> None:
        self._token = token.encode()
        self._key = hmac.new(b"irisgate-session-v1", self._token, hashlib.sha256).digest()

    def token_ok(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self._token)

    def bearer_ok(self, authorization: str | None) -> bool:
        scheme, _, value = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and self.token_ok(value.strip())

    def new_session(self, now: float | None = None) -> str:
        expires = int((now or time.time()) + SESSION_SECONDS)
        payload = f"{expires}.{secrets.token_urlsafe(16)}"
        return f"{payload}.{self._sign('session', payload)}"

    def session(self, cookie: str | None, now: float | None = None) -> Session | None:
        """The session of a genuine, unexpired cookie (signed-out or not: that is the store's to say)."""
        try:
            expires, nonce, signature = (cookie or "").split(".")
        except ValueError:
            return None
        if not _same(signature, self._sign("session", f"{expires}.{nonce}")):
            return None
        if not (expires.isascii() and expires.isdigit()) or int(expires) < (now or time.time()):
            return None
        return Session(nonce, int(expires))

    def session_nonce(self, cookie: str | None, now: float | None = None) -> str | None:
        """The session's nonce if the cookie is genuine and unexpired, else None."""
        session = self.session(cookie, now)
        return session.nonce if session else None

    def csrf_token(self, nonce: str) -> str:
        return self._sign("csrf", nonce)

    def csrf_ok(self, nonce: str, candidate: str | None) -> bool:
        return bool(candidate) and _same(str(candidate), self.csrf_token(nonce))

    def _sign(self, purpose: str, payload: str) -> str:
        return hmac.new(self._key, f"{purpose}:{payload}".encode(), hashlib.sha256).hexdigest()[:48]


def _same(candidate: str, expected: str) -> bool:
    """A constant-time comparison that takes any text: `compare_digest` raises on non-ASCII `str`, and a
    hostile cookie or header must be refused, not turned into a 500."""
    return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), expected.encode())
