"""Magnitude pruning with torch.nn.utils.prune, made permanent before saving.

Unstructured: L1, `amount` of each selected layer's weights set to zero. Structured: Ln
norm over `dim`, `amount` of the channels zeroed. Both keep the dense shape, so the file
is as large as the original; the record's theoretical size (nonzeros x bits) and gzip
size show what a sparse or compressed storage would give.
"""

from __future__ import annotations

from typing import Any

from runner.errors import RunnerError
from runner.recipes.base import Built, Recipe, RecipeContext, save_torch, selected


def zeros(layers: list[tuple[str, Any]]) -> int:
    return sum(int((module.weight == 0).sum()) for _, module in layers)


def require_zeroed(layers: list[tuple[str, Any]], before: int, amount: float) -> None:
    """Pruning that zeroed nothing (an amount that rounds to no weight, weights already
    zero) is a finding, not a compressed model."""
    if zeros(layers) <= before:
        raise RunnerError(
            f"pruning zeroed no weight in {len(layers)} layers (amount {amount}): "
            "the model is unchanged; raise `amount` or select larger layers"
        )


class PruneUnstructured(Recipe):
    method = "prune-unstructured"

    def build(self, ctx: RecipeContext) -> Built:
        import torch
        from torch.nn.utils import prune

        model = ctx.base_model()
        layers = selected(model, ctx.params.layers, (torch.nn.Linear, torch.nn.Conv2d))
        before = zeros(layers)
        for _, module in layers:
            prune.l1_unstructured(module, "weight", amount=ctx.params.amount)
            prune.remove(module, "weight")
        require_zeroed(layers, before, ctx.params.amount)
        return save_torch(model, ctx, "safetensors (dense, pruned)")


class PruneStructured(Recipe):
    method = "prune-structured"

    def build(self, ctx: RecipeContext) -> Built:
        import torch
        from torch.nn.utils import prune

        model = ctx.base_model()
        layers = selected(model, ctx.params.layers, (torch.nn.Linear, torch.nn.Conv2d))
        before = zeros(layers)
        for _, module in layers:
            dim = min(ctx.params.dim, module.weight.dim() - 1)
            prune.ln_structured(
                module, "weight", amount=ctx.params.amount, n=ctx.params.norm, dim=dim
            )
            prune.remove(module, "weight")
        require_zeroed(layers, before, ctx.params.amount)
        return save_torch(model, ctx, "safetensors (dense, channels zeroed)")
