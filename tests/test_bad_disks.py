"""Bad disks are errors, not deaths (issue 17): `irisgate serve` with its app dir on a small tmpfs
that fills up, and on one that is read-only. Mounting needs root, which `make test` (and CI) has."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fixtures_gateway import RUNWARE_MODEL
from serve_helpers import IRISGATE, free_port, start_serve, wait_for_health

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a tmpfs needs root (make test runs as root)"
)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def config_file(where: Path, runware_sim, runway_sim) -> Path:
    config = where / "config.json"
    config.write_text(
        json.dumps(
            {
                "providers": {
                    "runware": {
                        "keys": [{"name": "main", "value": runware_sim.api_key}],
                        "network_config": {"base_url": runware_sim.api_url},
                    },
                    "runway": {
                        "keys": [{"name": "main", "value": runway_sim.api_key}],
                        "network_config": {"base_url": runway_sim.url},
                    },
                }
            }
        )
    )
    return config


def fill(disk: Path) -> Path:
    """Write zeros until the filesystem has no room left, not even for a byte."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (256 * 1024, 4096, 1):
            while True:
                try:
                    os.write(descriptor, b"\0" * size)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    break
    finally:
        os.close(descriptor)
    return filler


def create(client: httpx.Client) -> httpx.Response:
    return client.post(
        "/v1/videos", json={"model": "runway/gen4.5", "prompt": "rain on a window", "seconds": "2"}
    )


def test_a_full_disk_makes_creates_503_and_nothing_else_breaks(small_disk, tmp_path, runware_sim, runway_sim):
    app_dir = small_disk / "data"
    port = free_port()
    process = start_serve(config_file(tmp_path, runware_sim, runway_sim), app_dir, port, "--workers", "2")
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process)
        before = create(client)
        assert before.status_code == 200, before.text
        filler = fill(small_disk)

        answers = [create(client) for _ in range(200)]
        statuses = {answer.status_code for answer in answers}
        assert statuses <= {200, 503}, [a.text for a in answers if a.status_code not in (200, 503)]
        refused = [a for a in answers if a.status_code == 503]
        assert refused, "the store kept taking writes on a full disk"
        assert {a.json()["error"]["code"] for a in refused} == {"store_unavailable"}
        assert "disk is full" in refused[0].json()["error"]["message"]

        assert process.poll() is None  # alive: no SIGBUS, no exit
        assert client.get("/health").status_code == 200
        assert client.get("/metrics").status_code == 200
        assert client.get(f"/v1/videos/{before.json()['id']}").status_code == 200  # reads still work
        image = client.post(
            "/v1/images/generations", json={"model": RUNWARE_MODEL, "prompt": "a red fox", "size": "256x256"}
        )
        assert image.status_code == 200, image.text  # needs no write (its log waits for the disk)

        filler.unlink()
        after = create(client)
        assert after.status_code == 200, after.text  # no restart needed
        assert client.get(f"/v1/videos/{after.json()['id']}").status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr  # stopped by us, not killed by the disk
    assert "Traceback" not in stderr, stderr


def test_a_read_only_database_stops_start_up_in_one_line(small_disk, tmp_path, runware_sim, runway_sim):
    app_dir = small_disk / "data"
    config = config_file(tmp_path, runware_sim, runway_sim)
    port = free_port()
    process = start_serve(config, app_dir, port)
    wait_for_health(f"http://127.0.0.1:{port}", process)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)

    result = subprocess.run(
        [*IRISGATE, "serve", "--config", str(config), "--app-dir", str(app_dir), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(app_dir / "irisgate.db") in lines[0] and "read-only" in lines[0], lines[0]
