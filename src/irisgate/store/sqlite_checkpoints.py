"""Checkpoints of the SQLite WAL, away from the event loop.

The serving loop writes through a connection that never checkpoints (``sqlite_inline.py``: a
checkpoint copies pages back into the database file and fsyncs it, milliseconds the loop must not
spend). Without checkpoints the WAL would grow without end, so this thread, with a connection of its
own, runs a PASSIVE checkpoint (it never waits on readers or writers, and never makes them wait)
every ``interval`` seconds, when something was committed since the last one.

Spacing them in time rather than after a fixed number of pages lets a page written many times over
(the last leaf of each index) be copied once per checkpoint instead of once per thousand pages.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable

from irisgate.store.engine import apply_sqlite_pragmas

logger = logging.getLogger(__name__)

CHECKPOINT_INTERVAL_SECONDS = 0.5


class Checkpointer:
    """A daemon thread that checkpoints ``path`` while ``commits()`` keeps rising."""

    def __init__(
        self, path: str, commits: Callable[[], int], interval: float = CHECKPOINT_INTERVAL_SECONDS
    ) -> None:
        self._path = path
        self._commits = commits
        self._interval = interval
        self._stop = threading.Event()
        self.checkpoints = 0
        self._thread = threading.Thread(target=self._serve, name="irisgate-sqlite-checkpoints", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Checkpoint what is left, close the connection and join the thread (again: no-op)."""
        self._stop.set()
        self._thread.join()

    def _serve(self) -> None:
        connection: sqlite3.Connection | None = None
        seen = 0
        try:
            while True:
                stopping = self._stop.wait(self._interval)
                committed = self._commits()
                if committed != seen:  # the file exists: nothing commits before the migrations
                    seen = committed
                    connection = self._checkpoint(connection)
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
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            self.checkpoints += 1
        except sqlite3.Error as error:  # e.g. the file went away: try again next time
            logger.warning("SQLite checkpoint failed (%s: %s)", type(error).__name__, error)
            if connection is not None:
                connection.close()
            return None
        return connection
