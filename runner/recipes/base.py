"""A recipe turns the base model into a deployable artifact and a backend that runs it."""

from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from runner.backends import Backend, TorchBackend
from runner.errors import Unsupported
from runner.tasks.base import Sample, Task
from validator.manifest.support import refusal


@dataclass
class RecipeContext:
    task: Task
    params: Any  # the run's typed params (validator.manifest.methods)
    samples: list[Sample]  # prepared evaluation samples; calibration draws on them
    work_dir: Path  # scratch; the artifact goes under it
    device: str
    threads: int
    manifest_dir: Path | None = None  # where a custom recipe's script is
    allow_custom: bool = False
    original: Any = None  # the fp32 base model the harness loaded for the reference, on CPU

    def base_model(self, dtype: Any = None) -> Any:
        """The base model (fp32 unless `dtype`): the harness's, handed over once since a
        recipe may change it in place, else loaded from the model folder."""
        model, self.original = self.original, None
        if model is not None and dtype is None:
            return model
        return self.task.load_model(dtype=dtype)

    @property
    def artifact_dir(self) -> Path:
        path = self.work_dir / "artifact"
        path.mkdir(parents=True, exist_ok=True)
        return path


@dataclass
class Built:
    backend: Backend
    artifact: Path  # the folder whose bytes are the deployable size
    scheme: str  # what the artifact is: "safetensors", "onnx", "codebook", ...
    theoretical_bits: float  # nonzeros x bits, or indices x log2(k) + codebook
    params: int
    nonzero_params: int


class Recipe(ABC):
    method: ClassVar[str]
    needs_cuda: ClassVar[bool] = False
    toolchain: ClassVar[str] = "core"  # the environment its worker runs in (runner/toolchains)

    def check_device(self, ctx: RecipeContext) -> None:
        if self.needs_cuda and ctx.device != "cuda":
            raise Unsupported(f"`{self.method}` needs CUDA; this runner measures on the CPU")

    def preflight(self, ctx: RecipeContext) -> None:
        """What makes the recipe unsupported here, checked before anything is loaded."""
        why = refusal(self.method, ctx.task.name)
        if why is not None:  # the same table and words as `mcv check`
            raise Unsupported(why)
        self.check_device(ctx)

    @abstractmethod
    def build(self, ctx: RecipeContext) -> Built: ...


def tensor_stats(model: Any) -> tuple[int, int, float]:
    """(parameters, nonzero parameters, nonzeros x bits) over the model's state."""
    import torch

    seen: set[int] = set()
    params = nonzero = 0
    bits = 0.0
    values = [t for v in model.state_dict().values() for t in (v if isinstance(v, tuple) else (v,))]
    for tensor in values:  # packed quantized params come as (weight, bias) tuples
        if not isinstance(tensor, torch.Tensor) or tensor.data_ptr() in seen:
            continue
        seen.add(tensor.data_ptr())
        if tensor.is_quantized:
            tensor = tensor.int_repr()
        count = int(tensor.count_nonzero())
        params += tensor.numel()
        nonzero += count
        bits += count * tensor.element_size() * 8
    return params, nonzero, bits


def save_torch(model: Any, ctx: RecipeContext, scheme: str = "safetensors") -> Built:
    """The common ending: save with save_pretrained (safetensors) and run the module itself."""
    model.save_pretrained(ctx.artifact_dir)
    params, nonzero, bits = tensor_stats(model)
    return Built(
        TorchBackend(model.to(ctx.device), ctx.device),
        ctx.artifact_dir,
        scheme,
        bits,
        params,
        nonzero,
    )


def selected(
    model: Any, patterns: list[str] | None, kinds: tuple[type, ...]
) -> list[tuple[str, Any]]:
    """Modules of the given kinds whose names match the globs (all of them when none given)."""
    chosen = []
    for name, module in model.named_modules():
        if isinstance(module, kinds) and (
            not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)
        ):
            chosen.append((name, module))
    if not chosen:
        raise Unsupported(f"no layer matches {patterns or 'the layer kinds'}; check params.layers")
    return chosen
