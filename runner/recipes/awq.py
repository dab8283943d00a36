"""AWQ through GPTQModel (AutoAWQ is archived; GPTQModel carries AWQ on). CUDA only."""

from __future__ import annotations

from runner.recipes.base import Built, Recipe, RecipeContext
from runner.recipes.gptq import quantize_with_gptqmodel


class Awq(Recipe):
    method = "awq"
    needs_cuda = True
    toolchain = "gpu"

    def build(self, ctx: RecipeContext) -> Built:
        self.check_device(ctx)
        return quantize_with_gptqmodel(ctx, "awq", {"sym": not ctx.params.zero_point})
