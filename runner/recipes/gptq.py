"""GPTQ through GPTQModel (the maintained successor of the archived AutoGPTQ). CUDA only."""

from __future__ import annotations

from typing import Any

from runner.backends import TorchBackend
from runner.errors import Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext, tensor_stats


def calibration_texts(ctx: RecipeContext, count: int) -> list[str]:
    """Decoded token ids of the first evaluation samples: GPTQModel calibrates on text."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(ctx.task.folder, trust_remote_code=False)
    texts = [
        str(tokenizer.decode(s.inputs["input_ids"][0], skip_special_tokens=True))
        for s in ctx.samples[:count]
        if "input_ids" in s.inputs
    ]
    if not texts:
        raise Unsupported(f"`{ctx.task.name}` has no text inputs to calibrate on")
    return texts


def quantize_with_gptqmodel(ctx: RecipeContext, quant_method: str, extra: dict[str, Any]) -> Built:
    try:
        from gptqmodel import GPTQModel, QuantizeConfig
    except ImportError:
        raise Unsupported("gptqmodel is not installed on this runner") from None
    config = QuantizeConfig(
        bits=ctx.params.bits, group_size=ctx.params.group_size, quant_method=quant_method, **extra
    )
    model = GPTQModel.load(str(ctx.task.folder), config, trust_remote_code=False)
    model.quantize(calibration_texts(ctx, getattr(ctx.params, "calibration_samples", 128)))
    model.save(str(ctx.artifact_dir))
    loaded = GPTQModel.load(str(ctx.artifact_dir), device="cuda", trust_remote_code=False)
    module = getattr(loaded, "model", loaded)
    params, nonzero, bits = tensor_stats(module)
    return Built(
        TorchBackend(module, "cuda"),
        ctx.artifact_dir,
        f"{quant_method} packed",
        bits,
        params,
        nonzero,
    )


class Gptq(Recipe):
    method = "gptq"
    needs_cuda = True
    toolchain = "gpu"

    def build(self, ctx: RecipeContext) -> Built:
        self.check_device(ctx)
        return quantize_with_gptqmodel(ctx, "gptq", {})
