"""Resource limits for a sandboxed run: rlimits, and a pids cgroup for the process count.

RLIMIT_NPROC does not bind uid 0, and the runner often is root, so the process limit is a
cgroup `pids.max` (v1 or v2) when the runner may create one. Where neither can hold, the
sandbox refuses to start: it never runs without a process limit.
"""

from __future__ import annotations

import os
import resource
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from runner.errors import RunnerError

GIB = 2**30


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 24 * GIB  # address space; torch reserves far more than it touches
    processes: int = 512  # tasks: threads count too
    cpu_seconds: int = 4 * 3600
    file_bytes: int = 64 * GIB
    open_files: int = 4096


def cgroup_root() -> tuple[Path, Path] | None:
    """(where to create a pids cgroup, the file naming its limit), if the runner may."""
    v1 = Path("/sys/fs/cgroup/pids")
    if (v1 / "cgroup.procs").exists() and os.access(v1, os.W_OK):
        return v1, Path("pids.max")
    v2 = Path("/sys/fs/cgroup")
    controllers = v2 / "cgroup.controllers"
    if (
        controllers.exists()
        and "pids" in controllers.read_text().split()
        and os.access(v2, os.W_OK)
    ):
        return v2, Path("pids.max")
    return None


class PidsCgroup:
    """A cgroup holding one run's processes, capped at `limit` tasks; removed afterwards."""

    def __init__(self, limit: int) -> None:
        found = cgroup_root()
        if found is None:
            raise RunnerError(
                "no process limit is possible here: not root-less (RLIMIT_NPROC "
                "does not bind uid 0) and no writable pids cgroup; the sandbox "
                "refuses to start"
            )
        root, name = found
        self.path = root / f"mcv-{uuid.uuid4().hex[:12]}"
        self.path.mkdir()
        (self.path / name).write_text(str(limit))

    def join(self) -> None:
        """Called in the child before exec: it and everything it starts count here."""
        (self.path / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self) -> None:
        with suppress(OSError):  # still-exiting tasks: the group empties, and goes, later
            self.path.rmdir()


def apply_rlimits(limits: Limits) -> None:
    """In the child, before exec."""
    for which, value in (
        (resource.RLIMIT_AS, limits.memory_bytes),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))
