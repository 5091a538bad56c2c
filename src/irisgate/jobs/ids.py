"""Video ids: opaque, URL-safe, `video_…`, and self-routing.

An id carries the provider, the id of the key that created the job and the
provider's task id, so any instance that shares the configuration can serve it
with the same key even when its job record is missing. Encoding: the job's seq
(16 lowercase hex digits: the creation time in milliseconds and a counter;
`store/job_seqs.py`), then base64url (no padding) of a version byte and either
packed UUIDs (v1: provider code, key UUID, task UUID: 34 bytes) or, for ids
that are not UUIDs, text (v2).

The seq is the job table's primary key: the store finds a job's row from its id
alone, with no index of ids for a create to write, and ids sort by creation.
Ids made before still decode: those that begin with the creation time alone (12
hex digits) and the first ones (they start with "A", never a hex digit).
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import uuid
from dataclasses import dataclass

from irisgate.schemas.errors import GatewayError
from irisgate.store.job_seqs import ID_PREFIX, SEQ_DIGITS, new_seq

PREFIX = ID_PREFIX
PROVIDER_CODES = {"runware": 1, "runway": 2}
PROVIDERS_BY_CODE = {code: name for name, code in PROVIDER_CODES.items()}
SEPARATOR = "\x1f"
MAX_ID_LENGTH = 512
# What a key id or a provider's task id may be in a v2 id: it ends up in a provider URL path, so no
# '/', '%', '?', '#' and no dot segments (a forged id must not walk the provider's API with our key).
CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SAFE_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,199}$")
# What an id's body begins with before its packed ref (whose version byte makes an "A"): a seq, or in
# ids made before seqs, the creation time alone (12 hex digits of milliseconds), or nothing.
STAMP = re.compile(f"(?:[0-9a-f]{{{SEQ_DIGITS}}}|[0-9a-f]{{12}})(?=A)")


@dataclass(frozen=True)
class VideoRef:
    provider: str
    key_id: str
    upstream_id: str


def encode_video_id(ref: VideoRef, seq: int | None = None) -> str:
    """The id of a job made now (a new seq), or of the job with ``seq``."""
    packed = _pack_uuids(ref)
    if packed is None:
        packed = b"\x02" + SEPARATOR.join((ref.provider, ref.key_id, ref.upstream_id)).encode()
    stamp = f"{new_seq() if seq is None else seq:0{SEQ_DIGITS}x}"
    return PREFIX + stamp + base64.urlsafe_b64encode(packed).rstrip(b"=").decode("ascii")


@functools.lru_cache(maxsize=8192)  # a job is polled again and again; refs are immutable
def decode_video_id(video_id: str) -> VideoRef:
    """The ref inside an id; anything that is not an id irisgate made is a 404."""
    if not video_id.startswith(PREFIX) or len(video_id) > MAX_ID_LENGTH:
        raise not_found(video_id)
    body = video_id[len(PREFIX) :]
    stamp = STAMP.match(body)
    if stamp is not None:
        body = body[stamp.end() :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise not_found(video_id) from None
    if len(raw) == 34 and raw[0] == 1 and raw[1] in PROVIDERS_BY_CODE:
        return VideoRef(
            PROVIDERS_BY_CODE[raw[1]], str(uuid.UUID(bytes=raw[2:18])), str(uuid.UUID(bytes=raw[18:]))
        )
    if raw[:1] == b"\x02":
        try:
            parts = raw[1:].decode().split(SEPARATOR)
        except UnicodeDecodeError:
            raise not_found(video_id) from None
        if len(parts) == 3 and parts[0] in PROVIDER_CODES and all(map(SAFE_PART.match, parts[1:])):
            return VideoRef(*parts)
    raise not_found(video_id)


def not_found(video_id: str) -> GatewayError:
    shown = video_id if len(video_id) <= 80 else video_id[:80] + "…"
    return GatewayError(404, f"No video with id '{shown}'", code="video_not_found", param="video_id")


def _pack_uuids(ref: VideoRef) -> bytes | None:
    """v1: both ids in canonical UUID text (lowercase, hyphenated), so that decoding gives them back."""
    code = PROVIDER_CODES.get(ref.provider)
    if (
        code is None
        or not CANONICAL_UUID.fullmatch(ref.key_id)
        or not CANONICAL_UUID.fullmatch(ref.upstream_id)
    ):
        return None
    return bytes([1, code]) + bytes.fromhex(ref.key_id.replace("-", "") + ref.upstream_id.replace("-", ""))
