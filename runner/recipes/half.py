"""Half precision: every floating weight cast to fp16 or bf16, run as such."""

from __future__ import annotations

from runner.recipes.base import Built, Recipe, RecipeContext, save_torch


class Fp16(Recipe):
    method = "fp16"
    dtype = "float16"

    def build(self, ctx: RecipeContext) -> Built:
        import torch

        return save_torch(ctx.base_model(dtype=getattr(torch, self.dtype)), ctx)


class Bf16(Fp16):
    method = "bf16"
    dtype = "bfloat16"
