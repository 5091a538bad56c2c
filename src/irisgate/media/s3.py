"""The S3 media store: objects in a bucket, on AWS or any S3-compatible server (``endpoint_url``).

Through aiobotocore (the AWS SDK's botocore on aiohttp), one client per process, made at first use.
A video is uploaded in parts of ``PART_SIZE`` (a multipart upload, aborted on failure), so no more
than a part is held in memory; a small one is one ``PutObject``. Reads are ranged ``GetObject``s
streamed in chunks. Checksums are sent only where S3 requires them, which S3-compatible servers
accept; with an ``endpoint_url``, buckets are addressed by path (``host/bucket/key``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError

from irisgate.config import MediaConfig
from irisgate.media.stores import READ_CHUNK, ByteStream, MediaMissing, MediaStoreError, StoredObject

PART_SIZE = 8 * 1024 * 1024  # S3 wants parts of 5 MiB at least (but the last)
MISSING_CODES = ("404", "NoSuchKey", "NotFound")


class S3Store:
    kind = "s3"

    def __init__(self, config: MediaConfig) -> None:
        assert config.bucket is not None
        self.bucket = config.bucket
        self.prefix = config.prefix
        self.endpoint_url = config.endpoint_url
        self._client_options: dict[str, Any] = {
            "region_name": config.region or "us-east-1",
            "endpoint_url": config.endpoint_url,
            "aws_access_key_id": config.access_key_id,
            "aws_secret_access_key": config.secret_access_key,
            "config": AioConfig(
                connect_timeout=10,
                read_timeout=60,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path"} if config.endpoint_url else {},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        }
        self._stack = AsyncExitStack()
        self._client: Any = None
        self._lock = asyncio.Lock()

    @property
    def where(self) -> str:
        return f"the S3 bucket {self.bucket}" + (f" at {self.endpoint_url}" if self.endpoint_url else "")

    def local_path(self, key: str) -> Path | None:
        return None

    async def _s3(self) -> Any:
        async with self._lock:
            if self._client is None:
                session = get_session()
                self._client = await self._stack.enter_async_context(
                    session.create_client("s3", **self._client_options)
                )
        return self._client

    @contextlib.asynccontextmanager
    async def _errors(self, doing: str, key: str) -> AsyncIterator[None]:
        """S3's and the network's errors as MediaStoreError (MediaMissing for a missing key)."""
        try:
            yield
        except ClientError as error:
            details = error.response.get("Error", {})
            code = str(details.get("Code", "")) or str(
                error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "")
            )
            if code in MISSING_CODES:
                raise MediaMissing(f"no object {key} in {self.where}") from None
            message = details.get("Message") or code
            raise MediaStoreError(f"{self.where} refused to {doing} {key}: {code} {message}") from None
        except (BotoCoreError, aiohttp.ClientError, TimeoutError, OSError) as error:
            raise MediaStoreError(f"{self.where} could not {doing} {key}: {error}") from None

    async def put(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        name = self.prefix + key
        async with self._errors("store", name):
            client = await self._s3()
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        batch = bytearray()
        size = 0
        try:
            async for chunk in chunks:
                batch += chunk
                size += len(chunk)
                if len(batch) >= PART_SIZE:
                    if upload_id is None:
                        async with self._errors("store", name):
                            started = await client.create_multipart_upload(
                                Bucket=self.bucket, Key=name, ContentType=content_type
                            )
                        upload_id = started["UploadId"]
                    await self._upload_part(client, name, upload_id, parts, bytes(batch))
                    batch.clear()
            if upload_id is None:
                async with self._errors("store", name):
                    await client.put_object(
                        Bucket=self.bucket, Key=name, Body=bytes(batch), ContentType=content_type
                    )
                return size
            if batch:
                await self._upload_part(client, name, upload_id, parts, bytes(batch))
            async with self._errors("store", name):
                await client.complete_multipart_upload(
                    Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
                )
        except BaseException:
            if upload_id is not None:
                await asyncio.shield(self._abort(client, name, upload_id))
            raise
        return size

    async def _upload_part(
        self, client: Any, name: str, upload_id: str, parts: list[dict[str, Any]], data: bytes
    ) -> None:
        number = len(parts) + 1
        async with self._errors("store", name):
            answer = await client.upload_part(
                Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=data
            )
        parts.append({"ETag": answer["ETag"], "PartNumber": number})

    async def _abort(self, client: Any, name: str, upload_id: str) -> None:
        with contextlib.suppress(Exception):  # best effort: a lifecycle rule can clean up the rest
            await client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)

    async def stat(self, key: str) -> StoredObject:
        name = self.prefix + key
        async with self._errors("read", name):
            client = await self._s3()
            answer = await client.head_object(Bucket=self.bucket, Key=name)
        return StoredObject(
            int(answer["ContentLength"]), answer.get("ContentType") or "application/octet-stream"
        )

    async def open(self, key: str, first: int, last: int) -> ByteStream:
        name = self.prefix + key
        async with self._errors("read", name):
            client = await self._s3()
            answer = await client.get_object(Bucket=self.bucket, Key=name, Range=f"bytes={first}-{last}")
        body = answer["Body"]

        async def chunks() -> AsyncIterator[bytes]:
            async with self._errors("read", name):
                async for chunk in body.iter_chunks(READ_CHUNK):
                    yield chunk

        async def close() -> None:
            body.close()

        return ByteStream(chunks(), close)

    async def delete(self, key: str) -> None:
        name = self.prefix + key
        async with self._errors("delete", name):
            client = await self._s3()
            await client.delete_object(Bucket=self.bucket, Key=name)

    async def aclose(self) -> None:
        await self._stack.aclose()
