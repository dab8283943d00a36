"""Every toolchain, registered once: a named Python environment a run's worker runs in.

The course's methods need libraries that cannot share one environment (Optimum's ONNX
exporter pins transformers below 4.58; timm needs the torchvision that only a CUDA build
of torch brings here; GPTQModel wants a newer torch still). So, the way pre-commit builds
one environment per hook repository, each toolchain is a virtual environment built from
a pinned requirements file in this package (`runner/toolchains/<name>.txt`) into a cache
keyed by that file's hash and the interpreter's version: editing the pins builds a new
one, and a half-built one never counts.

`core` is the runner's own environment (constraints.txt): the coordinator always runs
there, and so does every run whose recipe and model need nothing else. `mcv toolchains`
builds and lists them, `mcv doctor` reports them, and the worker of a run starts with
the interpreter `interpreter()` names (runner/coordinator.py).

Light on purpose: nothing here imports torch or a recipe's library.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from runner.errors import RunnerError, Unsupported

HERE = Path(__file__).resolve().parent
ROOT_ENV = "MCV_TOOLCHAINS"  # where built toolchains live; the default is below
MARK = "mcv-toolchain.json"  # written last: a folder without it is not built
BUILD_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Toolchain:
    name: str
    summary: str
    on_ci: bool  # built by `make test` (the others need a GPU or are too large for CI)

    @property
    def pins(self) -> Path:
        """The file that defines it (constraints.txt for core, whose pins are the runner's)."""
        if self.name == "core":
            return HERE.parent.parent / "constraints.txt"
        return HERE / f"{self.name}.txt"

    @property
    def is_core(self) -> bool:
        return self.name == "core"


TOOLCHAINS: dict[str, Toolchain] = {
    t.name: t
    for t in (
        Toolchain("core", "the runner's own environment: torch, transformers, onnxruntime", True),
        Toolchain("optimum", "Optimum's ONNX exporter, ORTModel, ORTQuantizer, ORTOptimizer", True),
        Toolchain("vision", "timm and torchvision (EfficientViT and other timm models)", True),
        Toolchain("openvino", "optimum-intel and OpenVINO", False),
        Toolchain("gpu", "GPTQModel (GPTQ, AWQ), bitsandbytes, onnxruntime-gpu: the image", False),
    )
}

# Model types whose code only one toolchain has: a run of such a model uses it whatever
# the recipe (a recipe that needs a toolchain of its own and such a model cannot meet).
MODEL_TYPES: dict[str, str] = {"timm_wrapper": "vision"}


def get(name: str) -> Toolchain:
    toolchain = TOOLCHAINS.get(name)
    if toolchain is None:
        raise RunnerError(f"unknown toolchain {name!r}; known: {', '.join(TOOLCHAINS)}")
    return toolchain


def for_run(recipe_toolchain: str, model_type: str | None) -> str:
    """The toolchain a run's worker needs: its recipe's, else its model's, else core.
    RunnerError when the two disagree (nothing could run it)."""
    model_needs = MODEL_TYPES.get(model_type or "")
    if model_needs is None or recipe_toolchain == model_needs:
        return recipe_toolchain
    if recipe_toolchain == "core":
        return model_needs
    raise RunnerError(
        f"this method runs in the `{recipe_toolchain}` toolchain but a `{model_type}` model "
        f"needs `{model_needs}`: no toolchain has both; choose another method"
    )


def root() -> Path:
    """Where toolchains are built: $MCV_TOOLCHAINS, else ~/.cache/mcv/toolchains."""
    configured = os.environ.get(ROOT_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home).expanduser().resolve() / "mcv" / "toolchains"


def python_tag() -> str:
    return f"py{sys.version_info.major}.{sys.version_info.minor}"


def key(toolchain: Toolchain) -> str:
    """Its pins' hash with the interpreter's version: what its folder is named by."""
    digest = hashlib.sha256(toolchain.pins.read_bytes()).hexdigest()[:12]
    return f"{python_tag()}-{digest}"


def folder(toolchain: Toolchain, under: Path | None = None) -> Path:
    return (under or root()) / f"{toolchain.name}-{key(toolchain)}"


@dataclass(frozen=True)
class State:
    built: bool
    detail: str  # where and how big, or what is missing and how to build it
    python: Path | None = None


def state(toolchain: Toolchain, under: Path | None = None) -> State:
    if toolchain.is_core:
        return State(True, f"the runner's own environment ({sys.prefix})", Path(sys.executable))
    if not toolchain.pins.is_file():
        return State(False, f"no pins: {toolchain.pins} is missing")
    place = folder(toolchain, under)
    mark = place / MARK
    if not mark.is_file():
        stale = sorted(p.name for p in place.parent.glob(f"{toolchain.name}-py*") if p != place)
        older = f" (an older build is there: {stale[-1]})" if stale else ""
        return State(False, f"not built{older}: mcv toolchains build {toolchain.name}")
    try:
        info = json.loads(mark.read_text(encoding="utf-8"))
        size = f"{int(info['bytes']) / 2**30:.1f} GiB, built in {float(info['seconds']):.0f} s"
    except (OSError, ValueError, KeyError, TypeError):
        size = "its record is unreadable"
    return State(True, f"{place} ({size})", place / "bin" / "python")


def interpreter(name: str, under: Path | None = None) -> Path:
    """The Python a worker of this toolchain starts with, or Unsupported saying how to get
    it: a run whose toolchain this machine lacks cannot run here, as one needing CUDA."""
    toolchain = get(name)
    found = state(toolchain, under)
    if not found.built or found.python is None:
        raise Unsupported(f"the `{name}` toolchain is not ready here: {found.detail}")
    return found.python


def tree_bytes(path: Path) -> int:
    total = 0
    for entry in path.rglob("*"):
        if entry.is_file() and not entry.is_symlink():
            total += entry.stat().st_size
    return total


def build(
    toolchain: Toolchain,
    say: Callable[[str], None],
    under: Path | None = None,
    pip_args: tuple[str, ...] = (),
) -> State:
    """Build it (nothing to do when built): a venv beside its final place, its pins
    installed, then renamed into place and marked. A failed build leaves nothing that
    counts and names pip's last lines."""
    if toolchain.is_core:
        return state(toolchain, under)
    found = state(toolchain, under)
    if found.built:
        return found
    if not toolchain.pins.is_file():
        raise RunnerError(f"toolchain `{toolchain.name}`: {toolchain.pins} is missing")
    place = folder(toolchain, under)
    place.parent.mkdir(parents=True, exist_ok=True)
    partial = place.with_name(f"{place.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    started = time.monotonic()
    say(f"{toolchain.name}: creating {place}")
    steps = [
        [sys.executable, "-m", "venv", str(partial)],
        [
            str(partial / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            *pip_args,
            "-r",
            str(toolchain.pins),
        ],
    ]
    try:
        for step in steps:
            say(f"{toolchain.name}: {' '.join(step[-3:])}")
            _run_step(toolchain, step)
        seconds = time.monotonic() - started
        size = tree_bytes(partial)
        record = {
            "name": toolchain.name,
            "key": key(toolchain),
            "pins": str(toolchain.pins),
            "seconds": round(seconds, 1),
            "bytes": size,
        }
        (partial / MARK).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        if place.exists():  # another build got there first and finished
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.rename(place)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    done = state(toolchain, under)
    say(f"{toolchain.name}: built in {seconds:.0f} s, {size / 2**30:.1f} GiB")
    return done


def _run_step(toolchain: Toolchain, argv: list[str]) -> None:
    try:
        result = subprocess.run(  # noqa: S603 - our venv's pip on our pins file
            argv, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise RunnerError(
            f"toolchain `{toolchain.name}`: `{' '.join(argv[:4])}` ran past "
            f"{BUILD_TIMEOUT_S} s; nothing was kept"
        ) from None
    except OSError as exc:
        raise RunnerError(f"toolchain `{toolchain.name}`: {argv[0]}: {exc.strerror}") from None
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        raise RunnerError(
            f"toolchain `{toolchain.name}`: pip failed (exit {result.returncode}) installing "
            f"{toolchain.pins}; nothing was kept. Its last lines:\n{tail}"
        )


@cache
def project_root() -> Path:
    """The folder holding this checkout's `runner` and `validator` packages: a worker in
    another toolchain imports them from there (PYTHONPATH), never from that venv."""
    return HERE.parent.parent
