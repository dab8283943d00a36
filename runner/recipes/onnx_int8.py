"""ONNX Runtime dynamic quantization: int8 weights, by Optimum's ORTQuantizer over Optimum's
export (every graph of an encoder-decoder); ONNX Runtime's quantize_dynamic over the
torch.onnx export where Optimum does not know the model."""

from __future__ import annotations

from runner.recipes.base import Built, RecipeContext
from runner.recipes.onnx_export import built, preprocessed, require_quantized
from runner.recipes.optimum_ort import QuantizedRecipe


class OnnxInt8(QuantizedRecipe):
    method = "onnx-int8"

    static = False
    scheme = "onnx (int8 weights)"

    def build_without_optimum(self, ctx: RecipeContext) -> Built:
        params = ctx.params
        from onnxruntime.quantization import QuantType, quantize_dynamic

        _, ready = preprocessed(ctx, params.opset)
        target = ctx.artifact_dir / "model.int8.onnx"
        quantize_dynamic(
            str(ready), str(target), weight_type=QuantType.QInt8, per_channel=params.per_channel
        )
        require_quantized(target, "onnx-int8")
        return built(ctx, target, self.scheme, params.graph_optimization_level)
