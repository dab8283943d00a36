"""`mcv doctor`: what this runner can do. The runner image's health check."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
from typing import Any

CAPABILITIES = ("torch", "cuda", "nvml", "onnxruntime", "bwrap", "process-limit", "docker")
OPTIONAL = {
    "openvino": "openvino",
    "gptq": "gptqmodel",
    "awq": "gptqmodel",
    "bnb-int8": "bitsandbytes",
    "bnb-4bit": "bitsandbytes",
}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "doctor",
        help="report what this runner can do (health check)",
        description="Check CUDA, NVML, bubblewrap and its process limit, "
        "Docker, and which recipes can run here. Exit 1 when a capability "
        "named in --require is missing.",
    )
    parser.add_argument(
        "--require",
        default="torch",
        metavar="LIST",
        help=f"comma-separated, of: {', '.join(CAPABILITIES)} (default: torch)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(handler=run)


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def capabilities() -> dict[str, tuple[bool, str]]:
    found: dict[str, tuple[bool, str]] = {}
    torch_ok = _installed("torch")
    cuda = (False, "no torch")
    if torch_ok:
        import torch

        found["torch"] = (True, torch.__version__)
        cuda = (
            (True, f"{torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}")
            if torch.cuda.is_available()
            else (False, "no CUDA device")
        )
    else:
        found["torch"] = (False, "not installed (pip install '.[runner]')")
    found["cuda"] = cuda
    found["nvml"] = _nvml()
    found["onnxruntime"] = _onnxruntime()
    found["bwrap"] = _bwrap()
    found["process-limit"] = _process_limit()
    found["docker"] = _docker()
    return found


def _nvml() -> tuple[bool, str]:
    if not _installed("pynvml"):
        return False, "nvidia-ml-py not installed"
    import pynvml

    try:
        pynvml.nvmlInit()
        driver = pynvml.nvmlSystemGetDriverVersion()
        pynvml.nvmlShutdown()
        return True, f"driver {driver}"
    except pynvml.NVMLError as exc:
        return False, str(exc)


def _onnxruntime() -> tuple[bool, str]:
    if not _installed("onnxruntime"):
        return False, "not installed"
    import onnxruntime

    return True, ", ".join(onnxruntime.get_available_providers())


def _process_limit() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return True, "RLIMIT_NPROC (not root)"
    from runner.sandbox.limits import cgroup_root

    root = cgroup_root()
    return (
        (True, f"pids cgroup under {root[0]}")
        if root
        else (False, "root, and no writable pids cgroup: the sandbox refuses to start")
    )


def _bwrap() -> tuple[bool, str]:
    from runner.sandbox.bwrap import probe

    problem = probe()
    if problem is None:
        return True, f"{shutil.which('bwrap')}: a sandbox starts"
    return False, problem + ("" if shutil.which("bwrap") else " (apt-get install bubblewrap)")


def _docker() -> tuple[bool, str]:
    if not _installed("docker"):
        return False, "docker SDK not installed"
    import docker

    from runner.sandbox.container import DEFAULT_IMAGE

    try:
        client = docker.from_env(timeout=3)
        client.ping()
        version = client.version().get("Version", "?")
    except Exception as exc:  # the SDK raises many kinds when no engine answers
        return False, f"no engine: {str(exc).splitlines()[0][:120]}"
    try:
        client.images.get(DEFAULT_IMAGE)
        image = f"image {DEFAULT_IMAGE} present"
    except Exception:  # ImageNotFound, or an engine that stopped answering
        image = f"no image {DEFAULT_IMAGE} (docker build -t {DEFAULT_IMAGE} .)"
    return True, f"engine {version}; {image}"


def recipes(found: dict[str, tuple[bool, str]]) -> dict[str, str]:
    from runner.recipes import RECIPES

    out = {}
    for method, recipe in RECIPES.items():
        if recipe.needs_cuda and not found["cuda"][0]:
            out[method] = "needs CUDA"
        elif method in OPTIONAL and not _installed(OPTIONAL[method]):
            out[method] = f"needs {OPTIONAL[method]}"
        elif method == "custom":
            out[method] = "sandbox only" + (
                "" if found["bwrap"][0] or found["docker"][0] else " (no sandbox here)"
            )
        else:
            out[method] = "ok"
    return out


def run(args: argparse.Namespace) -> int:
    found = capabilities()
    methods = recipes(found) if found["torch"][0] else {}
    required = [c.strip() for c in args.require.split(",") if c.strip()]
    unknown = [c for c in required if c not in CAPABILITIES]
    if unknown:
        print(f"mcv doctor: unknown capability {', '.join(unknown)}", file=sys.stderr)
        return 2
    missing = [c for c in required if not found[c][0]]
    if args.format == "json":
        document: dict[str, Any] = {
            "capabilities": {k: {"ok": v[0], "detail": v[1]} for k, v in found.items()},
            "recipes": methods,
            "missing": missing,
        }
        print(json.dumps(document, indent=2))
    else:
        for name, (ok, detail) in found.items():
            print(f"{'ok ' if ok else 'no '} {name:<14} {detail}")
        for method, state in methods.items():
            print(f"{'ok ' if state == 'ok' else '-- '} recipe {method:<18} {state}")
        if missing:
            print(f"missing: {', '.join(missing)}")
    return 1 if missing else 0
