"""The store (irisgate.store) against real SQLite files, and PostgreSQL when
``IRISGATE_TEST_POSTGRES_URL`` is set (a server where the user may CREATE DATABASE; each test gets a
fresh database, dropped afterwards)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
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
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from irisgate.config import parse_config
from irisgate.jobs.ids import new_video_id
from irisgate.store import (
    RequestLogRecord,
    Store,
    StoreUnavailable,
    VideoJobRecord,
    default_store_url,
    normalize_store_url,
)
from irisgate.store.request_logs import request_logs_query
from irisgate.store.store import alembic_config
from irisgate.store.tables import metadata, provider_keys, providers, revoked_sessions

PG_URL = os.environ.get("IRISGATE_TEST_POSTGRES_URL")
LITERAL = "lit-SECRET-do-not-store-0123456789"
ENV_SECRET = "env-SECRET-resolved-value-98765"
NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/data/irisgate.db"
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
    await execute(
        store,
        sa.insert(providers).values(
            name=name,
            display_name=name,
            source="store",
            network_config={},
            created_at=NOW,
            updated_at=NOW,
        ),
    )


async def execute(store: Store, statement: sa.Executable) -> list[Any]:
    """Run one statement in a transaction of the store; its rows, if it has any."""

    def run(conn: sa.Connection) -> list[Any]:
        result = conn.execute(statement)
        return list(result.all()) if result.returns_rows else []

    return await store.run(run)


async def add_store_key(store: Store, provider: str, name: str) -> str:
    key_id = str(uuid.uuid4())
    await execute(
        store,
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
        ),
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
        tables = await store.run(lambda conn: set(sa.inspect(conn).get_table_names()))
        [(version,)] = await execute(store, sa.text("SELECT version_num FROM irisgate_alembic_version"))
        expected = {
            "providers",
            "provider_keys",
            "request_logs",
            "video_jobs",
            "revoked_sessions",
            "webhook_endpoints",
            "webhook_events",
            "webhook_deliveries",
            "webhook_attempts",
            "irisgate_alembic_version",
        }
        assert expected <= tables
        assert version == ScriptDirectory.from_config(alembic_config()).get_current_head() == "0004"
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

    differences = await store.run(diff)
    differences = [d for d in differences if "irisgate_alembic_version" not in repr(d)]
    assert differences == []


async def test_sqlite_settings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "x.db"
    store = await Store.open(f"sqlite+aiosqlite:///{path}")  # earlier versions' URL: the same database
    try:
        await store.migrate()
        [(journal,)] = await execute(store, sa.text("PRAGMA journal_mode"))
        [(foreign_keys,)] = await execute(store, sa.text("PRAGMA foreign_keys"))
        [(busy,)] = await execute(store, sa.text("PRAGMA busy_timeout"))
        assert (journal, foreign_keys, busy) == ("wal", 1, 5000)
        assert path.exists()
    finally:
        await store.close()


def test_default_store_url(tmp_path: Path) -> None:
    assert default_store_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/irisgate.db"
    assert normalize_store_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert normalize_store_url("sqlite+aiosqlite:///x.db") == "sqlite:///x.db"


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
    await execute(store, sa.delete(providers).where(providers.c.name == "runware"))
    assert {k.provider for k in await store.list_keys()} == {"runway"}


async def test_literal_secret_never_reaches_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "secret-check.db"
    store = await Store.open(f"sqlite:///{db}")
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
            sql = str(query.compile(dialect=sqlite_dialect(), compile_kwargs={"literal_binds": True}))
            rows = await execute(store, sa.text(f"EXPLAIN QUERY PLAN {sql}"))
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
    """The job ``n``, made ``n`` seconds after NOW (its id begins with that time)."""
    created = NOW + timedelta(seconds=n)
    values: dict[str, Any] = {
        "id": new_video_id(int(created.timestamp() * 1000)),
        "provider": "runway",
        "upstream_id": f"task-{n}",
        "key_id": "k1",
        "model": "gen4_turbo",
        "status": "queued",
        "created_at": created,
        "updated_at": created,
    }
    values.update(overrides)
    return VideoJobRecord(**values)


async def test_jobs_read_back_identical(store: Store) -> None:
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
    sparse = job(2, upstream_id=None, status="submitting")  # every optional field None
    await store.insert_job(full)
    await store.insert_job(sparse)

    got = await store.get_job(full.id)
    assert got == full and await store.get_job(sparse.id) == sparse
    assert got is not None and got.completed_at is not None
    times = (got.created_at, got.updated_at, got.completed_at)
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert got.completed_at == datetime(2025, 1, 2, 3, 6, 7, 123456, tzinfo=UTC)
    assert await store.get_job("video_missing") is None
    assert await store.list_jobs(order="asc") == ([full, sparse], False)
    with pytest.raises(sa.exc.IntegrityError):  # an id names one job, never two
        await store.insert_job(dataclasses.replace(sparse, upstream_id="task-other"))


async def test_jobs_list_in_creation_order_and_page(store: Store) -> None:
    made = [job(n, client_key_id="vk1" if n % 2 else None) for n in (3, 1, 4, 2, 5)]
    for one in made:
        await store.insert_job(one)
    by_creation = sorted(made, key=lambda j: j.created_at)
    assert [j.id for j in by_creation] == sorted(j.id for j in made)  # ids sort by creation
    assert await store.list_jobs(order="asc", limit=100) == (by_creation, False)
    newest = by_creation[::-1]
    assert await store.list_jobs(limit=2) == (newest[:2], True)
    assert await store.list_jobs(limit=2, after=newest[1].id) == (newest[2:4], True)
    assert await store.list_jobs(limit=2, after=newest[3].id) == (newest[4:], False)
    assert await store.list_jobs(limit=2, after=by_creation[1].id, order="asc") == (by_creation[2:4], True)
    mine = [j for j in newest if j.client_key_id == "vk1"]
    assert await store.list_jobs(client_key_id="vk1") == (mine, False)
    assert await store.list_jobs(client_key_id="vk1", limit=1, after=mine[0].id) == (mine[1:2], True)
    assert await store.list_jobs(status="failed") == ([], False)
    assert await store.list_jobs(provider="runway", limit=1) == (newest[:1], True)


async def test_job_update_and_delete(store: Store) -> None:
    original = job(1, status="submitting", upstream_id=None)
    await store.insert_job(original)
    # a conditional update: only while the job is still in the expected state
    assert await store.update_job(original.id, only_if_status="queued", status="failed") is False
    assert await store.update_job(
        original.id, only_if_status="submitting", status="queued", upstream_id="task-1"
    )
    await store.update_job(
        original.id, status="completed", progress=100, completed_at=NOW, output_url="https://x/v.mp4"
    )
    updated = await store.get_job(original.id)
    assert updated is not None
    assert (
        updated.status,
        updated.upstream_id,
        updated.progress,
        updated.completed_at,
        updated.output_url,
    ) == (
        "completed",
        "task-1",
        100,
        NOW,
        "https://x/v.mp4",
    )
    assert updated.updated_at > original.updated_at  # bumped to now
    await store.update_job(original.id, error_code="gone", updated_at=NOW)
    assert (await store.get_job(original.id)) == dataclasses.replace(
        updated, error_code="gone", updated_at=NOW
    )
    assert await store.update_job("video_missing", status="failed") is False  # no such job
    assert await store.get_job("video_missing") is None

    assert await store.delete_job(original.id) is True
    assert await store.get_job(original.id) is None
    assert await store.delete_job(original.id) is False


async def test_concurrent_job_writes_all_land(store: Store) -> None:
    jobs = [job(n) for n in range(100)]
    await asyncio.gather(*(store.insert_job(j) for j in jobs))
    assert await asyncio.gather(*(store.get_job(j.id) for j in jobs)) == jobs
    await asyncio.gather(*(store.update_job(j.id, status="failed", updated_at=NOW) for j in jobs[::2]))
    deleted = await asyncio.gather(*(store.delete_job(j.id) for j in jobs[1::2]))
    assert deleted == [True] * 50
    remaining = await asyncio.gather(*(store.get_job(j.id) for j in jobs))
    assert remaining[::2] == [dataclasses.replace(j, status="failed", updated_at=NOW) for j in jobs[::2]]
    assert remaining[1::2] == [None] * 50


async def test_a_store_that_cannot_be_used_is_a_503_and_recovers(tmp_path: Path) -> None:
    """A write lock held elsewhere past the busy timeout (a stuck process), a missing table: each
    call fails with StoreUnavailable, and the next call after the cause is gone succeeds."""
    store = await Store.open(f"sqlite:///{tmp_path}/irisgate.db")
    try:
        with pytest.raises(StoreUnavailable):  # before migrations: no such table
            await store.get_job(job(1).id)
        await store.migrate()
        blocker = sqlite3.connect(tmp_path / "irisgate.db", isolation_level=None)
        blocker.execute("PRAGMA busy_timeout=0")
        blocker.execute("BEGIN IMMEDIATE")
        await execute(store, sa.text("PRAGMA busy_timeout=50"))  # this test's patience: not five seconds
        with pytest.raises(StoreUnavailable) as raised:
            await store.insert_job(job(1))
        assert (raised.value.status, raised.value.code) == (503, "store_unavailable")
        assert "locked" in raised.value.message
        blocker.execute("COMMIT")
        blocker.close()
        one = job(1)
        await store.insert_job(one)
        assert await store.get_job(one.id) == one
    finally:
        await store.close()


async def test_an_in_memory_store_is_one_database_from_open_to_close(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """`sqlite:///:memory:` lives in its one connection: every operation must see it, and closing it
    (from another thread than the store's) must not fail."""
    store = await Store.open("sqlite:///:memory:")
    try:
        await store.migrate()
        one = job(1)
        await asyncio.gather(*(store.insert_job(job(n)) for n in range(2, 6)), store.insert_job(one))
        assert await store.get_job(one.id) == one
        assert await store.count_jobs() == 5
    finally:
        await store.close()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_database_file_is_private(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite:///{tmp_path}/data/irisgate.db")
    try:
        await store.migrate()
        await store.insert_job(job(1))
    finally:
        await store.close()
    for path in (tmp_path / "data").iterdir():  # the database, its -wal and -shm
        assert path.stat().st_mode & 0o777 == 0o600, path


# -- revoked dashboard sessions ---------------------------------------------------------------------


async def test_revoked_sessions_are_seen_and_expired_ones_pruned(store: Store) -> None:
    now = datetime.now(UTC)
    assert await store.session_revoked("nonce-a") is False
    await store.revoke_session("nonce-old", now - timedelta(seconds=1))  # its session is over already
    await store.revoke_session("nonce-a", now + timedelta(hours=12))
    await store.revoke_session("nonce-a", now + timedelta(hours=12))  # signed out twice: no error
    assert await store.session_revoked("nonce-a") is True
    assert await store.session_revoked("nonce-b") is False
    await store.revoke_session("nonce-b", now + timedelta(hours=1))  # each sign-out prunes expired rows
    rows = await execute(store, sa.select(revoked_sessions.c.nonce))
    assert sorted(nonce for (nonce,) in rows) == ["nonce-a", "nonce-b"]


async def test_a_store_of_revision_0001_gains_the_revoked_sessions_table(store_url: str) -> None:
    def upgrade_to_0001(connection: sa.Connection) -> None:
        from alembic import command

        command.upgrade(alembic_config(connection), "0001")

    store = await Store.open(store_url)
    try:
        await store.run(upgrade_to_0001)
        tables = await store.run(lambda conn: set(sa.inspect(conn).get_table_names()))
        assert "video_jobs" in tables and "revoked_sessions" not in tables  # irisgate 0.1.0's schema
        await store.migrate()
        await store.revoke_session("nonce", datetime.now(UTC) + timedelta(hours=1))
        assert await store.session_revoked("nonce") is True
    finally:
        await store.close()


# -- kept media (media/keeper.py): claims of due work, conditional records ----------------------------


async def test_due_media_is_claimed_once_longest_due_first_and_recorded_only_in_its_state(
    store: Store,
) -> None:
    now = datetime.now(UTC)
    due = [
        job(
            n,
            status="completed",
            media_state="pending",
            media_next_attempt_at=now - timedelta(seconds=10 - n),
        )
        for n in range(4)
    ]
    later = job(5, status="completed", media_state="pending", media_next_attempt_at=now + timedelta(hours=1))
    expiring = job(6, status="completed", media_state="kept", media_key="k", media_next_attempt_at=now)
    done = job(7, status="completed", media_state="expired", media_next_attempt_at=None)
    for record in [*due, later, expiring, done]:
        await store.insert_job(record)

    until = now + timedelta(minutes=2)
    first, second = await asyncio.gather(store.claim_due_media(until, 3), store.claim_due_media(until, 3))
    claimed = [record.id for record in first + second]
    assert sorted(claimed) == sorted(record.id for record in [*due, expiring])  # each once
    oldest = {record.id for record in due[:3]}  # the claim that ran first took the longest due
    assert oldest in ({record.id for record in first}, {record.id for record in second})
    assert all(record.media_next_attempt_at == until for record in first + second)
    assert await store.claim_due_media(until, 10) == []  # claimed: not due again until the claim ends

    assert await store.record_media(due[0].id, {"media_state": "kept", "media_key": "a"}, state="pending")
    assert not await store.record_media(due[0].id, {"media_state": None}, state="pending")  # no longer
    kept = await store.get_job(due[0].id)
    assert (kept.media_state, kept.media_key) == ("kept", "a")
    removed = await store.remove_job(due[0].id)
    assert removed is not None and removed.media_key == "a"
    assert await store.remove_job(due[0].id) is None
