"""TorchScript: the model traced on the first sample, saved, and loaded back to run."""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np

from runner.backends import ScriptBackend
from runner.errors import RunnerError, Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext, tensor_stats


class TorchScript(Recipe):
    method = "torchscript"

    def preflight(self, ctx: RecipeContext) -> None:
        super().preflight(ctx)
        if ctx.task.generates:
            raise Unsupported("TorchScript of a generating model is not built here")

    def build(self, ctx: RecipeContext) -> Built:
        import torch

        self.preflight(ctx)
        model = ctx.base_model()
        nameable(model)
        sample = {
            k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in ctx.samples[0].inputs.items()
        }
        path = ctx.artifact_dir / "model.torchscript.pt"
        step = ctx.params.mode
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if ctx.params.mode == "script":
                    module = torch.jit.script(model)
                else:
                    module = torch.jit.trace(model, example_kwarg_inputs=sample, strict=False)
                step = "save"
                torch.jit.save(module, str(path))
                step = "load"
                loaded = torch.jit.load(str(path), map_location=ctx.device)
        except Exception as exc:  # tracing fails in many ways; each is this run's failure
            said = next((line for line in str(exc).splitlines() if line.strip()), "")[:300]
            raise RunnerError(
                f"TorchScript {ctx.params.mode} failed ({step}): {said or type(exc).__name__}"
            ) from None
        params, nonzero, bits = tensor_stats(model)
        return Built(
            ScriptBackend(loaded.eval(), list(sample)),
            ctx.artifact_dir,
            "torchscript",
            bits,
            params,
            nonzero,
        )


def nameable(model: Any) -> None:
    """TorchScript names each class by its module path and cannot load back a path with a
    segment that is not an identifier: transformers keeps a model's own code under
    `transformers_modules.<folder>.<commit hash>`, and a hash may start with a digit (the
    load then fails with "Unknown type name"). Such segments get a leading underscore."""
    for sub in model.modules():
        cls = type(sub)
        parts = cls.__module__.split(".")
        fixed = [p if p.isidentifier() else "_" + re.sub(r"\W", "_", p) for p in parts]
        if fixed != parts:
            cls.__module__ = ".".join(fixed)
