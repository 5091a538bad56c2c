"""``SqliteLane``: the hot store calls on SQLite, without SQLAlchemy and without waiting on the loop.

Creating a video writes its job record before answering and retrieving one reads it, and every
request leaves a request-log record (written in batches by ``RequestLogWriter``): the hottest
store calls. Through SQLAlchemy's async engine and aiosqlite each cost ~1 ms and much event-loop CPU
(statement building, pool checkout, a thread hop per driver call). Here every call first runs on
the event loop's own connection if it can do so without waiting (``sqlite_inline.py``: no lock to
wait for, no checkpoint); the writes made in one turn of the loop are committed together right
after it (``_submit``). A request-log batch is one multi-row INSERT: 5 to 8 µs a row there, where
handing it to a thread cost ~30 µs a row, nearly all of it the two threads passing the GIL back and
forth while the loop is busy (measured: two context switches per request). Checkpoints run in a
thread of their own (``sqlite_checkpoints.py``).

A call that would wait (another connection holds the write lock: another worker, the admin) goes
to one daemon thread that owns another stdlib ``sqlite3`` connection and serves every call from a
queue:

* group commit: the thread takes everything queued at once and commits all its writes in one
  transaction, so concurrent creates share one commit (the reads run after it, outside it);
* one wake-up per batch: a single ``call_soon_threadsafe`` settles every future of the batch;
* a lock held elsewhere is waited for by polling from 25 µs up (``_patiently``), not by SQLite's
  busy handler and its 1 ms first sleep, and checkpoints are left to the checkpoint thread;
* values go through the very processors SQLAlchemy uses for these tables, so rows written here read
  back the same through the SQLAlchemy paths (``Store.list_jobs``, the admin API), and vice versa;
* sqlite3 errors are wrapped as SQLAlchemy would (``sqlalchemy.exc.IntegrityError``…), so callers see
  the same exceptions as on PostgreSQL.

The connection is opened lazily, by the first call: ``Store.open`` may run before the database file
or its tables exist (``irisgate serve`` opens a store to migrate it), and the lane must neither create
anything nor race the migrations.
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa

from irisgate.store.engine import SQLITE_BUSY_TIMEOUT_MS, apply_sqlite_pragmas
from irisgate.store.job_seqs import legacy_seq, seq_in_id
from irisgate.store.records import RequestLogRecord, VideoJobRecord, stored_record, utc_now
from irisgate.store.sqlite_checkpoints import Checkpointer
from irisgate.store.sqlite_inline import REFUSED, InlineSqlite, Refused
from irisgate.store.tables import JOB_COLUMNS, LEGACY_ROWS, clipped_error_message, request_logs, video_jobs

Processor = Callable[[Any], Any] | None
T = TypeVar("T")
FIRST_BUSY_PAUSE = 25e-6  # seconds
LAST_BUSY_PAUSE = 2e-3


class TableCodec:
    """A table's SQL and its values as SQLAlchemy's dialect encodes and decodes them (built once)."""

    def __init__(self, table: sa.Table, dialect: sa.Dialect, columns: Sequence[str] | None = None) -> None:
        quote = dialect.identifier_preparer.quote
        self.names = tuple(columns or (column.name for column in table.c))
        self.quoted = {name: quote(name) for name in self.names}
        self.table = quote(table.name)
        impls = {name: table.c[name].type.dialect_impl(dialect) for name in self.names}
        self.binds: dict[str, Processor] = {
            name: impl.bind_processor(dialect) for name, impl in impls.items()
        }
        self._processed = [(i, p) for i, p in enumerate(self.binds.values()) if p is not None]
        results = [impl.result_processor(dialect, None) for impl in impls.values()]
        self._decoders = [(i, p) for i, p in enumerate(results) if p is not None]
        self._attributes = operator.attrgetter(*self.names)
        self.row_marks = "(" + ", ".join("?" for _ in self.names) + ")"
        self.insert_sql = (
            f"INSERT INTO {self.table} ({', '.join(self.quoted.values())}) VALUES {self.row_marks}"
        )
        self._insert_many: dict[int, str] = {}

    def insert_many_sql(self, count: int) -> str:
        """One INSERT of ``count`` rows (``VALUES (…), (…)``), built once per count."""
        sql = self._insert_many.get(count)
        if sql is None:
            sql = self._insert_many[count] = self.insert_sql + f", {self.row_marks}" * (count - 1)
        return sql

    def encoded(self, record: Any) -> list[Any]:
        """A whole row's parameters from a record's attributes of the same names, in column order."""
        row = list(self._attributes(record))
        for index, process in self._processed:
            value = row[index]
            if value is not None:
                row[index] = process(value)
        return row

    def encode(self, name: str, value: Any) -> Any:
        process = self.binds[name]
        return value if value is None or process is None else process(value)

    def decoded(self, row: Sequence[Any]) -> dict[str, Any]:
        values = list(row)
        for index, process in self._decoders:
            value = values[index]
            if value is not None:
                values[index] = process(value)
        return dict(zip(self.names, values, strict=True))


class _Call:
    """One queued call: ``run(cursor, *args)`` in the lane thread, its outcome for ``future``."""

    __slots__ = ("args", "error", "future", "result", "run", "write")

    def __init__(
        self, run: Callable[..., Any], write: bool, args: tuple[Any, ...], future: asyncio.Future[Any]
    ) -> None:
        self.run = run
        self.write = write
        self.args = args
        self.future = future
        self.result: Any = None
        self.error: BaseException | None = None


_STOP = object()  # tells the thread to finish what is queued, close the connection and exit


class SqliteLane:
    """``Store``'s hot calls on a SQLite file: inline when that cannot wait, else one thread with
    its own connection and grouped commits."""

    def __init__(self, path: str, dialect: sa.Dialect, log_columns: Sequence[str]) -> None:
        self._path = path
        jobs = self._jobs = TableCodec(video_jobs, dialect, JOB_COLUMNS)
        self._logs = TableCodec(request_logs, dialect, log_columns)
        self._message = self._logs.names.index("error_message")
        # A job's row: by its seq (job_seqs.py), or a legacy row by the partial index of their ids.
        self._where = {
            True: "WHERE seq = ? AND id = ?",
            False: f"WHERE {LEGACY_ROWS} AND id = ?",
        }
        replaced = ", ".join(f"{q} = excluded.{q}" for name, q in jobs.quoted.items() if name != "id")
        self._insert_sql = (
            f"INSERT INTO {jobs.table} (seq, {', '.join(jobs.quoted.values())}) VALUES (?, "
            f"{jobs.row_marks[1:]} ON CONFLICT (seq) DO UPDATE SET {replaced} "
            f"WHERE {jobs.table}.id = excluded.id"
        )
        columns = ", ".join(jobs.quoted.values())
        self._select_sql = {k: f"SELECT {columns} FROM {jobs.table} {w}" for k, w in self._where.items()}
        self._legacy_seq_sql = f"SELECT seq FROM {jobs.table} {self._where[False]}"
        self._delete_sql = {k: f"DELETE FROM {jobs.table} {w}" for k, w in self._where.items()}
        self._update_sql: dict[tuple[str, ...], dict[bool, str]] = {}  # by changed columns
        self.thread_commits = 0  # the thread's write transactions (fewer than writes when grouped)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()  # nothing is queued after _STOP
        self._closed = False
        self._group: list[_Call] = []  # writes made in this loop turn, committed together after it
        self._pending = 0  # calls queued for the thread and not yet settled
        self._inline = InlineSqlite(path)
        self._thread = threading.Thread(target=self._serve, name="irisgate-sqlite-lane", daemon=True)
        self._thread.start()
        self._checkpointer = Checkpointer(path, lambda: self.commits)

    # -- the event loop's side ----------------------------------------------------------------------

    async def insert_job(self, job: VideoJobRecord) -> bool:
        """Record a job; an existing row with the same id is replaced. ``False`` (and nothing
        written) if another job has the id's seq."""
        return await self._submit(self._insert, True, (job,))

    async def get_job(self, job_id: str) -> VideoJobRecord | None:
        return await self._submit(self._select, False, (job_id,))

    async def update_job(self, job_id: str, **changes: Any) -> None:
        """Apply the changed fields of a job (and bump ``updated_at`` unless given)."""
        unknown = changes.keys() - self._jobs.binds.keys()
        if unknown:  # what SQLAlchemy raises for them too
            raise sa.exc.CompileError(f"Unconsumed column names: {', '.join(sorted(unknown))}")
        changes.setdefault("updated_at", utc_now())
        await self._submit(self._update, True, (job_id, changes))

    async def delete_job(self, job_id: str) -> bool:
        return await self._submit(self._delete, True, (job_id,))

    def log_row(self, record: RequestLogRecord) -> list[Any]:
        """A request log's parameters, in the order ``insert_log_rows`` binds them."""
        row = self._logs.encoded(record)
        row[self._message] = clipped_error_message(row[self._message])
        return row

    async def insert_log_rows(self, rows: Sequence[list[Any]]) -> None:
        """Insert a batch of ``log_row`` rows in one multi-row INSERT (and its own transaction)."""
        params: list[Any] = []
        for row in rows:
            params += row
        await self._submit(_execute, True, (self._logs.insert_many_sql(len(rows)), params))

    def close(self) -> None:
        """Finish the queued calls, close the connection and join the thread (again: no-op)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(_STOP)
        self._thread.join()
        self._inline.close()
        self._checkpointer.close()

    @property
    def commits(self) -> int:
        """Write transactions committed, inline and by the thread."""
        return self._inline.commits + self.thread_commits

    async def aclose(self) -> None:
        self._write_group()  # the writes of this loop turn, before the thread is told to stop
        await asyncio.to_thread(self.close)

    def _submit(self, run: Callable[..., Any], write: bool, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        """Run the call inline when that cannot wait (``sqlite_inline.py``), else queue it for the
        thread. While calls are queued, later ones queue behind them, so writes keep their order.

        Writes are grouped: those made in one turn of the event loop (concurrent requests whose
        upstream answers came in together) are committed together right after it, in one
        transaction. At concurrency 16, grouped video creates cost ~10 % less CPU each (one commit
        writes each shared page once, and takes the locks once); alone, a write waits one loop
        turn, which the benchmark could not tell from noise.
        """
        if self._closed:
            raise RuntimeError("the SQLite lane is closed")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        call = _Call(run, write, args, future)
        if not self._pending:
            if write:
                self._group.append(call)
                if len(self._group) == 1:
                    loop.call_soon(self._write_group)
                return future
            try:
                future.set_result(self._inline.run(run, args))
                return future
            except Refused:
                pass
            except Exception as error:
                future.set_exception(_wrapped(error))
                return future
        self._enqueue([*self._take_group(), call])  # the group first: submission order is kept
        return future

    def _take_group(self) -> list[_Call]:
        group, self._group = self._group, []
        return group

    def _write_group(self) -> None:
        """Commit the writes grouped in this loop turn inline, or queue them for the thread."""
        calls = self._take_group()
        if not calls:  # already queued behind an earlier call
            return
        try:
            results = self._inline.run_writes([(call.run, call.args) for call in calls])
        except Refused:
            self._enqueue(calls)
            return
        except Exception as error:
            if len(calls) == 1:
                _settle_inline(calls[0], error=error)
                return
            self._write_each(calls)  # one bad write must fail only its own caller
            return
        for call, result in zip(calls, results, strict=True):
            _settle_inline(call, result=result)

    def _write_each(self, calls: list[_Call]) -> None:
        for index, call in enumerate(calls):
            try:
                result = self._inline.run_writes([(call.run, call.args)])[0]
            except Refused:
                self._enqueue(calls[index:])
                return
            except Exception as error:
                _settle_inline(call, error=error)
            else:
                _settle_inline(call, result=result)

    def _enqueue(self, calls: list[_Call]) -> None:
        """Queue calls for the thread; later calls queue behind them until they are settled."""
        with self._lock:
            if self._closed:
                for call in calls:
                    _settle_inline(call, error=RuntimeError("the SQLite lane is closed"))
                return
            for call in calls:
                self._queue.put(call)
        self._pending += len(calls)
        for call in calls:
            call.future.add_done_callback(self._done)

    def _done(self, _future: asyncio.Future[Any]) -> None:
        self._pending -= 1

    # -- the lane thread ------------------------------------------------------------------------------

    def _serve(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while True:
                batch = [self._queue.get()]
                while True:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                calls = [call for call in batch if call is not _STOP]
                if calls:
                    connection = self._serve_batch(connection, calls)
                if len(calls) < len(batch):
                    return
        finally:
            if connection is not None:
                connection.close()

    def _serve_batch(
        self, connection: sqlite3.Connection | None, calls: list[_Call]
    ) -> sqlite3.Connection | None:
        try:
            if connection is None:
                connection = self._connect()
            cursor = connection.cursor()
            try:
                self._write(cursor, [call for call in calls if call.write])
                for call in calls:
                    if not call.write:
                        _attempt(call, cursor)
            finally:
                cursor.close()
        except Exception as error:  # whatever went wrong fails this batch, never the thread
            _fail([call for call in calls if call.error is None], error)
        _settle(calls)
        return connection

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, isolation_level=None)
        try:
            apply_sqlite_pragmas(connection)
            connection.execute("PRAGMA busy_timeout=0")  # the thread waits its own way: _patiently
            connection.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer's job, not a commit's
        except BaseException:
            connection.close()
            raise
        return connection

    def _write(self, cursor: sqlite3.Cursor, writes: list[_Call]) -> None:
        """All the writes in one transaction; if it fails, each alone, so that a bad write fails only
        its own caller. A failed BEGIN fails them all: nothing ran, and retrying each would only wait
        out the busy timeout again, once per write."""
        if not writes:
            return
        try:
            _begin(cursor)
        except Exception as error:
            _fail(writes, error)
            return
        try:
            self._run_and_commit(cursor, writes)
            return
        except Exception as error:
            if len(writes) == 1:
                _fail(writes, error)
                return
        for call in writes:
            try:
                _begin(cursor)
                self._run_and_commit(cursor, [call])
            except Exception as error:
                _fail([call], error)

    def _run_and_commit(self, cursor: sqlite3.Cursor, calls: Sequence[_Call]) -> None:
        """Run the calls in the open transaction and commit it, or roll it back."""
        try:
            for call in calls:
                call.result = call.run(cursor, *call.args)
            cursor.execute("COMMIT")
        except BaseException:
            if cursor.connection.in_transaction:
                cursor.execute("ROLLBACK")
            raise
        self.thread_commits += 1

    def _insert(self, cursor: sqlite3.Cursor, job: VideoJobRecord) -> bool:
        seq = seq_in_id(job.id)
        if seq is None:
            found = cursor.execute(self._legacy_seq_sql, (job.id,)).fetchall()
            seq = found[0][0] if found else legacy_seq(job.created_at)
        cursor.execute(self._insert_sql, [seq, *self._jobs.encoded(job)])
        return cursor.rowcount > 0

    def _select(self, cursor: sqlite3.Cursor, job_id: str) -> VideoJobRecord | None:
        has_seq, params = _row_of(job_id)
        rows = cursor.execute(self._select_sql[has_seq], params).fetchall()  # to the end: no open read
        if not rows:
            return None
        return stored_record(VideoJobRecord, self._jobs.decoded(rows[0]))

    def _update(self, cursor: sqlite3.Cursor, job_id: str, changes: dict[str, Any]) -> None:
        names = tuple(changes)
        sqls = self._update_sql.get(names)
        if sqls is None:
            assignments = ", ".join(f"{self._jobs.quoted[name]} = ?" for name in names)
            sqls = self._update_sql[names] = {
                k: f"UPDATE {self._jobs.table} SET {assignments} {w}" for k, w in self._where.items()
            }
        has_seq, params = _row_of(job_id)
        cursor.execute(
            sqls[has_seq], [*(self._jobs.encode(name, value) for name, value in changes.items()), *params]
        )

    def _delete(self, cursor: sqlite3.Cursor, job_id: str) -> bool:
        has_seq, params = _row_of(job_id)
        return bool(cursor.execute(self._delete_sql[has_seq], params).rowcount)


def _row_of(job_id: str) -> tuple[bool, tuple[Any, ...]]:
    """Which of ``SqliteLane._where`` finds the job's row, and its parameters."""
    seq = seq_in_id(job_id)
    return (False, (job_id,)) if seq is None else (True, (seq, job_id))


def _patiently(attempt: Callable[[], T]) -> T:
    """``attempt()``, tried again while another connection holds the lock it needs, up to the busy
    timeout.

    SQLite's own busy handler sleeps 1 ms, then 2, 5, 10…, where another worker holds the write lock
    for ~40 µs at a time: with two workers creating videos at once, the lane threads spent most of
    their time asleep (measured at c=64: 7,800 creates/s with two workers, 11,500 polling like
    this). So the thread polls, from 25 µs, doubling up to 2 ms between tries."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = FIRST_BUSY_PAUSE
    while True:
        try:
            return attempt()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF not in REFUSED or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, LAST_BUSY_PAUSE)


def _begin(cursor: sqlite3.Cursor) -> None:
    _patiently(lambda: cursor.execute("BEGIN IMMEDIATE"))


def _execute(cursor: sqlite3.Cursor, sql: str, params: list[Any]) -> None:
    cursor.execute(sql, params)


def _settle_inline(call: _Call, *, result: Any = None, error: BaseException | None = None) -> None:
    """Settle a call on the loop's side (a caller that gave up, e.g. a client that left, is
    skipped: its write was made all the same)."""
    if call.future.done():
        return
    if error is None:
        call.future.set_result(result)
    else:
        call.future.set_exception(_wrapped(error))


def _attempt(call: _Call, cursor: sqlite3.Cursor) -> None:
    try:
        call.result = _patiently(lambda: call.run(cursor, *call.args))
    except Exception as error:
        _fail([call], error)


def _fail(calls: Sequence[_Call], error: BaseException) -> None:
    for call in calls:
        call.error = _wrapped(error)  # one exception object per caller: each gets its own traceback


def _wrapped(error: BaseException) -> BaseException:
    """A sqlite3 error as SQLAlchemy raises it (the same classes as the PostgreSQL path)."""
    if isinstance(error, sqlite3.Error):
        return sa.exc.DBAPIError.instance(None, None, error, sqlite3.Error, hide_parameters=True)
    return error


def _settle(calls: list[_Call]) -> None:
    """Hand the outcomes to their event loop(s): one ``call_soon_threadsafe`` per loop and batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Call]] = {}
    for call in calls:
        by_loop.setdefault(call.future.get_loop(), []).append(call)
    for loop, group in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody awaits these any more
            loop.call_soon_threadsafe(_resolve, group)


def _resolve(calls: list[_Call]) -> None:
    for call in calls:
        if call.future.done():  # cancelled while queued
            continue
        if call.error is not None:
            call.future.set_exception(call.error)
        else:
            call.future.set_result(call.result)
