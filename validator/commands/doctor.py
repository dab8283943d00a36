"""`mcv doctor`: what this runner can do. The runner image's health check."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path
from typing import Any

from runner import toolchains
from runner.sandbox.registry import SANDBOXES
from validator.config import example_toml
from validator.course import Item, check_course, manual_settings
from validator.errors import UserError
from validator.escape import log_text
from validator.output.json_v1 import as_dict

SANDBOX_LINES = tuple(SANDBOXES)  # one line per registered sandbox, `none` included
TOOLCHAIN_LINES = tuple(f"toolchain:{name}" for name in toolchains.TOOLCHAINS)
CAPABILITIES = ("torch", "cuda", "nvml", "onnxruntime", "cgroup", *SANDBOX_LINES, *TOOLCHAIN_LINES)
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
        description="Check CUDA, NVML, the run cgroup (memory and process caps), every "
        "sandbox (" + ", ".join(SANDBOX_LINES) + "), every toolchain (mcv toolchains), and "
        "which recipes can run here.",
    )
    parser.add_argument(
        "--require",
        default="torch",
        metavar="LIST",
        help=f"comma-separated, of: {', '.join(CAPABILITIES)} (default: torch)",
    )
    parser.add_argument(
        "--course",
        action="store_true",
        help="check the course repository instead: .github/mcv.toml, submissions/teams.yml, "
        "the README's leaderboard markers, the workflows; list the GitHub settings to set",
    )
    parser.add_argument(
        "--root", type=Path, default=Path("."), metavar="DIR", help="with --course: the repo"
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
    found["cgroup"] = _cgroup()
    for name, sandbox in SANDBOXES.items():
        found[name] = sandbox.check()
    for name, chain in toolchains.TOOLCHAINS.items():
        state = toolchains.state(chain)
        found[f"toolchain:{name}"] = (state.built, state.detail)
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


def _cgroup() -> tuple[bool, str]:
    from runner.sandbox.cgroup import find_place

    place = find_place()
    if isinstance(place, str):
        return False, place
    return True, f"cgroup v{place.version} under {', '.join(map(str, place.folders))}"


def recipes(found: dict[str, tuple[bool, str]]) -> dict[str, str]:
    from runner.recipes import RECIPES

    out = {}
    for method, recipe in RECIPES.items():
        if recipe.needs_cuda and not found["cuda"][0]:
            out[method] = "needs CUDA"
        elif not found[f"toolchain:{recipe.toolchain}"][0]:
            out[method] = f"needs the `{recipe.toolchain}` toolchain (mcv toolchains build)"
        elif method in OPTIONAL and not _installed(OPTIONAL[method]):
            out[method] = f"needs {OPTIONAL[method]}"
        elif method == "custom":
            isolating = [n for n in SANDBOX_LINES if n != "none" and found[n][0]]
            out[method] = "sandbox only" + ("" if isolating else " (no sandbox here)")
        else:
            out[method] = "ok"
    return out


def run_course(root: Path, fmt: str) -> int:
    """`--course`: the repository's set-up, then what only a maintainer can set on GitHub."""
    items, settings = check_course(root), manual_settings(root)
    if fmt == "json":
        print(json.dumps({"items": [_item_json(i) for i in items], "settings": settings}, indent=2))
        return 0 if all(i.ok for i in items) else 1
    for item in items:
        print(log_text(f"{'ok ' if item.ok else 'no '} {item.name:<32} {item.detail}"))
        for finding in item.findings:
            where = f"{finding.file}:{finding.line}" if finding.line else str(finding.file)
            print(log_text(f"      {where}: {finding.message}"))
            if finding.hint:
                print(log_text(f"        fix: {finding.hint}"))
    if not items[0].ok:
        print("\nAn example .github/mcv.toml (every key optional, the defaults shown):\n")
        print(example_toml())
    print("\nSet by hand on GitHub (mcv cannot see these settings):")
    for number, line in enumerate(settings, start=1):
        print(f"  {number}. {line}")
    return 0 if all(i.ok for i in items) else 1


def _item_json(item: Item) -> dict[str, Any]:
    return {
        "ok": item.ok,
        "name": item.name,
        "detail": item.detail,
        "findings": [as_dict(f) for f in item.findings],
    }


def run(args: argparse.Namespace) -> int:
    if args.course:
        return run_course(args.root, args.format)
    found = capabilities()
    methods = recipes(found) if found["torch"][0] else {}
    required = [c.strip() for c in args.require.split(",") if c.strip()]
    unknown = [c for c in required if c not in CAPABILITIES]
    if unknown:
        raise UserError(f"unknown capability {', '.join(unknown)}")
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
            print(f"{'ok ' if ok else 'no '} {name:<18} {detail}")
        for method, state in methods.items():
            print(f"{'ok ' if state == 'ok' else '-- '} recipe {method:<18} {state}")
        if missing:
            print(f"missing: {', '.join(missing)}")
    return 1 if missing else 0
