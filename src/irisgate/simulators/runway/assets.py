"""Asset inputs (promptImage, videoUri, reference and keyframe URIs): HTTPS URLs, data URIs and
`runway://` uploads, checked as the real API does before it accepts a task (reference §2.4).

A bad asset is a 400 `{"error": "<field>: <reason>"}` with the documented reasons ("Invalid data URI.",
"Unsupported asset type.", "Only HTTPS URLs are allowed.", "URLs must be hosted on a domain.", ...).
With the `fetch_url_inputs` knob, URL inputs are fetched: HEAD then GET, redirects refused, and the
Content-Type must be a supported type of the field's kind.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..common.images import sniff_image
from .errors import ApiError
from .uploads import RUNWAY_URI_PREFIX, UploadStore, sniff_media_type

MB = 1024 * 1024
URL_MAX_CHARS = 2048
DATA_URI_LIMITS = {"image": 5 * MB, "video": 16 * MB}
URL_LIMITS = {"image": 16 * MB, "video": 32 * MB}
SUPPORTED_TYPES = {
    "image": frozenset({"image/png", "image/jpeg", "image/jpg", "image/webp"}),
    "video": frozenset({"video/mp4", "video/quicktime", "video/webm", "video/x-matroska", "video/ogg"}),
}
FETCH_TIMEOUT_SECONDS = 10.0
FETCH_USER_AGENT = "RunwayML API/simulator"

_DATA_URI = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<payload>.*)$", re.S)


@dataclass(frozen=True)
class AssetRef:
    field: str  # e.g. "promptImage", "promptImage[1].uri", "referenceImages[0].uri"
    value: str
    kind: str  # "image" | "video"


def asset_refs(body: dict[str, Any]) -> list[AssetRef]:
    """Every asset a (validated) create body points at, with the kind of media each must be."""
    refs: list[AssetRef] = []
    prompt_image = body.get("promptImage")
    if isinstance(prompt_image, str):
        refs.append(AssetRef("promptImage", prompt_image, "image"))
    elif isinstance(prompt_image, list):
        for index, item in enumerate(prompt_image):
            refs.append(AssetRef(f"promptImage[{index}].uri", item["uri"], "image"))
    if isinstance(body.get("videoUri"), str):
        refs.append(AssetRef("videoUri", body["videoUri"], "video"))
    for name in ("references", "referenceImages", "keyframes"):
        for index, item in enumerate(body.get(name) or []):
            refs.append(AssetRef(f"{name}[{index}].uri", item["uri"], "image"))
    return refs


def _fail(ref: AssetRef, reason: str) -> ApiError:
    return ApiError(400, f"{ref.field}: {reason}")


def _bytes_match_kind(data: bytes, kind: str) -> bool:
    """Do the bytes look like a supported image (PNG/JPEG/WEBP, not GIF) or video container?"""
    if kind == "image":
        return sniff_image(data) in ("PNG", "JPEG", "WEBP")
    return (sniff_media_type(data) or "").startswith("video/")


def check_data_uri(ref: AssetRef) -> None:
    match = _DATA_URI.match(ref.value)
    if match is None or not match["mime"] or "base64" not in match["params"].split(";"):
        raise _fail(ref, "Invalid data URI.")
    limit = DATA_URI_LIMITS[ref.kind]
    if len(ref.value) > limit:
        raise _fail(ref, f"Data URI is too large: the limit is {limit // MB} MB for {ref.kind}s.")
    if match["mime"].lower() not in SUPPORTED_TYPES[ref.kind]:
        raise _fail(ref, "Unsupported asset type.")
    try:
        data = base64.b64decode("".join(match["payload"].split()), validate=True)
    except (binascii.Error, ValueError):
        raise _fail(ref, "Invalid data URI.") from None
    if not _bytes_match_kind(data, ref.kind):
        raise _fail(ref, "Unsupported asset type.")


def check_upload_uri(ref: AssetRef, uploads: UploadStore, expired: bool) -> None:
    upload = uploads.resolve(ref.value)
    if upload is None:
        raise _fail(ref, "Invalid runway:// URI: no such upload.")
    if expired:
        raise _fail(ref, "The runway:// URI has expired. Upload the file again.")
    if (upload.content_type or "").lower() not in SUPPORTED_TYPES[ref.kind]:
        raise _fail(ref, "Unsupported asset type.")


def check_url_shape(ref: AssetRef, https_only: bool) -> None:
    if len(ref.value) > URL_MAX_CHARS:
        raise _fail(ref, "Invalid URL")
    try:
        parts = urlsplit(ref.value)
        host = parts.hostname
    except ValueError:
        raise _fail(ref, "Invalid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise _fail(ref, "Invalid URL")
    if not https_only:
        return
    if parts.scheme != "https":
        raise _fail(ref, "Only HTTPS URLs are allowed.")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return
    raise _fail(ref, "URLs must be hosted on a domain.")


def _check_fetched(ref: AssetRef, response: aiohttp.ClientResponse) -> None:
    if response.status != 200:
        raise _fail(ref, f"Failed to fetch asset. Received HTTP response code {response.status}.")
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in SUPPORTED_TYPES[ref.kind]:
        raise _fail(ref, "Unsupported asset type.")
    length = response.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > URL_LIMITS[ref.kind]:
        raise _fail(ref, f"Asset is too large: the limit is {URL_LIMITS[ref.kind] // MB} MB.")


async def fetch_url(ref: AssetRef) -> None:
    """HEAD then GET the URL (no redirects); both must answer 200 with a supported Content-Type."""
    timeout = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_SECONDS)
    headers = {"user-agent": FETCH_USER_AGENT}
    try:
        async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
            async with session.head(ref.value, allow_redirects=False) as response:
                _check_fetched(ref, response)
            async with session.get(ref.value, allow_redirects=False) as response:
                _check_fetched(ref, response)
                data = await response.content.read(URL_LIMITS[ref.kind] + 1)
    except TimeoutError:
        raise _fail(ref, "Timeout while fetching asset.") from None
    except aiohttp.ClientError:
        raise _fail(ref, "Failed to fetch asset.") from None
    if len(data) > URL_LIMITS[ref.kind]:
        raise _fail(ref, f"Asset is too large: the limit is {URL_LIMITS[ref.kind] // MB} MB.")
    if not _bytes_match_kind(data, ref.kind):
        raise _fail(ref, "Unsupported asset type.")


async def check_assets(
    body: dict[str, Any],
    uploads: UploadStore,
    *,
    https_only: bool,
    fetch_urls: bool,
    uploads_expired: bool,
) -> None:
    """Raise ApiError(400) naming the first asset field the real API would refuse."""
    for ref in asset_refs(body):
        if ref.value.startswith("data:"):
            check_data_uri(ref)
        elif ref.value.startswith(RUNWAY_URI_PREFIX):
            check_upload_uri(ref, uploads, uploads_expired)
        else:
            check_url_shape(ref, https_only)
            if fetch_urls:
                await fetch_url(ref)
