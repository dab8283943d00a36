"""ONNX Runtime dynamic quantization: int8 weights, by Optimum's ORTQuantizer over Optimum's
export (every graph of an encoder-decoder); ONNX Runtime's quantize_dynamic over the
torch.onnx export where Optimum does not know the model."""

from __future__ import annotations

from runner.errors import Unsupported
from runner.recipes import optimum_ort
from runner.recipes.base import Built, RecipeContext
from runner.recipes.onnx_export import built, preprocessed, require_quantized
from runner.recipes.optimum_ort import OptimumRecipe


class OnnxInt8(OptimumRecipe):
    method = "onnx-int8"

    def build(self, ctx: RecipeContext) -> Built:
        params = ctx.params
        if optimum_ort.covered(ctx):
            source = optimum_ort.export(
                ctx, optimum_ort.scratch(ctx, "optimum-export"), params.opset
            )
            folder = optimum_ort.quantize(
                ctx, source, optimum_ort.scratch(ctx, "artifact"), static=False
            )
            return optimum_ort.built(
                ctx, folder, "onnx (int8 weights)", params.graph_optimization_level, "_quantized"
            )
        self.fallback(ctx)
        if params.layers or params.exclude or params.operators:
            raise Unsupported(
                "params.layers, exclude and operators select nodes of Optimum's export, which "
                f"does not know `{optimum_ort.model_config(ctx).model_type}`; drop them"
            )
        from onnxruntime.quantization import QuantType, quantize_dynamic

        _, ready = preprocessed(ctx, params.opset)
        target = ctx.artifact_dir / "model.int8.onnx"
        quantize_dynamic(
            str(ready), str(target), weight_type=QuantType.QInt8, per_channel=params.per_channel
        )
        require_quantized(target, "onnx-int8")
        return built(ctx, target, "onnx (int8 weights)", params.graph_optimization_level)
