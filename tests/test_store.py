"""The store (irisgate.store) against real SQLite files, and PostgreSQL when
``IRISGATE_TEST_POSTGRES_URL`` is set (a server where the user may CREATE DATABASE; each test gets a
fresh database, dropped afterwards)."""

from __future__ import annotations

import asyncio
import os
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
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from irisgate.config import parse_config
from irisgate.store import RequestLogRecord, Store, default_store_url, normalize_store_url
from irisgate.store.store import alembic_config
from irisgate.store.tables import metadata, provider_keys, providers

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

    async with store.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    differences = [d for d in differences if "irisgate_alembic_version" not in repr(d)]
    assert differences == []


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
