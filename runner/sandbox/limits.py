"""Resource limits for a sandboxed run: per-process rlimits for what only a process can
hold (CPU seconds, file size, open files, core dumps); the whole run's memory and process
count are a cgroup's (runner/sandbox/cgroup.py); its scratch is a size-capped tmpfs."""

from __future__ import annotations

import resource
from dataclasses import dataclass

GIB = 2**30


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 24 * GIB  # the whole process tree, scratch tmpfs included (cgroup)
    processes: int = 512  # tasks of the whole tree: threads count too (cgroup)
    cpu_seconds: int = 4 * 3600
    file_bytes: int = 64 * GIB
    open_files: int = 4096
    scratch_bytes: int = 16 * GIB  # the writable folder: a tmpfs of this size

    @property
    def output_bytes(self) -> int:
        """What a run may print in all: no more than it may write to its scratch."""
        return self.scratch_bytes


def apply_rlimits(limits: Limits) -> None:
    """In the child, before exec."""
    for which, value in (
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_bytes),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(which, (value, value))
