"""ONNX Runtime dynamic quantization: int8 weights after pre-processing."""

from __future__ import annotations

from runner.recipes.base import Built, RecipeContext
from runner.recipes.onnx_export import Exported, built, preprocessed, require_quantized


class OnnxInt8(Exported):
    method = "onnx-int8"

    def build(self, ctx: RecipeContext) -> Built:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        _, ready = preprocessed(ctx, ctx.params.opset)
        target = ctx.artifact_dir / "model.int8.onnx"
        quantize_dynamic(
            str(ready), str(target), weight_type=QuantType.QInt8, per_channel=ctx.params.per_channel
        )
        require_quantized(target, "onnx-int8")
        return built(ctx, target, "onnx (int8 weights)")
