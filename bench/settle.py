"""Settlement benchmark: one `irisgate serve` holding many active video jobs that nobody polls.

Three processes: the simulators (`python -m irisgate simulate`, their tasks finishing on their own
`--finish-after` seconds after they were created), `irisgate serve` (1 worker, SQLite, its settler and
webhook deliverer as shipped), and this script, which creates `--jobs` video jobs (half Runware, half
Runway), never retrieves them, and runs the webhook receiver.

Measured, while the jobs run and settle: the polls the simulators received per second (from their
request logs' arrival times), irisgate's CPU seconds per poll (utime + stime of its process over the
settling window, divided by the polls in it), its RSS (start, peak, end), how many jobs ended in the
store with their cost, and the time from each job finishing upstream (its create + `--finish-after`)
to its `video.completed` webhook arriving: p50, p99, max; duplicates and missing deliveries counted.
Appended to bench/RESULTS.md unless `--no-record`.

    .venv/bin/python bench/settle.py --jobs 10000 --finish-after 120
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).parent))
from procs import cpu_seconds
from soak import RESULTS, RUNWARE_KEY, RUNWAY_KEY, commit, free_port, rss_mib, start, stop, wait_ready

from irisgate.providers.catalog import PROVIDERS

ADMIN_TOKEN = "bench-admin-token"
RUNWARE_VIDEO = {"model": "runware/sim:video@1", "size": "320x192", "seconds": "1"}
RUNWAY_VIDEO = {"model": "runway/gen4.5", "seconds": "2"}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Receiver:
    """The webhook endpoint: every event's arrival time, by video id."""

    def __init__(self) -> None:
        self.arrivals: dict[str, list[float]] = {}
        self.types: Counter[str] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        event = json.loads(await request.read())
        self.types[event["type"]] += 1
        self.arrivals.setdefault(event["data"]["id"], []).append(time.time())
        return web.Response(status=200)

    async def serve(self, port: int) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner


async def create_jobs(session: aiohttp.ClientSession, base: str, count: int) -> dict[str, float]:
    """Create ``count`` video jobs, 32 at a time; their ids and when each create was answered."""
    created: dict[str, float] = {}
    queue = iter(range(count))

    async def worker() -> None:
        for n in queue:
            body = {**(RUNWAY_VIDEO if n % 2 else RUNWARE_VIDEO), "prompt": f"a paper boat, take {n}"}
            async with session.post(base + "/v1/videos", json=body) as response:
                answer = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"create {n}: {response.status} {answer}")
                created[answer["id"]] = time.time()

    await asyncio.gather(*(worker() for _ in range(32)))
    return created


async def job_states(session: aiohttp.ClientSession, base: str) -> Counter[str]:
    """The states of every job in the store, as the admin API lists them (a read: no poll)."""
    states: Counter[str] = Counter()
    after = None
    while True:
        params = {"limit": "100", **({"after": after} if after else {})}
        async with session.get(base + "/api/jobs", params=params) as response:
            page = await response.json()
        states.update(job["state"] for job in page["data"])
        states["with cost"] += sum(1 for job in page["data"] if (job.get("usage") or {}).get("cost"))
        if not page["has_more"]:
            return states
        after = page["last_id"]


async def poll_times(session: aiohttp.ClientSession, sim: str) -> list[float]:
    """When each poll (Runware getResponse, Runway GET /v1/tasks/…) reached a simulator."""
    async with session.get(sim + "/__fake/requests", timeout=aiohttp.ClientTimeout(total=600)) as response:
        requests = await response.json()
    times = []
    for request in requests:
        body = request.get("body")
        if (request["method"] == "GET" and request["path"].startswith("/v1/tasks/")) or (isinstance(body, list) and any(
            isinstance(t, dict) and t.get("taskType") == "getResponse" for t in body
        )):
            times.append(request["at"])
    return times


async def run(args: argparse.Namespace) -> str:
    work = Path(tempfile.mkdtemp(prefix="irisgate-settle-"))
    runware_port, runway_port, gateway_port, hook_port = free_port(), free_port(), free_port(), free_port()
    runware, runway = f"http://127.0.0.1:{runware_port}", f"http://127.0.0.1:{runway_port}"
    base = f"http://127.0.0.1:{gateway_port}"
    config = {
        "providers": {
            "runware": {
                "keys": [{"name": "bench", "value": RUNWARE_KEY}],
                "network_config": {"base_url": runware + "/v1"},
            },
            "runway": {
                "keys": [{"name": "bench", "value": RUNWAY_KEY}],
                "network_config": {"base_url": runway},
            },
        },
        "webhooks": {"allow_private_urls": True},
    }
    (work / "config.json").write_text(json.dumps(config))
    receiver = Receiver()
    hooks = await receiver.serve(hook_port)
    ports = {name: free_port() for name in PROVIDERS} | {"runware": runware_port, "runway": runway_port}
    sims = start(["simulate", *(f"--port={name}={port}" for name, port in ports.items())])
    os.environ["IRISGATE_ADMIN_TOKEN"] = ADMIN_TOKEN
    gateway = start(
        [
            "serve",
            "--config",
            str(work / "config.json"),
            "--app-dir",
            str(work / "data"),
            "--port",
            str(gateway_port),
            "--log-level",
            "warning",
        ]
    )
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    try:
        async with aiohttp.ClientSession(
            headers=headers, timeout=aiohttp.ClientTimeout(total=120)
        ) as session:
            for url in (runware + "/__fake/settings", runway + "/__fake/settings"):
                await wait_ready(session, url, sims)
            await wait_ready(session, base + "/health", gateway)
            await session.patch(
                runway + "/__fake/settings", json={"delay_seconds": args.finish_after, "daily_limit": None}
            )
            await session.patch(runware + "/__fake/settings", json={"async_delay_seconds": args.finish_after})
            async with session.post(
                base + "/v1/webhook_endpoints",
                json={
                    "name": "bench",
                    "url": f"http://127.0.0.1:{hook_port}/hook",
                    "event_types": ["video.completed", "video.failed"],
                },
            ) as response:
                assert response.status == 200, await response.text()
            rss = {"start": rss_mib(gateway.pid)}
            started = time.time()
            cpu_start = cpu_seconds(gateway.pid)
            created = await create_jobs(session, base, args.jobs)
            created_in = time.time() - started
            cpu_created = cpu_seconds(gateway.pid)
            peak = rss["start"]
            deadline = time.time() + args.finish_after + args.patience
            while len(receiver.arrivals) < len(created) and time.time() < deadline:
                peak = max(peak, rss_mib(gateway.pid))
                await asyncio.sleep(1)
            settled = time.time()
            cpu_end = cpu_seconds(gateway.pid)
            rss.update(peak=peak, end=rss_mib(gateway.pid))
            states = await job_states(session, base)
            polls = sorted(await poll_times(session, runware) + await poll_times(session, runway))
    finally:
        stop(gateway)
        stop(sims)
        await hooks.cleanup()
    window = [t for t in polls if t >= started]
    span = (window[-1] - window[0]) if len(window) > 1 else float("nan")
    latencies = [
        (arrivals[0] - (created[video] + args.finish_after)) * 1000
        for video, arrivals in receiver.arrivals.items()
        if video in created
    ]
    duplicates = sum(len(a) - 1 for a in receiver.arrivals.values())
    missing = len(set(created) - set(receiver.arrivals))
    settle_cpu = cpu_end - cpu_created
    return "\n".join(
        [
            f"### Settlement, {args.jobs} video jobs nobody polls — {dt.date.today()} (commit {commit()})",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. Three processes: "
            "the simulators (`irisgate simulate`), `irisgate serve` (1 worker, SQLite, settler and webhook deliverer "
            "as shipped) and this script (creates, webhook receiver). Command: "
            f"`.venv/bin/python bench/settle.py {' '.join(sys.argv[1:])}`. Every task ends upstream "
            f"{args.finish_after:g} s after its create.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| jobs created (half Runware, half Runway) | {len(created)} in {created_in:.1f} s "
            f"({len(created) / created_in:.0f}/s; CPU {(cpu_created - cpu_start) * 1000 / len(created):.2f} ms a create) |",
            f"| jobs ended in the store | {states['completed'] + states['failed']} "
            f"({states['completed']} completed, {states['failed']} failed; {states['with cost']} with their cost) |",
            f"| polls the providers received | {len(window)} ({len(window) / max(len(created), 1):.2f} a job) |",
            f"| polls per second, while settling | {len(window) / span:.0f} |",
            f"| irisgate CPU per poll (the whole settling window: polls, records, webhooks) | "
            f"{settle_cpu * 1000 / max(len(window), 1):.2f} ms |",
            f"| irisgate RSS: start / peak / end | {rss['start']:.1f} / {rss['peak']:.1f} / {rss['end']:.1f} MiB |",
            f"| webhook after the job finished upstream: p50 / p99 / max | {percentile(latencies, 0.5) / 1000:.2f} / "
            f"{percentile(latencies, 0.99) / 1000:.2f} / {max(latencies, default=float('nan')) / 1000:.2f} s |",
            f"| webhooks: received, duplicates, missing | {sum(receiver.types.values())} "
            f"({dict(receiver.types)}), {duplicates}, {missing} |",
            f"| time from the first create to the last webhook | {settled - started:.0f} s |",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--finish-after", type=float, default=120.0, help="seconds a task runs upstream")
    parser.add_argument("--patience", type=float, default=300.0, help="seconds to wait for the last webhook")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args()
    report = asyncio.run(run(args))
    print(report)
    if not args.no_record:
        with RESULTS.open("a") as results:
            results.write("\n" + report)


if __name__ == "__main__":
    main()
