"""Red team: a hostile `custom` recipe script under `--sandbox bwrap`.

Each script does one thing a hostile team would try, from inside a real sandboxed run of
`mcv reproduce`. The forged result, the flood, the stdin and the malformed result broke
the first version of the sandbox layer; since issue 13 the script runs beside a worker
that is undumpable (no /proc/<worker>/fd, no /proc/<worker>/mem, no ptrace), its channel
private, and the coordinator outside keeps the clock, the references, size and memory:
the scripts below try each of those, and none changes a number in the record.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.runner.test_reproduce import text_manifest
from tests.test_injection import MENTION, assert_log_safe
from validator.verification import VerificationRecord

TIMEOUT = 90  # s per run: a two-core machine shared with other work is slow
MARKER = f"mcv-redteam-daemon-{os.getpid()}"
STDIN_SECRET = "runner-stdin-secret-0004"  # noqa: S105 - planted, fake
FLOOD_MIB = 48
CRAFTED = "evil\r\n::error title=forged::Verified\n::add-mask::x\n@course-staff <!-- ##[error]y"
FORGED = {
    "label": "forge",
    "method": "custom",
    "status": "ok",
    "duration_s": 1.0,
    "quality": {"metric": "accuracy", "value": 0.999, "samples": 4, "definition": "forged"},
}
SCRIPTS = {
    # The harness's stdout is the pipe the parent reads `result\t...` from; the script is
    # the harness's child, same uid, so /proc/<ppid>/fd/1 opens that pipe. Killing the
    # harness afterwards leaves the forged line as the last result the parent saw.
    "forge": f"""
import json, os, shutil
def build(model_dir, out_dir):
    line = ("result\\t" + json.dumps({FORGED!r}) + "\\n").encode()
    frame = b"MCV1" + len(b"{{}}").to_bytes(4, "little") + (0).to_bytes(8, "little") + b"{{}}"
    for pid in (os.getppid(), os.getpid(), 1):
        for fd in range(64):
            try:
                with open(f"/proc/{{pid}}/fd/{{fd}}", "wb") as out:
                    out.write(line + frame)
            except OSError:
                pass
    shutil.copytree(model_dir, out_dir, dirs_exist_ok=True)  # then an honest model
""",
    # Where are the references? The rows, the prepared samples, the coordinator's files.
    "refs": """
import os
def build(model_dir, out_dir):
    found = []
    for top, dirs, files in os.walk("/", onerror=lambda e: None):
        dirs[:] = [d for d in dirs if not (top == "/" and d in ("proc", "sys", "dev", "usr"))]
        found += [os.path.join(top, f) for f in files
                  if f in ("rows.jsonl", "spec.json", "source.json", "sentiment.jsonl")]
    for pid in os.listdir("/proc"):
        try:
            found += [pid] if b"rows.jsonl" in open(f"/proc/{pid}/cmdline", "rb").read() else []
        except OSError:
            pass
    raise SystemExit(f"found={sorted(found)}")
""",
    # The worker's memory (its clock, its answers) from the script: /proc/<ppid>/mem.
    "clock": """
import os
def build(model_dir, out_dir):
    try:
        open(f"/proc/{os.getppid()}/mem", "r+b").close()
        result = "open"
    except OSError as exc:
        result = f"denied ({type(exc).__name__})"
    raise SystemExit(f"mem={result}")
""",
    # Gone before leaving a model: nothing may be measured.
    "exit-early": """
import os
def build(model_dir, out_dir):
    os._exit(0)
""",
    # The parent keeps every stdout line and all of stderr in its own memory, outside
    # the run's cgroup: whatever the run writes there is the runner's memory, not the run's.
    "flood": f"""
import os
def build(model_dir, out_dir):
    block = b"x" * 1023 + b"\\n"
    for fd in (1, 2):
        with open(f"/proc/{{os.getppid()}}/fd/{{fd}}", "wb") as out:
            for _ in range({FLOOD_MIB} * 512):
                out.write(block)
    raise SystemExit("flooded")
""",
    # bwrap is started without stdin=DEVNULL: the runner's stdin reaches the script.
    "stdin": """
import os, select
def build(model_dir, out_dir):
    ready, _, _ = select.select([0], [], [], 2)
    data = os.read(0, 200) if ready else b""
    raise SystemExit(f"stdin={data!r}")
""",
    # A double-forked daemon in its own session, hoping to outlive the run.
    "daemon": f"""
import os, sys, time
def build(model_dir, out_dir):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)",
                                      {MARKER!r}])
        os._exit(0)
    time.sleep(1)
    raise SystemExit("daemon started")
""",
    # A model folder whose config.json makes transformers raise with the team's text in
    # its message: the exception's text reaches the record, the log and the comment.
    "crafted-exception": f"""
import json
from pathlib import Path
def build(model_dir, out_dir):
    header = b"{{}}      "  # a safetensors file with no tensor: only its name is checked
    (Path(out_dir) / "model.safetensors").write_bytes(len(header).to_bytes(8, "little") + header)
    (Path(out_dir) / "config.json").write_text(json.dumps({{"model_type": {CRAFTED!r}}}))
""",
}


@pytest.fixture(scope="module")
def hostile_job(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    from runner.sandbox import bwrap
    from validator.cli import main

    problem = bwrap.probe()
    if problem:
        pytest.skip(f"bwrap sandbox unavailable: {problem}")
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("redteam")
    team = root / "submissions" / "t"
    team.mkdir(parents=True)
    runs = [{"label": "Оригинал", "method": "original"}]
    for name, body in SCRIPTS.items():
        (team / f"{name}.py").write_text(body)
        runs.append(
            {
                "label": name,
                "method": "custom",
                "params": {"script": f"{name}.py", "description": name},
            }
        )
    manifest = text_manifest(root, tiny_models["text-classification"], runs, samples=4)
    config = root / "mcv.toml"
    config.write_text("[course]\ncustom_recipes = true\n")
    retained: dict[str, int] = {}
    real_start = bwrap.Bwrap.start

    def measured(self: Any, request: Any) -> Any:
        session = real_start(self, request)
        index = json.loads(Path(request.argv[-1]).read_text())["run_index"]
        end = session._end

        def counted(code: Any) -> Any:
            outcome = end(code)
            retained[runs[index]["label"]] = len(outcome.stderr)
            return outcome

        session._end = counted
        return session

    monkeypatch.setattr(bwrap.Bwrap, "start", measured)
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    read_end, write_end = os.pipe()
    os.write(write_end, STDIN_SECRET.encode() + b"\n")
    saved_stdin = os.dup(0)
    os.dup2(read_end, 0)  # the runner's stdin, as a workflow step could hand it one
    try:
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
                str(TIMEOUT),
                "--memory-limit",
                "3",
                "--min-iterations",
                "2",
                "--min-seconds",
                "0",
                "--warmup",
                "0",
                "--threads",
                "1",
            ]
        )
    finally:
        os.dup2(saved_stdin, 0)
        for fd in (saved_stdin, read_end, write_end):
            os.close(fd)
        monkeypatch.undo()
    survivors = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and MARKER.encode() in (proc / "cmdline").read_bytes():
                survivors.append(int(proc.name))
        except OSError:
            continue
    for pid in survivors:  # our own daemon, by its id: never left on the machine
        os.kill(pid, signal.SIGKILL)
    record = VerificationRecord.model_validate_json(
        (root / "out" / "verification.json").read_text()
    )
    for run in record.runs:
        print(f"{run.label}: {run.status}: {(run.error or '')[:300]!r}")
    print(f"bytes of the run's output the runner held: {retained}")
    return {
        "code": code,
        "runs": {r.label: r for r in record.runs},
        "retained": retained,
        "survivors": survivors,
        "log": log.getvalue(),
        "manifest": manifest,
        "record": root / "out" / "verification.json",
    }


def test_a_forged_result_on_any_fd_changes_no_number(hostile_job: dict[str, Any]) -> None:
    run, original = hostile_job["runs"]["forge"], hostile_job["runs"]["Оригинал"]
    assert run.status == "ok", run.error  # the forgery went nowhere; the model is honest
    assert run.quality is not None
    assert original.quality is not None
    assert run.quality.value == original.quality.value != 0.999
    assert run.size is not None
    assert original.size is not None
    assert run.size.bytes == original.size.bytes  # read from disk by the coordinator
    assert run.cpu is not None
    assert run.cpu.clock == "coordinator"


def test_the_script_cannot_write_into_the_workers_output(hostile_job: dict[str, Any]) -> None:
    error = hostile_job["runs"]["flood"].error or ""
    assert "PermissionError" in error or "flooded" in error, error
    retained = hostile_job["retained"]["flood"]
    assert retained < 8 * 2**20, f"the runner held {retained >> 20} MiB of the run's output"


def test_the_references_are_nowhere_in_the_workers_sandbox(hostile_job: dict[str, Any]) -> None:
    assert "found=[]" in (hostile_job["runs"]["refs"].error or ""), hostile_job["runs"]["refs"]


def test_the_workers_memory_is_closed_to_the_script(hostile_job: dict[str, Any]) -> None:
    assert "mem=denied" in (hostile_job["runs"]["clock"].error or "")


def test_a_script_that_exits_early_gets_nothing_measured(hostile_job: dict[str, Any]) -> None:
    run = hostile_job["runs"]["exit-early"]
    assert run.status == "failed"
    assert run.cpu is None
    assert run.size is None
    assert run.quality is None


def test_the_runners_stdin_does_not_reach_the_run(hostile_job: dict[str, Any]) -> None:
    message = hostile_job["runs"]["stdin"].error or ""
    assert "stdin=" in message
    assert STDIN_SECRET not in message


def test_a_daemon_does_not_outlive_its_run(hostile_job: dict[str, Any]) -> None:
    assert "daemon started" in (hostile_job["runs"]["daemon"].error or "")
    assert hostile_job["survivors"] == []


def test_a_crafted_exception_text_stays_inert_in_the_log_and_the_comment(
    hostile_job: dict[str, Any], cli: Any
) -> None:
    run = hostile_job["runs"]["crafted-exception"]
    assert run.status == "failed"
    assert "::error title=forged" in (run.error or "")  # the team's text did reach the record
    assert_log_safe(hostile_job["log"], 0)
    code, out, _ = cli(
        "compare", str(hostile_job["manifest"]), str(hostile_job["record"]), "--lang", "en"
    )
    assert code in (0, 1)
    lines = out.splitlines()
    assert not [line for line in lines if line.lstrip().startswith("::")]
    assert MENTION.search(out) is None
    assert out.count("<!--") == 1  # our marker only
    assert "@course-staff" not in out


def test_a_malformed_result_line_fails_one_run_not_the_job(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    from runner.sandbox.bwrap import probe
    from validator.cli import main

    if probe():
        pytest.skip(f"bwrap sandbox unavailable: {probe()}")
    team = tmp_path / "submissions" / "t"
    team.mkdir(parents=True)
    (team / "garbage.py").write_text(
        "import os, signal\n"
        "def build(model_dir, out_dir):\n"
        "    with open(f'/proc/{os.getppid()}/fd/1', 'w') as out:\n"
        "        out.write('result\\t{\"label\": 1}\\n')\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n"
    )
    runs = [
        {
            "label": "garbage",
            "method": "custom",
            "params": {"script": "garbage.py", "description": "g"},
        }
    ]
    manifest = text_manifest(tmp_path, tiny_models["text-classification"], runs, samples=2)
    config = tmp_path / "mcv.toml"
    config.write_text("[course]\ncustom_recipes = true\n")
    code = main(
        [
            "reproduce", str(manifest), "--out", str(tmp_path / "out"), "--sandbox", "bwrap",
            "--config", str(config), "--timeout", str(TIMEOUT), "--memory-limit", "3",
        ]
    )  # fmt: skip
    assert (tmp_path / "out" / "verification.json").exists(), f"exit {code}, no record"
    record = VerificationRecord.model_validate_json(
        (tmp_path / "out" / "verification.json").read_text()
    )
    assert code == 1
    assert record.runs[0].status == "failed"
