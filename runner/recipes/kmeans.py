"""k-means weight clustering: each selected layer's weights replaced by one of k centroids.

Centroids are fitted with scikit-learn's KMeans on a seeded sample of the layer's weights
(at most 100k values, so large layers stay fast) and every weight is assigned to its
nearest centroid. The artifact stores, per clustered layer, the codebook (k float32) and
the indices (uint8 for k <= 256, else uint16); other tensors stay fp32.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from runner.backends import TorchBackend
from runner.errors import RunnerError
from runner.recipes.base import Built, Recipe, RecipeContext, selected

FIT_SAMPLE = 100_000
SEED = 0


def cluster(weights: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted codebook, index of each weight's nearest centroid)."""
    from sklearn.cluster import KMeans

    flat = weights.reshape(-1).astype(np.float64)
    k = min(k, len(np.unique(flat)))
    rng = np.random.default_rng(SEED)
    fit = flat if flat.size <= FIT_SAMPLE else rng.choice(flat, FIT_SAMPLE, replace=False)
    model = KMeans(n_clusters=k, n_init=1, random_state=SEED).fit(fit.reshape(-1, 1))
    codebook = np.sort(model.cluster_centers_.reshape(-1))
    edges = (codebook[1:] + codebook[:-1]) / 2
    return codebook.astype(np.float32), np.searchsorted(edges, flat).reshape(weights.shape)


class KMeans(Recipe):
    method = "kmeans"

    def build(self, ctx: RecipeContext) -> Built:
        import torch
        from safetensors.torch import save_file

        model = ctx.base_model()
        k = ctx.params.clusters
        index_dtype = torch.uint8 if k <= 256 else torch.int16 if k <= 32768 else torch.int32
        stored: dict[str, Any] = {}
        clustered_bits = 0.0
        names = set()
        changed = False
        for name, module in selected(model, ctx.params.layers, (torch.nn.Linear, torch.nn.Conv2d)):
            weights = module.weight.detach().cpu().numpy()
            codebook, indices = cluster(weights, k)
            changed = changed or not np.array_equal(weights, codebook[indices])
            with torch.no_grad():
                module.weight.copy_(torch.from_numpy(codebook[indices]))
            stored[f"{name}.weight.codebook"] = torch.from_numpy(codebook)
            stored[f"{name}.weight.indices"] = torch.from_numpy(indices).to(index_dtype)
            clustered_bits += indices.size * math.log2(k) + codebook.size * 32
            names.add(f"{name}.weight")
        if not changed:
            raise RunnerError(
                f"k-means with k={k} left every weight as it was (no selected layer has more "
                f"than {k} distinct values): the model is unchanged; lower `clusters`"
            )
        params = nonzero = 0
        other_bits = 0.0
        seen: set[int] = set()
        for key, tensor in model.state_dict().items():
            params += tensor.numel()
            nonzero += int(tensor.count_nonzero())
            if key in names or tensor.data_ptr() in seen:
                continue
            seen.add(tensor.data_ptr())
            stored[key] = tensor.contiguous()
            other_bits += tensor.numel() * tensor.element_size() * 8
        save_file(
            {k2: v.contiguous() for k2, v in stored.items()},
            str(ctx.artifact_dir / "model.codebook.safetensors"),
        )
        return Built(
            TorchBackend(model.to(ctx.device), ctx.device),
            ctx.artifact_dir,
            f"codebook (k={k}) + indices",
            clustered_bits + other_bits,
            params,
            nonzero,
        )
