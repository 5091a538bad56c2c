"""The local media store: files in a folder (by default ``media`` in the app dir).

Every file operation runs in a thread (``asyncio.to_thread``): a slow or full disk never blocks the
event loop. A file is written under a temporary name in its own folder, synced, then renamed, so a
reader never sees half of one and a crash leaves at most a ``.part`` file; files are created 0600
and folders 0700, as the app dir's other files.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import secrets
from collections.abc import AsyncIterable, AsyncIterator
from pathlib import Path

from irisgate.media.stores import (
    READ_CHUNK,
    ByteStream,
    MediaMissing,
    MediaStoreError,
    StoredObject,
    type_of_key,
)

WRITE_BATCH = 1024 * 1024  # bytes gathered before one write (one thread hop per MiB, not per chunk)
PROBLEMS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}


def describe(error: OSError, root: Path) -> str:
    problem = PROBLEMS.get(error.errno or 0) or error.strerror or str(error)
    return f"the local media store ({root}) cannot be written: {problem}"


class LocalStore:
    kind = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def local_path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"not a media key: {key!r}")
        return self.root.joinpath(*parts)

    async def put(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        target = self.local_path(key)
        temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")
        descriptor = await self._io(_create, temporary)
        size = 0
        try:
            batch = bytearray()
            async for chunk in chunks:
                batch += chunk
                size += len(chunk)
                if len(batch) >= WRITE_BATCH:
                    await self._io(_write_all, descriptor, bytes(batch))
                    batch.clear()
            if batch:
                await self._io(_write_all, descriptor, bytes(batch))
            await self._io(_finish, descriptor, temporary, target)
        except BaseException:
            await asyncio.shield(asyncio.to_thread(_discard, descriptor, temporary))
            raise
        return size

    async def stat(self, key: str) -> StoredObject:
        path = self.local_path(key)
        try:
            size = (await asyncio.to_thread(path.stat)).st_size
        except FileNotFoundError:
            raise MediaMissing(f"no file {path}") from None
        except OSError as error:
            raise MediaStoreError(f"the local media store cannot read {path}: {error.strerror}") from None
        return StoredObject(size, type_of_key(key))

    async def open(self, key: str, first: int, last: int) -> ByteStream:
        path = self.local_path(key)
        try:
            descriptor = await asyncio.to_thread(os.open, path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise MediaMissing(f"no file {path}") from None
        except OSError as error:
            raise MediaStoreError(f"the local media store cannot read {path}: {error.strerror}") from None
        closed = False

        async def close() -> None:
            nonlocal closed
            if not closed:
                closed = True
                await asyncio.to_thread(os.close, descriptor)

        async def chunks() -> AsyncIterator[bytes]:
            position, remaining = first, last - first + 1
            while remaining > 0:
                data = await asyncio.to_thread(os.pread, descriptor, min(READ_CHUNK, remaining), position)
                if not data:  # the file is shorter than its record says: end the answer early
                    return
                position += len(data)
                remaining -= len(data)
                yield data

        return ByteStream(chunks(), close)

    async def delete(self, key: str) -> None:
        await self._io(_remove, self.local_path(key), self.root)

    async def aclose(self) -> None:
        return None

    async def _io(self, function, *args):  # type: ignore[no-untyped-def]
        """Run a file operation in a thread; its OSError becomes a MediaStoreError."""
        try:
            return await asyncio.to_thread(function, *args)
        except OSError as error:
            raise MediaStoreError(describe(error, self.root)) from None


def _create(path: Path) -> int:
    _make_folders(path.parent)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)


def _make_folders(folder: Path) -> None:
    """The folder and its missing parents, each 0700 (`Path.mkdir(parents=True)` would give the
    parents the default mode)."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        folder = folder.parent
    for each in reversed(missing):
        with contextlib.suppress(FileExistsError):  # made at the same moment by another copy
            each.mkdir(mode=0o700)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]


def _finish(descriptor: int, temporary: Path, target: Path) -> None:
    os.fsync(descriptor)
    os.close(descriptor)
    os.replace(temporary, target)


def _discard(descriptor: int, temporary: Path) -> None:
    with contextlib.suppress(OSError):
        os.close(descriptor)
    with contextlib.suppress(OSError):
        temporary.unlink()


def _remove(path: Path, root: Path) -> None:
    """The file, then its folders while they are empty (up to the store's root)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    folder = path.parent
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (another video's files), or gone
            return
        folder = folder.parent
