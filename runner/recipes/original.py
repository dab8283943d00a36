"""The baseline: the model as published, fp32 (or the dtype the manifest states)."""

from __future__ import annotations

from runner.recipes.base import Built, Recipe, RecipeContext, save_torch

DTYPES = {"float32": "float32", "float16": "float16", "bfloat16": "bfloat16"}


class Original(Recipe):
    method = "original"

    def build(self, ctx: RecipeContext) -> Built:
        import torch

        dtype = getattr(torch, DTYPES[getattr(ctx.params, "dtype", "float32")])
        return save_torch(ctx.base_model(None if dtype == torch.float32 else dtype), ctx)


class Distilled(Original):
    """The student named in params, evaluated like an original (the harness loads it)."""

    method = "distilled"
