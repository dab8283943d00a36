"""Every sandbox, registered once: `mcv reproduce --sandbox` takes its choices from here,
opens the chosen one through it, and `mcv doctor` reports each from it.

Light on purpose: a backend's module (and the docker SDK) loads only when it is checked
or opened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from runner.errors import RunnerError
from runner.sandbox.base import Backend

DEFAULT_IMAGE = "mcv-runner"


@dataclass(frozen=True)
class Options:
    """What a backend is opened with, from the command line."""

    docker_image: str = DEFAULT_IMAGE
    docker_host_python: bool = False


@dataclass(frozen=True)
class Sandbox:
    name: str
    summary: str
    check: Callable[[], tuple[bool, str]]  # (starts here, why or what), for doctor and auto
    open: Callable[[Options], Backend | None]  # RunnerError saying why not; never a fallback


def _check_none() -> tuple[bool, str]:
    return True, "no isolation: trusted machines only; never runs a custom recipe"


def _check_bwrap() -> tuple[bool, str]:
    import shutil

    from runner.sandbox.bwrap import probe

    problem = probe()
    if problem is None:
        return True, f"{shutil.which('bwrap')}: a sandbox starts, in a cgroup of its own"
    return False, problem + ("" if shutil.which("bwrap") else ": apt-get install bubblewrap")


def _open_bwrap(options: Options) -> Backend:
    from runner.sandbox.bwrap import Bwrap

    return Bwrap()


def _check_docker() -> tuple[bool, str]:
    from runner.sandbox.container import check

    return check(DEFAULT_IMAGE)


def _open_docker(options: Options) -> Backend:
    from runner.sandbox.container import Docker

    return Docker(options.docker_image, options.docker_host_python)


SANDBOXES: dict[str, Sandbox] = {
    s.name: s
    for s in (
        Sandbox("none", "no isolation (trusted machines only)", _check_none, lambda o: None),
        Sandbox(
            "bwrap",
            "bubblewrap: no network, read-only view, capped scratch, one cgroup",
            _check_bwrap,
            _open_bwrap,
        ),
        Sandbox(
            "docker",
            "the same contract, enforced by a Docker engine",
            _check_docker,
            _open_docker,
        ),
    )
}


def open_sandbox(name: str, options: Options) -> Backend | None:
    """The named backend (None for `none`), or RunnerError saying why it cannot start."""
    sandbox = SANDBOXES.get(name)
    if sandbox is None:
        raise RunnerError(f"unknown sandbox {name!r}: {', '.join(SANDBOXES)}")
    return sandbox.open(options)
