"""TorchScript: the model traced on the first sample, saved, and loaded back to run."""

from __future__ import annotations

import warnings

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
        sample = {
            k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in ctx.samples[0].inputs.items()
        }
        path = ctx.artifact_dir / "model.torchscript.pt"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if ctx.params.mode == "script":
                    module = torch.jit.script(model)
                else:
                    module = torch.jit.trace(model, example_kwarg_inputs=sample, strict=False)
                torch.jit.save(module, str(path))
                loaded = torch.jit.load(str(path), map_location=ctx.device)
        except Exception as exc:  # tracing fails in many ways; each is this run's failure
            raise RunnerError(
                f"TorchScript {ctx.params.mode} failed: {str(exc).splitlines()[0][:300]}"
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
