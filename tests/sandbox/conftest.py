"""A real Docker engine for the docker backend's tests: the one configured, else a private
`dockerd` started here (Debian's docker.io; root; no bridge, no iptables), else a skip
that says which of those is missing. No registry is reachable, so the image is imported
from an empty root filesystem and the runner's own Python is bound into it."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

EMPTY_IMAGE = "mcv-sandbox-test:empty"


def _answers(host: str | None) -> bool:
    import docker

    try:
        client = (
            docker.DockerClient(base_url=host, timeout=5) if host else docker.from_env(timeout=5)
        )
        return bool(client.ping())
    except Exception:  # any failure means: no engine there
        return False


def _start_dockerd() -> tuple[subprocess.Popen[bytes], Path, str]:
    dockerd = shutil.which("dockerd")
    if dockerd is None:
        pytest.skip(
            "no Docker engine answers and dockerd is not installed (apt-get install docker.io)"
        )
    if os.geteuid() != 0:
        pytest.skip("no Docker engine answers and dockerd needs root to start one")
    root = Path(tempfile.mkdtemp(prefix="mcv-dockerd-"))  # short: a socket path has 108 bytes
    host = f"unix://{root}/docker.sock"
    log = (root / "dockerd.log").open("wb")
    process = subprocess.Popen(
        [
            dockerd,
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--host",
            host,
            "--data-root",
            str(root / "data"),
            "--exec-root",
            str(root / "exec"),
            "--pidfile",
            str(root / "dockerd.pid"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if _answers(host):
            return process, root, host
        time.sleep(0.5)
    process.kill()
    process.wait()
    tail = (root / "dockerd.log").read_text(errors="replace").strip().splitlines()[-3:]
    shutil.rmtree(root, ignore_errors=True)
    pytest.skip(f"dockerd did not start here: {' | '.join(tail)}")


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[str]:
    """DOCKER_HOST of an engine that answers, with the empty test image on it."""
    pytest.importorskip("docker", reason="the docker SDK is not installed")
    import docker

    configured = os.environ.get("DOCKER_HOST")
    started = None
    if _answers(None):
        host = configured or "unix:///var/run/docker.sock"
    else:
        started = _start_dockerd()
        host = started[2]
    client = docker.DockerClient(base_url=host, timeout=60)
    empty = io.BytesIO()
    with tarfile.open(fileobj=empty, mode="w") as tar:
        folder = tarfile.TarInfo("tmp")
        folder.type, folder.mode = tarfile.DIRTYPE, 0o1777
        tar.addfile(folder)
    client.api.import_image_from_data(
        empty.getvalue(), repository=EMPTY_IMAGE.split(":")[0], tag="empty"
    )
    try:
        yield host
    finally:
        if started is not None:
            process, root, _ = started
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            shutil.rmtree(root, ignore_errors=True)
