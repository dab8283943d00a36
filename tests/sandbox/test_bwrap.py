"""Hostile recipes inside the bubblewrap sandbox, each from a real recipe process.

Each run is a team's `custom` recipe script doing one forbidden thing; each must end as a
failed run whose error says what happened, and the job must go on to the next run.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.runner.test_reproduce import write_manifest
from validator.verification import VerificationRecord

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None, reason="bubblewrap is not installed (make test installs it)"
)

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
    "honest": """
from transformers import AutoModelForSequenceClassification
def build(model_dir, out_dir):
    AutoModelForSequenceClassification.from_pretrained(model_dir).save_pretrained(out_dir)
""",
}


@pytest.fixture(scope="module")
def sandboxed_job(
    tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    from validator.cli import main

    root = tmp_path_factory.mktemp("sandboxed")
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
    manifest = write_manifest(
        root,
        tiny_models["text-classification"],
        "text-classification",
        "sentiment.jsonl",
        "accuracy",
        runs,
        samples=4,
    )
    config = root / "mcv.toml"
    config.write_text("[course]\ncustom_recipes = true\n")
    pytest.MonkeyPatch().setenv("MCV_FAKE_TOKEN", "ghp_secret")
    code = main(
        [
            "reproduce",
            str(manifest),
            "--out",
            str(root / "out"),
            "--sandbox",
            "bwrap",
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
    return {
        "code": code,
        "runs": {r.label: r for r in record.runs},
        "accepted": accepted,
        "team": team,
        "record": record,
    }


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
    assert sandboxed_job["record"].settings["sandbox"] == "bwrap"


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
    assert "memory limit hit" in error(sandboxed_job, "memory-hog")


def test_sleep_past_the_timeout_is_stopped(sandboxed_job: dict[str, Any]) -> None:
    assert error(sandboxed_job, "sleeper") == "timed out after 30 s"


def test_custom_recipes_never_run_unsandboxed(
    tiny_models: dict[str, Path], tmp_path: Path, cli: Any
) -> None:
    team = tmp_path / "submissions" / "t"
    team.mkdir(parents=True)
    (team / "mine.py").write_text("def build(m, o):\n    open('/tmp/pwned-mcv', 'w')\n")
    manifest = write_manifest(
        tmp_path,
        tiny_models["text-classification"],
        "text-classification",
        "sentiment.jsonl",
        "accuracy",
        [
            {
                "label": "mine",
                "method": "custom",
                "params": {"script": "mine.py", "description": "x"},
            }
        ],
        samples=2,
    )
    code, _, _ = cli("reproduce", str(manifest), "--out", str(tmp_path / "out"))
    (run,) = json.loads((tmp_path / "out" / "verification.json").read_text())["runs"]
    assert run["status"] == "unsupported"
    assert "only inside the sandbox" in run["error"]
    assert not Path("/tmp/pwned-mcv").exists()
    assert code == 0
