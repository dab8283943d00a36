"""torch.ao dynamic quantization: int8 weights, activations quantized on the fly."""

from __future__ import annotations

import warnings
from typing import Any

from runner.backends import TorchBackend
from runner.errors import RunnerError, Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext, tensor_stats


def own_params(modules: list[Any]) -> int:
    return sum(p.numel() for m in modules for p in m.parameters(recurse=False))


def check_applies(model: Any, kinds: tuple[type, ...], names: str) -> None:
    """Dynamic quantization only replaces `kinds` (Linear, LSTM, ...): a model without them,
    or one whose weights are mostly convolutions (a CNN), is not what it is for."""
    import torch

    targets = [m for m in model.modules() if isinstance(m, kinds)]
    if not targets:
        raise Unsupported(f"no {names} layers to quantize dynamically; use static-int8")
    convolutions = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)
    conv = own_params([m for m in model.modules() if isinstance(m, convolutions)])
    covered = own_params(targets)
    if conv > covered:
        share = covered / max(1, sum(p.numel() for p in model.parameters()))
        raise Unsupported(
            f"dynamic int8 quantizes {names} layers only, which hold {share:.0%} of this "
            "model's weights; its convolutions hold more and are not quantized dynamically; "
            "use static-int8"
        )


def quantized_layers(model: Any) -> int:
    return sum(
        type(m).__module__.startswith("torch.ao.nn.quantized.dynamic") for m in model.modules()
    )


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
        check_applies(model, tuple(kinds), "/".join(ctx.params.layers))
        with warnings.catch_warnings():  # torch.ao.quantization is deprecated, still the reference
            warnings.simplefilter("ignore")
            quantized = torch.ao.quantization.quantize_dynamic(model, kinds, dtype=torch.qint8)
        if not quantized_layers(quantized):
            raise RunnerError("dynamic-int8 quantized no layer: the model is unchanged")
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
