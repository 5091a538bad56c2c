"""Every `irisgate serve` process keeps the media of completed videos, from the store, in the background.

A job that completes is marked ``media_state='pending'`` with its copy due at once (in the same
update: jobs/polling.py). The keeper claims due work in the store (`Store.claim_due_media`: up to
``CAPACITY`` at a time, each for ``CLAIM_SECONDS``, renewed while it lasts), streams the provider's
output through `Provider.open_media` (jobs/download.py: the key where the host needs one, an expired
link refreshed once) into the media store, makes the thumbnail from the first frame, and records
where both are, and when they expire (``media.retention_days`` after completion). A copy that fails
(the media store full or down, the provider's link failing) is recorded with its error and tried
again later, with a growing backoff; the job itself stays completed, and its content is served from
the provider's link meanwhile. Only a link the provider no longer serves, ``GONE_ATTEMPTS`` times,
ends the tries. Kept media whose ``expires_at`` has passed is removed, and the job says it expired.

Nothing is held in memory that a restart would lose: what is due is in the store, and another
process takes over a claim that runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import os
import random
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from irisgate.config import MediaConfig
from irisgate.jobs.download import EXPIRED_STATUSES, open_output
from irisgate.jobs.service import VideoJobs
from irisgate.media.stores import (
    THUMBNAIL_TYPE,
    MediaStore,
    MediaStoreError,
    thumbnail_key,
    video_key,
)
from irisgate.media.thumbnail import ThumbnailError, first_frame
from irisgate.schemas.errors import GatewayError
from irisgate.store import VideoJobRecord, utc_now
from irisgate.store.media import EXPIRED, KEPT, PENDING

log = logging.getLogger("irisgate.media")
CAPACITY = 4  # copies (or removals) a process runs at once
TICK_SECONDS = 1.0  # how often the store is asked what is due
CLAIM_SECONDS = 120.0  # a claim runs out this long after it was taken or renewed
RETRY_FIRST_SECONDS = 2.0
RETRY_MAX_SECONDS = 1800.0
GONE_ATTEMPTS = 3  # a link the provider no longer serves ends the tries after this many attempts
SPOOL_BATCH = 1024 * 1024


class CopyFailed(Exception):
    """A copy that did not succeed, and why (``gone``: the provider no longer serves the file)."""

    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt (2, 4, 8 … up to 30 minutes)."""
    return min(RETRY_FIRST_SECONDS * 2 ** max(0, attempts - 1), RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)


def video_type(headers: Any, url: str) -> str:
    declared = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    if declared.startswith("video/"):
        return declared
    guessed = mimetypes.guess_type(urlsplit(url).path)[0]
    return guessed if guessed and guessed.startswith("video/") else "video/mp4"


class Spool:
    """A temporary file of what passes (for the thumbnail of a video kept elsewhere than on disk)."""

    def __init__(self) -> None:
        self.path: Path | None = None
        self._descriptor: int | None = None
        self._batch = bytearray()

    async def tee(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        descriptor, name = await asyncio.to_thread(tempfile.mkstemp, prefix="irisgate-media-", suffix=".part")
        self._descriptor, self.path = descriptor, Path(name)
        async for chunk in chunks:
            self._batch += chunk
            if len(self._batch) >= SPOOL_BATCH:
                await self._flush()
            yield chunk
        await self._flush()

    async def _flush(self) -> None:
        if self._batch and self._descriptor is not None:
            data = bytes(self._batch)
            self._batch.clear()
            await asyncio.to_thread(_write_all, self._descriptor, data)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._remove)

    def _remove(self) -> None:
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


class MediaKeeper:
    def __init__(self, jobs: VideoJobs, media: MediaStore, settings: MediaConfig) -> None:
        self.jobs = jobs
        self.store = jobs.store
        self.media = media
        self.settings = settings
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._runner: asyncio.Task[None] | None = None
        self._freed = asyncio.Event()
        self.kept = 0  # copies this process made

    def start(self) -> None:
        self._runner = asyncio.get_running_loop().create_task(self._run(), name="irisgate-media-keeper")

    async def aclose(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        under_way = list(self._tasks)
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        for job_id in under_way:  # give the copies back: due again now, for whoever starts next
            with contextlib.suppress(Exception):
                await self.store.record_media(job_id, {"media_next_attempt_at": utc_now()}, state=PENDING)

    # -- the loop ----------------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            free = CAPACITY - len(self._tasks)
            claimed = 0
            self._freed.clear()
            try:
                if free > 0:
                    due = await self.store.claim_due_media(self._claim_until(), free)
                    claimed = len(due)
                    for job in due:
                        task = loop.create_task(self._work(job), name=f"irisgate-media-{job.id}")
                        self._tasks[job.id] = task
                        task.add_done_callback(lambda _, job_id=job.id: self._done(job_id))
                if loop.time() - renewed > CLAIM_SECONDS / 3:
                    await self.store.renew_media_claims(list(self._tasks), self._claim_until())
                    renewed = loop.time()
            except GatewayError as error:  # the database is down: try again on the next tick
                log.warning("keeping media: %s", error.message)
            except Exception:  # never let the loop die: the next tick tries again
                log.exception("keeping media")
            tick = TICK_SECONDS * random.uniform(0.8, 1.2)
            if free == 0 or (claimed and claimed == free):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), tick)
            else:
                await asyncio.sleep(tick)

    def _claim_until(self) -> Any:
        return utc_now() + timedelta(seconds=CLAIM_SECONDS)

    def _done(self, job_id: str) -> None:
        self._tasks.pop(job_id, None)
        self._freed.set()

    async def _work(self, job: VideoJobRecord) -> None:
        try:
            if job.media_state == PENDING:
                await self.keep(job)
            elif job.media_state == KEPT:
                await self._expire(job)
        except GatewayError as error:  # the database could not record it: the claim runs out, and then
            log.warning("video job %s: its media work could not be recorded: %s", job.id, error.message)
        except Exception:  # one job's trouble never stops the others
            log.exception("keeping the media of video job %s", job.id)

    # -- copies ------------------------------------------------------------------------------------

    async def keep(self, job: VideoJobRecord) -> None:
        """Copy the job's output and thumbnail into the media store, and record them (or why not)."""
        if job.status != "completed" or not job.output_url:
            await self.store.record_media(
                job.id,
                {"media_state": None, "media_next_attempt_at": None, "media_error": "no output to keep"},
                state=PENDING,
            )
            return
        try:
            changes = await self._copy(job)
        except CopyFailed as failure:
            await self._failed(job, str(failure), gone=failure.gone)
            return
        except MediaStoreError as error:
            await self._failed(job, str(error))
            return
        except GatewayError as error:
            await self._failed(job, error.message)
            return
        except (aiohttp.ClientError, TimeoutError, OSError) as error:  # the download, or the spool
            await self._failed(job, f"the copy broke off ({type(error).__name__}: {error})")
            return
        if await self.store.record_media(job.id, changes, state=PENDING):
            self.kept += 1
            log.info("video job %s: kept %d bytes as %s", job.id, changes["media_size"], changes["media_key"])
        else:  # deleted while it was being copied (or kept by another process): nothing to keep
            current = await self.store.get_job(job.id)
            if current is None or current.media_key != changes["media_key"]:
                await self._remove([changes["media_key"], changes["thumbnail_key"]], job.id)

    async def _copy(self, job: VideoJobRecord) -> dict[str, Any]:
        job, upstream = await open_output(self.jobs, job, {})
        try:
            if upstream.status in EXPIRED_STATUSES:
                raise CopyFailed(
                    f"{job.provider} no longer serves the video file (HTTP {upstream.status})", gone=True
                )
            if upstream.status != 200:
                raise CopyFailed(f"{job.provider} answered HTTP {upstream.status} for the video file")
            content_type = video_type(upstream.headers, job.output_url or "")
            length = upstream.headers.get("content-length", "")
            plain = upstream.headers.get("content-encoding", "identity").lower() == "identity"
            expected = int(length) if length.isdigit() and plain else None
            key = video_key(job, content_type)
            spool = Spool() if self.media.local_path(key) is None else None
            try:
                chunks = spool.tee(upstream.chunks) if spool is not None else upstream.chunks
                size = await self.media.put(key, chunks, content_type)
                if size == 0 or (expected is not None and size != expected):
                    await self._remove([key], job.id)
                    got = f"{size} of {expected}" if expected is not None else "no"
                    raise CopyFailed(f"the download from {job.provider} was cut short ({got} bytes)")
                source = spool.path if spool is not None else self.media.local_path(key)
                assert source is not None
                thumbnail, note = await self._thumbnail(job, source)
            finally:
                if spool is not None:
                    await spool.aclose()
        finally:
            upstream.release()
        retention = self.settings.retention_seconds
        expires_at = (
            None if retention is None else (job.completed_at or utc_now()) + timedelta(seconds=retention)
        )
        return {
            "media_state": KEPT,
            "media_key": key,
            "media_size": size,
            "media_type": content_type,
            "thumbnail_key": thumbnail,
            "media_attempts": job.media_attempts + 1,
            "media_error": note,
            "media_next_attempt_at": expires_at,
            "expires_at": expires_at,
        }

    async def _thumbnail(self, job: VideoJobRecord, source: Path) -> tuple[str | None, str | None]:
        """The thumbnail's key once stored; or None and why there is none (a video PyAV cannot
        decode is kept all the same). A media store that fails fails the copy."""
        try:
            image = await asyncio.to_thread(first_frame, source)
        except ThumbnailError as error:
            log.warning("video job %s: no thumbnail: %s", job.id, error)
            return None, f"no thumbnail: {error}"
        key = thumbnail_key(job)
        await self.media.put(key, _once(image), THUMBNAIL_TYPE)
        return key, None

    async def _failed(self, job: VideoJobRecord, message: str, *, gone: bool = False) -> None:
        attempts = job.media_attempts + 1
        if gone and attempts >= GONE_ATTEMPTS:
            changes: dict[str, Any] = {
                "media_state": None,
                "media_next_attempt_at": None,
                "media_attempts": attempts,
                "media_error": f"not kept after {attempts} attempts: {message}",
            }
            log.warning("video job %s: its media cannot be kept: %s", job.id, message)
        else:
            delay = backoff(attempts)
            changes = {
                "media_attempts": attempts,
                "media_error": message,
                "media_next_attempt_at": utc_now() + timedelta(seconds=delay),
            }
            log.warning(
                "video job %s: its media could not be kept (attempt %d: %s); trying again in %.0f s",
                job.id,
                attempts,
                message,
                delay,
            )
        await self.store.record_media(job.id, changes, state=PENDING)

    # -- removals ----------------------------------------------------------------------------------

    async def _expire(self, job: VideoJobRecord) -> None:
        """Remove kept media whose time has come, and record that it expired."""
        now = utc_now()
        if job.expires_at is None or job.expires_at > now:  # not due (a claim renewed by mistake)
            await self.store.record_media(job.id, {"media_next_attempt_at": job.expires_at}, state=KEPT)
            return
        try:
            for key in (job.media_key, job.thumbnail_key):
                if key:
                    await self.media.delete(key)
        except MediaStoreError as error:
            waited = (now - job.expires_at).total_seconds()
            delay = min(max(RETRY_FIRST_SECONDS * 5, waited / 2), RETRY_MAX_SECONDS)
            log.warning("video job %s: its expired media could not be removed (%s)", job.id, error)
            await self.store.record_media(
                job.id,
                {"media_error": f"expired media not removed yet: {error}",
                 "media_next_attempt_at": now + timedelta(seconds=delay)},
                state=KEPT,
            )  # fmt: skip
            return
        await self.store.record_media(
            job.id,
            {"media_state": EXPIRED, "media_key": None, "media_size": None, "media_type": None,
             "thumbnail_key": None, "media_next_attempt_at": None, "media_error": None},
            state=KEPT,
        )  # fmt: skip
        log.info("video job %s: its media expired and was removed", job.id)

    async def forget(self, job: VideoJobRecord) -> None:
        """A deleted job's media, removed (best effort: a store that is down leaves it, and says so)."""
        await self._remove([job.media_key, job.thumbnail_key], job.id)

    async def _remove(self, keys: list[str | None], job_id: str) -> None:
        for key in keys:
            if not key:
                continue
            try:
                await self.media.delete(key)
            except MediaStoreError as error:
                log.warning(
                    "video job %s is gone but its media %s could not be removed (%s): remove it by hand",
                    job_id,
                    key,
                    error,
                )


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
