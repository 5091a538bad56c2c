# ruff: noqa: RUF002
"""The performance suite: irisgate against the floor, a minimal reference gateway and LiteLLM, same run.

Starts (all children of this script, on free ports, in a temporary directory):
  fake       nginx answering static JSON instantly (bench/fake_upstream/fake.conf), a 1 GB file, a 4 MB image
  floor      an nginx reverse proxy in front of the fake (bench/fake_upstream/floor.conf)
  reference  bench/reference_gateway.py: Starlette + aiohttp + orjson doing only the mapping
  irisgate   `irisgate serve --workers 1` (request log and metrics on, as shipped)
  litellm    LiteLLM's proxy, one worker, in bench/.venv-litellm (skipped with a reason if missing)
and measures, with wrk and the Lua scripts in bench/wrk/:
  overhead   for image generation, video create, video retrieve: p50/p99 at concurrency 1 with wrk, the
             fake and the gateway pinned to CPU 0; throughput at concurrency 16 and 64; the gateway's CPU
             seconds per 10,000 requests (from /proc, during the c=16 run)
  streaming  a 1 GB video download through irisgate vs the nginx floor (and direct); irisgate's peak RSS
  b64        a ~4 MB b64_json image answer at concurrency 1: direct, floor, reference, irisgate
  scaling    irisgate --workers 1 vs --workers 2 at concurrency 64; idle RSS after start of each gateway
  profile    (only when asked) py-spy on irisgate during c=16 runs: the top frames
Appends the tables to bench/RESULTS.md (date, machine, commit, raw numbers).

    .venv/bin/python bench/run.py                        # everything, 5 s per wrk run
    .venv/bin/python bench/run.py --duration 10 --sections overhead,streaming --no-litellm
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import load
import procs
import report
from load import WrkResult

SECTIONS = ("overhead", "streaming", "b64", "scaling", "profile")
DEFAULT_SECTIONS = ("overhead", "streaming", "b64", "scaling")
KINDS = ("image", "video", "retrieve")
PINNED_CPU = 0
VIDEO_BODY = {
    "model": "runway/gen4_turbo",
    "prompt": "the lighthouse beam sweeps over a stormy sea",
    "input_reference": "https://example.com/a.png",
    "seconds": "5",
    "size": "1280x720",
}
DONE_VIDEO_BODY = {"model": "runway/gen4.5", "prompt": "a finished video", "seconds": "5"}  # → text_to_video
# → video_to_video: the fake's one task that stays RUNNING, so that every retrieve polls upstream
# (the tasks VIDEO_BODY creates end at their first poll: see fake_upstream/fake.conf).
RUNNING_VIDEO_BODY = {
    "model": "runway/gen4_aleph",
    "prompt": "the lighthouse beam sweeps over a stormy sea",
    "video_uri": "https://example.com/a.mp4",
}


@dataclass
class Endpoint:
    """What one target answers for one request kind: a URL and a wrk script, or why it cannot."""

    url: str | None
    script: str | None
    na: str | None = None


@dataclass
class Target:
    name: str
    child: procs.Child | None  # None: direct (the client talks to the fake)
    endpoints: dict[str, Endpoint]
    auth: str | None = None
    idle_rss_kib: int | None = None


@dataclass
class Series:
    """One target × one kind: the pinned c=1 run and the c=16 / c=64 runs."""

    c1: WrkResult | None = None
    c16: WrkResult | None = None
    c64: WrkResult | None = None
    na: str | None = None


@dataclass
class Suite:
    args: argparse.Namespace
    workdir: Path
    children: list[procs.Child] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)
    overhead: dict[str, dict[str, Series]] = field(default_factory=dict)  # kind → target → series
    streaming: dict[str, object] = field(default_factory=dict)
    b64: dict[str, WrkResult] = field(default_factory=dict)
    scaling: dict[str, dict[int, WrkResult]] = field(default_factory=dict)  # kind → workers → c=64 run
    idle_rss: dict[str, int] = field(default_factory=dict)
    profiles: dict[str, report.Profile] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fake: procs.Child | None = None
    floor: procs.Child | None = None

    def keep(self, child: procs.Child) -> procs.Child:
        self.children.append(child)
        return child


# ---------------------------------------------------------------- HTTP helpers


def call(method: str, url: str, body: object = None, auth: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = f"Bearer {auth}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def wait_until_quiet(child: procs.Child, limit: float = 180.0) -> float:
    """Wait until the gateway's process tree uses under 5 % of a CPU for a second (its background
    work done), at most ``limit`` seconds; the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        before = procs.cpu_seconds(child.pid)
        time.sleep(1.0)
        if procs.cpu_seconds(child.pid) - before < 0.05:
            break
    return time.monotonic() - start


def settle_idle_rss(child: procs.Child) -> int:
    time.sleep(1.0)
    return procs.rss_kib(child.pid)


# ---------------------------------------------------------------- set-up


def start_all(suite: Suite) -> None:
    values = {
        "FAKE_PORT": str(procs.free_port()),
        "FLOOR_PORT": str(procs.free_port()),
        "RUNNING_ID": procs.RUNNING_ID,
        "DONE_ID": procs.DONE_ID,
    }
    suite.fake = suite.keep(procs.start_nginx("fake", "fake.conf", suite.workdir, values))
    suite.floor = suite.keep(procs.start_nginx("floor", "floor.conf", suite.workdir, values))
    suite.fake.wait_ready("/health")
    suite.floor.wait_ready("/health")
    fake, floor = suite.fake.base, suite.floor.base
    rid = f"/v1/tasks/{procs.RUNNING_ID}"
    suite.targets["direct"] = Target(
        "direct",
        None,
        {
            "image": Endpoint(fake + "/v1", "runware.lua"),
            "video": Endpoint(fake + "/v1/image_to_video", "runway.lua"),
            "retrieve": Endpoint(fake + rid, "get.lua"),
        },
    )
    suite.targets["floor"] = Target(
        "floor",
        suite.floor,
        {
            "image": Endpoint(floor + "/v1", "runware.lua"),
            "video": Endpoint(floor + "/v1/image_to_video", "runway.lua"),
            "retrieve": Endpoint(floor + rid, "get.lua"),
        },
    )

    reference = suite.keep(procs.start_reference("reference", suite.workdir, fake))
    irisgate = suite.keep(procs.start_irisgate("irisgate", suite.workdir, fake))
    litellm = None
    why_not = procs.litellm_available() if suite.args.litellm else "skipped (--no-litellm)"
    if why_not is None:
        litellm = suite.keep(procs.start_litellm(suite.workdir, fake))
    else:
        suite.notes.append(f"LiteLLM not measured: {why_not}")
    reference.wait_ready("/ready")  # no such route: any answer below 500 means it is up
    irisgate.wait_ready("/health")
    suite.idle_rss["reference"] = settle_idle_rss(reference)
    suite.idle_rss["irisgate (1 worker)"] = settle_idle_rss(irisgate)
    for name, child in (("reference", reference), ("irisgate", irisgate)):
        suite.targets[name] = Target(
            name,
            child,
            {
                "image": Endpoint(child.base + "/v1/images/generations", "image.lua"),
                "video": Endpoint(child.base + "/v1/videos", "video.lua"),
                "retrieve": Endpoint(None, "get.lua"),
            },
        )  # the URL once a video exists
    suite.targets["reference"].endpoints["retrieve"].url = f"{reference.base}/v1/videos/{procs.RUNNING_ID}"
    video = call("POST", irisgate.base + "/v1/videos", RUNNING_VIDEO_BODY)
    suite.targets["irisgate"].endpoints["retrieve"].url = f"{irisgate.base}/v1/videos/{video['id']}"
    if litellm is not None:
        try:
            litellm.wait_ready("/health/liveliness", timeout=300)
            suite.idle_rss["litellm (1 worker)"] = settle_idle_rss(litellm)
            key = procs.LITELLM_MASTER_KEY
            video = call("POST", litellm.base + "/v1/videos", VIDEO_BODY, auth=key)
            suite.targets["litellm"] = Target(
                "litellm",
                litellm,
                {
                    "image": Endpoint(
                        None, None, na=f"LiteLLM has no Runware provider (litellm {procs.litellm_version()})"
                    ),
                    "video": Endpoint(litellm.base + "/v1/videos", "video.lua"),
                    "retrieve": Endpoint(f"{litellm.base}/v1/videos/{video['id']}", "get.lua"),
                },
                auth=key,
            )
        except Exception as error:  # the peer failing must not sink the suite
            suite.notes.append(f"LiteLLM not measured: {error}")


# ---------------------------------------------------------------- sections


def pinned(suite: Suite, target: Target, cpus: frozenset[int] | set[int]) -> None:
    for child in (suite.fake, target.child):
        if child is not None:
            procs.pin(child.pid, cpus)


def wrk_run(suite: Suite, target: Target, endpoint: Endpoint, connections: int, **kw: object) -> WrkResult:
    assert endpoint.url and endpoint.script
    seconds = kw.pop("seconds", suite.args.duration)
    return load.wrk(endpoint.url, endpoint.script, connections, seconds, auth=target.auth, **kw)  # type: ignore[arg-type]


def measure_throughput(suite: Suite, target: Target, endpoint: Endpoint) -> Series:
    """Warm-up, then c=16 (with the target's CPU time) and c=64."""
    pid = target.child.pid if target.child else None
    wrk_run(suite, target, endpoint, 16, seconds=suite.args.warmup)
    c16 = wrk_run(suite, target, endpoint, 16, measure_pid=pid)
    c64 = wrk_run(suite, target, endpoint, 64)
    return Series(None, c16, c64)


def measure_pinned(suite: Suite, target: Target, endpoint: Endpoint) -> WrkResult:
    """One c=1 run with wrk, the fake and the target pinned to one CPU."""
    pinned(suite, target, {PINNED_CPU})
    try:
        return wrk_run(suite, target, endpoint, 1, cpu=PINNED_CPU)
    finally:
        pinned(suite, target, procs.ALL_CPUS)


def median_run(runs: list[WrkResult]) -> WrkResult:
    """The run with the median p50 (its p99 with it): one disturbed run cannot move the figure."""
    return sorted(runs, key=lambda run: run.p50_ms)[len(runs) // 2]


def overhead(suite: Suite) -> None:
    """Per kind: every target's throughput series, then `--rounds` rounds of c=1 runs that visit the
    targets in turn, so a slow spell of the shared machine falls on all of them; the median is kept."""
    for kind in suite.args.kinds:
        series: dict[str, Series] = {}
        measured: list[tuple[str, Target, Endpoint]] = []
        for name, target in suite.targets.items():
            endpoint = target.endpoints[kind]
            if endpoint.na:
                series[name] = Series(na=endpoint.na)
                continue
            log(f"overhead {kind:8} {name}")
            series[name] = measure_throughput(suite, target, endpoint)
            measured.append((name, target, endpoint))
        pinned_runs: dict[str, list[WrkResult]] = {name: [] for name, _, _ in measured}
        for round_number in range(suite.args.rounds):
            log(f"overhead {kind:8} c=1 round {round_number + 1}/{suite.args.rounds}")
            for name, target, endpoint in measured:
                pinned_runs[name].append(measure_pinned(suite, target, endpoint))
        for name, runs in pinned_runs.items():
            series[name].c1 = median_run(runs)
        suite.overhead[kind] = series


def streaming(suite: Suite) -> None:
    assert suite.fake and suite.floor
    irisgate = suite.targets["irisgate"].child
    assert irisgate
    video = call("POST", irisgate.base + "/v1/videos", DONE_VIDEO_BODY)
    state = call("GET", f"{irisgate.base}/v1/videos/{video['id']}")
    if state["status"] != "completed":
        raise RuntimeError(f"the streaming video did not complete: {state}")
    # irisgate keeps a copy of each completed video (issue 19). Let its media keeper finish copying
    # this one, and its settler the jobs the overhead section made, so that the downloads measure
    # the download and not what runs beside it; `/content` then serves the kept copy.
    quiet_after = wait_until_quiet(irisgate)
    media = suite.workdir / "irisgate" / "media"
    kept = any(f.is_file() and f.stat().st_size >= procs.BIG_FILE_BYTES for f in media.rglob("*"))
    path = f"/files/{procs.BIG_FILE}"
    urls = {
        "direct": suite.fake.base + path,
        "floor": suite.floor.base + path,
        "irisgate": f"{irisgate.base}/v1/videos/{video['id']}/content",
    }
    runs: dict[str, list[load.Download]] = {name: [] for name in urls}
    load.curl_download(urls["direct"])  # the first read of the sparse file fills the page cache
    growth_kib, start_kib = 0, procs.rss_kib(irisgate.pid)
    for _ in range(suite.args.download_runs):
        for name, url in urls.items():
            log(f"streaming {name}")
            if name == "irisgate":
                with load.PeakRss(irisgate.pid) as sampler:
                    runs[name].append(load.curl_download(url))
                growth_kib = max(growth_kib, sampler.peak_kib - sampler.start_kib)
            else:
                runs[name].append(load.curl_download(url))
    suite.streaming = {
        "runs": runs,
        "growth_kib": growth_kib,
        "start_kib": start_kib,
        "served": "its kept copy" if kept else "the provider's file, proxied",
        "quiet_after": quiet_after,
    }


def b64(suite: Suite) -> None:
    assert suite.fake and suite.floor
    fake = suite.fake.base
    reference = procs.start_reference("reference-b64", suite.workdir, fake, runware_path="/b64/v1")
    irisgate = procs.start_irisgate("irisgate-b64", suite.workdir, fake, runware_path="/b64/v1")
    try:
        reference.wait_ready("/ready")  # no such route: any answer below 500 means it is up
        irisgate.wait_ready("/health")
        cases = [
            ("direct", None, fake + "/b64/v1", "runware.lua"),
            ("floor", suite.floor, suite.floor.base + "/b64/v1", "runware.lua"),
            ("reference", reference, reference.base + "/v1/images/generations", "image_b64.lua"),
            ("irisgate", irisgate, irisgate.base + "/v1/images/generations", "image_b64.lua"),
        ]
        for name, child, url, script in cases:
            log(f"b64 {name}")
            target = Target(name, child, {})
            load.wrk(url, script, 4, suite.args.warmup)
            pinned(suite, target, {PINNED_CPU})
            try:
                suite.b64[name] = load.wrk(url, script, 1, suite.args.duration, cpu=PINNED_CPU)
            finally:
                pinned(suite, target, procs.ALL_CPUS)
    finally:
        reference.stop()
        irisgate.stop()


def scaling(suite: Suite) -> None:
    one = suite.targets["irisgate"]
    assert one.child and suite.fake
    two_child = suite.keep(procs.start_irisgate("irisgate-2w", suite.workdir, suite.fake.base, workers=2))
    try:
        two_child.wait_ready("/health")
        time.sleep(1.0)  # both workers up
        two_child.wait_ready("/health")
        suite.idle_rss["irisgate (2 workers, all processes)"] = settle_idle_rss(two_child)
        video = call("POST", two_child.base + "/v1/videos", RUNNING_VIDEO_BODY)
        two = Target(
            "irisgate-2w",
            two_child,
            {
                "image": Endpoint(two_child.base + "/v1/images/generations", "image.lua"),
                "video": Endpoint(two_child.base + "/v1/videos", "video.lua"),
                "retrieve": Endpoint(f"{two_child.base}/v1/videos/{video['id']}", "get.lua"),
            },
        )
        for kind in suite.args.kinds:
            suite.scaling[kind] = {}
            for workers, target in ((1, one), (2, two)):
                endpoint = target.endpoints[kind]
                assert endpoint.url and endpoint.script
                log(f"scaling {kind:8} workers={workers}")
                load.wrk(endpoint.url, endpoint.script, 64, suite.args.warmup)
                suite.scaling[kind][workers] = load.wrk(
                    endpoint.url,
                    endpoint.script,
                    64,
                    suite.args.duration,
                    measure_pid=target.child.pid if target.child else None,
                )
    finally:
        two_child.stop()
        suite.children.remove(two_child)


def profile(suite: Suite) -> None:
    """py-spy on irisgate during a c=16 run of each kind: the frames with the most samples, and the CPU time
    of the event-loop thread vs the other threads (the store's, the executor's) from /proc."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        suite.notes.append("profile skipped: py-spy is not installed (.venv/bin/pip install py-spy)")
        return
    irisgate = suite.targets["irisgate"]
    assert irisgate.child
    for kind in suite.args.kinds:
        endpoint = irisgate.endpoints[kind]
        assert endpoint.url and endpoint.script
        out = suite.workdir / f"profile-{kind}.txt"
        log(f"profile {kind}")
        seconds = max(3, round(suite.args.duration))
        recorder = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(irisgate.child.pid),
                "--duration",
                str(seconds),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        pid = irisgate.child.pid
        before, total_before = procs.thread_cpu(pid), procs.cpu_seconds(pid)
        result = load.wrk(endpoint.url, endpoint.script, 16, seconds + 1)
        after, total_after = procs.thread_cpu(pid), procs.cpu_seconds(pid)
        recorder.wait(timeout=60)
        if out.exists():
            main_s = after.get(pid, 0.0) - before.get(pid, 0.0)
            other_s = total_after - total_before - main_s  # the process total keeps threads that ended
            ended = len(set(before) - set(after))
            started = len(set(after) - set(before))
            if ended or started:
                suite.notes.append(
                    f"During the {kind} profile run {started} threads started and {ended} ended."
                )
            suite.profiles[kind] = report.top_frames(out.read_text())
            suite.profiles[kind].thread_cpu = (main_s, other_s, result.requests)
            keep = Path(suite.args.profile_dir) / f"profile-{kind}.txt"
            keep.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(out, keep)


# ---------------------------------------------------------------- main


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sections",
        default=",".join(DEFAULT_SECTIONS),
        help=f"comma-separated, from {', '.join(SECTIONS)} (default: all but profile)",
    )
    parser.add_argument("--kinds", default=",".join(KINDS), help="request kinds: image, video, retrieve")
    parser.add_argument(
        "--duration", type=float, default=5.0, help="seconds per measured wrk run (default 5)"
    )
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up before a series")
    parser.add_argument(
        "--rounds", type=int, default=3, help="c=1 runs per target, interleaved; median kept (default 3)"
    )
    parser.add_argument("--download-runs", type=int, default=3, help="1 GB downloads per path (median kept)")
    parser.add_argument("--no-litellm", dest="litellm", action="store_false", help="leave LiteLLM out")
    parser.add_argument(
        "--profile-dir",
        default=str(Path(tempfile.gettempdir()) / "irisgate-bench-profiles"),
        help="where the raw py-spy profiles are kept",
    )
    parser.add_argument(
        "--no-record", dest="record", action="store_false", help="print, do not append to RESULTS.md"
    )
    args = parser.parse_args(argv)
    args.sections = [s for s in args.sections.split(",") if s]
    args.kinds = [k for k in args.kinds.split(",") if k]
    for section in args.sections:
        if section not in SECTIONS:
            parser.error(f"unknown section {section!r}")
    for kind in args.kinds:
        if kind not in KINDS:
            parser.error(f"unknown kind {kind!r}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    for tool in ("wrk", "taskset", "curl"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing (apt-get install wrk util-linux curl)")
    procs.nginx_binary()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="irisgate-bench-") as workdir:
        Path(workdir).chmod(0o755)  # nginx's workers run as another user: they must read the fake's files
        suite = Suite(args, Path(workdir))
        try:
            start_all(suite)
            steps = {
                "overhead": overhead,
                "streaming": streaming,
                "b64": b64,
                "scaling": scaling,
                "profile": profile,
            }
            for section in SECTIONS:
                if section in args.sections:
                    steps[section](suite)
        finally:
            for child in reversed(suite.children):
                child.stop()
    suite.notes.append(f"The suite took {time.monotonic() - started:.0f} s.")
    text = report.render(suite)
    print(text)
    if args.record:
        report.append(text)


if __name__ == "__main__":
    main()
