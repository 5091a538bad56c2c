"""Checkpoints of the SQLite WAL, and the syncs that make commits durable, away from the event loop.

The serving loop writes through a connection that never checkpoints (``sqlite_inline.py``). In WAL
mode with ``synchronous=NORMAL`` a commit is a ``write()`` into the WAL; it is on disk once the WAL
is fsynced, which SQLite does at each checkpoint. So this thread, with a connection of its own,
looks every ``interval`` seconds at how many commits were made (``next_step``) and does one of:

* **a dense stream** (``DENSE_COMMITS`` or more since the last look, as under video creates): a
  checkpoint at once. Small and often, so that each writes back few pages (measured with every
  process on one CPU at concurrency 1, video creates: checkpoints every 0.02 s gave a p99 / p50 of
  2.81-3.07 in five interleaved runs, every 0.05 s 3.03-3.49, every 0.01 s 3.06-3.52; every 0.05 s
  a p99 of ~1.2 ms, every 0.5 s ~3.3 ms: a bigger checkpoint stalls more requests at once).
* **a sparse stream** (a request-log batch now and then): only an ``fdatasync`` of the WAL, at most
  ``WAL_SYNC_SECONDS`` after a commit, and a checkpoint after ``SPARSE_CHECKPOINT_COMMITS`` commits or
  ``SPARSE_CHECKPOINT_SECONDS``. A checkpoint costs three fsyncs (the WAL, the database file, and the
  header of the WAL started over), each ~60 µs of CPU in the kernel and ~150-300 µs of waiting on
  the disk, most of it fixed. Checkpointed like a dense stream, image generations' request logs
  made 28 checkpoints a second at concurrency 1 (~0.5 ms of CPU and ~1.4 ms of wall time each),
  and those, with the commits that started the WAL over after them, made most of the p99 (traced
  per request: ~60-70 % of the slowest 1 % overlapped a checkpoint, ~30 % such a commit). Syncing
  the WAL instead (one fsync, ~12 a second) and checkpointing every 0.6-1 s: p99 / p50 2.47-3.05
  against 3.04-3.50 in six interleaved runs, traced per request.

Either way, a power cut (not a crash of irisgate, which loses nothing committed) can drop at most
the commits of the last ``WAL_SYNC_SECONDS`` plus one look.

Each checkpoint is:

1. PASSIVE: the pages of the WAL are copied into the database file while writers go on appending
   (it never waits on them nor makes them wait). What it costs is CPU time in the kernel, most of
   it the ``fdatasync`` calls writing back the pages that the WAL and the copy dirtied (profiled
   with perf: ~60 % in ``fdatasync``, ~15 % in the copy's reads and writes). Checkpointing at idle
   priority (``SCHED_IDLE``) was worse: with the CPU never idle at concurrency 1, the thread starves;
   in a separate process at nice 19 it was no better (the kernel's writeback is the cost, whoever
   asks for it).
2. RESTART, when the WAL has grown past ``RESTART_AFTER_FRAMES``: under a steady stream of
   commits a PASSIVE checkpoint never finds the WAL fully copied (more was appended meanwhile), so
   SQLite never starts the WAL over and it grows without end, each read and write slower than the
   last (measured: 1.4 GB in 30 s of video creates, throughput falling by a third). RESTART holds
   off writers while it copies the frames appended since step 1 and fsyncs, so that the next
   write starts the WAL from its beginning; an inline write refused meanwhile goes to the lane
   thread, which waits its turn (``sqlite_lane.py``). That wait is a request's latency, so RESTART
   is kept rare: after 64 MB of WAL, about once a second at full speed (after 4 MB, the p99 of
   video creates was ~7 ms). If a reader still holds an old snapshot after ``RESTART_WAIT_MS``, it
   gives up until the next time rather than hold up the writers.
3. After a sparse stream's checkpoint that copied the whole WAL, the WAL is started over here
   (``_start_wal_over``). The first commit into a WAL started over fsyncs its new header (SQLite
   must, or a power cut could replay old frames over newer pages); left to the next writer, that is
   the serving loop, blocked on the disk for ~150-300 µs after every checkpoint (strace: the loop
   thread's only ``fdatasync`` calls). After a dense stream's checkpoint it is left to the next
   commit: the write lock held here during that fsync sends the video creates that come meanwhile
   to the lane thread, and their p99 / p50 was worse in two of three traced runs.
"""

from __future__ import annotations

import enum
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable

from irisgate.store.engine import apply_sqlite_pragmas

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_SECONDS = 0.02  # how often the thread looks
DENSE_COMMITS = 40  # commits since the last look that make a dense stream: a checkpoint at once
SPARSE_CHECKPOINT_COMMITS = 500  # a sparse stream: a checkpoint after this many commits...
SPARSE_CHECKPOINT_SECONDS = 1.0  # ... or this long after the last one
WAL_SYNC_SECONDS = 0.1  # in between, a commit is synced in the WAL at most this long after
RESTART_AFTER_FRAMES = 16384  # 64 MB of WAL: at full speed, about one RESTART a second
RESTART_WAIT_MS = 20
_fdatasync = getattr(os, "fdatasync", os.fsync)  # macOS has no fdatasync


class Step(enum.Enum):
    NOTHING = "nothing"
    SYNC_WAL = "sync the WAL"
    CHECKPOINT = "checkpoint"  # the next commit starts the WAL over
    CHECKPOINT_AND_START_OVER = "checkpoint and start the WAL over"


def next_step(
    commits_since_look: int,
    commits_since_checkpoint: int,
    seconds_since_checkpoint: float,
    unsynced_commits: int,
    seconds_since_sync: float,
) -> Step:
    """What the thread does at a look (see the module's docstring). A checkpoint syncs the WAL too,
    so ``unsynced_commits`` counts the commits since the last sync or checkpoint."""
    if commits_since_checkpoint == 0:
        return Step.NOTHING
    if commits_since_look >= DENSE_COMMITS:
        return Step.CHECKPOINT
    if (
        commits_since_checkpoint >= SPARSE_CHECKPOINT_COMMITS
        or seconds_since_checkpoint >= SPARSE_CHECKPOINT_SECONDS
    ):
        return Step.CHECKPOINT_AND_START_OVER
    if unsynced_commits > 0 and seconds_since_sync >= WAL_SYNC_SECONDS:
        return Step.SYNC_WAL
    return Step.NOTHING


class Checkpointer:
    """A daemon thread that checkpoints ``path`` while ``commits()`` keeps rising."""

    def __init__(
        self,
        path: str,
        commits: Callable[[], int],
        interval: float = CHECKPOINT_INTERVAL_SECONDS,
        restart_after_frames: int = RESTART_AFTER_FRAMES,
    ) -> None:
        self._path = path
        self._commits = commits
        self._interval = interval
        self._restart_after_frames = restart_after_frames
        self._stop = threading.Event()
        self.checkpoints = 0
        self.restarts = 0  # RESTART checkpoints that succeeded
        self.wal_starts = 0  # times this thread started the WAL over
        self.wal_syncs = 0
        self._wal: int | None = None  # a descriptor of the WAL file, to fsync it
        self._thread = threading.Thread(target=self._serve, name="irisgate-sqlite-checkpoints", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Checkpoint what is left, close the connection and join the thread (again: no-op)."""
        self._stop.set()
        self._thread.join()

    def _serve(self) -> None:
        connection: sqlite3.Connection | None = None
        looked = checkpointed = synced = 0  # commits counted at the last look, checkpoint, sync
        last_checkpoint = last_sync = time.monotonic()
        try:
            while True:
                stopping = self._stop.wait(self._interval)
                committed = self._commits()
                now = time.monotonic()
                if stopping:  # a last checkpoint of everything: the database file alone has it all
                    step = Step.CHECKPOINT if committed != checkpointed else Step.NOTHING
                else:
                    step = next_step(
                        committed - looked,
                        committed - checkpointed,
                        now - last_checkpoint,
                        committed - synced,
                        now - last_sync,
                    )
                looked = committed
                if step is Step.SYNC_WAL:
                    synced = committed
                    self._sync_wal()
                    last_sync = time.monotonic()
                elif step is not Step.NOTHING:
                    # Nothing commits before the migrations: once something did, the file exists.
                    checkpointed = synced = committed
                    connection = self._checkpoint(connection, step is Step.CHECKPOINT_AND_START_OVER)
                    last_checkpoint = last_sync = time.monotonic()
                if stopping:
                    return
        finally:
            if connection is not None:
                connection.close()
            if self._wal is not None:
                os.close(self._wal)

    def _checkpoint(
        self, connection: sqlite3.Connection | None, start_over: bool
    ) -> sqlite3.Connection | None:
        try:
            if connection is None:
                connection = sqlite3.connect(self._path, isolation_level=None)
                apply_sqlite_pragmas(connection)
                # RESTART holds the write lock while it waits for readers: give up soon (and try
                # again next time) rather than hold up every writer.
                connection.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            _, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.checkpoints += 1
            if frames >= self._restart_after_frames:
                busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                self.restarts += not busy
            if start_over and frames > 0 and copied == frames:
                self._start_wal_over(connection)
        except sqlite3.Error as error:  # e.g. the file went away: try again next time
            logger.warning("SQLite checkpoint failed (%s: %s)", type(error).__name__, error)
            if connection is not None:
                connection.close()
            return None
        return connection

    def _start_wal_over(self, connection: sqlite3.Connection) -> None:
        """Commit here first into the WAL that was just copied whole, so that the fsync of its new
        header is this thread's (see point 3 of the module's docstring). The commit changes
        nothing: it writes ``user_version`` (which irisgate does not use) back as it was, the
        smallest write SQLite makes. If another writer holds the lock, its commit starts the WAL
        over instead."""
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                return
            raise
        try:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            connection.execute(f"PRAGMA user_version={int(version)}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.rollback()
            raise
        self.wal_starts += 1

    def _sync_wal(self) -> None:
        """``fdatasync`` the WAL, as a checkpoint does first: every commit in it is then on disk."""
        try:
            if self._wal is not None and os.fstat(self._wal).st_nlink == 0:  # deleted and made anew
                os.close(self._wal)
                self._wal = None
            if self._wal is None:
                self._wal = os.open(self._path + "-wal", os.O_RDONLY)
            _fdatasync(self._wal)
            self.wal_syncs += 1
        except FileNotFoundError:  # no WAL: SQLite removes it once all is in the database file
            pass
        except OSError as error:
            logger.warning("SQLite WAL sync failed (%s: %s)", type(error).__name__, error)
