"""Standard Webhooks signatures (https://www.standardwebhooks.com), as the OpenAI SDK's
`client.webhooks.unwrap` verifies them.

A secret is ``whsec_`` and the base64 of 32 random bytes. A message is signed as
``v1,`` + base64(HMAC-SHA256(secret bytes, "<webhook-id>.<webhook-timestamp>.<body>")); the
``webhook-signature`` header holds one such signature per secret in force, separated by spaces (two
for a while after a rotation that keeps the old secret). The scheme is implemented here, in a few
lines over the exact bytes sent, and checked in the tests against the `standardwebhooks` package
and the OpenAI SDK's `verify_signature`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(os.urandom(SECRET_BYTES)).decode("ascii")


def secret_hint(secret: str) -> str:
    """What may be shown of a secret: its prefix and last four characters, e.g. ``whsec_…abcd``."""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


def signed_headers(
    message_id: str, body: bytes, secrets: Sequence[str], timestamp: int | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers of one send (its timestamp is now: each attempt is
    signed afresh, so a retry a day later still passes the receiver's 5-minute tolerance)."""
    when = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(when),
        "webhook-signature": " ".join(signature(secret, message_id, when, body) for secret in secrets),
    }
