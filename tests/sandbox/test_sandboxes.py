"""Hostile recipes inside each sandbox backend, each from a real recipe process.

Each run is a team's `custom` recipe script doing one forbidden thing; each must end as a
failed run whose error says what happened, and the job must go on to the next run. The
same scripts run under bubblewrap and under a real Docker engine.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.runner.test_reproduce import text_manifest
from tests.sandbox.conftest import EMPTY_IMAGE
from validator.verification import VerificationRecord

SCRIPTS = {
    "network": """
import socket
def build(model_dir, out_dir):
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=3)
    except OSError as exc:
        raise SystemExit(f"connect refused inside: {exc}")
    raise SystemExit("connected to the runner's loopback")
""",
    "write-outside": """
from pathlib import Path
def build(model_dir, out_dir):
    try:
        (Path(__file__).parent / "escaped.txt").write_text("x")
    except OSError as exc:
        raise SystemExit(f"write outside scratch refused: {exc.strerror}")
    raise SystemExit("wrote outside scratch")
""",
    "secrets": """
import os
from pathlib import Path
def build(model_dir, out_dir):
    token = os.environ.get("MCV_FAKE_TOKEN")
    ssh = [p for p in (Path.home() / ".ssh", Path("/root/.ssh")) if p.exists()]
    repo = sorted(p.name for p in Path(REPO).iterdir()) if Path(REPO).exists() else []
    raise SystemExit(f"token={token!r} ssh={ssh} repo={repo}")
""",
    "fork-bomb": """
import os
def build(model_dir, out_dir):
    children = 0
    try:
        while True:
            if os.fork() == 0:
                import time
                time.sleep(30)
                os._exit(0)
            children += 1
    except OSError as exc:
        raise SystemExit(f"process limit hit after {children} children: {exc}")
""",
    "memory-hog": """
def build(model_dir, out_dir):
    try:
        hog = bytearray(12 * 2**30)
    except MemoryError:
        raise SystemExit("memory limit hit")
    raise SystemExit(f"allocated {len(hog)}")
""",
    "sleeper": """
import time
def build(model_dir, out_dir):
    time.sleep(600)
""",
    "introspect": """
import os, socket
from pathlib import Path
def build(model_dir, out_dir):
    status = dict(
        line.split(":\t", 1) for line in Path("/proc/self/status").read_text().splitlines()
        if ":\t" in line
    )
    try:
        Path("/etc/mcv-escaped").write_text("x")
        root = "writable"
    except OSError as exc:
        root = exc.strerror
    raise SystemExit(
        f"uid={os.getuid()} caps={status['CapEff'].strip()} "
        f"nnp={status['NoNewPrivs'].strip()} root={root} host={socket.gethostname()}"
    )
""",
    "honest": """
from transformers import AutoModelForSequenceClassification
def build(model_dir, out_dir):
    AutoModelForSequenceClassification.from_pretrained(model_dir).save_pretrained(out_dir)
""",
}


def _backend_args(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command-line flags for the backend under test, or a skip saying what is missing."""
    if request.param == "bwrap":
        from runner.sandbox.bwrap import probe

        problem = probe()
        if problem:
            pytest.skip(f"bwrap sandbox unavailable: {problem} (make test installs bubblewrap)")
        return ["--sandbox", "bwrap"]
    monkeypatch.setenv("DOCKER_HOST", request.getfixturevalue("docker_engine"))
    return ["--sandbox", "docker", "--docker-image", EMPTY_IMAGE, "--docker-host-python"]


@pytest.fixture(scope="module", params=["bwrap", "docker"])
def sandboxed_job(
    request: pytest.FixtureRequest,
    tiny_models: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Any:
    from validator.cli import main

    monkeypatch = pytest.MonkeyPatch()
    backend = _backend_args(request, monkeypatch)
    root = tmp_path_factory.mktemp(f"sandboxed-{request.param}")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[object] = []
    server.settimeout(0.5)

    def watch() -> None:
        for _ in range(400):
            try:
                accepted.append(server.accept())
            except OSError:
                continue

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    team = root / "submissions" / "t"
    team.mkdir(parents=True)
    runs = []
    for name, body in SCRIPTS.items():
        code = body.replace("PORT", str(server.getsockname()[1])).replace(
            "REPO", repr(str(Path(__file__).resolve().parents[2]))
        )
        (team / f"{name}.py").write_text(code)
        runs.append(
            {
                "label": name,
                "method": "custom",
                "reported": {},
                "params": {"script": f"{name}.py", "description": name},
            }
        )
    runs.insert(0, {"label": "Оригинал", "method": "original", "reported": {}})
    manifest = text_manifest(
        root,
        tiny_models["text-classification"],
        runs,
        samples=4,
    )
    config = root / "mcv.toml"
    config.write_text("[course]\ncustom_recipes = true\n")
    monkeypatch.setenv("MCV_FAKE_TOKEN", "ghp_secret")
    # The docker backend runs as uid 65534 with no capabilities: what it reads must be
    # world-readable, as a runner's checkout and model cache are (pytest's are 0700).
    for folder in (root, tiny_models["text-classification"]):
        subprocess.run(["chmod", "-R", "o+rX", str(folder)], check=True)
    code = main(
        [
            "reproduce",
            str(manifest),
            "--out",
            str(root / "out"),
            *backend,
            "--config",
            str(config),
            "--timeout",
            "30",
            "--memory-limit",
            "8",
            "--pids-limit",
            "64",
            "--min-iterations",
            "3",
            "--min-seconds",
            "0",
            "--warmup",
            "1",
            "--threads",
            "1",
        ]
    )
    record = VerificationRecord.model_validate_json(
        (root / "out" / "verification.json").read_text()
    )
    server.close()
    for run in record.runs:  # what each script saw, for whoever reads the test log
        print(f"{run.label}: {run.status}: {run.error}")
    yield {
        "backend": request.param,
        "code": code,
        "runs": {r.label: r for r in record.runs},
        "accepted": accepted,
        "team": team,
        "record": record,
    }
    monkeypatch.undo()


def error(job: dict[str, Any], label: str) -> str:
    run = job["runs"][label]
    assert run.status == "failed", (label, run.status, run.error)
    return run.error or ""


def test_the_job_goes_on_and_honest_runs_pass(sandboxed_job: dict[str, Any]) -> None:
    assert sandboxed_job["code"] == 1  # some runs failed, as they should
    assert sandboxed_job["runs"]["Оригинал"].status == "ok"
    honest = sandboxed_job["runs"]["honest"]
    assert honest.status == "ok", honest.error
    assert honest.quality is not None
    assert sandboxed_job["record"].settings["sandbox"] == sandboxed_job["backend"]


def test_no_outbound_connection(sandboxed_job: dict[str, Any]) -> None:
    assert "connect refused inside" in error(sandboxed_job, "network")
    assert sandboxed_job["accepted"] == []


def test_no_write_outside_scratch(sandboxed_job: dict[str, Any]) -> None:
    assert "write outside scratch refused: Read-only file system" in error(
        sandboxed_job, "write-outside"
    )
    assert not (sandboxed_job["team"] / "escaped.txt").exists()


def test_no_secret_no_ssh_no_work_folder(sandboxed_job: dict[str, Any]) -> None:
    message = error(sandboxed_job, "secrets")
    assert "token=None" in message
    assert "ssh=[]" in message
    repo = message.split("repo=")[1]
    for private in (".git", "README.md", "results", "submissions"):
        assert private not in repo


def test_fork_bomb_hits_the_process_limit(sandboxed_job: dict[str, Any]) -> None:
    assert "process limit hit after" in error(sandboxed_job, "fork-bomb")


def test_memory_hog_is_stopped(sandboxed_job: dict[str, Any]) -> None:
    message = error(sandboxed_job, "memory-hog")
    if sandboxed_job["backend"] == "bwrap":  # RLIMIT_AS: the allocation itself fails
        assert "memory limit hit" in message
    else:  # the cgroup's limit: the kernel's OOM killer ends the script
        assert "killed by SIGKILL (out of memory?)" in message


def test_no_privilege_read_only_root(sandboxed_job: dict[str, Any]) -> None:
    message = error(sandboxed_job, "introspect")
    assert "uid=65534" in message
    assert "caps=0000000000000000" in message
    assert "nnp=1" in message
    assert "root=Read-only file system" in message
    assert "host=sandbox" in message
    assert not Path("/etc/mcv-escaped").exists()


def test_sleep_past_the_timeout_is_stopped(sandboxed_job: dict[str, Any]) -> None:
    assert error(sandboxed_job, "sleeper") == "timed out after 30 s"


def test_custom_recipes_never_run_unsandboxed(
    tiny_models: dict[str, Path], tmp_path: Path, cli: Any
) -> None:
    team = tmp_path / "submissions" / "t"
    team.mkdir(parents=True)
    (team / "mine.py").write_text("def build(m, o):\n    open('/tmp/pwned-mcv', 'w')\n")
    manifest = text_manifest(
        tmp_path,
        tiny_models["text-classification"],
        [
            {
                "label": "mine",
                "method": "custom",
                "params": {"script": "mine.py", "description": "x"},
            }
        ],
        samples=2,
    )
    config = tmp_path / "mcv.toml"
    config.write_text("[course]\ncustom_recipes = true\n")  # allowed, and still refused
    out = str(tmp_path / "out")
    code, _, _ = cli(
        "reproduce", str(manifest), "--out", out, "--sandbox", "none", "--config", str(config)
    )
    (run,) = json.loads((tmp_path / "out" / "verification.json").read_text())["runs"]
    assert run["status"] == "unsupported"
    assert "only inside the sandbox" in run["error"]
    assert not Path("/tmp/pwned-mcv").exists()
    assert code == 0


def _one_run_manifest(root: Path, model: Path) -> Path:
    return text_manifest(
        root,
        model,
        [{"label": "Оригинал", "method": "original"}],
        samples=2,
    )


def test_docker_fails_closed_without_the_image(
    docker_engine: str,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_engine)
    manifest = _one_run_manifest(tmp_path, tiny_models["text-classification"])
    args = ["--sandbox", "docker", "--docker-image", "mcv-no-such-image:1"]
    code, _, err = cli("reproduce", str(manifest), "--out", str(tmp_path / "out"), *args)
    assert code == 2
    assert "image `mcv-no-such-image:1` is not on this engine" in err
    assert "docker build -t mcv-no-such-image:1 ." in err
    assert not (tmp_path / "out").exists()


def test_docker_names_a_folder_its_user_cannot_read(
    docker_engine: str,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", docker_engine)
    private = tmp_path / "private-model"
    subprocess.run(["cp", "-r", str(tiny_models["text-classification"]), str(private)], check=True)
    private.chmod(0o700)
    manifest = _one_run_manifest(tmp_path / "repo", private)
    args = ["--sandbox", "docker", "--docker-image", EMPTY_IMAGE, "--docker-host-python"]
    code, _, _ = cli("reproduce", str(manifest), "--out", str(tmp_path / "out"), *args)
    record = VerificationRecord.model_validate_json(
        (tmp_path / "out" / "verification.json").read_text()
    )
    (run,) = record.runs
    copied = tmp_path / "repo" / "submissions" / "t" / "model"  # the team's copy, still 0700
    assert code == 1
    assert run.status == "failed"
    assert f"{copied} is not readable by the sandbox's user (uid 65534)" in (run.error or "")
    assert f"chmod -R o+rX {copied}" in (run.error or "")


def test_auto_is_bwrap_where_it_starts_and_says_so_where_not(
    tiny_models: dict[str, Path], tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner.sandbox.bwrap import probe

    manifest = _one_run_manifest(tmp_path, tiny_models["text-classification"])
    fast = ["--min-iterations", "2", "--min-seconds", "0", "--warmup", "0", "--threads", "1"]
    if probe() is None:
        code, _, err = cli("reproduce", str(manifest), "--out", str(tmp_path / "a"), *fast)
        record = VerificationRecord.model_validate_json(
            (tmp_path / "a" / "verification.json").read_text()
        )
        assert (code, record.settings["sandbox"]) == (0, "bwrap"), err
        assert "(bwrap)" in err  # the progress lines say where each phase ran
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))  # no bwrap to be found
    code, _, err = cli("reproduce", str(manifest), "--out", str(tmp_path / "b"), *fast)
    record = VerificationRecord.model_validate_json(
        (tmp_path / "b" / "verification.json").read_text()
    )
    assert (code, record.settings["sandbox"]) == (0, "none")
    assert "running unsandboxed (bubblewrap is not installed)" in err
    code, _, err = cli(
        "reproduce", str(manifest), "--out", str(tmp_path / "c"), "--sandbox", "bwrap"
    )
    assert code == 2
    assert "bubblewrap is not installed" in err
    assert "nothing was run unsandboxed" in err
    assert not (tmp_path / "c").exists()


def test_docker_image_mode_uses_the_images_python(
    docker_engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --docker-host-python nothing of the host's system is bound: the image's own
    PATH finds `python3`, and the checkout's two packages come in on PYTHONPATH."""
    import docker

    from runner.sandbox.base import Request, project_packages
    from runner.sandbox.container import Docker
    from runner.sandbox.limits import GIB, Limits

    monkeypatch.setenv("DOCKER_HOST", docker_engine)
    tagged = "mcv-sandbox-test:venv-path"
    docker.from_env().api.import_image_from_data(
        b"\0" * 1024,  # an empty tar: two zero blocks
        repository="mcv-sandbox-test",
        tag="venv-path",
        changes=["ENV PATH=/opt/venv/bin:/usr/bin"],
    )
    sandbox = Docker(tagged, host_python=False)
    work = tmp_path / "work"
    work.mkdir()
    request = Request(["python3", "-c", "pass"], [], work, "cpu", 1, Limits(memory_bytes=GIB), 30)
    options = sandbox.options(request)
    assert sandbox.python() == "python3"
    assert options["environment"]["PATH"] == "/opt/venv/bin:/usr/bin"
    assert options["environment"]["PYTHONPATH"] == str(project_packages()[0].parent)
    assert sorted(options["volumes"]) == [str(p) for p in project_packages()]
    assert options["network_mode"] == "none"
    assert options["read_only"] is True
    assert options["cap_drop"] == ["ALL"]
    assert options["user"] == "65534:65534"
    assert options["device_requests"] is None
    assert (options["entrypoint"], options["command"]) == (["python3"], ["-c", "pass"])
    on_gpu = sandbox.options(dataclasses.replace(request, device="cuda"))
    assert on_gpu["device_requests"][0].count == -1
    # This image has no Python at all: the init cannot start it, and the outcome says so.
    outcome = sandbox.run(request, lambda line: None)
    assert outcome.returncode not in (0, None)
    assert "python3" in outcome.stderr
