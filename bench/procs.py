"""Processes of the performance suite: the nginx fake upstream and floor, the gateways, /proc readings.

Everything here is started as a child of bench/run.py on a free port and stopped by its pid.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")
ALL_CPUS = frozenset(os.sched_getaffinity(0))

RUNNING_ID = "8d8c3f6e-1b7a-4d35-9a51-2c7f0e4b9a11"  # a Runway task that never ends
DONE_ID = "1f0e6a2b-53c4-4e8f-8d2b-7a9c6b1d3e44"  # a Runway task that succeeded (output: the 1 GB file)
RUNWARE_KEY = "bench-runware-key"
RUNWAY_KEY = "key_" + "0" * 128
LITELLM_MASTER_KEY = "sk-bench-0000"
BIG_FILE = "video-1g.mp4"
BIG_FILE_BYTES = 1 << 30
B64_IMAGE_BYTES = 3 * 1024 * 1024  # raw bytes: the base64 text is 4 MiB


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- /proc


def tree(root: int) -> list[int]:
    """`root` and its descendants (uvicorn's workers, nginx's worker)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_seconds(root: int) -> float:
    """utime + stime of the process tree (all threads), in seconds."""
    total = 0
    for pid in tree(root):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return total / TICKS


def thread_cpu(pid: int) -> dict[int, float]:
    """utime + stime of each thread of one process, in seconds, by tid (tid == pid: the main thread)."""
    out: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / TICKS
    return out


def rss_kib(root: int) -> int:
    """Resident memory of the process tree, in KiB."""
    total = 0
    for pid in tree(root):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def pin(root: int, cpus: frozenset[int] | set[int]) -> None:
    """Set the CPU affinity of every thread of the process tree."""
    for pid in tree(root):
        try:
            tids = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
        except OSError:
            continue
        for tid in tids:
            with contextlib.suppress(OSError):  # a thread that just ended
                os.sched_setaffinity(tid, cpus)


# ---------------------------------------------------------------- children


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    stop_signal: int = signal.SIGTERM
    info: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def wait_ready(
        self, path: str = "/", timeout: float = 120.0, headers: dict[str, str] | None = None
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log}")
            try:
                request = urllib.request.Request(self.base + path, headers=headers or {})
                with urllib.request.urlopen(request, timeout=2) as response:
                    if response.status < 500:
                        return
            except urllib.error.HTTPError as error:
                if error.code < 500:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not come up in {timeout:.0f} s; see {self.log}")


def spawn(
    name: str,
    args: list[str],
    workdir: Path,
    port: int,
    env: dict[str, str] | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Child:
    log = workdir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=workdir,
            start_new_session=True,
        )
    return Child(name, process, port, log, stop_signal)


def render(template: Path, target: Path, values: dict[str, str]) -> None:
    text = template.read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    target.write_text(text)


def prepare_fake_files(prefix: Path) -> None:
    """The static answers too big for nginx's `return`: the 4 MB base64 image and the 1 GB file."""
    (prefix / "static" / "b64").mkdir(parents=True, exist_ok=True)
    (prefix / "static" / "files").mkdir(parents=True, exist_ok=True)
    image = base64.b64encode(os.urandom(B64_IMAGE_BYTES)).decode()
    answer = {
        "data": [
            {
                "taskType": "imageInference",
                "imageUUID": "77da2d99-a6d3-44d9-b8c0-ae9fb06b6200",
                "imageBase64Data": image,
                "seed": 126128181,
                "cost": 0.0013,
            }
        ]
    }
    (prefix / "static" / "b64" / "v1").write_text(json.dumps(answer, separators=(",", ":")))
    with (prefix / "static" / "files" / BIG_FILE).open("wb") as big:
        big.truncate(BIG_FILE_BYTES)  # sparse: no disk used, read from the page cache as zeros


def start_nginx(name: str, conf: str, workdir: Path, values: dict[str, str]) -> Child:
    prefix = workdir / name
    prefix.mkdir(parents=True, exist_ok=True)
    if name == "fake":
        prepare_fake_files(prefix)
    render(BENCH / "fake_upstream" / conf, prefix / "nginx.conf", {**values, "PREFIX": str(prefix)})
    port = int(values["FAKE_PORT" if name == "fake" else "FLOOR_PORT"])
    child = spawn(
        name,
        [
            nginx_binary(),
            "-p",
            str(prefix),
            "-e",
            str(prefix / "error.log"),
            "-c",
            str(prefix / "nginx.conf"),
        ],
        workdir,
        port,
        stop_signal=signal.SIGQUIT,
    )
    return child


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("nginx is missing: apt-get install nginx-light (or nginx)")


def irisgate_config(fake: str, runware_path: str = "/v1") -> dict[str, object]:
    def provider(key: str, base_url: str) -> dict[str, object]:
        return {
            "keys": [{"name": "bench", "value": key, "models": ["*"]}],
            "network_config": {"base_url": base_url, "default_request_timeout_in_seconds": 60},
        }

    return {
        "providers": {
            "runware": provider(RUNWARE_KEY, fake + runware_path),
            "runway": provider(RUNWAY_KEY, fake),
        }
    }


def start_irisgate(name: str, workdir: Path, fake: str, workers: int = 1, runware_path: str = "/v1") -> Child:
    app_dir = workdir / name
    app_dir.mkdir(parents=True, exist_ok=True)
    config = app_dir / "config.json"
    config.write_text(json.dumps(irisgate_config(fake, runware_path)))
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "irisgate",
        "serve",
        "-c",
        str(config),
        "--app-dir",
        str(app_dir),
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    return spawn(name, args, workdir, port)


def start_reference(name: str, workdir: Path, fake: str, runware_path: str = "/v1") -> Child:
    port = free_port()
    env = {
        "REF_PORT": str(port),
        "REF_RUNWARE_URL": fake + runware_path,
        "REF_RUNWAY_URL": fake,
        "REF_RUNWARE_KEY": RUNWARE_KEY,
        "REF_RUNWAY_KEY": RUNWAY_KEY,
    }
    return spawn(name, [sys.executable, str(BENCH / "reference_gateway.py")], workdir, port, env)


LITELLM_VENV = BENCH / ".venv-litellm"


def litellm_available() -> str | None:
    """None if the LiteLLM proxy can run, else why not."""
    if not (LITELLM_VENV / "bin" / "litellm").exists():
        return (
            f"no LiteLLM venv at {LITELLM_VENV} (python3 -m venv {LITELLM_VENV} && "
            f"{LITELLM_VENV}/bin/pip install 'litellm[proxy]')"
        )
    return None


def litellm_version() -> str:
    out = subprocess.run(
        [
            str(LITELLM_VENV / "bin" / "python"),
            "-c",
            "import importlib.metadata as m; print(m.version('litellm'))",
        ],
        capture_output=True,
        text=True,
    )
    return out.stdout.strip() or "?"


def start_litellm(workdir: Path, fake: str) -> Child:
    """LiteLLM's proxy, one worker, model `runway/gen4_turbo` = `runwayml/gen4_turbo` at the fake."""
    port = free_port()
    config = workdir / "litellm.yaml"
    config.write_text(
        json.dumps(
            {  # JSON is YAML
                "model_list": [
                    {
                        "model_name": "runway/gen4_turbo",
                        "litellm_params": {
                            "model": "runwayml/gen4_turbo",
                            "api_base": fake + "/v1",
                            "api_key": RUNWAY_KEY,
                        },
                    }
                ],
                "litellm_settings": {"telemetry": False, "drop_params": True},
                "general_settings": {"master_key": LITELLM_MASTER_KEY},
            },
            indent=1,
        )
    )
    env = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY": "False",
        "LITELLM_LOG": "ERROR",
        "DISABLE_SCHEMA_UPDATE": "True",
        "NO_DOCS": "True",
    }
    args = [
        str(LITELLM_VENV / "bin" / "litellm"),
        "--config",
        str(config),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
    ]
    return spawn("litellm", args, workdir, port, env)
