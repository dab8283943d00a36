"""torch.ao dynamic quantization: int8 weights, activations quantized on the fly."""

from __future__ import annotations

import warnings
from typing import Any

from runner.backends import TorchBackend
from runner.recipes.base import Built, Recipe, RecipeContext, tensor_stats


def save_quantized(model: Any, path: Any) -> None:
    """Packed int8 weights have no safetensors form; store int8 values, scales and zero points."""
    import torch
    from safetensors.torch import save_file

    tensors: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for name, value in model.state_dict().items():
        if isinstance(value, tuple):  # packed params: (weight, bias)
            weight, bias = value[0], value[1]
            tensors[f"{name}.int8"] = weight.int_repr().contiguous()
            scales = (
                weight.q_per_channel_scales()
                if weight.qscheme() in (torch.per_channel_affine, torch.per_channel_symmetric)
                else torch.tensor([weight.q_scale()])
            )
            tensors[f"{name}.scale"] = scales.float().contiguous()
            if bias is not None:
                tensors[f"{name}.bias"] = bias.contiguous()
        elif isinstance(value, torch.Tensor) and value.data_ptr() not in seen:
            seen.add(value.data_ptr())
            tensors[name] = (value.int_repr() if value.is_quantized else value).contiguous()
    save_file(tensors, str(path))


class DynamicInt8(Recipe):
    method = "dynamic-int8"

    def build(self, ctx: RecipeContext) -> Built:
        import torch

        kinds = {getattr(torch.nn, name) for name in ctx.params.layers}
        model = ctx.base_model()
        with warnings.catch_warnings():  # torch.ao.quantization is deprecated, still the reference
            warnings.simplefilter("ignore")
            quantized = torch.ao.quantization.quantize_dynamic(model, kinds, dtype=torch.qint8)
        save_quantized(quantized, ctx.artifact_dir / "model.int8.safetensors")
        params, nonzero, bits = tensor_stats(quantized)
        return Built(
            TorchBackend(quantized),
            ctx.artifact_dir,
            "safetensors (int8 + scales)",
            bits,
            params,
            nonzero,
        )
