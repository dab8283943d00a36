"""ONNX export and an ONNX Runtime session: the `onnx` method, and the start of the others.

Optimum's exporter builds the `onnx`, `onnx-int8` and `static-int8` artifacts wherever it
knows the model (runner/recipes/optimum_ort.py); the torch.onnx export here is the path for
a single-forward model it does not know, and the start of the OpenVINO and TensorRT recipes.
"""

from __future__ import annotations

import inspect
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from runner.backends import OrtBackend
from runner.errors import RunnerError, Unsupported
from runner.recipes import optimum_ort
from runner.recipes.base import Built, RecipeContext
from runner.recipes.optimum_ort import OptimumRecipe

OPSET = 17


def forward_order(model: Any, names: list[str]) -> list[str]:
    """The sample's input names in the order `model.forward` takes them.

    The tracer flattens keyword inputs in the signature's order, and `input_names` names
    the graph's inputs by position: named in the tokenizer's order (`input_ids,
    token_type_ids, attention_mask` for BERT), `attention_mask` would feed the token-type
    embeddings. Inputs the signature does not name cannot be placed, so they are refused.
    """
    parameters = list(inspect.signature(model.forward).parameters)
    unknown = [name for name in names if name not in parameters]
    if unknown:
        raise RunnerError(
            f"ONNX export: {type(model).__name__}.forward() takes no {', '.join(unknown)}; "
            "cannot place those inputs in the graph"
        )
    return [name for name in parameters if name in names]


def check_graph_inputs(path: Path, names: list[str]) -> None:
    """The exported graph's inputs are the names we fed, in that order (a dropped unused
    input shifts nothing: names are checked, not positions)."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    inputs = [i.name for i in graph.input if i.name not in initializers]
    if [n for n in names if n in inputs] != inputs:
        raise RunnerError(
            f"ONNX export: the graph takes {', '.join(inputs)}; fed {', '.join(names)}"
        )


def refuse_generating(ctx: RecipeContext, what: str = "ONNX export") -> None:
    if ctx.task.generates:
        raise Unsupported(
            f"{what} of a generating model (encoder-decoder, generate()) is "
            "not built here; measure it with a torch recipe"
        )


def export(ctx: RecipeContext, path: Path, opset: int | None = None) -> Path:
    """Trace the fp32 model on the first sample; every input and output axis left dynamic.
    Inputs are named in forward()'s order, which is the traced graph's."""
    import torch

    refuse_generating(ctx)
    model = ctx.base_model()  # its ModelOutput is flattened: logits come first
    sample = ctx.samples[0].inputs
    names = forward_order(model, list(sample))
    tensors = {k: torch.from_numpy(np.ascontiguousarray(sample[k])) for k in names}
    axes = {k: {i: f"{k}_{i}" for i in range(v.ndim)} for k, v in tensors.items()}
    axes["logits"] = {0: "batch", 1: "dim_1"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (),
                str(path),
                kwargs=tensors,
                input_names=names,
                output_names=["logits"],
                dynamic_axes=axes,
                opset_version=opset or OPSET,
                dynamo=False,
            )
    except Exception as exc:  # the exporter raises many kinds; all mean "cannot export"
        raise RunnerError(f"ONNX export failed: {str(exc).splitlines()[0][:300]}") from None
    check_graph_inputs(path, names)
    return path


def onnx_stats(path: Path) -> tuple[int, int, float]:
    """(parameters, nonzeros, nonzeros x bits) over the graph's initializers."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path), load_external_data=True)
    params = nonzero = 0
    bits = 0.0
    for initializer in model.graph.initializer:
        array = numpy_helper.to_array(initializer)
        count = int(np.count_nonzero(array))
        params += array.size
        nonzero += count
        bits += count * array.dtype.itemsize * 8
    return params, nonzero, bits


def require_quantized(path: Path, method: str) -> None:
    """A quantizer that quantized no node leaves an fp32 graph: a finding, not int8."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    int8 = (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
    if not any(i.data_type in int8 for i in graph.initializer):
        raise RunnerError(
            f"{method}: ONNX Runtime quantized no node of this graph (no int8 weight in the "
            "result): the model is unchanged"
        )


def built(ctx: RecipeContext, path: Path, scheme: str, level: int | None = None) -> Built:
    params, nonzero, bits = onnx_stats(path)
    for stray in ctx.artifact_dir.iterdir():  # only the final model and its data stay
        if stray.name != path.name and not stray.name.startswith(path.name):
            stray.unlink()
    backend: OrtBackend = (
        OrtBackend(path, ctx.threads, ctx.device)
        if level is None
        else optimum_ort.LevelledOrtBackend(ctx, path, level)
    )
    return Built(backend, ctx.artifact_dir, scheme, bits, params, nonzero)


class OnnxExport(OptimumRecipe):
    """Optimum's export, run by its ORTModelFor* class; torch.onnx where Optimum's exporter
    does not know the model type (single-forward tasks only)."""

    method = "onnx"

    def build(self, ctx: RecipeContext) -> Built:
        params = ctx.params
        if optimum_ort.covered(ctx):
            folder = optimum_ort.export(
                ctx, optimum_ort.scratch(ctx, "optimum-export"), params.opset
            )
            if params.optimization is not None:
                folder = optimum_ort.optimized(
                    ctx, folder, optimum_ort.scratch(ctx, "artifact"), params.optimization
                )
                return optimum_ort.built(
                    ctx, folder, f"onnx (Optimum {params.optimization})",
                    params.graph_optimization_level, "_optimized",
                )  # fmt: skip
            artifact = optimum_ort.scratch(ctx, "artifact")
            for path in folder.iterdir():
                shutil.move(str(path), artifact / path.name)
            return optimum_ort.built(ctx, artifact, "onnx", params.graph_optimization_level)
        self.fallback(ctx)
        if params.optimization is not None:
            raise Unsupported(
                f"params.optimization runs Optimum's ORTOptimizer over Optimum's export, which "
                f"does not know `{optimum_ort.model_config(ctx).model_type}`; drop it (ONNX "
                "Runtime's own optimizations: params.graph_optimization_level)"
            )
        path = export(ctx, ctx.artifact_dir / "model.onnx", params.opset)
        return built(ctx, path, "onnx", params.graph_optimization_level)


def preprocessed(ctx: RecipeContext, opset: int | None) -> tuple[Path, Path]:
    """Export, then ONNX Runtime's pre-processing (shape inference, folding) for quantization."""
    from onnxruntime.quantization.shape_inference import quant_pre_process

    scratch = ctx.work_dir / "onnx-fp32"
    scratch.mkdir(parents=True, exist_ok=True)
    raw = export(ctx, scratch / "model.onnx", opset)
    ready = scratch / "model.pre.onnx"
    try:
        quant_pre_process(str(raw), str(ready), skip_symbolic_shape=True)
    except Exception:  # pre-processing is an optimisation; quantize the raw export instead
        ready = raw
    return raw, ready


def calibration_reader(samples: list[Any], count: int) -> Any:
    from onnxruntime.quantization import CalibrationDataReader

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.items = iter([s.inputs for s in samples[:count]])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    return Reader()
