"""The bubblewrap backend: no network, private PID/IPC/UTS, a read-only view of what the
run needs, one writable scratch folder, an allow-listed environment, uid 65534 inside,
resource limits, and a wall-clock timeout enforced from outside."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import runner
import validator
from runner.errors import RunnerError
from runner.sandbox.limits import Limits, PidsCgroup, apply_rlimits

SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc")
PASS_ENV = ("LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES")
NOBODY = "65534"


@dataclass
class Outcome:
    returncode: int | None  # None: killed at the timeout
    lines: list[str]
    stderr: str


def executable() -> str:
    found = shutil.which("bwrap")
    if found is None:
        raise RunnerError(
            "--sandbox bwrap: bubblewrap is not installed (apt-get install "
            "bubblewrap); nothing was run unsandboxed"
        )
    return found


def readable_paths() -> list[Path]:
    """The interpreter, its packages, and this project's two packages: nothing else of it."""
    paths = {Path(sys.base_prefix), Path(sys.prefix)}
    paths |= {Path(runner.__file__).parent, Path(validator.__file__).parent}
    return sorted(p.resolve() for p in paths)


def command(read_only: list[Path], scratch: Path, device: str, env: dict[str, str]) -> list[str]:
    cmd = [
        executable(),
        "--unshare-all",
        "--unshare-user",
        "--uid",
        NOBODY,
        "--gid",
        NOBODY,
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",  # noqa: S108 - the sandbox's own private tmpfs
        "--clearenv",
    ]
    for system in SYSTEM:
        if Path(system).exists():
            cmd += ["--ro-bind", system, system]
    for path in [*readable_paths(), *read_only]:
        cmd += ["--ro-bind", str(path), str(path)]
    cmd += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    if device == "cuda":
        for node in sorted(Path("/dev").glob("nvidia*")):
            cmd += ["--dev-bind", str(node), str(node)]
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    return cmd


def environment(scratch: Path, threads: int) -> dict[str, str]:
    """An allow-list: no token or secret of the runner's environment gets in."""
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    env.update(
        HOME=str(scratch),
        TMPDIR=str(scratch),
        PATH="/usr/bin:/bin",
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HOME=str(scratch / "hf"),
        MPLCONFIGDIR=str(scratch),
        MCV_SANDBOX="1",
        OMP_NUM_THREADS=str(threads),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run(
    argv: list[str],
    read_only: list[Path],
    scratch: Path,
    device: str,
    threads: int,
    limits: Limits,
    timeout_s: float,
    on_line: Callable[[str], None],
) -> Outcome:
    """Run `argv` inside the sandbox; stdout lines go to `on_line` as they come."""
    cgroup = PidsCgroup(limits.processes)
    cmd = [*command(read_only, scratch, device, environment(scratch, threads)), *argv]

    def prepare() -> None:  # in the child, before exec
        cgroup.join()
        apply_rlimits(limits)

    lines: list[str] = []
    try:
        process = subprocess.Popen(  # noqa: S603 - bwrap and our own module, list arguments
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=prepare,
            start_new_session=True,
        )
        stderr: list[str] = []
        drain = threading.Thread(
            target=lambda: stderr.append(process.stderr.read() if process.stderr else "")
        )
        drain.start()

        def pump() -> None:
            for line in process.stdout or []:
                lines.append(line.rstrip("\n"))
                on_line(lines[-1])

        reader = threading.Thread(target=pump)
        reader.start()
        try:
            process.wait(timeout=timeout_s)
            code: int | None = process.returncode
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = None
        reader.join(timeout=10)
        drain.join(timeout=10)
        return Outcome(code, lines, "".join(stderr))
    finally:
        cgroup.remove()
