"""ONNX Runtime static quantization: int8 weights and activations, calibrated on eval rows,
by Optimum's ORTQuantizer over Optimum's export (all nodes, or the subset params.layers
names); ONNX Runtime's quantize_static over the torch.onnx export where Optimum does not
know the model."""

from __future__ import annotations

from runner.errors import Unsupported
from runner.recipes.base import Built, RecipeContext
from runner.recipes.onnx_export import (
    built,
    calibration_reader,
    preprocessed,
    require_quantized,
)
from runner.recipes.optimum_ort import QuantizedRecipe


class StaticInt8(QuantizedRecipe):
    method = "static-int8"

    def preflight(self, ctx: RecipeContext) -> None:
        super().preflight(ctx)
        if ctx.task.generates:
            raise Unsupported(
                "static-int8 of a generating model (encoder-decoder, generate()) is not built: "
                "its decoder graphs are calibrated on decoder states the evaluation samples do "
                "not give; use onnx-int8 (dynamic int8 over every graph, through Optimum)"
            )

    static = True
    scheme = "onnx (int8 weights and activations)"

    def build_without_optimum(self, ctx: RecipeContext) -> Built:
        params = ctx.params
        from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

        _, ready = preprocessed(ctx, params.opset)
        target = ctx.artifact_dir / "model.qdq.onnx"
        fmt = QuantFormat.QDQ if params.quant_format == "qdq" else QuantFormat.QOperator
        quantize_static(
            str(ready),
            str(target),
            calibration_reader(ctx.samples, params.calibration_samples),
            quant_format=fmt,
            per_channel=params.per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        require_quantized(target, "static-int8")
        return built(ctx, target, self.scheme, params.graph_optimization_level)
