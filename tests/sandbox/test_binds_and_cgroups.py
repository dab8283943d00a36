"""The sandbox layer's own refusals, whatever its caller asks, and its run cgroup, as root
and as a non-root runner with and without a delegated cgroup."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.errors import RunnerError
from runner.sandbox.base import Request, bind_refusal
from runner.sandbox.cgroup import Place, find_place
from runner.sandbox.limits import GIB, Limits
from tests.runner.test_reproduce import text_manifest
from tests.sandbox.conftest import EMPTY_IMAGE

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hostile_paths(tmp_path: Path) -> list[Path]:
    """Paths a caller (a dataset row, a bug) might hand the backend to bind."""
    sockets = tmp_path / "with-socket"
    sockets.mkdir()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(sockets / "engine.sock"))
    fifo = tmp_path / "with-fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "pipe")
    return [
        Path("/proc"),
        Path("/proc/1"),
        Path("/proc/self/environ"),
        Path("/sys/fs/cgroup"),
        Path("/dev"),
        Path("/dev/shm"),
        Path("/run"),
        Path("/var/run"),
        Path("/var"),  # holds /var/run
        Path("/"),
        Path.home(),
        Path.home().parent,  # holds the home
        Path.home() / ".ssh",
        Path.home() / ".cache" / "huggingface" / "token",
        sockets,
        sockets / "engine.sock",
        fifo,
    ]


def test_bind_refusal_names_why(hostile_paths: list[Path]) -> None:
    reasons = {str(p): bind_refusal(p) for p in hostile_paths}
    assert all(reasons.values()), reasons
    assert "lies under the host's /proc" in (reasons["/proc/1"] or "")
    assert "runner's home" in (reasons[str(Path.home())] or "")
    assert "engine.sock, a socket" in (reasons[str(hostile_paths[-3])] or "")
    assert "with-fifo/pipe, a socket, pipe" in (reasons[str(hostile_paths[-1])] or "")
    assert bind_refusal(REPO / "tests" / "data") is None  # an honest data folder passes


def test_the_home_and_its_hidden_folders_are_refused_a_checkout_in_it_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home" / "runner"
    (home / ".config" / "gh").mkdir(parents=True)
    (home / "_work" / "course" / "submissions" / "t").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    assert "is or holds the runner's home" in (bind_refusal(home) or "")
    assert "is or holds the runner's home" in (bind_refusal(home.parent) or "")
    hidden = bind_refusal(home / ".config" / "gh") or ""
    assert f"lies under {home / '.config'}, a hidden folder" in hidden
    assert bind_refusal(home / "_work" / "course" / "submissions" / "t") is None


def _request(read_only: list[Path], scratch: Path) -> Request:
    argv = [sys.executable, "-c", "print('result\\tran')"]
    return Request(argv, read_only, scratch, "cpu", 1, Limits(memory_bytes=GIB), 30)


def test_bwrap_refuses_host_paths_whatever_the_caller_asks(
    hostile_paths: list[Path], tmp_path: Path
) -> None:
    from runner.sandbox.bwrap import Bwrap, probe

    if probe():
        pytest.skip(f"bwrap sandbox unavailable: {probe()}")
    backend = Bwrap()
    for path in hostile_paths:
        lines: list[str] = []
        with pytest.raises(RunnerError, match=r"refused to bind .* nothing was run"):
            backend.run(_request([path], tmp_path / "work"), lines.append)
        assert lines == []


def test_docker_refuses_host_paths_whatever_the_caller_asks(
    docker_engine: str,
    hostile_paths: list[Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runner.sandbox.container import Docker

    monkeypatch.setenv("DOCKER_HOST", docker_engine)
    backend = Docker(EMPTY_IMAGE, host_python=True)
    for path in hostile_paths:
        with pytest.raises(RunnerError, match=r"refused to bind .* nothing was run"):
            backend.run(_request([path], tmp_path / "work"), lambda line: None)


def test_find_place_says_what_to_configure_without_a_writable_cgroup() -> None:
    """A v1 host whose cgroups the runner may not write: the message names the fix."""
    cgroup = "4:memory:/machine/runner\n8:pids:/machine/runner\n0::/\n"
    mountinfo = (
        "35 31 0:32 / /nonexistent/memory rw - cgroup cgroup rw,memory\n"
        "39 31 0:36 / /nonexistent/pids rw - cgroup cgroup rw,pids\n"
    )
    found = find_place(cgroup, mountinfo)
    assert isinstance(found, str)
    assert "no cgroup for the run's memory and process caps" in found
    assert "mkdir -p /sys/fs/cgroup/memory/mcv /sys/fs/cgroup/pids/mcv && chown -R" in found


# As a non-root runner: the reproduce command in a process of uid 65534, started (by this
# root test) inside a cgroup chowned to it, or not.

NOBODY_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "TMPDIR": "/tmp", "USER": "nobody"}


@pytest.fixture
def nobody_repo(tiny_models: dict[str, Path]) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to start a process as uid 65534")
    root = Path(tempfile.mkdtemp(prefix="mcv-nobody-"))
    root.chmod(0o755)
    _python_for_nobody(root / "venv")
    model = root / "model"
    shutil.copytree(tiny_models["text-classification"], model)
    team = root / "submissions" / "t"
    team.mkdir(parents=True)
    (team / "many-children.py").write_text(
        "import os, time\n"
        "def build(model_dir, out_dir):\n"
        "    kids = []\n"
        "    for _ in range(3):\n"
        "        pid = os.fork()\n"
        "        if pid == 0:\n"
        "            hold = b'x' * (800 * 2**20)\n"
        "            time.sleep(20)\n"
        "            os._exit(0)\n"
        "        kids.append(pid)\n"
        "    raise SystemExit(f'children: {[os.waitpid(p, 0)[1] for p in kids]}')\n"
    )
    runs = [
        {"label": "Оригинал", "method": "original"},
        {
            "label": "kids",
            "method": "custom",
            "params": {"script": "many-children.py", "description": "x"},
        },
    ]
    manifest = text_manifest(root, model, runs, samples=2)
    assert manifest == root / "submissions/t/hw-2.yaml"
    (root / "mcv.toml").write_text("[course]\ncustom_recipes = true\n")
    (root / "out").mkdir()
    subprocess.run(["chmod", "-R", "o+rX", str(root)], check=True)
    os.chown(root / "out", 65534, 65534)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _python_for_nobody(folder: Path) -> None:
    """A virtual environment uid 65534 can run: the system's interpreter when this one
    lives in a folder only root may enter (a pyenv under /root), with this one's packages
    added as a site folder."""
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    system = Path(f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}")
    interpreter = system if system.exists() else base
    subprocess.run([str(interpreter), "-m", "venv", "--without-pip", str(folder)], check=True)
    site = next((folder / "lib").glob("python3*/site-packages"))
    ours = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "mcv-runner.pth").write_text(f"import site; site.addsitedir({ours!r})\n")


def _reproduce_as_nobody(root: Path, cgroups: list[Path]) -> subprocess.CompletedProcess[str]:
    join = "".join(f"echo $$ > {c}/cgroup.procs && " for c in cgroups)
    argv = [
        *(str(root / "venv/bin/python"), "-m", "validator", "reproduce"),
        str(root / "submissions/t/hw-2.yaml"),
        *("--out", str(root / "out" / "record"), "--sandbox", "bwrap"),
        *("--config", str(root / "mcv.toml"), "--memory-limit", "2", "--timeout", "60"),
        *("--min-iterations", "2", "--min-seconds", "0", "--warmup", "0", "--threads", "1"),
    ]
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    return subprocess.run(
        ["sh", "-c", join + 'exec "$@"', "sh", *nobody, *argv],
        env=NOBODY_ENV,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def delegated() -> Iterator[list[Path]]:
    """A cgroup subtree chowned to uid 65534, as systemd's `Delegate=` gives a service:
    the folders to start the process in."""
    place = find_place()
    if not isinstance(place, Place):
        pytest.skip(f"no cgroup to delegate from here: {place}")
    name = f"mcv-delegated-{uuid.uuid4().hex[:8]}"
    tops = [folder / name for folder in place.folders]
    for top in tops:
        top.mkdir()
    starts = tops
    if place.version == 2:  # processes in a leaf, controllers for the subtree's children
        (tops[0] / "cgroup.subtree_control").write_text("+memory +pids")
        starts = [tops[0] / "runner"]
        starts[0].mkdir()
    for top in tops:
        subprocess.run(["chown", "-R", "65534:65534", str(top)], check=True)
    yield starts
    for folder in [*starts, *tops]:
        for child in folder.iterdir() if folder.exists() else []:
            if child.is_dir():
                child.rmdir()
        if folder.exists():
            folder.rmdir()


def test_non_root_without_a_delegated_cgroup_is_told_what_to_configure(
    nobody_repo: Path,
) -> None:
    done = _reproduce_as_nobody(nobody_repo, [])
    assert done.returncode == 2, done.stderr
    assert "--sandbox bwrap: no cgroup for the run's memory and process caps" in done.stderr
    assert "uid 65534" in done.stderr
    assert "Delegate=" in done.stderr or "chown -R" in done.stderr
    assert "nothing was run unsandboxed" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (nobody_repo / "out" / "record").exists()


def test_non_root_with_a_delegated_cgroup_runs_under_its_caps(
    nobody_repo: Path, delegated: list[Path]
) -> None:
    done = _reproduce_as_nobody(nobody_repo, delegated)
    record = json.loads((nobody_repo / "out" / "record" / "verification.json").read_text())
    runs = {r["label"]: r for r in record["runs"]}
    assert record["settings"]["sandbox"] == "bwrap"
    assert runs["Оригинал"]["status"] == "ok", (runs["Оригинал"]["error"], done.stderr[-2000:])
    assert runs["kids"]["status"] == "failed"
    assert runs["kids"]["error"].startswith(
        "out of memory: the run's processes together reached its 2 GiB memory cap"
    ), runs["kids"]["error"]
    assert done.returncode == 1  # a run failed, as it should


def test_the_deploy_scripts_delegation_lets_a_non_root_runner_start_bwrap(
    nobody_repo: Path,
) -> None:
    """runner/deploy/cgroup-delegate.sh, as root, then `mcv doctor` as the runner user."""
    place = find_place()
    if not isinstance(place, Place) or place.version != 1:
        # Its v2 branch moves every process of this test's cgroup into a leaf: not here.
        pytest.skip(f"needs a cgroup v1 host to delegate from: {place}")
    script = REPO / "runner" / "deploy" / "cgroup-delegate.sh"
    doctor = [str(nobody_repo / "venv/bin/python"), "-m", "validator", "doctor"]
    done = subprocess.run(
        [str(script), "nobody", *doctor, "--require", "cgroup,bwrap", "--format", "json"],
        env=NOBODY_ENV,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    for folder in [f / "mcv" for f in place.folders]:
        with contextlib.suppress(OSError):
            folder.rmdir()
    assert done.returncode == 0, (done.stdout[-1500:], done.stderr[-1500:])
    capabilities = json.loads(done.stdout)["capabilities"]
    assert capabilities["cgroup"]["ok"]
    assert capabilities["bwrap"]["ok"]
    assert "/mcv" in capabilities["cgroup"]["detail"]


def _fake_v2(root: Path, folder: str, enabled: str) -> Path:
    path = root / folder.lstrip("/")
    path.mkdir(parents=True, exist_ok=True)
    (path / "cgroup.controllers").write_text("cpu io memory pids\n")
    (path / "cgroup.subtree_control").write_text(enabled)
    return path


def test_v2_place_is_the_delegated_parent_and_the_run_cgroup_gets_its_caps(
    tmp_path: Path,
) -> None:
    """systemd's Delegate= + DelegateSubgroup=runner: the runner is in <service>/runner,
    which holds processes; <service> gives its children memory and pids. (A folder of
    plain files stands in for cgroupfs: the kernel's side is tested where v2 runs.)"""
    service = _fake_v2(tmp_path, "/system.slice/mcv.service", "memory pids\n")
    _fake_v2(tmp_path, "/system.slice/mcv.service/runner", "")
    mountinfo = f"30 25 0:26 / {tmp_path} rw - cgroup2 cgroup2 rw,nsdelegate\n"
    found = find_place("0::/system.slice/mcv.service/runner\n", mountinfo)
    # The leaf's "+memory +pids" does not take (a plain file keeps the text; the kernel
    # says EBUSY): its parent is the place.
    assert found == Place(2, (service,))
    assert isinstance(found, Place)
    from runner.sandbox.cgroup import RunCgroup

    cgroup = RunCgroup(found, Limits(memory_bytes=3 * GIB, processes=99))
    (folder,) = cgroup.folders
    assert folder.parent == service
    assert (folder / "memory.max").read_text() == str(3 * GIB)
    assert (folder / "pids.max").read_text() == "99"
    (folder / "memory.events").write_text("low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n")
    assert cgroup.oom_kills() == 1
    for leftover in folder.iterdir():
        leftover.unlink()
    cgroup.remove()
    assert not folder.exists()


def test_an_old_bubblewrap_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from runner.sandbox.bwrap import probe

    fake = tmp_path / "bin" / "bwrap"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho bubblewrap 0.6.1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    assert probe() == (
        "bubblewrap 0.6.1 is too old: the size-capped scratch needs 0.7 or newer (`--size`)"
    )
