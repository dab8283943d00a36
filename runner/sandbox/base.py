"""What every sandbox backend shares: the result shape, the allow-listed environment, the
parts of this machine a run may read, and the paths no request may ever bind."""

from __future__ import annotations

import os
import pwd
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import runner
import validator
from runner.errors import RunnerError
from runner.sandbox.limits import GIB, Limits

SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin")  # bound read-only
# What Python, torch, TLS and the dynamic loader read from /etc; nothing else of it
# (no shadow, ssh keys, ssl/private, machine-id). passwd and group are synthetic.
ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/nsswitch.conf",
    "/etc/os-release",
    "/etc/mime.types",
    "/etc/ssl/certs",
    "/etc/ssl/openssl.cnf",
    "/etc/pki/tls/certs",
    "/etc/pki/ca-trust/extracted",
)
PASS_ENV = ("LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES")
NOBODY = 65534
# Never bound, nor anything above or below them: the host's processes, devices and
# kernel knobs, and the sockets of its services (a docker socket is root on the host).
HOST_ONLY = ("/proc", "/sys", "/dev", "/run", "/var/run")
PSEUDO_FS = {
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "mqueue", "securityfs",
    "debugfs", "tracefs", "bpf", "configfs", "fusectl", "efivarfs", "binfmt_misc", "autofs",
}  # fmt: skip


@dataclass
class Outcome:
    returncode: int | None  # None: killed at the timeout
    lines: list[str]
    stderr: str
    reason: str | None = None  # a limit the backend saw hit: the run failed, whatever it said


KEPT_LINES = 200  # of stdout, for a failed run's message; every line still goes to on_line
STDERR_TAIL = 64 * 1024  # characters of stderr the runner keeps
MAX_LINE = 64 * 2**20  # one line of stdout (a row, the result); longer stops the run


class Output:
    """What a run prints, as the runner holds it. The runner lives outside the run's
    cgroup, so nothing the run writes may grow the runner's memory or disk unbounded:
    every stdout line is handed on as it comes and only the last KEPT_LINES are kept, only
    the tail of stderr is kept, one line is at most MAX_LINE bytes, and past
    `limits.output_bytes` in all `stop()` is called and the run fails with that reason."""

    def __init__(self, on_line: Callable[[str], None], cap: int, stop: Callable[[], None]):
        self.on_line, self.cap, self.stop = on_line, cap, stop
        self.lines: list[str] = []
        self.stderr = ""
        self.total = 0
        self.reason: str | None = None
        self._pending = b""

    def _over(self, why: str) -> None:
        if self.reason is None:
            self.reason = why
            self.stop()

    def feed(self, chunk: bytes) -> None:
        """Bytes of stdout as they come; complete lines are handed on."""
        self.total += len(chunk)
        if self.reason is not None:
            return  # drained, not kept: the run is being stopped
        if self.total > self.cap:
            self._over(
                f"the run printed more than {self.cap / GIB:g} GiB "
                "(mcv reproduce --scratch-limit bounds it)"
            )
            return
        self._pending += chunk
        *complete, self._pending = self._pending.split(b"\n")
        for raw in complete:
            self._line(raw)
        if len(self._pending) > MAX_LINE:
            self._over(f"the run printed a line longer than {MAX_LINE >> 20} MiB")

    def finish(self) -> None:
        if self._pending and self.reason is None:
            self._line(self._pending)
        self._pending = b""

    def _line(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace")
        self.lines.append(line)
        del self.lines[:-KEPT_LINES]
        self.on_line(line)

    def read_stdout(self, stream: Any) -> None:
        """Drain a binary stream (until EOF), whatever the run does."""
        for chunk in iter(lambda: stream.read1(65536), b""):
            self.feed(chunk)
        self.finish()

    def read_stderr(self, stream: Any) -> None:
        while True:
            chunk = stream.read(8192)
            if not chunk:
                return
            text = chunk.decode("utf-8", errors="replace") if isinstance(chunk, bytes) else chunk
            self.stderr = (self.stderr + text)[-STDERR_TAIL:]


@dataclass(frozen=True)
class Request:
    """One command to run sandboxed: what it may read, where it may write, its limits."""

    argv: list[str]
    read_only: list[Path]
    scratch: Path  # the one writable folder
    device: str
    threads: int
    limits: Limits
    timeout_s: float
    toolchain: str = "core"  # the environment argv[0] belongs to (runner/toolchains)


class Backend(Protocol):
    """Runs a request with no network, a read-only view of what it needs, and scratch."""

    name: str

    def python(self, toolchain: str = "core") -> str:
        """The interpreter a request of this toolchain starts with, as the run sees it."""
        ...

    def run(self, request: Request, on_line: Callable[[str], None]) -> Outcome: ...

    def start(self, request: Request) -> Session:
        """Start the request and talk to it: a worker (runner/worker.py)."""
        ...


def project_packages() -> list[Path]:
    """This project's two packages: nothing else of the checkout (no .git, no results)."""
    return sorted(
        {Path(runner.__file__).parent.resolve(), Path(validator.__file__).parent.resolve()}
    )


def toolchain_parts(toolchain: str) -> tuple[list[Path], dict[str, str]]:
    """What a run in another toolchain than core needs besides the runner's interpreter:
    that venv's folder (read-only) and PYTHONPATH naming this checkout's packages' folder,
    since the venv does not hold them."""
    if toolchain == "core":
        return [], {}
    from runner import toolchains

    python = toolchains.interpreter(toolchain)
    parents = dict.fromkeys(str(p.parent) for p in project_packages())
    return [python.parent.parent], {"PYTHONPATH": os.pathsep.join(parents)}


def host_python(toolchain: str) -> str:
    """This machine's interpreter for a toolchain (RunnerError when it is not built)."""
    if toolchain == "core":
        return sys.executable
    from runner import toolchains

    return str(toolchains.interpreter(toolchain))


def interpreter_paths() -> list[Path]:
    """The interpreter and its packages, where the run uses the runner's own Python: its
    prefixes, and any site folder on sys.path outside them (one a .pth file added)."""
    prefixes = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    sites = {
        Path(entry).resolve()
        for entry in sys.path
        if Path(entry).name in ("site-packages", "dist-packages") and Path(entry).is_dir()
    }
    outside = {s for s in sites if not any(s.is_relative_to(p) for p in prefixes)}
    return sorted(prefixes | outside)


def etc_files() -> list[Path]:
    return [Path(p) for p in ETC if Path(p).exists()]


def synthetic_etc(folder: Path, home: Path) -> dict[str, Path]:
    """passwd and group naming only root and the sandbox's user: getpass and friends work,
    and no account of the host is listed."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    files = {
        "/etc/passwd": (
            "root:x:0:0:root:/nonexistent:/usr/sbin/nologin\n"
            f"sandbox:x:{NOBODY}:{NOBODY}:sandbox:{home}:/usr/sbin/nologin\n"
        ),
        "/etc/group": f"root:x:0:\nsandbox:x:{NOBODY}:\n",
    }
    out = {}
    for target, text in files.items():
        path = folder / Path(target).name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
        out[target] = path
    return out


def environment(home: Path, tmp: Path, threads: int) -> dict[str, str]:
    """An allow-list: no token or secret of the runner's environment gets in."""
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    env.update(
        HOME=str(home),
        TMPDIR=str(tmp),
        PATH="/usr/bin:/bin",
        USER="sandbox",
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HOME=str(home / "hf"),
        MPLCONFIGDIR=str(home),
        MCV_SANDBOX="1",
        OMP_NUM_THREADS=str(threads),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def runner_homes() -> set[Path]:
    homes = {os.environ.get("HOME", ""), pwd.getpwuid(os.geteuid()).pw_dir}
    return {Path(h).resolve() for h in homes if h and Path(h).resolve() != Path("/")}


def _pseudo_mounts() -> list[Path]:
    """Mount points of the host's kernel filesystems (a /proc mounted anywhere counts)."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        if right.split()[:1] and right.split()[0] in PSEUDO_FS:
            found.append(Path(left.split()[4].replace("\\040", " ")))
    return found


def _special_file(folder: Path) -> Path | None:
    """The first socket, pipe or device node in a tree, if any."""
    special = stat.S_ISSOCK, stat.S_ISFIFO, stat.S_ISCHR, stat.S_ISBLK
    if not folder.is_dir():
        mode = folder.lstat().st_mode
        return folder if any(test(mode) for test in special) else None
    for top, dirs, files in os.walk(folder):
        for name in (*dirs, *files):
            with_mode = Path(top, name)
            try:
                mode = with_mode.lstat().st_mode
            except OSError:
                continue
            if any(test(mode) for test in special):
                return with_mode
    return None


def bind_refusal(path: Path, own: bool = False) -> str | None:
    """Why `path` must never be bound into a sandbox, or None.

    Refused: a host-only folder (/proc, /sys, /dev, /run, /var/run), anything that holds
    one, lies under one, or crosses into a kernel filesystem; the runner's home, anything
    holding it and (unless `own`: the backend's own interpreter) anything under its
    hidden entries (~/.ssh, ~/.config, ~/.cache, ...: credentials and tokens); a tree
    holding a socket, pipe or device node. A checkout in the home (a developer's, or
    actions-runner-controller's /home/runner/_work) stays usable."""
    resolved = path.resolve()
    if resolved == Path("/"):
        return "it is the host's whole filesystem"
    for host in {Path(h) for h in HOST_ONLY} | {Path(h).resolve() for h in HOST_ONLY}:
        if resolved.is_relative_to(host) or host.is_relative_to(resolved):
            return f"it is, holds or lies under the host's {host}"
    for mount in _pseudo_mounts():
        if mount.is_relative_to(resolved) or resolved.is_relative_to(mount):
            return f"it crosses into the kernel filesystem mounted at {mount}"
    for home in runner_homes():
        if home.is_relative_to(resolved):
            return f"it is or holds the runner's home {home}"
        below = resolved.relative_to(home).parts if resolved.is_relative_to(home) else ()
        if not own and below and below[0].startswith("."):
            return (
                f"it lies under {home / below[0]}, a hidden folder of the runner's home "
                "where credentials live (keep the model cache outside it, e.g. "
                "HF_HOME=/var/cache/mcv/huggingface)"
            )
    if not resolved.exists():
        return "it does not exist"
    special = _special_file(resolved)
    if special is not None:
        return f"it holds {special}, a socket, pipe or device node"
    return None


@cache
def _own_refusal(path: Path) -> str | None:
    return bind_refusal(path, own=True)


def check_binds(backend: str, asked: Iterable[Path], own: Iterable[Path]) -> None:
    """RunnerError naming the first path no sandbox may bind, whoever asked for it."""
    for path, refusal in [(p, bind_refusal(p)) for p in asked] + [
        (p, _own_refusal(p.resolve())) for p in own
    ]:
        if refusal is not None:
            raise RunnerError(
                f"--sandbox {backend}: refused to bind {path} into the sandbox: {refusal}; "
                "nothing was run"
            )


class ScratchWatch:
    """Whether a run filled its size-capped scratch tmpfs, seen from outside.

    The tmpfs lives in the run's mount namespace; a directory handle on it, taken through
    /proc/<pid>/root of any process of the run, keeps it readable after the run ends, so
    the check after the run does not race the run's exit."""

    SLACK = 1 << 20  # less free than this: full

    def __init__(self, scratch: Path, cap: int, pids: Callable[[], Iterable[int]]) -> None:
        self.scratch, self.cap, self.pids = scratch, cap, pids
        self.host_dev = scratch.stat().st_dev if scratch.exists() else -1
        self.fd: int | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._find, daemon=True)
        self.thread.start()

    def _find(self) -> None:
        deadline = time.monotonic() + 120  # the mount is made as the run starts, or never
        while self.fd is None and not self.stop.wait(0.02) and time.monotonic() < deadline:
            for pid in self.pids():
                try:
                    # Only a directory handle, for statvfs: nothing is read or written.
                    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                    fd = os.open(f"/proc/{pid}/root{self.scratch}", flags)
                except OSError:
                    continue
                info = os.fstatvfs(fd)
                size = info.f_blocks * info.f_frsize  # the cap, rounded to pages
                if os.fstat(fd).st_dev != self.host_dev and abs(size - self.cap) < 1 << 16:
                    self.fd = fd
                    break
                os.close(fd)

    def full(self) -> bool:
        """Called once the run is over: did it fill its scratch? Releases the handle."""
        self.stop.set()
        self.thread.join(timeout=5)
        if self.fd is None:
            return False
        try:
            info = os.fstatvfs(self.fd)
            return info.f_bavail * info.f_frsize < self.SLACK
        finally:
            os.close(self.fd)

    def reason(self) -> str:
        return (
            f"scratch full: the run wrote its {self.cap / GIB:g} GiB scratch cap "
            "(mcv reproduce --scratch-limit)"
        )


def tree_pids(root: int) -> list[int]:
    """`root` and its descendants, from /proc's children lists (Linux)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo.extend(int(c) for c in task.read_text().split())
            except (OSError, ValueError):
                continue
    return found


class Session:
    """A sandboxed process the coordinator talks to over its stdin and stdout (binary
    streams), the host pids of its processes, and how it ends: `finish` closes its stdin,
    waits up to `wait_s`, kills what is left and says how the run went."""

    def __init__(
        self,
        process: Any,
        pids: Callable[[], list[int]],
        end: Callable[[int | None], Outcome],
        kill: Callable[[], None],
    ) -> None:
        self.process = process
        self.stdin, self.stdout = process.stdin, process.stdout
        self.pids, self._end, self.kill = pids, end, kill
        self._outcome: Outcome | None = None

    def finish(self, wait_s: float = 10.0) -> Outcome:
        if self._outcome is not None:
            return self._outcome
        with suppress(OSError, ValueError):
            self.stdin.close()
        code: int | None
        try:
            code = self.process.wait(timeout=wait_s)
        except Exception:
            code = None
        self._outcome = self._end(code)
        return self._outcome


class Plain:
    """No sandbox (`--sandbox none`): the same session over a plain child process, for a
    trusted machine; custom recipes refuse to run in it."""

    name = "none"

    def python(self, toolchain: str = "core") -> str:
        return host_python(toolchain)

    def run(self, request: Request, on_line: Callable[[str], None]) -> Outcome:
        """Run to the end (a trusted step: parsing, preparing), lines to `on_line`."""
        session = self.start(request)
        output = Output(on_line, 1 << 62, lambda: None)
        reader = threading.Thread(target=output.read_stdout, args=(session.stdout,))
        reader.start()
        session.stdin.close()
        code: int | None
        try:
            code = session.process.wait(timeout=request.timeout_s)
        except Exception:
            code = None
        outcome = session.finish(wait_s=1)
        reader.join(timeout=10)
        return Outcome(code, output.lines, outcome.stderr)

    def start(self, request: Request) -> Session:
        import signal
        import subprocess

        _, extra = toolchain_parts(request.toolchain)
        env = {**os.environ, "OMP_NUM_THREADS": str(request.threads), **extra}
        env.pop("MCV_SANDBOX", None)
        request.scratch.mkdir(parents=True, exist_ok=True)
        try:
            process = subprocess.Popen(  # noqa: S603 - our interpreter and module
                request.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=request.scratch,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            raise RunnerError(f"the worker did not start: {exc}") from None
        tail = Output(lambda line: None, 1 << 62, lambda: None)
        drain = threading.Thread(target=tail.read_stderr, args=(process.stderr,), daemon=True)
        drain.start()

        def kill() -> None:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)

        def end(code: int | None) -> Outcome:
            kill()
            process.wait()
            drain.join(timeout=5)
            return Outcome(code, [], tail.stderr)

        return Session(process, lambda: tree_pids(process.pid), end, kill)
