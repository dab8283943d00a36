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
from pathlib import Path

from runner.errors import RunnerError
from runner.sandbox.base import (
    NOBODY,
    SYSTEM,
    Outcome,
    Request,
    environment,
    interpreter_paths,
    project_packages,
)
from runner.sandbox.limits import PidsCgroup, apply_rlimits, cgroup_root


def executable() -> str:
    found = shutil.which("bwrap")
    if found is None:
        raise RunnerError(
            "--sandbox bwrap: bubblewrap is not installed (apt-get install "
            "bubblewrap); nothing was run unsandboxed"
        )
    return found


def probe() -> str | None:
    """None if a bwrap sandbox starts here; else why not, in a few words."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed"
    if os.geteuid() == 0 and cgroup_root() is None:
        return "no process limit is possible here"
    true = shutil.which("true") or "/bin/true"
    cmd = [*command([], None, "cpu", {}), true]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)  # noqa: S603
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap did not start: {exc}"
    if done.returncode != 0:
        return f"bubblewrap cannot start here: {done.stderr.strip()[:200]}"
    return None


def command(
    read_only: list[Path], scratch: Path | None, device: str, env: dict[str, str]
) -> list[str]:
    cmd = [
        executable(),
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
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
    for path in [*interpreter_paths(), *project_packages(), *read_only]:
        cmd += ["--ro-bind", str(path), str(path)]
    if scratch is not None:
        cmd += ["--bind", str(scratch), str(scratch), "--chdir", str(scratch)]
    if device == "cuda":
        for node in sorted(Path("/dev").glob("nvidia*")):
            cmd += ["--dev-bind", str(node), str(node)]
    for key, value in sorted(env.items()):
        cmd += ["--setenv", key, value]
    return cmd


class Bwrap:
    """The backend object `mcv reproduce` holds; made only where bubblewrap exists."""

    name = "bwrap"

    def __init__(self) -> None:
        """Fail closed now, before any run starts, with the reason."""
        executable()
        problem = probe()
        if problem is not None:
            raise RunnerError(f"--sandbox bwrap: {problem}; nothing was run unsandboxed")

    def python(self) -> str:
        return sys.executable

    def run(self, request: Request, on_line: Callable[[str], None]) -> Outcome:
        """Run the request inside the sandbox; stdout lines go to `on_line` as they come."""
        limits, scratch = request.limits, request.scratch
        cgroup = PidsCgroup(limits.processes)
        env = environment(scratch, scratch, request.threads)
        cmd = [*command(request.read_only, scratch, request.device, env), *request.argv]

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
                process.wait(timeout=request.timeout_s)
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
