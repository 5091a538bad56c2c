"""The first try of a hot SQLite call: on the serving thread's own connection, never waiting.

A primary-key read (~5 µs), a one-row write and its commit (~40 µs in WAL mode with
synchronous=NORMAL: a write() into the WAL, no fsync) or a 25-row request-log batch (~130 µs) cost
far less than handing the call to a thread: measured, a thread round trip (queue, wake-ups, GIL
hand-overs, the loop's wake-up pipe) costs 100 to 200 µs of CPU per call, and more while the loop
is busy. So ``SqliteLane`` runs each call here first, on a connection that can never make the event
loop wait:

* ``busy_timeout=0``: when another connection holds the write lock (another worker, the admin, the
  lane thread), SQLite refuses at once with SQLITE_BUSY and the call goes to the lane thread
  instead, which waits its turn there;
* ``wal_autocheckpoint=0``: checkpoints, and their fsyncs of the WAL and the database, are left to
  the checkpoint thread (``sqlite_checkpoints.py``), never run on the loop. The one fsync the loop
  still makes is SQLite's of a new WAL header: the first commit after a checkpoint that copied the
  whole WAL starts it over (at concurrency 1, ~28 a second under image generations, ~50 under
  video creates; under heavy writes a checkpoint seldom catches up). Measured with every fsync
  3 ms slower (``bench/slow_fsync.c``, ~30 times this machine's disk): p50 and throughput did not
  move, p99 at concurrency 1 rose by 0.02-0.25 ms, so such a stall lands on fewer than 1 % of
  requests. Moving it to the checkpoint thread was measured and not kept (``bench/RESULTS.md``);
* every statement is read to its end, so no read transaction stays open to hold back checkpoints.

Only the thread that first used it (the serving event loop's) uses the connection; calls from
any other thread go to the lane thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

from irisgate.store.engine import apply_sqlite_pragmas

REFUSED = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Refused(Exception):
    """The call cannot run here without waiting (or not on this thread): send it to the lane."""


class InlineSqlite:
    def __init__(self, path: str) -> None:
        self._path = path
        self._owner: int | None = None
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._closed = False
        self.commits = 0

    def run(self, call: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        """A read, ``call(cursor, *args)``, here and now, or ``Refused``."""
        return self._run(lambda cursor: call(cursor, *args))

    def run_writes(self, calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
        """Writes, committed together here and now, or ``Refused`` (then none was made).

        One statement runs as its own transaction (autocommit: no BEGIN and COMMIT to send);
        several run in one ``BEGIN IMMEDIATE`` transaction, which takes the write lock at once or is
        refused at once. If one fails, none is kept."""
        if len(calls) == 1:
            call, args = calls[0]
            results = [self._run(lambda cursor: call(cursor, *args))]
        else:
            results = self._run(lambda cursor: _in_one_transaction(cursor, calls))
        self.commits += 1
        return results

    def _run(self, work: Callable[[sqlite3.Cursor], Any]) -> Any:
        connection = self._connection_here()
        cursor = connection.cursor()
        try:
            return work(cursor)
        except sqlite3.OperationalError as error:
            if connection.in_transaction:
                connection.rollback()
            if error.sqlite_errorcode & 0xFF in REFUSED:
                raise Refused from error
            raise
        except BaseException:
            if connection.in_transaction:
                connection.rollback()
            raise
        finally:
            cursor.close()

    def _connection_here(self) -> sqlite3.Connection:
        me = threading.get_ident()
        if self._connection is not None and self._owner == me:
            return self._connection
        with self._lock:
            if self._closed or (self._owner is not None and self._owner != me):
                raise Refused
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            try:
                apply_sqlite_pragmas(connection)
                connection.execute("PRAGMA busy_timeout=0")
                connection.execute("PRAGMA wal_autocheckpoint=0")
            except BaseException:
                connection.close()
                raise
            self._owner, self._connection = me, connection
            return connection

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


def _in_one_transaction(
    cursor: sqlite3.Cursor, calls: Sequence[tuple[Callable[..., Any], tuple[Any, ...]]]
) -> list[Any]:
    cursor.execute("BEGIN IMMEDIATE")
    results = [call(cursor, *args) for call, args in calls]
    cursor.execute("COMMIT")
    return results
