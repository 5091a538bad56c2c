"""Every /v1 request leaves a log record (off the hot path); no secret reaches logs, store or responses."""

from __future__ import annotations

import asyncio
import logging

import httpx

from irisgate.simulators.runware import Fault
from irisgate.store import Store

from fixtures_gateway import RUNWARE_MODEL, runware_provider

SECRET = "rw-literal-secret-abcdef0123456789"


def read_logs(gateway) -> list:
    async def fetch() -> list:
        store = await Store.open(gateway.settings.store_url)
        try:
            return await store.list_request_logs(limit=100)
        finally:
            await store.close()

    return asyncio.run(fetch())


def test_requests_are_logged_without_secrets(make_gateway, runware_sim, caplog):
    caplog.set_level(logging.DEBUG)
    runware_sim.sim.settings.api_keys.add(SECRET)
    gateway = make_gateway({"providers": {"runware": runware_provider(runware_sim.api_url, key=SECRET)}})
    url = gateway.base_url + "/images/generations"
    ok = httpx.post(url, json={"model": RUNWARE_MODEL, "prompt": "a cat", "size": "128x128", "n": 2})
    assert ok.status_code == 200
    bad = httpx.post(url, json={"model": RUNWARE_MODEL, "prompt": "a cat", "size": "nope"})
    assert bad.status_code == 400
    runware_sim.sim.add_fault(Fault(kind="http_error", status=401))
    upstream = httpx.post(url, json={"model": RUNWARE_MODEL, "prompt": "a cat", "size": "128x128"})
    assert upstream.status_code == 502

    for _ in range(100):  # the writer flushes in the background: wait until all three records landed
        logs = read_logs(gateway)
        if len(logs) == 3:
            break
        asyncio.run(asyncio.sleep(0.1))
    assert [log.status_code for log in logs] == [502, 400, 200]
    newest_ok = logs[2]
    assert (newest_ok.provider, newest_ok.model, newest_ok.key_name) == ("runware", "runware:100@1", "main")
    assert newest_ok.cost_usd and newest_ok.cost_usd > 0
    assert newest_ok.route == "/v1/images/generations"
    assert logs[1].error_code and logs[1].provider is None
    assert logs[0].error_code == "upstream_credentials_exhausted"

    database = (gateway.app_dir / "irisgate.db").read_bytes()
    wal = gateway.app_dir / "irisgate.db-wal"
    everything = database + (wal.read_bytes() if wal.exists() else b"")
    assert SECRET.encode() not in everything
    assert SECRET not in caplog.text
    for response in (ok, bad, upstream):
        assert SECRET not in response.text
