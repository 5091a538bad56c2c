"""The store (irisgate.store) against real SQLite files, and PostgreSQL when
``IRISGATE_TEST_POSTGRES_URL`` is set (a server where the user may CREATE DATABASE; each test gets a
fresh database, dropped afterwards)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from irisgate.config import parse_config
from irisgate.jobs.ids import VideoRef, encode_video_id
from irisgate.store import (
    RequestLogRecord,
    Store,
    VideoJobRecord,
    default_store_url,
    normalize_store_url,
    sqlite_lane,
)
from irisgate.store.job_seqs import LOW_BITS, seq_in_id
from irisgate.store.records import stored_record
from irisgate.store.sqlite_checkpoints import (
    BUSY_COMMITS,
    QUIET_INTERVAL_SECONDS,
    Checkpointer,
    checkpoint_due,
)
from irisgate.store.store import alembic_config, request_logs_query
from irisgate.store.tables import UTCDateTime, metadata, provider_keys, providers, sqlite_utc_text, video_jobs

PG_URL = os.environ.get("IRISGATE_TEST_POSTGRES_URL")
LITERAL = "lit-SECRET-do-not-store-0123456789"
ENV_SECRET = "env-SECRET-resolved-value-98765"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/data/irisgate.db"
        return
    if not PG_URL:
        pytest.skip("set IRISGATE_TEST_POSTGRES_URL to run the store tests against PostgreSQL")
    server = make_url(normalize_store_url(PG_URL))
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    name = f"irisgate_test_{uuid.uuid4().hex[:12]}"
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(store_url)
    await opened.migrate()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated store on a SQLite file: the one backend with a lane (``store.lane``)."""
    opened = await Store.open(f"sqlite:///{tmp_path}/irisgate.db")
    await opened.migrate()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNWARE_API_KEY", ENV_SECRET)
    monkeypatch.setenv("RUNWAY_API_KEY", ENV_SECRET + "-runway")


def file_providers(document: dict[str, Any]) -> Any:
    return parse_config({"providers": document}).providers


FULL = {
    "runware": {
        "keys": [
            {"name": "main", "value": "env.RUNWARE_API_KEY", "models": ["runware:100@1"], "weight": 2},
            {"name": "literal", "value": LITERAL, "enabled": False},
        ],
        "network_config": {"base_url": "http://127.0.0.1:9/v1", "retry_backoff_initial": "1s"},
    },
    "runway": {"keys": [{"name": "main", "value": "env.RUNWAY_API_KEY"}]},
}


async def add_store_provider(store: Store, name: str) -> None:
    async with store.transaction() as conn:
        await conn.execute(
            sa.insert(providers).values(
                name=name,
                display_name=name,
                source="store",
                network_config={},
                created_at=NOW,
                updated_at=NOW,
            )
        )


async def add_store_key(store: Store, provider: str, name: str) -> str:
    key_id = str(uuid.uuid4())
    async with store.transaction() as conn:
        await conn.execute(
            sa.insert(provider_keys).values(
                id=key_id,
                provider=provider,
                name=name,
                source="store",
                value_kind="literal",
                env_var=None,
                secret_hint="abcd****wxyz",
                secret_encrypted="ciphertext",
                models=["*"],
                weight=1.0,
                enabled=True,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    return key_id


async def key_names(store: Store) -> set[tuple[str, str, str]]:
    return {(k.provider, k.name, k.source) for k in await store.list_keys()}


# -- schema -----------------------------------------------------------------------------------------


async def test_migrate_creates_tables_and_is_idempotent(store_url: str) -> None:
    store = await Store.open(store_url)
    try:
        await store.migrate()
        await store.migrate()
        async with store.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))
            version = (
                await conn.execute(sa.text("SELECT version_num FROM irisgate_alembic_version"))
            ).scalar()
        expected = {"providers", "provider_keys", "request_logs", "video_jobs", "irisgate_alembic_version"}
        assert expected <= tables
        assert version == ScriptDirectory.from_config(alembic_config()).get_current_head() == "0007"
    finally:
        await store.close()
    reopened = await Store.open(store_url)  # a restart migrates again without complaint
    try:
        await reopened.migrate()
        assert await reopened.list_providers() == []
    finally:
        await reopened.close()


async def test_concurrent_migrations_do_not_collide(store_url: str) -> None:
    stores = [await Store.open(store_url) for _ in range(3)]
    try:
        await asyncio.gather(*(s.migrate() for s in stores))
        assert await stores[0].list_keys() == []
    finally:
        for s in stores:
            await s.close()


async def test_tables_module_matches_migrations(store: Store) -> None:
    def diff(conn: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)

    async with store.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    differences = [d for d in differences if "irisgate_alembic_version" not in repr(d)]
    assert differences == []


def test_sqlite_utc_text_is_what_sqlalchemy_would_store() -> None:
    dialect = sqlite.dialect()
    column = UTCDateTime()
    inner = sa.DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert column.bind_processor(dialect) is sqlite_utc_text
    values = [
        datetime(2026, 11, 22, 21, 25, 47, 163999, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),  # no microseconds: still written out
        datetime(999, 1, 2, 3, 4, 5, 6),  # naive: taken as UTC
        datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=2))),
        datetime(2025, 3, 30, 1, 30, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    ]
    for value in values:
        assert sqlite_utc_text(value) == inner(column.process_bind_param(value, dialect))
    assert sqlite_utc_text(None) is None


async def test_sqlite_settings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "x.db"
    store = await Store.open(f"sqlite:///{path}")  # plain sqlite:// gets the async driver
    try:
        await store.migrate()
        async with store.engine.connect() as conn:
            journal = (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar()
            foreign_keys = (await conn.execute(sa.text("PRAGMA foreign_keys"))).scalar()
            busy = (await conn.execute(sa.text("PRAGMA busy_timeout"))).scalar()
        assert (journal, foreign_keys, busy) == ("wal", 1, 5000)
        assert path.exists()
    finally:
        await store.close()


def test_default_store_url(tmp_path: Path) -> None:
    assert default_store_url(tmp_path) == f"sqlite+aiosqlite:///{tmp_path.resolve()}/irisgate.db"
    assert normalize_store_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_store_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


# -- syncing the config file ------------------------------------------------------------------------


async def test_sync_inserts_file_providers_and_keys(store: Store) -> None:
    config = file_providers(FULL)
    await store.sync_file_providers(config)
    records = {p.name: p for p in await store.list_providers()}
    assert set(records) == {"runware", "runway"}
    runware = records["runware"]
    assert (runware.display_name, runware.source) == ("Runware", "file")
    assert runware.network_config["base_url"] == "http://127.0.0.1:9/v1"
    assert runware.network_config["retry_backoff_initial"] == 1000
    assert runware.created_at.tzinfo is not None
    keys = {(k.provider, k.name): k for k in await store.list_keys()}
    main = keys[("runware", "main")]
    assert main.id == config["runware"].keys[0].id
    assert (main.source, main.value_kind, main.env_var, main.secret_hint) == (
        "file",
        "env",
        "RUNWARE_API_KEY",
        None,
    )
    assert (main.models, main.weight, main.enabled) == (("runware:100@1",), 2.0, True)
    literal = keys[("runware", "literal")]
    assert (literal.value_kind, literal.env_var, literal.secret_hint) == ("literal", None, "lit-****6789")
    assert literal.secret_encrypted is None and literal.enabled is False
    assert [k.name for k in await store.list_keys("runway")] == ["main"]


async def test_resync_removes_what_left_the_file_and_keeps_store_rows(store: Store) -> None:
    await store.sync_file_providers(file_providers(FULL))
    await add_store_provider(store, "custom")
    await add_store_key(store, "custom", "ui-key")
    ui_key = await add_store_key(store, "runware", "ui-key")
    first = {k.id: k for k in await store.list_keys()}

    smaller = {
        "runware": {"keys": [FULL["runware"]["keys"][0]], "network_config": FULL["runware"]["network_config"]}
    }
    await store.sync_file_providers(file_providers(smaller))

    assert {(p.name, p.source) for p in await store.list_providers()} == {
        ("runware", "file"),
        ("custom", "store"),
    }
    assert await key_names(store) == {
        ("runware", "main", "file"),
        ("runware", "ui-key", "store"),
        ("custom", "ui-key", "store"),
    }
    after = {k.id: k for k in await store.list_keys()}
    assert after[ui_key].secret_encrypted == "ciphertext"  # store rows untouched
    main_id = file_providers(FULL)["runware"].keys[0].id
    assert after[main_id].updated_at == first[main_id].updated_at  # unchanged rows are not rewritten


async def test_resync_updates_changed_values(store: Store) -> None:
    await store.sync_file_providers(file_providers(FULL))
    changed = {"runware": {"keys": [{"name": "main", "value": "env.RUNWAY_API_KEY", "weight": 0.5}]}}
    await store.sync_file_providers(file_providers(changed))
    (key,) = await store.list_keys()
    assert (key.env_var, key.weight, key.models) == ("RUNWAY_API_KEY", 0.5, ("*",))
    (provider,) = await store.list_providers()
    assert provider.network_config["base_url"] == "https://api.runware.ai/v1"


async def test_file_takes_over_a_store_provider_of_the_same_name(store: Store) -> None:
    await add_store_provider(store, "runway")
    ui_key = await add_store_key(store, "runway", "ui-key")
    await store.sync_file_providers(file_providers({"runway": FULL["runway"]}))
    (provider,) = await store.list_providers()
    assert (provider.name, provider.source, provider.display_name) == ("runway", "file", "Runway ML")
    assert await key_names(store) == {("runway", "main", "file"), ("runway", "ui-key", "store")}
    assert ui_key in {k.id for k in await store.list_keys()}


async def test_file_key_replaces_a_store_key_with_the_same_name(store: Store) -> None:
    await add_store_provider(store, "runway")
    await add_store_key(store, "runway", "main")
    await store.sync_file_providers(file_providers({"runway": FULL["runway"]}))
    (key,) = await store.list_keys()
    assert (key.name, key.source, key.id) == ("main", "file", file_providers(FULL)["runway"].keys[0].id)


async def test_removed_file_provider_with_ui_keys_becomes_a_store_provider(store: Store) -> None:
    await store.sync_file_providers(file_providers(FULL))
    await add_store_key(store, "runway", "ui-key")
    await store.sync_file_providers(file_providers({"runware": FULL["runware"]}))
    sources = {p.name: p.source for p in await store.list_providers()}
    assert sources == {"runware": "file", "runway": "store"}
    assert {(p, n, s) for p, n, s in await key_names(store) if p == "runway"} == {
        ("runway", "ui-key", "store")
    }


async def test_sync_with_no_providers_empties_file_rows(store: Store) -> None:
    await store.sync_file_providers(file_providers(FULL))
    await store.sync_file_providers({})
    assert await store.list_providers() == []
    assert await store.list_keys() == []


async def test_deleting_a_provider_cascades_to_its_keys(store: Store) -> None:
    await store.sync_file_providers(file_providers(FULL))
    async with store.transaction() as conn:
        await conn.execute(sa.delete(providers).where(providers.c.name == "runware"))
    assert {k.provider for k in await store.list_keys()} == {"runway"}


async def test_literal_secret_never_reaches_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "secret-check.db"
    store = await Store.open(f"sqlite+aiosqlite:///{db}")
    try:
        await store.migrate()
        await store.sync_file_providers(file_providers(FULL))
        await store.sync_file_providers(file_providers(FULL))
        assert any(k.secret_hint for k in await store.list_keys())
    finally:
        await store.close()
    files = list(tmp_path.glob("secret-check.db*"))
    contents = b"".join(path.read_bytes() for path in files)
    assert b"RUNWARE_API_KEY" in contents  # the check reads real data ...
    assert LITERAL.encode() not in contents  # ... and neither secret is in it
    assert LITERAL[4:-4].encode() not in contents
    assert ENV_SECRET.encode() not in contents


# -- request logs -----------------------------------------------------------------------------------


def log(n: int, **overrides: Any) -> RequestLogRecord:
    values: dict[str, Any] = {
        "request_id": f"req-{n}",
        "method": "POST",
        "route": "/v1/images/generations",
        "status_code": 200,
        "latency_ms": 10.0 + n,
        "provider": "runware",
        "model": "runware:100@1",
        "key_id": "k1",
        "key_name": "main",
        "created_at": NOW + timedelta(seconds=n),
    }
    values.update(overrides)
    return RequestLogRecord(**values)


async def test_request_logs_insert_and_list(store: Store) -> None:
    rows = [log(n) for n in range(10)]
    rows[3] = log(
        3, provider="runway", status_code=502, error_code="upstream_error", error_message="x" * 5000
    )
    rows[7] = log(7, status_code=502, cost_usd=0.0125)
    await store.insert_request_logs(rows)
    await store.insert_request_logs([])

    newest = await store.list_request_logs()
    assert [r.request_id for r in newest] == [f"req-{n}" for n in range(9, -1, -1)]
    ids = [r.id for r in newest]
    assert all(isinstance(i, int) for i in ids) and ids == sorted(ids, reverse=True)
    first = newest[-1]
    assert first.created_at == NOW and first.created_at.tzinfo is not None
    assert (first.method, first.route, first.model, first.key_id, first.key_name) == (
        "POST",
        "/v1/images/generations",
        "runware:100@1",
        "k1",
        "main",
    )
    assert first.latency_ms == 10.0 and first.cost_usd is None

    failed = await store.list_request_logs(status_code=502)
    assert [r.request_id for r in failed] == ["req-7", "req-3"]
    assert failed[0].cost_usd == pytest.approx(0.0125)
    runway = await store.list_request_logs(provider="runway")
    assert [r.request_id for r in runway] == ["req-3"]
    assert runway[0].error_code == "upstream_error"
    assert runway[0].error_message == "x" * 2000  # truncated
    assert await store.list_request_logs(provider="runway", status_code=200) == []


async def test_request_log_filters_on_sqlite_walk_ids_or_the_errors_index(tmp_path: Path) -> None:
    """No index on provider or on successes (nothing a request writes more than it must); errors
    are found through their partial index, and what is found is the same either way."""
    store = await Store.open(f"sqlite:///{tmp_path}/plans.db")
    try:
        await store.migrate()
        await store.insert_request_logs([log(n, status_code=200 if n % 50 else 503) for n in range(400)])

        async def plan(**filters: Any) -> str:
            query = request_logs_query(
                50, filters.get("before_id"), filters.get("provider"), filters.get("status_code")
            )
            sql = str(query.compile(store.engine.sync_engine, compile_kwargs={"literal_binds": True}))
            async with store.engine.connect() as conn:
                rows = (await conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))).all()
            return " | ".join(str(row[-1]) for row in rows)

        assert "ix_request_logs_errors" in await plan(status_code=503)
        assert "ix_request_logs_errors" in await plan(status_code=404, before_id=100)
        assert "ix_request_logs_errors" not in await plan(status_code=200)
        assert "ix_request_logs_errors" not in await plan(provider="runware")
        errors = await store.list_request_logs(status_code=503)
        assert [r.request_id for r in errors] == [f"req-{n}" for n in range(350, -1, -50)]
        assert len(await store.list_request_logs(status_code=200, limit=1000)) == 392
        assert await store.list_request_logs(status_code=503, before_id=errors[2].id) == errors[3:]
    finally:
        await store.close()


async def test_request_logs_pagination(store: Store) -> None:
    await store.insert_request_logs([log(n) for n in range(25)])
    seen: list[str] = []
    before: int | None = None
    while True:
        page = await store.list_request_logs(limit=10, before_id=before)
        if not page:
            break
        assert len(page) <= 10
        seen += [r.request_id for r in page]
        before = page[-1].id
    assert seen == [f"req-{n}" for n in range(24, -1, -1)]


async def test_request_log_times_are_stored_in_utc(store: Store) -> None:
    plus_two = timezone(timedelta(hours=2))
    await store.insert_request_logs([log(1, created_at=datetime(2025, 1, 1, 12, 0, tzinfo=plus_two))])
    (row,) = await store.list_request_logs()
    assert row.created_at == datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    assert row.created_at.utcoffset() == timedelta(0)


# -- video jobs -------------------------------------------------------------------------------------


def job(n: int, **overrides: Any) -> VideoJobRecord:
    """The job ``n``: an id of ours, made ``n`` seconds after NOW (``legacy_job`` for older ids)."""
    seq = (int(NOW.timestamp() * 1000) + n * 1000) << LOW_BITS
    values: dict[str, Any] = {
        "id": encode_video_id(VideoRef("runway", "k1", f"task-{n}"), seq),
        "provider": "runway",
        "upstream_id": f"task-{n}",
        "key_id": "k1",
        "model": "gen4_turbo",
        "status": "queued",
        "created_at": NOW + timedelta(seconds=n),
        "updated_at": NOW + timedelta(seconds=n),
    }
    values.update(overrides)
    return VideoJobRecord(**values)


def legacy_job(n: int, **overrides: Any) -> VideoJobRecord:
    """The job ``n`` with an id made before seqs (``job_seqs.py``): no seq to find its row by."""
    return job(n, **{"id": f"video_A{n:04d}", **overrides})


async def test_jobs_read_back_identical_whichever_path_wrote_them(store: Store) -> None:
    assert (store.lane is not None) == (store.dialect == "sqlite")  # SQLite files take the lane
    plus_two = timezone(timedelta(hours=2))
    full = job(
        1,
        key_name="main",
        prompt="a cat on a skateboard",
        seconds="5",
        size="1280x720",
        status="completed",
        progress=100,
        completed_at=datetime(2025, 1, 2, 5, 6, 7, 123456, tzinfo=plus_two),
        cost_usd=0.1234567,
        output_url="https://cdn.example/v.mp4",
        error_code="none",
        error_message="ünïcode ✓",
        client_key_id="vk1",
    )
    sparse = job(2)  # every optional field None
    await store.insert_job(full)
    await store.insert_job(sparse)

    got = await store.get_job(full.id)
    assert got == full and await store.get_job(sparse.id) == sparse
    assert got is not None and got.completed_at is not None
    times = (got.created_at, got.updated_at, got.completed_at)
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert got.completed_at == datetime(2025, 1, 2, 3, 6, 7, 123456, tzinfo=UTC)
    assert await store.get_job("video_missing") is None
    assert await store.list_jobs(order="asc") == ([full, sparse], False)  # the SQLAlchemy path reads them

    direct = job(3, completed_at=datetime(2025, 2, 3, 4, 5, 6, 7, tzinfo=plus_two), cost_usd=2.5)
    async with store.transaction() as conn:  # a row written by SQLAlchemy, read back by get_job
        await conn.execute(
            sa.insert(video_jobs).values(seq=seq_in_id(direct.id), **dataclasses.asdict(direct))
        )
    assert await store.get_job(direct.id) == direct


async def test_legacy_jobs_are_found_by_their_ids_and_listed_by_creation(store: Store) -> None:
    """Ids made before seqs (job_seqs.py) hold none: their rows are found by the partial index."""
    first, second = legacy_job(1), legacy_job(2)
    newer = job(3)
    for made in (second, newer, first):  # the order of creation is not the order of writes
        assert await store.insert_job(made) is True
    assert [await store.get_job(j.id) for j in (first, second, newer)] == [first, second, newer]
    assert await store.list_jobs(order="asc") == ([first, second, newer], False)
    assert await store.list_jobs(limit=1, after=second.id) == ([first], False)
    assert await store.list_jobs(limit=1, after=first.id, order="asc") == ([second], True)

    replacement = legacy_job(1, status="in_progress", key_name="spare")
    assert await store.insert_job(replacement) is True  # the same legacy id again replaces the row
    await store.update_job(second.id, status="failed", updated_at=NOW)
    assert await store.list_jobs(order="asc") == (
        [replacement, dataclasses.replace(second, status="failed", updated_at=NOW), newer],
        False,
    )
    assert await store.delete_job(first.id) is True
    assert await store.get_job(first.id) is None
    assert await store.list_jobs(after=first.id) == ([], False)  # a cursor that is gone: an empty page
    async with store.engine.connect() as conn:
        seqs = dict((await conn.execute(sa.select(video_jobs.c.id, video_jobs.c.seq))).all())
    assert seqs[second.id] < 0 < seqs[newer.id] == seq_in_id(newer.id)


async def test_a_job_never_replaces_another_whose_seq_its_id_names(store: Store) -> None:
    mine = job(1)
    forged = job(1, id=encode_video_id(VideoRef("runway", "k1", "task-other"), seq_in_id(mine.id)))
    assert seq_in_id(forged.id) == seq_in_id(mine.id) and forged.id != mine.id
    assert await store.insert_job(mine) is True
    assert await store.insert_job(forged) is False
    assert await store.get_job(mine.id) == mine
    assert await store.get_job(forged.id) is None
    await store.update_job(forged.id, status="failed")  # nor is it changed or deleted by the other id
    assert await store.delete_job(forged.id) is False
    assert await store.list_jobs() == ([mine], False)


async def test_sqlite_finds_a_job_by_its_seq_or_the_legacy_index(sqlite_store: Store) -> None:
    lane = sqlite_store.lane
    assert lane is not None
    await sqlite_store.insert_job(job(1))
    async with sqlite_store.engine.connect() as conn:
        plans = {}
        for has_seq, sql in lane._select_sql.items():
            rows = (await conn.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}".replace("?", "'x'")))).all()
            plans[has_seq] = " ".join(row[-1] for row in rows)
    assert "USING INTEGER PRIMARY KEY" in plans[True]  # the table itself: no index to read or write
    assert "USING INDEX ux_video_jobs_legacy_id" in plans[False]


async def test_migration_0007_gives_the_jobs_already_there_legacy_seqs(store_url: str) -> None:
    from alembic import command

    # Ids without a seq (one with the time alone: 12 hex digits), and one with a seq, as a
    # downgrade to 0006 would leave it: it keeps its seq.
    made = [legacy_job(2), job(4), legacy_job(1, id="video_0192a3b4c5d6AQIabc"), legacy_job(3)]
    store = await Store.open(store_url)
    try:
        async with store.transaction(exclusive=True) as conn:
            await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0006"))
            before = sa.table(
                "video_jobs", *(sa.column(c.name, c.type) for c in video_jobs.c if c.name != "seq")
            )
            await conn.execute(sa.insert(before), [dataclasses.asdict(j) for j in made])
        await store.migrate()
        by_creation = sorted(made, key=lambda j: j.created_at)
        assert await store.list_jobs(order="asc") == (by_creation, False)
        assert [await store.get_job(j.id) for j in made] == made
        newer = job(5)
        assert await store.insert_job(newer) is True
        assert await store.list_jobs(limit=2) == ([newer, by_creation[-1]], True)
        assert await store.insert_job(legacy_job(9, id=made[0].id)) is True  # replaced, not added
        assert len((await store.list_jobs())[0]) == 5
        async with store.engine.connect() as conn:
            seqs = dict((await conn.execute(sa.select(video_jobs.c.id, video_jobs.c.seq))).all())
        assert seqs[made[1].id] == seq_in_id(made[1].id) and seqs[made[0].id] < 0
    finally:
        await store.close()


async def test_job_update_replace_and_delete(store: Store) -> None:
    original = job(1)
    await store.insert_job(original)
    await store.update_job(
        original.id, status="completed", progress=100, completed_at=NOW, output_url="https://x/v.mp4"
    )
    updated = await store.get_job(original.id)
    assert updated is not None
    assert (updated.status, updated.progress, updated.completed_at, updated.output_url) == (
        "completed",
        100,
        NOW,
        "https://x/v.mp4",
    )
    assert updated.updated_at > original.updated_at  # bumped to now
    assert dataclasses.replace(updated, status="queued", progress=0, completed_at=None, output_url=None) == (
        dataclasses.replace(original, updated_at=updated.updated_at)
    )
    await store.update_job(original.id, error_code="gone", updated_at=NOW)
    assert (await store.get_job(original.id)) == dataclasses.replace(
        updated, error_code="gone", updated_at=NOW
    )
    await store.update_job("video_missing", status="failed")  # no such job: nothing happens
    assert await store.get_job("video_missing") is None

    replacement = job(1, upstream_id="task-other", status="in_progress", key_name="spare")
    await store.insert_job(replacement)  # the same id again replaces the row
    assert await store.get_job(original.id) == replacement
    assert await store.list_jobs() == ([replacement], False)

    assert await store.delete_job(original.id) is True
    assert await store.get_job(original.id) is None
    assert await store.delete_job(original.id) is False


async def loop_turns(count: int = 3) -> None:
    """Let the event loop go round: the calls submitted are made (a write, grouped with those of the
    same turn, the turn after)."""
    for _ in range(count):
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def write_lock_held_elsewhere(store: Store) -> AsyncIterator[None]:
    """On SQLite, another connection holds the write lock until the block ends (as another worker or
    the request-log batch would); on PostgreSQL, nothing."""
    if store.lane is None:
        yield
        return
    blocker = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        blocker.execute("COMMIT")
        blocker.close()


async def test_a_write_waits_for_a_lock_held_elsewhere_up_to_the_busy_timeout(
    sqlite_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = sqlite_store
    lane = store.lane
    assert lane is not None
    monkeypatch.setattr(sqlite_lane, "SQLITE_BUSY_TIMEOUT_MS", 300)
    async with write_lock_held_elsewhere(store):
        waiting = asyncio.ensure_future(store.insert_job(job(1)))
        await asyncio.sleep(0.05)  # the lane thread keeps trying meanwhile
        assert not waiting.done()
    await waiting  # made once the lock is free
    async with write_lock_held_elsewhere(store):
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            await store.insert_job(job(2))  # held past the busy timeout: an error, not a hang
    assert await store.get_job(job(1).id) == job(1)
    assert await store.get_job(job(2).id) is None
    await store.insert_job(job(2))
    assert await store.get_job(job(2).id) == job(2)


async def test_job_calls_run_inline_when_nothing_waits(sqlite_store: Store) -> None:
    store = sqlite_store
    lane = store.lane
    assert lane is not None
    before = (lane.commits, lane.thread_commits)
    await store.insert_job(job(1))
    await store.update_job(job(1).id, status="completed")
    assert (lane.commits, lane.thread_commits) == (before[0] + 2, before[1])  # no thread used
    async with write_lock_held_elsewhere(store):
        assert (await store.get_job(job(1).id)).status == "completed"  # WAL: reads never wait


async def test_the_writes_of_one_loop_turn_share_one_inline_commit(sqlite_store: Store) -> None:
    store = sqlite_store
    lane = store.lane
    assert lane is not None
    before = (lane.commits, lane.thread_commits)
    jobs = [job(n) for n in range(10)]
    await asyncio.gather(*(store.insert_job(j) for j in jobs), store.insert_request_logs([log(1)]))
    assert (lane.commits, lane.thread_commits) == (before[0] + 1, before[1])
    assert await asyncio.gather(*(store.get_job(j.id) for j in jobs)) == jobs
    assert [r.request_id for r in await store.list_request_logs()] == ["req-1"]


async def test_a_grouped_write_is_made_even_if_its_caller_gives_up(sqlite_store: Store) -> None:
    store = sqlite_store
    writing = asyncio.ensure_future(store.insert_job(job(1)))
    await asyncio.sleep(0)  # submitted: grouped with this loop turn's writes
    writing.cancel()  # as when the client of a create leaves: the job exists upstream all the same
    with contextlib.suppress(asyncio.CancelledError):
        await writing
    await loop_turns()
    assert await store.get_job(job(1).id) == job(1)


async def test_request_log_batches_run_inline_and_queue_behind_a_held_lock(sqlite_store: Store) -> None:
    store = sqlite_store
    lane = store.lane
    assert lane is not None
    before = (lane.commits, lane.thread_commits)
    await store.insert_request_logs([log(n) for n in range(25)])
    assert (lane.commits, lane.thread_commits) == (before[0] + 1, before[1])  # one inline INSERT
    async with write_lock_held_elsewhere(store):
        queued = asyncio.ensure_future(store.insert_request_logs([log(n) for n in range(25, 30)]))
        await loop_turns()  # tried inline, refused at once, queued for the lane thread
        assert not queued.done()
    await queued
    assert lane.thread_commits == before[1] + 1
    assert [r.request_id for r in await store.list_request_logs()] == [f"req-{n}" for n in range(29, -1, -1)]


def test_the_checkpointer_copies_committed_pages_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "irisgate.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # as the serving loop's connection
    writer.execute("CREATE TABLE t (v)")
    writer.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(100)])

    def rows_in_the_file_alone() -> int:  # a copy without its WAL sees only what was checkpointed
        copy = tmp_path / "copy.db"
        copy.write_bytes(path.read_bytes())
        reader = sqlite3.connect(copy)
        try:
            return reader.execute("SELECT count(*) FROM t").fetchone()[0]
        except sqlite3.OperationalError:  # not even the table
            return 0
        finally:
            reader.close()

    commits = 0
    idle = Checkpointer(str(path), lambda: commits, interval=3600)
    idle.close()  # nothing was committed (as far as it knows): no checkpoint
    assert idle.checkpoints == 0 and rows_in_the_file_alone() == 0
    commits = 101
    checkpointer = Checkpointer(str(path), lambda: commits, interval=3600)
    checkpointer.close()  # a last checkpoint of what was committed since the last one
    assert (checkpointer.checkpoints, checkpointer.restarts) == (1, 0)  # a small WAL: PASSIVE only
    assert rows_in_the_file_alone() == 100
    writer.close()


def test_a_checkpoint_is_due_at_once_after_many_commits_and_soon_after_a_few() -> None:
    assert not checkpoint_due(0, 3600)  # nothing new: nothing to copy
    assert checkpoint_due(BUSY_COMMITS, 0)
    assert not checkpoint_due(BUSY_COMMITS - 1, QUIET_INTERVAL_SECONDS / 2)
    assert checkpoint_due(1, QUIET_INTERVAL_SECONDS)


def test_a_long_wal_is_restarted_unless_a_reader_holds_on_and_writers_are_never_held_up(
    tmp_path: Path,
) -> None:
    path = tmp_path / "irisgate.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("PRAGMA busy_timeout=0")  # as the serving loop's connection: never waits
    writer.execute("CREATE TABLE t (v)")
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM t").fetchall()  # a snapshot from before the writes
    for n in range(110):  # a frame or more per commit
        writer.execute("INSERT INTO t VALUES (?)", (n,))

    held_up = Checkpointer(str(path), lambda: 1, interval=3600, restart_after_frames=100)
    held_up.close()  # the reader's snapshot still needs the WAL: RESTART gives up (soon)
    assert (held_up.checkpoints, held_up.restarts) == (1, 0)
    writer.execute("INSERT INTO t VALUES (-1)")  # and left the write lock free

    reader.rollback()
    checkpointer = Checkpointer(str(path), lambda: 2, interval=3600, restart_after_frames=100)
    checkpointer.close()
    assert (checkpointer.checkpoints, checkpointer.restarts) == (1, 1)
    writer.execute("INSERT INTO t VALUES (-2)")  # starts the WAL over: one commit's frames in it
    _, frames, _ = writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames <= 2
    writer.close()
    reader.close()


async def test_concurrent_job_writes_all_land_and_share_commits(store: Store) -> None:
    jobs = [job(n) for n in range(200)]
    thread_commits = store.lane.thread_commits if store.lane else 0
    async with write_lock_held_elsewhere(store):
        writes = asyncio.gather(*(store.insert_job(j) for j in jobs))
        await loop_turns()  # every write was tried inline, refused at once, and queued
    await writes
    # Queued behind the lock, the writes are drained together: committing each on its own would
    # count 200 commits.
    if store.lane is not None:
        assert 0 < store.lane.thread_commits - thread_commits < len(jobs)
    assert await asyncio.gather(*(store.get_job(j.id) for j in jobs)) == jobs
    await asyncio.gather(*(store.update_job(j.id, status="failed", updated_at=NOW) for j in jobs[::2]))
    deleted = await asyncio.gather(*(store.delete_job(j.id) for j in jobs[1::2]))
    assert deleted == [True] * 100
    remaining = await asyncio.gather(*(store.get_job(j.id) for j in jobs))
    assert remaining[::2] == [dataclasses.replace(j, status="failed", updated_at=NOW) for j in jobs[::2]]
    assert remaining[1::2] == [None] * 100


@pytest.mark.parametrize("contended", [False, True], ids=["inline", "queued"])
async def test_a_failing_job_write_fails_only_its_caller(store: Store, contended: bool) -> None:
    good = [job(n) for n in range(10)]
    bad = job(99, provider=None)  # NOT NULL violation
    async with write_lock_held_elsewhere(store) if contended else contextlib.nullcontext():
        writes = asyncio.gather(
            *(store.insert_job(j) for j in [*good[:5], bad, *good[5:]]), return_exceptions=True
        )
        await loop_turns()  # contended: all queued, then written in one batch that fails
    outcomes = await writes
    assert isinstance(outcomes.pop(5), sa.exc.IntegrityError)  # the same class on either backend
    assert outcomes == [True] * 10
    assert await store.get_job(bad.id) is None
    assert await asyncio.gather(*(store.get_job(j.id) for j in good)) == good


async def test_lane_before_migrations_and_after_close(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite:///{tmp_path}/fresh/irisgate.db")
    lane = store.lane
    assert lane is not None
    with pytest.raises(sa.exc.OperationalError, match="no such table"):  # raised, the thread lives on
        await store.get_job("video_0001")
    await store.migrate()
    await store.insert_job(job(1))
    assert await store.get_job(job(1).id) == job(1)
    await store.close()
    await store.close()  # closing twice is fine
    assert not lane._thread.is_alive()
    with pytest.raises(RuntimeError, match="closed"):
        await store.get_job(job(1).id)


def test_a_stored_record_needs_exactly_its_fields() -> None:
    values = dataclasses.asdict(job(1))
    assert stored_record(VideoJobRecord, values) == job(1)
    with pytest.raises(ValueError, match="exactly its fields"):
        stored_record(VideoJobRecord, {k: v for k, v in values.items() if k != "prompt"})
    with pytest.raises(ValueError, match="exactly its fields"):
        stored_record(VideoJobRecord, {**values, "surprise": 1})
