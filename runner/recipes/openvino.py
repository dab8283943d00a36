"""OpenVINO: the ONNX export converted to OpenVINO IR (.xml + .bin), optional extra."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from runner.backends import Backend, Inputs
from runner.errors import Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext
from runner.recipes.onnx_export import export, onnx_stats, refuse_generating


class OpenVinoBackend(Backend):
    def __init__(self, compiled: Any) -> None:
        self.compiled = compiled

    def forward(self, inputs: Inputs) -> np.ndarray:
        return np.asarray(self.compiled(inputs)[0], dtype=np.float32)


class OpenVino(Recipe):
    method = "openvino"

    def preflight(self, ctx: RecipeContext) -> None:
        super().preflight(ctx)
        refuse_generating(ctx, "OpenVINO conversion")
        if importlib.util.find_spec("openvino") is None:
            raise Unsupported(
                "openvino is not installed on this runner "
                "(pip install 'model-compression-validator[openvino]')"
            )
        if ctx.params.precision in ("int8", "int4"):
            raise Unsupported(
                f"OpenVINO {ctx.params.precision} weight compression needs NNCF, "
                "which this runner does not have"
            )

    def build(self, ctx: RecipeContext) -> Built:
        import openvino as ov

        self.preflight(ctx)
        scratch = ctx.work_dir / "onnx-fp32"
        scratch.mkdir(parents=True, exist_ok=True)
        onnx_path = export(ctx, scratch / "model.onnx")
        params, nonzero, _ = onnx_stats(onnx_path)
        model = ov.convert_model(str(onnx_path))
        xml = ctx.artifact_dir / "model.xml"
        ov.save_model(model, str(xml), compress_to_fp16=ctx.params.precision == "fp16")
        core = ov.Core()
        core.set_property("CPU", {"INFERENCE_NUM_THREADS": ctx.threads})
        if ctx.params.precision == "fp32":  # on a bf16-capable CPU the plugin's default is bf16
            core.set_property("CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        compiled = core.compile_model(str(xml), "CPU")
        bits = 16 if ctx.params.precision == "fp16" else 32
        return Built(
            OpenVinoBackend(compiled),
            ctx.artifact_dir,
            f"openvino IR ({ctx.params.precision})",
            float(nonzero * bits),
            params,
            nonzero,
        )
