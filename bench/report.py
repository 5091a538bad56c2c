# ruff: noqa: RUF001
"""The performance suite's report: markdown tables (raw numbers and ratios to the reference), the issue's
targets met or missed, appended to bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import procs

if TYPE_CHECKING:
    from run import Suite

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
METHOD = (
    "c=1 runs pin wrk, the fake upstream and the gateway to CPU 0 (taskset, sched_setaffinity), and come "
    "after every target's c=16 and c=64 runs, in rounds that visit the targets in turn; each target's c=1 "
    "figures are those of its run with the median p50; c=16 and "
    "c=64 runs are unpinned (wrk with 2 threads). *Added* = p50 minus the direct p50 of the same request "
    "kind; *vs ref* = the figure divided by the reference gateway's (bench/reference_gateway.py) in this "
    "run. CPU = utime+stime of the gateway's process tree during the c=16 run, per 10,000 requests. The "
    "fake upstream is nginx with static answers (bench/fake_upstream/fake.conf); *floor* is an nginx "
    "reverse proxy in front of it; *direct* is wrk against the fake."
)
KIND_TITLES = {
    "image": "Runware image generation",
    "video": "Runway video create",
    "retrieve": "video retrieve (upstream poll)",
}


def append(text: str) -> None:
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nAppended by the scripts in `bench/` (see bench/README.md).\n\n"
        )
    with RESULTS.open("a") as out:
        out.write("\n" + text + "\n")


# ---------------------------------------------------------------- formatting


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base <= 0:
        return None
    return value / base


def times(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


# ---------------------------------------------------------------- machine


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, cwd=RESULTS.parent
        ).stdout.strip()

    sha = git("rev-parse", "--short", "HEAD")
    return sha + (" + uncommitted changes" if git("status", "--porcelain", "--", "src") else "")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def tool_version(args: list[str]) -> str:
    try:
        out = subprocess.run(args, capture_output=True, text=True)
    except OSError:
        return "?"
    text = (out.stdout + out.stderr).strip().splitlines()
    return text[0] if text else "?"


def machine_line(suite: Suite) -> str:
    nginx = tool_version([procs.nginx_binary(), "-v"]).replace("nginx version: ", "")
    wrk = tool_version(["wrk", "--version"]).split(" Copyright")[0].strip()
    litellm = procs.litellm_version() if "litellm" in suite.targets else "not run"
    return (
        f"Machine: {os.cpu_count()} CPUs (nproc), {cpu_model()}, {platform.machine()}, Linux "
        f"{platform.release()}; load average at the end {os.getloadavg()[0]:.2f}. Python "
        f"{platform.python_version()}, {nginx}, {wrk}, LiteLLM {litellm}."
    )


# ---------------------------------------------------------------- sections


def overhead_tables(suite: Suite) -> list[str]:
    lines: list[str] = []
    for kind, series in suite.overhead.items():
        direct = series.get("direct")
        ref = series.get("reference")
        direct_p50 = direct.c1.p50_ms if direct and direct.c1 else None

        def added(s: Any, direct_p50: float | None = direct_p50) -> float | None:
            return None if not s or not s.c1 or direct_p50 is None else s.c1.p50_ms - direct_p50

        ref_added = added(ref)
        lines += [
            f"**{KIND_TITLES[kind]}**",
            "",
            "| target | p50 c=1 (ms) | p99 c=1 (ms) | p99/p50 | added p50 (ms) | added vs ref | "
            "req/s c=16 | vs ref | req/s c=64 | vs ref | CPU s / 10k req | vs ref | errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, s in series.items():
            if s.na:
                lines.append(f"| {name} | n/a: {s.na} |" + " |" * 11)
                continue
            assert s.c1 and s.c16 and s.c64
            is_ref = name == "reference"
            a = added(s)
            cpu = s.c16.cpu_per_10k
            ref_cpu = ref.c16.cpu_per_10k if ref and ref.c16 else None
            errors = s.c1.errors + s.c16.errors + s.c64.errors
            lines.append(
                f"| {'**' + name + '**' if name == 'irisgate' else name} | {ms(s.c1.p50_ms)} | "
                f"{ms(s.c1.p99_ms)} | "
                f"{s.c1.p99_ms / s.c1.p50_ms:.1f} | {'—' if name == 'direct' else ms(a)} | "
                f"{'1.00×' if is_ref else times(ratio(a, ref_added)) if name != 'direct' else '—'} | "
                f"{num(s.c16.rps)} | {times(ratio(s.c16.rps, ref.c16.rps if ref and ref.c16 else None))} | "
                f"{num(s.c64.rps)} | {times(ratio(s.c64.rps, ref.c64.rps if ref and ref.c64 else None))} | "
                f"{num(cpu, 2)} | {times(ratio(cpu, ref_cpu))} | {errors} |"
            )
        lines.append("")
    return lines


def streaming_table(suite: Suite) -> list[str]:
    runs = suite.streaming["runs"]
    assert isinstance(runs, dict)
    medians = {name: statistics.median(d.mib_s for d in downloads) for name, downloads in runs.items()}
    floor = medians.get("floor")
    lines = [
        "**1 GiB video download** (curl to /dev/null; `GET /v1/videos/{id}/content` for irisgate, the "
        "file itself for the others)",
        "",
        "| path | MiB/s (median) | runs (MiB/s) | vs floor |",
        "|---|---|---|---|",
    ]
    for name, downloads in runs.items():
        lines.append(
            f"| {name} | {medians[name]:,.0f} | {', '.join(f'{d.mib_s:,.0f}' for d in downloads)} | "
            f"{times(ratio(medians[name], floor))} |"
        )
    growth = int(suite.streaming["growth_kib"])  # type: ignore[call-overload]
    start = int(suite.streaming["start_kib"])  # type: ignore[call-overload]
    lines += [
        "",
        f"irisgate RSS before the downloads {start / 1024:.1f} MiB; peak growth during a download "
        f"{growth / 1024:.1f} MiB (sampled every 5 ms). irisgate served {suite.streaming['served']}; "
        f"the downloads began once it had been quiet for a second ({suite.streaming['quiet_after']:.0f} s "
        "after the video completed: its media keeper's copy, its settler's backlog).",
        "",
    ]
    return lines


def b64_table(suite: Suite) -> list[str]:
    direct = suite.b64.get("direct")
    ref = suite.b64.get("reference")
    ref_added = ref.p50_ms - direct.p50_ms if ref and direct else None
    lines = [
        "**4 MB `b64_json` image answer** (Runware `imageBase64Data` of 4 MiB; c=1, pinned to one CPU)",
        "",
        "| path | p50 (ms) | p99 (ms) | added p50 (ms) | added vs ref |",
        "|---|---|---|---|---|",
    ]
    for name, r in suite.b64.items():
        a = r.p50_ms - direct.p50_ms if direct and name != "direct" else None
        lines.append(
            f"| {name} | {ms(r.p50_ms)} | {ms(r.p99_ms)} | {ms(a)} | "
            f"{times(ratio(a, ref_added)) if name != 'direct' else '—'} |"
        )
    return [*lines, ""]


def scaling_table(suite: Suite) -> list[str]:
    lines = [
        "**irisgate workers** (c=64)",
        "",
        "| request | 1 worker req/s | 2 workers req/s | 2 vs 1 | CPU s / 10k req, 1 worker | 2 workers |",
        "|---|---|---|---|---|---|",
    ]
    for kind, by_workers in suite.scaling.items():
        one, two = by_workers[1], by_workers[2]
        lines.append(
            f"| {KIND_TITLES[kind]} | {num(one.rps)} | {num(two.rps)} | {times(ratio(two.rps, one.rps))} | "
            f"{num(one.cpu_per_10k, 2)} | {num(two.cpu_per_10k, 2)} |"
        )
    return [*lines, ""]


def idle_table(suite: Suite) -> list[str]:
    lines = [
        "**Idle RSS** (1 s after the gateway answered its first request)",
        "",
        "| process | RSS (MiB) |",
        "|---|---|",
    ]
    lines += [f"| {name} | {kib / 1024:.1f} |" for name, kib in suite.idle_rss.items()]
    return [*lines, ""]


def profile_tables(suite: Suite) -> list[str]:
    lines = [
        "py-spy (`record --rate 250 --nonblocking`) on the 1-worker irisgate during a c=16 run of each kind. "
        "Shares are of the event-loop thread's busy samples; *at the top* of `Runner.run` is time in "
        "uvloop's C code (sockets, callbacks). CPU seconds per 10,000 requests come from /proc, per thread, "
        "during the same run (py-spy's own sampling adds a little).",
        "",
    ]
    for kind, profile in suite.profiles.items():
        cpu = ""
        if profile.thread_cpu and profile.thread_cpu[2]:
            main_s, other_s, requests = profile.thread_cpu
            cpu = (
                f"; CPU per 10k requests: event-loop thread {main_s * 10_000 / requests:.2f} s, "
                f"other threads (the store's, the executor's) {other_s * 10_000 / requests:.2f} s"
            )
        lines += [
            f"**{KIND_TITLES[kind]}** ({profile.samples} event-loop samples{cpu})",
            "",
            "| function (file) | on the stack | at the top |",
            "|---|---|---|",
        ]
        lines += [f"| `{name}` | {share:.1%} | {top:.1%} |" for name, share, top in profile.rows]
        lines.append("")
    return lines


# ---------------------------------------------------------------- targets


def check(
    rows: list[str], what: str, value: float | None, goal: float, at_most: bool, unit: str = "×"
) -> None:
    if value is None:
        rows.append(f"| {what} | — | {'≤' if at_most else '≥'} {goal:g}{unit} | not measured |")
        return
    met = value <= goal if at_most else value >= goal
    if met:
        verdict = "met"
    elif at_most:
        verdict = f"**missed**: {value / goal:.2f}× the limit"
    else:
        verdict = f"**missed**: {value / goal:.0%} of the goal" if value else "**missed**"
    rows.append(f"| {what} | {value:.2f}{unit} | {'≤' if at_most else '≥'} {goal:g}{unit} | {verdict} |")


def targets_table(suite: Suite) -> list[str]:
    """Issue 18's targets: added p50 at c=1 within 2 times the reference's (2.5 for creates, whose
    durable writes count) and at least 15 times below LiteLLM's; the download and memory targets.
    Throughput and p99 / p50 are reported above; they are no longer targets."""
    rows = ["| target (issue 18) | measured | goal | verdict |", "|---|---|---|---|"]
    limits = {"image": 2.0, "video": 2.5, "retrieve": 2.0}
    for kind, series in suite.overhead.items():
        direct, ref, iris, ll = (series.get(n) for n in ("direct", "reference", "irisgate", "litellm"))
        if not (direct and ref and iris and direct.c1 and ref.c1 and iris.c1):
            continue
        iris_added = iris.c1.p50_ms - direct.c1.p50_ms
        ref_added = ref.c1.p50_ms - direct.c1.p50_ms
        title = KIND_TITLES[kind]
        check(rows, f"{title}: added p50 vs reference", ratio(iris_added, ref_added), limits[kind], True)
        if ll and ll.c1:
            check(
                rows,
                f"{title}: LiteLLM's added p50 / irisgate's",
                ratio(ll.c1.p50_ms - direct.c1.p50_ms, iris_added),
                15,
                False,
            )
    if suite.streaming:
        runs = suite.streaming["runs"]
        assert isinstance(runs, dict)
        med = {n: statistics.median(d.mib_s for d in ds) for n, ds in runs.items()}
        check(
            rows,
            "1 GB download: irisgate throughput vs the nginx floor",
            ratio(med["irisgate"], med["floor"]),
            0.5,
            False,
        )
        growth = int(suite.streaming["growth_kib"]) / 1024  # type: ignore[call-overload]
        check(rows, "1 GB download: irisgate peak RSS growth", growth, 32, True, " MiB")
    idle = suite.idle_rss.get("irisgate (1 worker)")
    if idle is not None:
        check(rows, "irisgate idle RSS (1 worker)", idle / 1024, 100, True, " MiB")
    return [*rows, ""]


# ---------------------------------------------------------------- profile parsing

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def short_frame(frame: str) -> tuple[str, str]:
    match = FRAME.match(frame)
    if not match:
        return frame, ""
    path = match["file"]
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return match["func"], path


BORING = (
    "threading.py",
    "<frozen runpy>",
    "typer/",
    "click/",
    "irisgate/cli.py",
    "irisgate/__main__.py",
    "uvicorn/main.py",
    "uvicorn/_compat.py",
    "uvicorn/server.py",
    "asyncio/runners.py",
    "asyncio/base_events.py",
    "uvloop/",
)


@dataclass
class Profile:
    samples: int  # the event-loop thread's samples (the ones the shares are of)
    rows: list[tuple[str, float, float]]  # function, share on the stack, share at the top (self)
    thread_cpu: tuple[float, float, int] | None = None  # main thread CPU s, other threads CPU s, requests


def top_frames(raw: str, limit: int = 18) -> Profile:
    """From py-spy's raw (collapsed) output: the heaviest functions of the event-loop thread, on the stack
    and at its top. Stacks of other threads are left out: py-spy counts the store's threads as busy
    while it blocks in `SimpleQueue.get()` (C code), so its share would be mostly waiting; /proc gives the
    threads' real CPU time instead (`Profile.thread_cpu`)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        names = ["{} ({})".format(*short_frame(frame)) for frame in stack.split(";")]
        if any(n.startswith(("_connection_worker_thread", "_worker (concurrent/")) for n in names):
            continue
        total += count
        own[names[-1]] += count
        for name in set(names):
            inclusive[name] += count
    if not total:
        return Profile(0, [])
    interesting = [n for n, _ in inclusive.most_common() if not any(b in n for b in BORING)]
    picked = dict.fromkeys(interesting[:limit] + [n for n, _ in own.most_common(8)])
    rows = [(n, inclusive[n] / total, own[n] / total) for n in picked]
    return Profile(total, sorted(rows, key=lambda row: -row[1]))


# ---------------------------------------------------------------- the whole report


def render(suite: Suite) -> str:
    args = suite.args
    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", "bench/run.py", *sys.argv[1:]])
    lines = [
        f"### Performance suite — {dt.date.today()} (commit {commit()})",
        "",
        machine_line(suite),
        "",
        f"Command: `{command}`. Every wrk run lasts {args.duration:g} s, after a {args.warmup:g} s warm-up "
        f"per target and kind; c=1 runs: {getattr(args, 'rounds', 1)} rounds. " + METHOD,
        "",
    ]
    if suite.overhead:
        lines += ["#### Overhead per request", "", *overhead_tables(suite)]
    if suite.streaming or suite.b64:
        lines += ["#### Streaming", ""]
        if suite.streaming:
            lines += streaming_table(suite)
        if suite.b64:
            lines += b64_table(suite)
    if suite.scaling or suite.idle_rss:
        lines += ["#### Scaling and memory", ""]
        if suite.scaling:
            lines += scaling_table(suite)
        lines += idle_table(suite)
    lines += ["#### Targets", "", *targets_table(suite)]
    if suite.profiles:
        lines += ["#### Profile", "", *profile_tables(suite)]
    if suite.notes:
        lines += ["Notes: " + " ".join(suite.notes), ""]
    return "\n".join(lines).rstrip() + "\n"
