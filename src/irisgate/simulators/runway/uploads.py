"""Ephemeral uploads: `POST /v1/uploads` hands out a presigned-POST form (`uploadUrl` + `fields`) and a
`runway://` URI; the client POSTs multipart (`fields` + `file`) to `uploadUrl` (served by this
simulator at `/__upload/<id>`, S3-like: 204 on success, XML errors), and the URI then works as an
image or video input until it expires (knob `uploads_expired`; the real ones live 24 h).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.responses import Response

from ..common.images import sniff_image
from .issues import invalid_type, invalid_value, too_small

UPLOAD_PATH_PREFIX = "/__upload/"
RUNWAY_URI_PREFIX = "runway://"
UPLOAD_MAX_BYTES = 200 * 1024 * 1024

_EXTENSION_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
}
_SNIFFED_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


def sniff_media_type(data: bytes, filename: str = "") -> str | None:
    """The Content-Type of uploaded bytes: magic bytes first, then the file name's extension."""
    image = sniff_image(data)
    if image in _SNIFFED_TYPES:
        return _SNIFFED_TYPES[image]
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return _EXTENSION_TYPES.get(filename.rsplit(".", 1)[-1].lower()) if "." in filename else None


@dataclass
class Upload:
    upload_id: str
    filename: str
    key: str
    api_key: str | None
    created: float
    data: bytes | None = None
    content_type: str | None = None

    @property
    def uri(self) -> str:
        return RUNWAY_URI_PREFIX + self.upload_id


class UploadStore:
    def __init__(self) -> None:
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def create(self, filename: str, api_key: str | None) -> Upload:
        upload_id = str(uuid.uuid4())
        key = f"uploads/{upload_id}/{filename}"
        upload = Upload(upload_id, filename, key, api_key, time.time())
        with self._lock:
            self._uploads[upload_id] = upload
        return upload

    def get(self, upload_id: str) -> Upload | None:
        with self._lock:
            return self._uploads.get(upload_id)

    def resolve(self, uri: str) -> Upload | None:
        """The finished upload a `runway://` URI names, or None."""
        upload = self.get(uri[len(RUNWAY_URI_PREFIX) :])
        return upload if upload is not None and upload.data is not None else None

    def clear(self) -> None:
        with self._lock:
            self._uploads.clear()


def check_upload_request(body: Any) -> list[dict[str, Any]]:
    """Zod issues for `{"filename": str, "type": "ephemeral"}`."""
    if not isinstance(body, dict):
        return [invalid_type([], "object", body)]
    issues = []
    filename = body.get("filename")
    if not isinstance(filename, str):
        issues.append(invalid_type(["filename"], "string", filename, missing="filename" not in body))
    elif not filename:
        issues.append(too_small(["filename"], "string", 1))
    if body.get("type") != "ephemeral":
        issues.append(invalid_value(["type"], ("ephemeral",)))
    return issues


def presigned_form(upload: Upload) -> dict[str, str]:
    """S3-presigned-POST-looking fields; only `key` is checked when the file arrives."""
    policy = {"expiration": "2099-01-01T00:00:00Z", "conditions": [{"key": upload.key}]}
    encoded = base64.b64encode(orjson.dumps(policy)).decode()
    return {
        "key": upload.key,
        "x-amz-algorithm": "AWS4-HMAC-SHA256",
        "x-amz-credential": "SIMULATED/20241106/us-east-1/s3/aws4_request",
        "x-amz-date": "20241106T000000Z",
        "policy": encoded,
        "x-amz-signature": hashlib.sha256(encoded.encode()).hexdigest(),
    }


def s3_error(code: str, message: str) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f"{head}<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()


def s3_error_response(status: int, code: str, message: str) -> Response:
    return Response(s3_error(code, message), status_code=status, media_type="application/xml")
