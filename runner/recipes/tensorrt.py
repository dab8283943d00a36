"""TensorRT through ONNX Runtime's TensorRT execution provider. CUDA only.

The engine is built from the ONNX export and cached in the artifact folder; its files are
the deployable size. int8 needs a calibration table, which is not built here.
"""

from __future__ import annotations

import numpy as np

from runner.backends import Backend, Inputs
from runner.errors import Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext
from runner.recipes.onnx_export import export, onnx_stats


class TensorRtBackend(Backend):
    device = "cuda"

    def __init__(self, session: object) -> None:
        self.session = session
        self.input_names = [i.name for i in session.get_inputs()]  # type: ignore[attr-defined]

    def forward(self, inputs: Inputs) -> np.ndarray:
        feed = {name: inputs[name] for name in self.input_names}
        return np.asarray(self.session.run(None, feed)[0], dtype=np.float32)  # type: ignore[attr-defined]


class TensorRt(Recipe):
    method = "tensorrt"
    needs_cuda = True
    toolchain = "gpu"

    def build(self, ctx: RecipeContext) -> Built:
        import onnxruntime as ort

        self.check_device(ctx)
        if "TensorrtExecutionProvider" not in ort.get_available_providers():
            raise Unsupported(
                "onnxruntime has no TensorRT provider here (onnxruntime-gpu built with TensorRT)"
            )
        if ctx.params.precision == "int8":
            raise Unsupported("TensorRT int8 needs a calibration table, not built here")
        scratch = ctx.work_dir / "onnx-fp32"
        scratch.mkdir(parents=True, exist_ok=True)
        onnx_path = export(ctx, scratch / "model.onnx")
        params, nonzero, _ = onnx_stats(onnx_path)
        options = {
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": str(ctx.artifact_dir),
            "trt_fp16_enable": ctx.params.precision == "fp16",
        }
        session = ort.InferenceSession(
            str(onnx_path),
            providers=[("TensorrtExecutionProvider", options), "CUDAExecutionProvider"],
        )
        backend = TensorRtBackend(session)
        backend.forward(ctx.samples[0].inputs)  # builds and caches the engine
        bits = 16 if ctx.params.precision == "fp16" else 32
        return Built(
            backend,
            ctx.artifact_dir,
            f"tensorrt engine ({ctx.params.precision})",
            float(nonzero * bits),
            params,
            nonzero,
        )
