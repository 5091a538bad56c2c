"""Soak benchmark: irisgate under a steady open-loop load with injected upstream failures.

Three processes, so none fights another for the GIL: the provider simulators
(`python -m irisgate simulate`), a real `irisgate serve` (1 worker), and this script, the load
generator (asyncio + aiohttp). Faults are set through the simulators' control plane: on each
simulator, five faults (http_error 429, 500, 503, `reset`, `garbage`), each with
`chance = --fault-rate / 5`, so about --fault-rate of all upstream requests fail (seeded with
`fault_seed`).

The schedule is fixed in advance (open loop: request i starts at i / --rate seconds, whatever
the answers before it): 70 % image generations (Runware), 20 % video creates (Runway; half of them
with `fallbacks: ["runware/klingai:5@3"]`), 10 % retrieves of a video created earlier. Latency is
measured from the scheduled start, so a lagging generator or a queue shows in it.

Baseline, in the same run and before the soak: the image requests of the same schedule, at the same
times, sent directly to the Runware simulator (no gateway, no faults): the simulator's own capacity.

At the end the faults are cleared and every video id answered 200 at create is retrieved once
(404 = lost) and looked up in `GET /api/jobs` (missing = lost from the store). Reported: success
rate, errors by status and code, p50/p95/p99 latency, the gateway's RSS (from /proc) at start,
once warm (after 10 % of the schedule) and at the end, and lost jobs. Appended to bench/RESULTS.md.

    .venv/bin/python bench/soak.py --requests 20000 --rate 200
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

RESULTS = Path(__file__).parent / "RESULTS.md"
RUNWARE_KEY = "sim-runware-key"
RUNWAY_KEY = "key_" + "0" * 128
IMAGE_MODEL = "runware:100@1"
VIDEO_MODEL = "runway/gen4.5"
FALLBACK_MODEL = "runware/klingai:5@3"
FAULTS = [
    {"kind": "http_error", "status": 429},
    {"kind": "http_error", "status": 500},
    {"kind": "http_error", "status": 503},
    {"kind": "reset"},
    {"kind": "garbage"},
]
# Registered with this many `times`, so the hits can be read back from GET /__fake/faults.
COUNTED_TIMES = 10**9
CLIENT_TIMEOUT = aiohttp.ClientTimeout(total=120)


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "irisgate", *args], stdout=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_ready(session: aiohttp.ClientSession, url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def gateway_config(runware_url: str, runway_url: str) -> dict[str, Any]:
    def provider(key: str, base_url: str) -> dict[str, Any]:
        return {
            "keys": [{"name": "soak", "value": key, "models": ["*"]}],
            "network_config": {"base_url": base_url, "default_request_timeout_in_seconds": 30},
        }

    return {
        "providers": {
            "runware": provider(RUNWARE_KEY, runware_url + "/v1"),
            "runway": provider(RUNWAY_KEY, runway_url),
        }
    }


async def set_faults(session: aiohttp.ClientSession, sim_url: str, rate: float, seed: int) -> None:
    async with session.delete(sim_url + "/__fake/faults") as response:
        response.raise_for_status()
    async with session.patch(sim_url + "/__fake/settings", json={"fault_seed": seed}) as response:
        response.raise_for_status()
    for fault in FAULTS if rate > 0 else []:
        body = {**fault, "chance": rate / len(FAULTS), "times": COUNTED_TIMES}
        async with session.post(sim_url + "/__fake/faults", json=body) as response:
            response.raise_for_status()


async def fault_hits(session: aiohttp.ClientSession, sim_url: str) -> Counter[str]:
    async with session.get(sim_url + "/__fake/faults") as response:
        faults = await response.json()
    return Counter({fault_name(f): COUNTED_TIMES - f["times"] for f in faults})


def fault_name(fault: dict[str, Any]) -> str:
    return str(fault["status"]) if fault["kind"] == "http_error" else fault["kind"]


# ---------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class Planned:
    index: int
    at: float  # seconds after the start
    kind: str  # image | video | video_fallback | retrieve


@dataclass
class Outcome:
    kind: str
    status: int  # 0 = the client got no HTTP answer
    code: str | None
    latency: float


@dataclass
class Run:
    outcomes: list[Outcome] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # video ids answered 200 at create
    max_lag: float = 0.0
    seconds: float = 0.0


def plan(requests: int, rate: float, seed: int) -> list[Planned]:
    rng = random.Random(seed)
    out: list[Planned] = []
    videos = 0
    for index in range(requests):
        draw = rng.random()
        if draw < 0.7:
            kind = "image"
        elif draw < 0.9:
            kind = "video_fallback" if videos % 2 else "video"
            videos += 1
        else:
            kind = "retrieve"
        out.append(Planned(index, index / rate, kind))
    return out


# send(item, run, scheduled): one request; `scheduled` is its start time on the time.monotonic() clock
Send = Callable[[Planned, Run, float], Awaitable[Outcome]]


async def drive(schedule: list[Planned], send: Send, on_progress: Callable[[int], None] | None = None) -> Run:
    """Start each request at its scheduled time (open loop); latency counts from that time."""
    run = Run()
    started = time.monotonic()

    async def one(item: Planned) -> None:
        run.outcomes.append(await send(item, run, started + item.at))

    tasks: list[asyncio.Task[None]] = []
    for item in schedule:
        delay = started + item.at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        run.max_lag = max(run.max_lag, time.monotonic() - started - item.at)
        tasks.append(asyncio.create_task(one(item)))
        if on_progress is not None:
            on_progress(item.index)
    await asyncio.gather(*tasks)
    run.seconds = time.monotonic() - started
    return run


async def timed(
    item: Planned, started: float, call: Awaitable[tuple[int, Any]], success: Callable[[int, Any], bool]
) -> Outcome:
    """Await one HTTP call; its latency counts from the scheduled start ``started``."""
    try:
        status, body = await call
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Outcome(item.kind, 0, type(exc).__name__, time.monotonic() - started)
    latency = time.monotonic() - started
    if success(status, body):
        return Outcome(item.kind, status, None, latency)
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return Outcome(item.kind, status, code or "unparsed", latency)


async def fetch(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with session.request(method, url, **kwargs) as response:
        raw = await response.read()
    try:
        return response.status, json.loads(raw)
    except ValueError:
        return response.status, None


class GatewaySender:
    """Sends one scheduled request to the gateway; remembers the ids of the videos it created."""

    def __init__(self, session: aiohttp.ClientSession, base: str, rng: random.Random) -> None:
        self.session, self.base, self.rng = session, base, rng

    async def send(self, item: Planned, run: Run, started: float) -> Outcome:
        kind = "image" if item.kind == "retrieve" and not run.created else item.kind
        if kind == "image":
            body = {"model": "runware/" + IMAGE_MODEL, "prompt": f"soak {item.index}", "size": "256x256"}
            call = fetch(self.session, "POST", self.base + "/v1/images/generations", json=body)
            return await timed(item, started, call, lambda status, _: status == 200)
        if kind == "retrieve":
            call = fetch(self.session, "GET", f"{self.base}/v1/videos/{self.rng.choice(run.created)}")
            return await timed(item, started, call, lambda status, _: status == 200)
        body = {"model": VIDEO_MODEL, "prompt": f"soak video {item.index}", "seconds": "5"}
        if kind == "video_fallback":
            body["fallbacks"] = [FALLBACK_MODEL]

        def created(status: int, answer: Any) -> bool:
            ok = status == 200 and isinstance(answer, dict) and isinstance(answer.get("id"), str)
            if ok:
                run.created.append(answer["id"])
            return ok

        call = fetch(self.session, "POST", self.base + "/v1/videos", json=body)
        return await timed(item, started, call, created)


class BaselineSender:
    """The image requests of the schedule, sent directly to the Runware simulator (the task irisgate
    would build for them)."""

    def __init__(self, session: aiohttp.ClientSession, runware_url: str) -> None:
        self.session, self.url = session, runware_url + "/v1"
        self.headers = {"Authorization": f"Bearer {RUNWARE_KEY}"}

    async def send(self, item: Planned, run: Run, started: float) -> Outcome:
        task = {
            "taskType": "imageInference",
            "taskUUID": str(uuid.uuid4()),
            "model": IMAGE_MODEL,
            "positivePrompt": f"soak {item.index}",
            "width": 256,
            "height": 256,
            "includeCost": True,
        }
        call = fetch(self.session, "POST", self.url, json=[task], headers=self.headers)
        return await timed(item, started, call, lambda status, body: status == 200 and "data" in body)


# ---------------------------------------------------------------- after the load: lost jobs


@dataclass
class JobCheck:
    created: int
    retrieved: int
    not_found: list[str]
    other_errors: Counter[str]
    listed: int
    missing_from_listing: list[str]

    @property
    def lost(self) -> set[str]:
        return set(self.not_found) | set(self.missing_from_listing)


async def check_jobs(session: aiohttp.ClientSession, base: str, ids: list[str], admin_token: str) -> JobCheck:
    """Retrieve every created video once (faults cleared) and look each up in GET /api/jobs."""
    limit = asyncio.Semaphore(50)
    statuses: dict[str, str] = {}

    async def one(video_id: str) -> None:
        async with limit:
            try:
                status, body = await fetch(session, "GET", f"{base}/v1/videos/{video_id}")
            except (aiohttp.ClientError, TimeoutError) as exc:
                statuses[video_id] = type(exc).__name__
                return
            ok = status == 200 and isinstance(body, dict) and body.get("id") == video_id
            statuses[video_id] = "ok" if ok else str(status)

    await asyncio.gather(*(one(video_id) for video_id in ids))
    listed: set[str] = set()
    after = ""
    headers = {"Authorization": f"Bearer {admin_token}"}
    while True:
        url = f"{base}/api/jobs?limit=100&order=asc" + (f"&after={after}" if after else "")
        status, page = await fetch(session, "GET", url, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET /api/jobs answered {status}: {page}")
        listed.update(job["id"] for job in page["data"])
        if not page["has_more"]:
            break
        after = page["last_id"]
    return JobCheck(
        created=len(ids),
        retrieved=sum(1 for s in statuses.values() if s == "ok"),
        not_found=[v for v, s in statuses.items() if s == "404"],
        other_errors=Counter(s for s in statuses.values() if s not in ("ok", "404")),
        listed=len(listed),
        missing_from_listing=[v for v in ids if v not in listed],
    )


# ---------------------------------------------------------------- report


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def latency_row(name: str, outcomes: list[Outcome]) -> str:
    ok = sum(1 for o in outcomes if o.code is None)
    times = [o.latency * 1000 for o in outcomes]
    rate = 100 * ok / len(outcomes) if outcomes else float("nan")
    p50, p95, p99 = (percentile(times, q) for q in (50, 95, 99))
    return (
        f"| {name} | {len(outcomes)} | {rate:.2f} % | {p50:.0f} | {p95:.0f} | {p99:.0f} | {max(times):.0f} |"
    )


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    )
    return head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else "")


@dataclass
class Report:
    args: argparse.Namespace
    baseline: Run
    soak: Run
    rss: dict[str, float]
    rss_trend: list[float]  # MiB after each tenth of the schedule
    hits: dict[str, Counter[str]]
    jobs: JobCheck

    def render(self) -> str:
        soak, base, jobs = self.soak, self.baseline, self.jobs
        kinds = {
            "image": "image generations",
            "video": "video creates",
            "video_fallback": "video creates with fallbacks",
            "retrieve": "video retrieves",
        }
        errors = Counter((o.status, o.code) for o in soak.outcomes if o.code is not None)
        by_kind = Counter((o.kind, o.status, o.code) for o in soak.outcomes if o.code is not None)
        upstream = sum(sum(c.values()) for c in self.hits.values())
        planned = self.args.requests / self.args.rate
        command = "bench/soak.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        lines = [
            f"### Soak, {self.args.requests} requests at {self.args.rate:g}/s with "
            f"{self.args.fault_rate:.0%} injected upstream failures — {dt.date.today()} (commit {commit()})",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}. "
            "Three processes: the simulators (`irisgate simulate`), `irisgate serve` (1 worker), and the "
            f"load generator (asyncio + aiohttp, open loop). Command: `.venv/bin/python {command}`",
            "",
            f"Faults on both simulators: http_error 429, 500, 503, `reset`, `garbage`, each with chance "
            f"{self.args.fault_rate / len(FAULTS):g} (fault_seed {self.args.seed}); injected: "
            + ", ".join(f"{sim} {dict(sorted(c.items()))}" for sim, c in self.hits.items())
            + f" ({upstream} in all). Latency is from each request's scheduled start, in ms.",
            "",
            "| requests | n | success | p50 | p95 | p99 | max |",
            "|---|---|---|---|---|---|---|",
            latency_row(
                "baseline: the image requests direct to the Runware simulator, no faults", base.outcomes
            ),
            latency_row("**through irisgate, all**", soak.outcomes),
            *(
                latency_row(f"through irisgate, {label}", [o for o in soak.outcomes if o.kind == kind])
                for kind, label in kinds.items()
            ),
            "",
            f"Schedule kept: the soak took {soak.seconds:.1f} s for {planned:.1f} s of schedule "
            f"(generator lag at most {soak.max_lag * 1000:.0f} ms; baseline {base.max_lag * 1000:.0f} ms).",
            "",
            "Errors through irisgate (status, code: count): "
            + (", ".join(f"{s} {c}: {n}" for (s, c), n in errors.most_common()) or "none")
            + ". By request kind: "
            + (", ".join(f"{k} {s} {c}: {n}" for (k, s, c), n in by_kind.most_common()) or "none")
            + ".",
            "",
            f"irisgate RSS: {self.rss['start']:.1f} MiB at start, {self.rss['warm']:.1f} MiB once warm "
            f"(10 % of the schedule), {self.rss['end']:.1f} MiB at the end (peak {self.rss['peak']:.1f} MiB; "
            f"growth from warm to end {self.rss['end'] - self.rss['warm']:+.1f} MiB). After each tenth "
            f"of the schedule: {', '.join(f'{m:.1f}' for m in self.rss_trend)} MiB.",
            "",
            f"Lost jobs: **{len(jobs.lost)}** of {jobs.created} videos answered 200 at create "
            f"({jobs.retrieved} retrieved, {len(jobs.not_found)} answered 404, other answers "
            f"{dict(jobs.other_errors) or 'none'}; {len(jobs.missing_from_listing)} missing from "
            f"GET /api/jobs, which lists {jobs.listed} jobs).",
            "",
        ]
        return "\n".join(lines)


# ---------------------------------------------------------------- main


async def soak(args: argparse.Namespace) -> Report:
    runware_port, runway_port, gateway_port = free_port(), free_port(), free_port()
    runware_url, runway_url = f"http://127.0.0.1:{runware_port}", f"http://127.0.0.1:{runway_port}"
    base = f"http://127.0.0.1:{gateway_port}"
    schedule = plan(args.requests, args.rate, args.seed)
    connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=60)
    with tempfile.TemporaryDirectory() as app_dir:
        config = Path(app_dir) / "config.json"
        config.write_text(json.dumps(gateway_config(runware_url, runway_url)))
        sims = start(["simulate", "--port", f"runware={runware_port}", "--port", f"runway={runway_port}"])
        gateway = start(
            [
                "serve",
                "-c",
                str(config),
                "--app-dir",
                app_dir,
                "--port",
                str(gateway_port),
                "--log-level",
                "warning",
            ]
        )
        try:
            async with aiohttp.ClientSession(connector=connector, timeout=CLIENT_TIMEOUT) as session:
                await wait_ready(session, runware_url + "/__fake/settings", sims)
                await wait_ready(session, runway_url + "/__fake/settings", sims)
                await wait_ready(session, base + "/health", gateway)

                images = [item for item in schedule if item.kind == "image"]
                print(f"baseline: {len(images)} image requests direct to the Runware simulator", flush=True)
                baseline = await drive(images, BaselineSender(session, runware_url).send)

                for url in (runware_url, runway_url):
                    await set_faults(session, url, args.fault_rate, args.seed)
                rss = {"start": rss_mib(gateway.pid)}
                rss["peak"] = rss["start"]
                warm_at = max(1, len(schedule) // 10)
                trend: list[float] = []

                def progress(index: int) -> None:
                    if index % 200 == 0:
                        rss["peak"] = max(rss["peak"], rss_mib(gateway.pid))
                    if index == warm_at:
                        rss["warm"] = rss_mib(gateway.pid)
                    if index and index % warm_at == 0:
                        trend.append(rss_mib(gateway.pid))
                    if index % 2000 == 0:
                        print(f"soak: {index}/{len(schedule)} started", flush=True)

                print(f"soak: {len(schedule)} requests through irisgate at {args.rate:g}/s", flush=True)
                sender = GatewaySender(session, base, random.Random(args.seed))
                run = await drive(schedule, sender.send, progress)
                rss["end"] = rss_mib(gateway.pid)
                rss["peak"] = max(rss["peak"], rss["end"])
                rss.setdefault("warm", rss["start"])
                hits = {
                    "runware": await fault_hits(session, runware_url),
                    "runway": await fault_hits(session, runway_url),
                }

                for url in (runware_url, runway_url):
                    await set_faults(session, url, 0, args.seed)
                print(f"checking the {len(run.created)} created videos", flush=True)
                token = (Path(app_dir) / "admin_token").read_text().strip()
                jobs = await check_jobs(session, base, run.created, token)
        finally:
            stop(gateway)
            stop(sims)
    return Report(args, baseline, run, rss, trend, hits, jobs)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000, help="requests in the schedule")
    parser.add_argument("--rate", type=float, default=200.0, help="requests started per second")
    parser.add_argument("--fault-rate", type=float, default=0.05, help="share of upstream requests broken")
    parser.add_argument("--seed", type=int, default=1, help="seed of the schedule and of the faults")
    parser.add_argument("--no-record", action="store_true", help="print, but do not append to RESULTS.md")
    args = parser.parse_args()
    report = asyncio.run(soak(args))
    text = report.render()
    print(text)
    if not args.no_record:
        with RESULTS.open("a") as out:
            out.write("\n" + text)


if __name__ == "__main__":
    main()
