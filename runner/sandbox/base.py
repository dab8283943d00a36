"""What every sandbox backend shares: the result shape, the allow-listed environment, and
the parts of this installation a run may read."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import runner
import validator
from runner.sandbox.limits import Limits

SYSTEM = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc")  # bound read-only
PASS_ENV = ("LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES")
NOBODY = 65534


@dataclass
class Outcome:
    returncode: int | None  # None: killed at the timeout
    lines: list[str]
    stderr: str
    reason: str | None = None  # what the backend saw, when it knows better than the code


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


class Backend(Protocol):
    """Runs a request with no network, a read-only view of what it needs, and scratch."""

    name: str

    def python(self) -> str: ...

    def run(self, request: Request, on_line: Callable[[str], None]) -> Outcome: ...


def project_packages() -> list[Path]:
    """This project's two packages: nothing else of the checkout (no .git, no results)."""
    return sorted(
        {Path(runner.__file__).parent.resolve(), Path(validator.__file__).parent.resolve()}
    )


def interpreter_paths() -> list[Path]:
    """The interpreter and its packages, where the run uses the runner's own Python."""
    return sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()})


def environment(home: Path, tmp: Path, threads: int) -> dict[str, str]:
    """An allow-list: no token or secret of the runner's environment gets in."""
    env = {k: os.environ[k] for k in PASS_ENV if k in os.environ}
    env.update(
        HOME=str(home),
        TMPDIR=str(tmp),
        PATH="/usr/bin:/bin",
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
