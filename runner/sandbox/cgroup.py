"""One cgroup per sandboxed run: a memory cap and a process cap for its whole tree.

The place comes from /proc/self/cgroup: the runner's own cgroup or its parent, where the
runner may write there (root, or a subtree delegated to it: systemd `Delegate=`, or a
folder chowned to the runner's user), else the hierarchy's root for root. cgroup v2 (one
folder, `memory` and `pids` enabled for its children) is preferred; v1 (one folder per
controller) is used where v2 has neither. Where there is no such place, `find_place`
says exactly what to configure, and the sandbox refuses to start.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from runner.sandbox.limits import Limits

CONTROLLERS = ("memory", "pids")
DEPLOY = "runner/deploy/README.md"


@dataclass(frozen=True)
class Place:
    """Where this runner may create a run's cgroup: one folder (v2) or one per controller."""

    version: int
    folders: tuple[Path, ...]  # v2: (base,); v1: (memory base, pids base)


def _mounts(mountinfo: str) -> list[tuple[str, str, str, set[str]]]:
    """(mount point, root inside the hierarchy, fs type, super options) of cgroup mounts."""
    found = []
    for line in mountinfo.splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) > 4 and len(tail) > 2 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[4], fields[3], tail[0], set(tail[2].split(","))))
    return found


def _own(cgroup: str) -> dict[str, str]:
    """The runner's cgroup per controller ('' for v2) from /proc/self/cgroup."""
    own: dict[str, str] = {}
    for line in cgroup.splitlines():
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            own[name] = path
    return own


def _inside(mount: str, root: str, path: str) -> Path:
    relative = path[len(root) :] if root != "/" and path.startswith(root) else path
    return Path(mount, relative.lstrip("/"))


def _candidates(folder: Path, mount: Path) -> list[Path]:
    """The runner's own cgroup, its parent (systemd's `DelegateSubgroup=`), and for root
    the hierarchy's root."""
    out = [folder]
    if folder != mount:
        out.append(folder.parent)
    if os.geteuid() == 0 and mount not in out:
        out.append(mount)
    return out


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)


def _v2_ready(folder: Path) -> bool:
    """`memory` and `pids` are (or can now be) enabled for this folder's children."""
    try:
        if not set(CONTROLLERS) <= set((folder / "cgroup.controllers").read_text().split()):
            return False
        control = folder / "cgroup.subtree_control"
        if not set(CONTROLLERS) <= set(control.read_text().split()):
            control.write_text(" ".join(f"+{c}" for c in CONTROLLERS))
        return set(CONTROLLERS) <= set(control.read_text().split())
    except OSError:  # not ours, or the folder holds processes (v2's no-internal-process rule)
        return False


def find_place(cgroup_text: str | None = None, mountinfo_text: str | None = None) -> Place | str:
    """Where this runner makes a run's cgroup, or exactly what to configure so it can."""
    cgroup_text = cgroup_text or Path("/proc/self/cgroup").read_text()
    mountinfo_text = mountinfo_text or Path("/proc/self/mountinfo").read_text()
    own, mounts = _own(cgroup_text), _mounts(mountinfo_text)
    for point, root, kind, _ in mounts:
        if kind == "cgroup2" and "" in own:
            mine = _inside(point, root, own[""])
            for folder in _candidates(mine, Path(point)):
                if _writable(folder) and _v2_ready(folder):
                    return Place(2, (folder,))
    v1: list[Path] = []
    for controller in CONTROLLERS:
        mount = next((m for m in mounts if m[2] == "cgroup" and controller in m[3]), None)
        if mount is None or controller not in own:
            break
        mine = _inside(mount[0], mount[1], own[controller])
        usable = [f for f in _candidates(mine, Path(mount[0])) if _writable(f)]
        if not usable:
            break
        v1.append(usable[0])
    if len(v1) == len(CONTROLLERS):
        return Place(1, tuple(v1))
    return _what_to_configure(own, mounts)


def _what_to_configure(own: dict[str, str], mounts: list[tuple[str, str, str, set[str]]]) -> str:
    user = os.environ.get("USER") or str(os.geteuid())
    if any(m[2] == "cgroup2" and set(CONTROLLERS) <= _v2_controllers(m[0]) for m in mounts):
        where = own.get("", "/")
        return (
            f"no cgroup for the run's memory and process caps: uid {os.geteuid()} may not "
            f"create one in its cgroup {where} or its parent (cgroup v2). Configure: run the "
            "runner as a systemd service with `Delegate=memory pids` and "
            "`DelegateSubgroup=runner` (runner/deploy/mcv-runner.service), or run it as "
            f"root; see {DEPLOY}"
        )
    folders = " ".join(f"/sys/fs/cgroup/{c}/mcv" for c in CONTROLLERS)
    return (
        f"no cgroup for the run's memory and process caps: uid {os.geteuid()} may not create "
        f"one under its memory and pids cgroups (cgroup v1). Configure, as root: `mkdir -p "
        f"{folders} && chown -R {user} {folders}`, then start the runner inside both (write "
        "its pid to each folder's cgroup.procs; runner/deploy/cgroup-delegate.sh and "
        f"ephemeral-runner.sh do both), or run it as root; see {DEPLOY}"
    )


def _v2_controllers(mount: str) -> set[str]:
    with suppress(OSError):
        return set(Path(mount, "cgroup.controllers").read_text().split())
    return set()


class RunCgroup:
    """The cgroup of one run: its memory and process caps; emptied and removed after."""

    def __init__(self, place: Place, limits: Limits) -> None:
        name = f"mcv-{uuid.uuid4().hex[:12]}"
        self.version = place.version
        self.folders = [folder / name for folder in place.folders]
        for folder in self.folders:
            folder.mkdir()
        memory, pids = (self.folders[0], self.folders[0]) if self.version == 2 else self.folders
        self.memory = memory
        if self.version == 2:
            (memory / "memory.max").write_text(str(limits.memory_bytes))
            _write_if_there(memory / "memory.swap.max", "0")
            _write_if_there(memory / "memory.oom.group", "1")  # one OOM ends the whole run
        else:
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            _write_if_there(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
        (pids / "pids.max").write_text(str(limits.processes))

    def join(self) -> None:
        """Called in the child before exec: it and everything it starts count here."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def pids(self) -> list[int]:
        with suppress(OSError):
            return [int(p) for p in (self.folders[0] / "cgroup.procs").read_text().split()]
        return []

    def oom_kills(self) -> int:
        """How many of the run's processes the kernel killed at the memory cap."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        with suppress(OSError, ValueError):
            for line in (self.memory / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        return 0

    def kill(self) -> None:
        """Every process of the run, daemons it left included."""
        _write_if_there(self.folders[0] / "cgroup.kill", "1")
        deadline = time.monotonic() + 10
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                with suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)

    def remove(self) -> None:
        self.kill()
        for folder in self.folders:
            with suppress(OSError):  # still-exiting tasks: the kernel frees it once empty
                folder.rmdir()


def _write_if_there(path: Path, value: str) -> None:
    if path.exists():
        with suppress(OSError):
            path.write_text(value)
