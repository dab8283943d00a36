"""The Python half of benchmarks/gpu_check.sh: tiny models, direct CUDA timings, the table.

Every subcommand prints `row\\tNAME\\tSTATUS\\tDETAIL` lines that the shell script collects;
`table ROWS` prints them as one table. No hub: the models are built from configs.

    python benchmarks/gpu_check.py build DIR          # tiny BERT + a manifest per sandbox
    python benchmarks/gpu_check.py direct DIR DEVICE  # original/fp16/bf16, CUDA events, VRAM
    python benchmarks/gpu_check.py record FILE NAME   # rows from a verification.json
    python benchmarks/gpu_check.py missing            # pip names of what is not installed
    python benchmarks/gpu_check.py table FILE         # the table
"""

from __future__ import annotations

import contextlib
import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

METHODS = ["original", "fp16", "bf16", "dynamic-int8", "bnb-int8", "bnb-4bit"]
# What this check's runs import besides torch and transformers (module: its pip name);
# `gpu_check.sh --fetch` downloads their wheels for the lent machine's Python.
NEEDED = {
    "pydantic": "pydantic",
    "pydantic_core": "pydantic-core",
    "annotated_types": "annotated-types",
    "typing_inspection": "typing-inspection",
    "yaml": "pyyaml",
    "markdown_it": "markdown-it-py",
    "mdurl": "mdurl",
    "rich": "rich",
    "pygments": "pygments",
    "numpy": "numpy",
    "scipy": "scipy",
    "psutil": "psutil",
    "pynvml": "nvidia-ml-py",
    "safetensors": "safetensors",
    "tokenizers": "tokenizers",
    "huggingface_hub": "huggingface-hub",
}
ITERATIONS = 50


def row(name: str, status: str, detail: str = "") -> None:
    clean = " ".join(str(detail).split())[:160]
    print(f"row\t{name}\t{status}\t{clean}", flush=True)


def build(out: Path) -> None:
    """A tiny BERT classifier (random weights, saved as the hub would), its rows, and a
    manifest whose runs are METHODS; a team folder as `mcv reproduce` expects."""
    import torch
    import yaml

    from tests.runner.tiny_models import bert, save, tokenizer

    torch.manual_seed(0)
    team = out / "submissions" / "t"
    model = save(bert(2, ["negative", "positive"], False), team / "model", tokenizer(True))
    (team / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "tests" / "data" / "runner" / "sentiment.jsonl", team / "data")
    manifest = {
        "schema_version": 1,
        "team": "t",
        "homework": 2,
        "model": {"id": "submissions/t/model", "task": "text-classification"},
        "evaluation": {
            "dataset": "submissions/t/data/sentiment.jsonl",
            "samples": 8,
            "metric": "accuracy",
        },
        "runs": [{"label": m, "method": m, "reported": {}} for m in METHODS],
    }
    (team / "hw-2.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True))
    row("build tiny models", "ok", f"{sum(p.stat().st_size for p in model.iterdir())} bytes")


def _nvml_mb() -> float | None:
    try:
        import pynvml
    except ImportError:
        return None
    import os

    try:
        pynvml.nvmlInit()
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        for process in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
            if process.pid == os.getpid() and process.usedGpuMemory:
                return float(process.usedGpuMemory) / 2**20
        return None
    except pynvml.NVMLError:
        return None
    finally:
        with contextlib.suppress(pynvml.NVMLError):
            pynvml.nvmlShutdown()


def _time_cuda(torch: Any, call: Any) -> float:
    """Median ms of `call` by CUDA events, after a warm-up."""
    for _ in range(5):
        call()
    samples = []
    for _ in range(ITERATIONS):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda.synchronize()
        start.record()
        call()
        end.record()
        torch.cuda.synchronize()
        samples.append(start.elapsed_time(end))
    return float(statistics.median(samples))


def direct(folder: Path, device: str) -> None:
    """The tiny model in fp32, fp16, bf16 on CUDA, timed in this process: CUDA-event
    latency, peak VRAM from torch, this process's VRAM from NVML."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model_dir = folder / "submissions" / "t" / "model"
    names = {"original": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
    if device != "cuda" or not torch.cuda.is_available():
        for name in names:
            row(f"direct {name} (CUDA events, VRAM)", "skipped", "no CUDA device")
        return
    tokens = AutoTokenizer.from_pretrained(model_dir)("a great good film", return_tensors="pt")
    inputs = {k: v.to("cuda") for k, v in tokens.items()}
    for name, dtype in names.items():
        try:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
            model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=dtype)
            model = model.to("cuda").eval()
            with torch.inference_mode():
                ms = _time_cuda(torch, lambda m=model: m(**inputs))
            peak = torch.cuda.max_memory_allocated() / 2**20
            nvml = _nvml_mb()
            shown = f"{nvml:.1f} MB" if nvml is not None else "n/a (pynvml missing or no entry)"
            row(
                f"direct {name} (CUDA events, VRAM)",
                "ok",
                f"median {ms:.3f} ms; torch peak {peak:.2f} MB; NVML {shown}",
            )
            del model
        except Exception as exc:  # one dtype failing is a row, not the end
            row(f"direct {name} (CUDA events, VRAM)", "failed", f"{type(exc).__name__}: {exc}")


def record(path: Path, name: str) -> None:
    """A row per run of a verification.json: status, latency, VRAM, or why not."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        row(name, "failed", f"no record: {exc}")
        return
    for run in data.get("runs", []):
        timing = run.get("gpu") or run.get("cpu") or {}
        memory = run.get("memory") or {}
        parts = []
        if timing:
            parts.append(f"{timing.get('device', '?')} {timing['ms']['median']:.3f} ms")
        if memory.get("vram_peak_allocated_mb") is not None:
            parts.append(f"VRAM torch {memory['vram_peak_allocated_mb']:.2f} MB")
        if memory.get("vram_nvml_mb") is not None:
            parts.append(f"NVML {memory['vram_nvml_mb']:.1f} MB")
        if run.get("quality"):
            parts.append(f"{run['quality']['metric']} {run['quality']['value']:.3f}")
        if run.get("error"):
            parts.append(run["error"])
        row(f"{name}: {run['method']}", run["status"], "; ".join(parts))


def missing() -> None:
    """The pip names of NEEDED modules this interpreter cannot import, one line."""
    import importlib.util

    absent = [pkg for module, pkg in NEEDED.items() if importlib.util.find_spec(module) is None]
    print(" ".join(absent))


def table(path: Path) -> None:
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[0] == "row":
            rows.append(parts[1:])
    width = max([len(r[0]) for r in rows] + [4])
    print(f"{'step':<{width}}  {'status':<11}  detail")
    print(f"{'-' * width}  {'-' * 11}  {'-' * 40}")
    for name, status, detail in rows:
        print(f"{name:<{width}}  {status:<11}  {detail}")


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "build":
        build(Path(args[0]))
    elif command == "direct":
        direct(Path(args[0]), args[1])
    elif command == "record":
        record(Path(args[0]), args[1])
    elif command == "missing":
        missing()
    elif command == "table":
        table(Path(args[0]))
    else:
        print(f"unknown command {command!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
