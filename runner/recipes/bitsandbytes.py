"""bitsandbytes LLM.int8() and 4-bit (NF4/FP4) through transformers. CUDA only."""

from __future__ import annotations

from typing import Any

from runner.errors import Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext, save_torch


def load_quantized(ctx: RecipeContext, config: Any) -> Built:
    import transformers

    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise Unsupported("bitsandbytes is not installed on this runner") from None
    cls = getattr(
        transformers,
        ctx.task.auto_class_for(transformers.AutoConfig.from_pretrained(ctx.task.folder)),
    )
    model = cls.from_pretrained(
        ctx.task.folder,
        quantization_config=config,
        device_map="cuda",
        use_safetensors=True,
        trust_remote_code=False,
    ).eval()
    return save_torch(model, ctx, "safetensors (bitsandbytes)")


class BnbInt8(Recipe):
    method = "bnb-int8"
    needs_cuda = True
    toolchain = "gpu"

    def build(self, ctx: RecipeContext) -> Built:
        from transformers import BitsAndBytesConfig

        self.check_device(ctx)
        return load_quantized(
            ctx, BitsAndBytesConfig(load_in_8bit=True, llm_int8_threshold=ctx.params.threshold)
        )


class Bnb4Bit(Recipe):
    method = "bnb-4bit"
    needs_cuda = True
    toolchain = "gpu"

    def build(self, ctx: RecipeContext) -> Built:
        import torch
        from transformers import BitsAndBytesConfig

        self.check_device(ctx)
        return load_quantized(
            ctx,
            BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type=ctx.params.quant_type,
                bnb_4bit_use_double_quant=ctx.params.double_quant,
                bnb_4bit_compute_dtype=getattr(torch, ctx.params.compute_dtype),
            ),
        )
