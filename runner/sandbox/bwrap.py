"""The bubblewrap backend: no network, private PID/IPC/UTS and /proc, a read-only view of
what the run needs (the system folders, an allow-list of /etc, the interpreter, the
request's folders), a size-capped tmpfs as the one writable folder, an allow-listed
environment for the whole tree (bubblewrap's own init included), uid 65534 inside, one
cgroup capping the whole tree's memory and processes, and a wall-clock timeout enforced
from outside."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from runner.errors import RunnerError
from runner.sandbox.base import (
    NOBODY,
    SYSTEM,
    Outcome,
    Output,
    Request,
    ScratchWatch,
    Session,
    check_binds,
    environment,
    etc_files,
    host_python,
    interpreter_paths,
    project_packages,
    synthetic_etc,
    toolchain_parts,
)
from runner.sandbox.cgroup import Place, RunCgroup, find_place
from runner.sandbox.limits import GIB, Limits, apply_rlimits

MIN_VERSION = (0, 7)  # --size for a tmpfs
TMP_BYTES = 2 * GIB + (1 << 20)  # /tmp inside; not the scratch's size, so they never mix


def executable() -> str:
    found = shutil.which("bwrap")
    if found is None:
        raise RunnerError(
            "--sandbox bwrap: bubblewrap is not installed (apt-get install "
            "bubblewrap); nothing was run unsandboxed"
        )
    return found


def version(found: str) -> tuple[int, ...]:
    """bubblewrap's version, (0,) when it does not say."""
    try:
        out = subprocess.run(  # noqa: S603 - the bwrap found on PATH, a fixed flag
            [found, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout.split()
        return tuple(int(part) for part in out[-1].split("."))
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return (0,)


def probe() -> str | None:
    """None if a bwrap sandbox starts here, in a cgroup of its own; else why not."""
    found = shutil.which("bwrap")
    if found is None:
        return "bubblewrap is not installed"
    if version(found) < MIN_VERSION:
        return (
            f"bubblewrap {'.'.join(map(str, version(found)))} is too old: the size-capped "
            f"scratch needs {'.'.join(map(str, MIN_VERSION))} or newer (`--size`)"
        )
    place = find_place()
    if isinstance(place, str):
        return place
    true = shutil.which("true") or "/bin/true"
    try:
        cgroup = RunCgroup(place, Limits())
    except OSError as exc:
        return f"cannot create a cgroup in {place.folders[0]}: {exc.strerror}"
    try:
        done = subprocess.run(  # noqa: S603
            [*command([], None, "cpu", Limits(), {}), true],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            env=environment(Path("/tmp"), Path("/tmp"), 1),  # noqa: S108 - inside
            preexec_fn=cgroup.join,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap did not start in its cgroup: {exc}"
    finally:
        cgroup.remove()
    if done.returncode != 0:
        return f"bubblewrap cannot start here: {done.stderr.strip()[:200]}"
    return None


def command(
    read_only: list[Path],
    scratch: Path | None,
    device: str,
    limits: Limits,
    files: dict[str, Path],
) -> list[str]:
    """bwrap's argv up to the command; `files` maps a path inside to a file outside.

    The root is bwrap's own tmpfs, made read-only once every bind is in place; /tmp,
    /dev/shm and the scratch are size-capped tmpfs mounted after that, so they alone are
    writable, and what is bound under /tmp is bound after /tmp is mounted."""
    tmp = Path("/tmp")  # noqa: S108 - the sandbox's own private tmpfs
    binds = [Path(p) for p in SYSTEM if Path(p).exists()] + etc_files()
    binds += [*interpreter_paths(), *project_packages(), *read_only]
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
        *("--dir", str(tmp), "--dir", "/proc", "--dir", "/dev"),
    ]
    late: list[str] = []
    for outside, inside in [(p, p) for p in binds] + [(o, Path(i)) for i, o in files.items()]:
        (late if inside.is_relative_to(tmp) else cmd).extend(
            ["--ro-bind", str(outside), str(inside)]
        )
    if scratch is not None and not scratch.is_relative_to(tmp):
        cmd += ["--dir", str(scratch)]  # its mount point, while the root is writable
    cmd += ["--remount-ro", "/", "--proc", "/proc", "--dev", "/dev"]
    cmd += ["--size", str(TMP_BYTES), "--tmpfs", "/dev/shm"]  # noqa: S108 - inside
    cmd += ["--size", str(TMP_BYTES), "--tmpfs", str(tmp), *late]
    if scratch is not None:
        size = ["--size", str(limits.scratch_bytes)]
        cmd += [*size, "--tmpfs", str(scratch), "--chdir", str(scratch)]
    if device == "cuda":
        for node in sorted(Path("/dev").glob("nvidia*")):
            cmd += ["--dev-bind", str(node), str(node)]
    return cmd


class Bwrap:
    """The backend object `mcv reproduce` holds; made only where bubblewrap starts."""

    name = "bwrap"

    def __init__(self) -> None:
        """Fail closed now, before any run starts, with the reason."""
        executable()
        problem = probe()
        if problem is not None:
            raise RunnerError(f"--sandbox bwrap: {problem}; nothing was run unsandboxed")
        place = find_place()
        assert isinstance(place, Place)  # noqa: S101 - probe() just found it
        self.place = place

    def python(self, toolchain: str = "core") -> str:
        return host_python(toolchain)

    def _launch(self, request: Request, etc: Path) -> tuple[list[str], dict[str, str], RunCgroup]:
        """What both ways of running need: the binds checked, bwrap's argv, the
        allow-listed environment (bwrap and its init get it too, what /proc/1/environ
        inside shows) and the run's cgroup. `etc` holds the synthetic passwd and group."""
        venv, extra = toolchain_parts(request.toolchain)
        own = [*interpreter_paths(), *project_packages(), *venv]
        check_binds(self.name, request.read_only, own)
        scratch = request.scratch
        env = {**environment(scratch, scratch, request.threads), **extra}
        files = synthetic_etc(etc, scratch)
        cmd = [
            *command([*venv, *request.read_only], scratch, request.device, request.limits, files),
            *request.argv,
        ]
        try:
            cgroup = RunCgroup(self.place, request.limits)
        except OSError as exc:
            raise RunnerError(
                f"--sandbox bwrap: cannot create the run's cgroup in "
                f"{self.place.folders[0]}: {exc.strerror}; nothing was run"
            ) from None
        return cmd, env, cgroup

    def start(self, request: Request) -> Session:
        """Start the request inside the sandbox, its channel on pipes of its own."""
        etc = tempfile.mkdtemp(prefix="mcv-etc-")
        try:
            cmd, env, cgroup = self._launch(request, Path(etc))
            try:
                session = _session(cmd, env, cgroup, request)
            except BaseException:
                cgroup.remove()
                raise
        except BaseException:
            shutil.rmtree(etc, ignore_errors=True)
            raise
        end = session._end

        def end_and_clean(code: int | None) -> Outcome:
            try:
                return end(code)
            finally:
                shutil.rmtree(etc, ignore_errors=True)

        session._end = end_and_clean
        return session

    def run(self, request: Request, on_line: Callable[[str], None]) -> Outcome:
        """Run the request inside the sandbox; stdout lines go to `on_line` as they come."""
        with tempfile.TemporaryDirectory(prefix="mcv-etc-") as etc:
            cmd, env, cgroup = self._launch(request, Path(etc))
            try:
                return _watched(cmd, env, cgroup, request, on_line)
            finally:
                cgroup.remove()


def _session(cmd: list[str], env: dict[str, str], cgroup: RunCgroup, request: Request) -> Session:
    """The request started with the coordinator's channel on two pipes of its own, passed
    as descriptors beyond 0-2 (named in MCV_CHANNEL): bubblewrap's init, pid 1 inside,
    keeps 0-2 open and any process of the sandbox can reopen those through /proc/1/fd,
    but it closes the rest, so the channel is the worker's alone."""
    limits = request.limits

    def prepare() -> None:  # in the child, before exec
        cgroup.join()
        apply_rlimits(limits)

    to_worker, requests = os.pipe()
    replies, from_worker = os.pipe()
    env = {**env, "MCV_CHANNEL": f"{to_worker},{from_worker}"}
    try:
        process = subprocess.Popen(  # noqa: S603 - bwrap and our own module, list arguments
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=prepare,
            start_new_session=True,
            pass_fds=(to_worker, from_worker),
        )
    except (OSError, subprocess.SubprocessError) as exc:
        for fd in (to_worker, requests, replies, from_worker):
            os.close(fd)
        raise RunnerError(f"--sandbox bwrap: the run did not start: {exc}") from None
    os.close(to_worker)
    os.close(from_worker)
    process.stdin = os.fdopen(requests, "wb")
    process.stdout = os.fdopen(replies, "rb")
    watch = ScratchWatch(request.scratch, limits.scratch_bytes, cgroup.pids)
    output = Output(lambda line: None, limits.output_bytes, cgroup.kill)
    drain = threading.Thread(target=output.read_stderr, args=(process.stderr,), daemon=True)
    drain.start()

    def end(code: int | None) -> Outcome:
        cgroup.kill()  # what the run left behind, and the run itself past its wait
        process.wait()
        drain.join(timeout=10)
        reason = None
        if cgroup.oom_kills():
            reason = (
                f"out of memory: the run's processes together reached its "
                f"{limits.memory_bytes / GIB:g} GiB memory cap (mcv reproduce --memory-limit)"
            )
        if watch.full():
            reason = watch.reason()
        cgroup.remove()
        return Outcome(code, [], output.stderr, reason)

    return Session(process, cgroup.pids, end, cgroup.kill)


def _watched(
    cmd: list[str],
    env: dict[str, str],
    cgroup: RunCgroup,
    request: Request,
    on_line: Callable[[str], None],
) -> Outcome:
    limits = request.limits

    def prepare() -> None:  # in the child, before exec
        cgroup.join()
        apply_rlimits(limits)

    try:
        process = subprocess.Popen(  # noqa: S603 - bwrap and our own module, list arguments
            cmd,
            stdin=subprocess.DEVNULL,  # the runner's stdin is not the run's
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            preexec_fn=prepare,
            start_new_session=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:  # e.g. no process left, no cgroup
        raise RunnerError(f"--sandbox bwrap: the run did not start: {exc}") from None
    watch = ScratchWatch(request.scratch, limits.scratch_bytes, cgroup.pids)
    output = Output(on_line, limits.output_bytes, cgroup.kill)
    drain = threading.Thread(target=output.read_stderr, args=(process.stderr,))
    drain.start()
    reader = threading.Thread(target=output.read_stdout, args=(process.stdout,))
    reader.start()
    code: int | None
    try:
        code = process.wait(timeout=request.timeout_s)
    except subprocess.TimeoutExpired:
        cgroup.kill()
        process.wait()
        code = None
    cgroup.kill()  # what the run left behind: a daemon, a grandchild in its own session
    reader.join(timeout=10)
    drain.join(timeout=10)
    reason = output.reason
    if cgroup.oom_kills():
        reason = (
            f"out of memory: the run's processes together reached its "
            f"{limits.memory_bytes / GIB:g} GiB memory cap (mcv reproduce --memory-limit)"
        )
    if watch.full():
        reason = watch.reason()
    return Outcome(code, output.lines, output.stderr, reason)
