"""What machine measured: CPU, GPU, driver, CUDA and the library versions."""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata

from validator.verification import Fingerprint

LIBRARIES = (
    "torch",
    "torchvision",
    "timm",
    "transformers",
    "onnxruntime",
    "onnx",
    "optimum",
    "tokenizers",
    "safetensors",
    "numpy",
    "scikit-learn",
    "jiwer",
    "seqeval",
    "sacrebleu",
    "gptqmodel",
    "bitsandbytes",
    "openvino",
    "optimum-intel",
)


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):  # noqa: SIM115 - read once
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict[str, str]:
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def gpu() -> tuple[str | None, str | None, str | None]:
    """(name, driver, CUDA) of GPU 0, or Nones without one."""
    try:
        import torch
    except ImportError:
        return None, None, None
    if not torch.cuda.is_available():
        return None, None, None
    name, cuda, driver = torch.cuda.get_device_name(0), torch.version.cuda, None
    try:
        import pynvml

        pynvml.nvmlInit()
        driver = str(pynvml.nvmlSystemGetDriverVersion())
        pynvml.nvmlShutdown()
    except Exception:  # NVML missing or failing is not an error on a runner
        driver = None
    return name, driver, cuda


def fingerprint(threads: int) -> Fingerprint:
    name, driver, cuda = gpu()
    return Fingerprint(
        cpu_model=cpu_model(),
        cores=os.cpu_count() or 1,
        threads=threads,
        gpu_name=name,
        gpu_driver=driver,
        cuda=cuda,
        python=sys.version.split()[0],
        platform=platform.platform(),
        versions=versions(),
    )
