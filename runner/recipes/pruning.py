"""Magnitude pruning with torch.nn.utils.prune, made permanent before saving.

Unstructured: L1, `amount` of each selected layer's weights set to zero. Structured: Ln
norm over `dim`, `amount` of the channels zeroed. Both keep the dense shape, so the file
is as large as the original; the record's theoretical size (nonzeros x bits) and gzip
size show what a sparse or compressed storage would give.
"""

from __future__ import annotations

from runner.recipes.base import Built, Recipe, RecipeContext, save_torch, selected


class PruneUnstructured(Recipe):
    method = "prune-unstructured"

    def build(self, ctx: RecipeContext) -> Built:
        import torch
        from torch.nn.utils import prune

        model = ctx.base_model()
        for _, module in selected(model, ctx.params.layers, (torch.nn.Linear, torch.nn.Conv2d)):
            prune.l1_unstructured(module, "weight", amount=ctx.params.amount)
            prune.remove(module, "weight")
        return save_torch(model, ctx, "safetensors (dense, pruned)")


class PruneStructured(Recipe):
    method = "prune-structured"

    def build(self, ctx: RecipeContext) -> Built:
        import torch
        from torch.nn.utils import prune

        model = ctx.base_model()
        for _, module in selected(model, ctx.params.layers, (torch.nn.Linear, torch.nn.Conv2d)):
            dim = min(ctx.params.dim, module.weight.dim() - 1)
            prune.ln_structured(
                module, "weight", amount=ctx.params.amount, n=ctx.params.norm, dim=dim
            )
            prune.remove(module, "weight")
        return save_torch(model, ctx, "safetensors (dense, channels zeroed)")
