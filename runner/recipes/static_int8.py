"""ONNX Runtime static quantization: int8 weights and activations, calibrated on eval rows."""

from __future__ import annotations

from runner.recipes.base import Built, RecipeContext
from runner.recipes.onnx_export import (
    Exported,
    built,
    calibration_reader,
    preprocessed,
    require_quantized,
)


class StaticInt8(Exported):
    method = "static-int8"

    def build(self, ctx: RecipeContext) -> Built:
        from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

        _, ready = preprocessed(ctx, None)
        target = ctx.artifact_dir / "model.qdq.onnx"
        fmt = QuantFormat.QDQ if ctx.params.quant_format == "qdq" else QuantFormat.QOperator
        quantize_static(
            str(ready),
            str(target),
            calibration_reader(ctx.samples, ctx.params.calibration_samples),
            quant_format=fmt,
            per_channel=ctx.params.per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        require_quantized(target, "static-int8")
        return built(ctx, target, "onnx (int8 weights and activations)")
