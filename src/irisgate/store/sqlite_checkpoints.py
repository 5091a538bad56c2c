"""Checkpoints of the SQLite WAL, away from the event loop.

The serving loop writes through a connection that never checkpoints (``sqlite_inline.py``: a
checkpoint copies pages back into the database file and fsyncs it, milliseconds the loop must not
spend). So this thread, with a connection of its own, looks every ``interval`` seconds at what was
committed since its last checkpoint (``checkpoint_due``): after many commits (``BUSY_COMMITS``, as
under a stream of video creates) it checkpoints at once; after a few (a request-log batch now and
then) it waits until ``QUIET_INTERVAL_SECONDS`` have passed, since a checkpoint's fixed cost (two
``fdatasync`` calls, ~0.4 ms of CPU) is then most of it. That is also how long a commit may wait to be
on disk: a power cut (not a crash of irisgate) can drop at most that much.

1. PASSIVE: the pages of the WAL are copied into the database file while writers go on appending
   (it never waits on them nor makes them wait). Small and often: measured at concurrency 1 with
   every process on one CPU, checkpoints every 0.05 s gave video creates a p99 of ~1.2 ms, every
   0.25 s ~1.7 ms, every 0.5 s ~3.3 ms (a bigger checkpoint stalls more requests at once).
   What a checkpoint costs is CPU time in the kernel, most of it the two ``fdatasync`` calls
   writing back the pages that the WAL and the copy dirtied (profiled with perf: ~60 % in
   ``fdatasync``, ~15 % in the copy's reads and writes). Timed in the thread at concurrency 1:
   ~0.45 ms of CPU (1.2 ms of wall time) for image generations' request logs, ~0.4 ms of it fixed;
   ~0.8 ms for video creates, growing with the pages they dirty (hence migrations 0006 and 0007).
   So video creates want small, frequent checkpoints: with one page a create (0007), looking every
   0.02 s (a checkpoint of ~80 creates at concurrency 1) gave a p99 / p50 of 2.81-3.07 in five
   interleaved runs, every 0.05 s 3.03-3.49, every 0.01 s 3.06-3.52 (the fixed cost, more often).
   Request logs alone want fewer: for image generations
   every 0.2 s was a little better than every 0.05 s, every 0.5 or 1 s worse (each checkpoint
   stalls longer; and the WAL, seldom started over, grows). Checkpointing at idle priority
   (``SCHED_IDLE``) was worse still: with the CPU never idle at concurrency 1, the thread starves.
2. RESTART, when the WAL has grown past ``RESTART_AFTER_FRAMES``: under a steady stream of
   commits a PASSIVE checkpoint never finds the WAL fully copied (more was appended meanwhile), so
   SQLite never starts the WAL over and it grows without end, each read and write slower than the
   last (measured: 1.4 GB in 30 s of video creates, throughput falling by a third). RESTART holds
   off writers while it copies the frames appended since step 1 and fsyncs, so that the next
   write starts the WAL from its beginning; an inline write refused meanwhile goes to the lane
   thread, which waits its turn (``sqlite_lane.py``). That wait is a request's latency, so RESTART
   is kept rare: after 64 MB of WAL, about once a second at full speed (after 4 MB, the p99 of
   video creates was ~7 ms). If a reader still holds an old snapshot after ``RESTART_WAIT_MS``, it
   gives up until the next time rather than hold up the writers. When writes pause, a PASSIVE
   checkpoint copies everything and SQLite starts the WAL over by itself.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable

from irisgate.store.engine import apply_sqlite_pragmas

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_SECONDS = 0.02
BUSY_COMMITS = 20  # commits since the last checkpoint that make the next one due at the next look
QUIET_INTERVAL_SECONDS = 0.2  # fewer commits: a checkpoint at most this long after the last one
RESTART_AFTER_FRAMES = 16384  # 64 MB of WAL: at full speed, about one RESTART a second
RESTART_WAIT_MS = 20


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
        self.restarts = 0
        self._thread = threading.Thread(target=self._serve, name="irisgate-sqlite-checkpoints", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Checkpoint what is left, close the connection and join the thread (again: no-op)."""
        self._stop.set()
        self._thread.join()

    def _serve(self) -> None:
        connection: sqlite3.Connection | None = None
        seen = 0
        last = time.monotonic()
        try:
            while True:
                stopping = self._stop.wait(self._interval)
                committed = self._commits()
                # Nothing commits before the migrations: once something did, the file exists.
                if committed != seen and (
                    stopping or checkpoint_due(committed - seen, time.monotonic() - last)
                ):
                    seen = committed
                    connection = self._checkpoint(connection)
                    last = time.monotonic()
                if stopping:
                    return
        finally:
            if connection is not None:
                connection.close()

    def _checkpoint(self, connection: sqlite3.Connection | None) -> sqlite3.Connection | None:
        try:
            if connection is None:
                connection = sqlite3.connect(self._path, isolation_level=None)
                apply_sqlite_pragmas(connection)
                # RESTART holds the write lock while it waits for readers: give up soon (and try
                # again next time) rather than hold up every writer.
                connection.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            _, frames, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.checkpoints += 1
            if frames >= self._restart_after_frames:
                busy, _, _ = connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
                self.restarts += not busy
        except sqlite3.Error as error:  # e.g. the file went away: try again next time
            logger.warning("SQLite checkpoint failed (%s: %s)", type(error).__name__, error)
            if connection is not None:
                connection.close()
            return None
        return connection


def checkpoint_due(new_commits: int, seconds_since_last: float) -> bool:
    """Whether to checkpoint now, with ``new_commits`` made since the last checkpoint, which ended
    ``seconds_since_last`` ago. Measured at concurrency 1 with every process on one CPU (interleaved
    runs, image generations, whose only writes are request-log batches): at every look, the p99 was
    425-644 µs; as here, 394-432 µs (with looks every 0.05 s). Video creates commit far more than
    ``BUSY_COMMITS`` between looks (~80 at concurrency 1), so their checkpoints stay small and
    frequent (see point 1 above)."""
    return new_commits >= BUSY_COMMITS or (new_commits > 0 and seconds_since_last >= QUIET_INTERVAL_SECONDS)
