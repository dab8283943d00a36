"""Optimum's ONNX path: its exporter, ORTModelFor* sessions, ORTOptimizer and ORTQuantizer.

Runs in the `optimum` toolchain (runner/toolchains/optimum.txt: transformers 4.57,
optimum-onnx, onnxruntime). Optimum exports a task's whole model, as many graphs as it
needs (an encoder-decoder's encoder, decoder and decoder-with-past), names every graph
input, and its ORTModelFor* classes feed them by name and run `generate()`; so the
`onnx`, `onnx-int8` and `static-int8` recipes build through it wherever its exporter
knows the model type, and fall back to the hand-written torch.onnx export
(runner/recipes/onnx_export.py) only for a single-forward model it does not know.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import shutil
import warnings
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from runner.backends import OrtBackend, TorchBackend
from runner.errors import RunnerError, Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext

# The task's transformers Auto class -> Optimum's export task. ORTModelFor<X> is the
# Auto class's name with `ORT` for `Auto`.
EXPORT_TASKS = {
    "AutoModelForSequenceClassification": "text-classification",
    "AutoModelForTokenClassification": "token-classification",
    "AutoModelForImageClassification": "image-classification",
    "AutoModelForCausalLM": "text-generation",
    "AutoModelForCTC": "automatic-speech-recognition",
    "AutoModelForSpeechSeq2Seq": "automatic-speech-recognition",
    "AutoModelForSeq2SeqLM": "text2text-generation",
}
GRAPH_LEVELS = {0: "ORT_DISABLE_ALL", 1: "ORT_ENABLE_BASIC", 2: "ORT_ENABLE_EXTENDED"}
TOOLCHAIN_HINT = "build it with `mcv toolchains build optimum`"


def optimum_installed() -> bool:
    return importlib.util.find_spec("optimum") is not None and bool(
        importlib.util.find_spec("optimum.onnxruntime")
    )


def model_config(ctx: RecipeContext) -> Any:
    if ctx.task.config is None:
        from transformers import AutoConfig

        ctx.task.config = AutoConfig.from_pretrained(ctx.task.folder, trust_remote_code=False)
    return ctx.task.config


def auto_class(ctx: RecipeContext) -> str:
    return ctx.task.auto_class_for(model_config(ctx))


def covered(ctx: RecipeContext) -> bool:
    """Whether Optimum's ONNX exporter knows this model type for this task."""
    import optimum.exporters.onnx.model_configs  # noqa: F401 - registers what it looks up
    from optimum.exporters.tasks import TasksManager

    task = EXPORT_TASKS.get(auto_class(ctx))
    if task is None:
        return False
    try:
        tasks = TasksManager.get_supported_tasks_for_model_type(
            model_config(ctx).model_type, exporter="onnx", library_name="transformers"
        )
    except KeyError:
        return False
    return task in tasks


def ort_class(ctx: RecipeContext) -> Any:
    import optimum.onnxruntime as ort

    return getattr(ort, auto_class(ctx).replace("Auto", "ORT", 1))


def onnx_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.onnx"))


def session_options(ctx: RecipeContext, level: int | None) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = ctx.threads
    options.inter_op_num_threads = 1
    if level is not None:
        options.graph_optimization_level = getattr(
            onnxruntime.GraphOptimizationLevel, GRAPH_LEVELS.get(level, "ORT_ENABLE_ALL")
        )
    return options


def provider(ctx: RecipeContext) -> str:
    if ctx.device != "cuda":
        return "CPUExecutionProvider"
    import onnxruntime

    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        raise Unsupported("onnxruntime has no CUDA provider here (install onnxruntime-gpu)")
    return "CUDAExecutionProvider"


def export(ctx: RecipeContext, folder: Path, opset: int | None) -> Path:
    """Optimum's export of the task's model from its folder into `folder`: the graphs,
    config.json and generation_config.json, as ORTModelFor*.from_pretrained reads them."""
    ctx.original = None  # the exporter loads its own copy; do not hold two
    kwargs: dict[str, Any] = {"export": True, "provider": "CPUExecutionProvider"}
    if auto_class(ctx) == "AutoModelForCausalLM":
        kwargs["use_cache"] = False  # perplexity is one forward over the text
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if opset is not None:
                # ORTModel's export=True takes no opset; the exporter itself does
                from optimum.exporters.onnx import main_export

                main_export(
                    str(ctx.task.folder),
                    output=folder,
                    task=EXPORT_TASKS[auto_class(ctx)]
                    + ("-with-past" if ctx.task.generates else ""),
                    opset=opset,
                    device="cpu",
                    do_validation=False,
                    no_post_process=True,
                    trust_remote_code=False,
                )
            else:
                model = ort_class(ctx).from_pretrained(ctx.task.folder, **kwargs)
                model.save_pretrained(folder)
                del model
    except (Unsupported, RunnerError):
        raise
    except Exception as exc:  # the exporter raises many kinds; all mean "cannot export"
        raise RunnerError(
            f"Optimum's ONNX export failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        ) from None
    if not onnx_files(folder):
        raise RunnerError(f"Optimum's ONNX export wrote no graph into {folder}")
    original = ctx.task.folder / "generation_config.json"
    if original.is_file():  # the exporter may move config.json's generation keys into its
        # own (a forced EOS): generate() fills unset values from it, so keep the model's
        shutil.copy2(original, folder / "generation_config.json")
    return folder


def file_names(folder: Path, suffix: str = "") -> dict[str, str]:
    """ORTModelFor*.from_pretrained's file-name arguments for the graphs in `folder`."""
    names = {p.stem.removesuffix(suffix): p.name for p in onnx_files(folder)}
    if "encoder_model" in names:
        out = {"encoder_file_name": names["encoder_model"]}
        if "decoder_model" in names:
            out["decoder_file_name"] = names["decoder_model"]
        if "decoder_with_past_model" in names:
            out["decoder_with_past_file_name"] = names["decoder_with_past_model"]
        if "decoder_model_merged" in names:
            out["decoder_file_name"] = names["decoder_model_merged"]
        return out
    if len(names) != 1:
        raise RunnerError(f"unexpected ONNX graphs in {folder}: {', '.join(sorted(names))}")
    return {"file_name": next(iter(names.values()))}


class OptimumBackend(TorchBackend):
    """An ORTModelFor* model: it takes and returns torch tensors, feeds its graphs by name,
    and generates with transformers' GenerationMixin over its sessions."""

    def __init__(self, model: Any, device: str = "cpu") -> None:
        import torch

        self.torch = torch
        self.model = model
        self.device = device
        self.dtype = torch.float32


def load(ctx: RecipeContext, folder: Path, level: int | None, suffix: str = "") -> Any:
    """The ORTModelFor* over the graphs in `folder`, with the run's session options."""
    kwargs: dict[str, Any] = {"use_cache": True} if ctx.task.generates else {}
    if auto_class(ctx) == "AutoModelForCausalLM":
        kwargs["use_cache"] = False
    try:
        return ort_class(ctx).from_pretrained(
            folder,
            provider=provider(ctx),
            session_options=session_options(ctx, level),
            **file_names(folder, suffix),
            **kwargs,
        )
    except (Unsupported, RunnerError):
        raise
    except Exception as exc:
        raise RunnerError(
            f"ONNX Runtime cannot load the exported model: {type(exc).__name__}: "
            f"{str(exc).splitlines()[0][:300]}"
        ) from None


def built(
    ctx: RecipeContext, folder: Path, scheme: str, level: int | None, suffix: str = ""
) -> Built:
    """The artifact (the graphs and the configs that load them) and its backend."""
    from runner.recipes.onnx_export import onnx_stats

    params = nonzero = 0
    bits = 0.0
    for path in onnx_files(folder):
        p, n, b = onnx_stats(path)
        params, nonzero, bits = params + p, nonzero + n, bits + b
    backend = OptimumBackend(load(ctx, folder, level, suffix), ctx.device)
    return Built(backend, folder, scheme, bits, params, nonzero)


class OptimumRecipe(Recipe):
    """A recipe built through Optimum, in the `optimum` toolchain."""

    toolchain: ClassVar[str] = "optimum"

    def preflight(self, ctx: RecipeContext) -> None:
        super().preflight(ctx)
        if not optimum_installed():
            raise Unsupported(
                f"`{self.method}` builds through Optimum (optimum-onnx), which is not installed "
                f"in this environment; it runs in the `optimum` toolchain ({TOOLCHAIN_HINT})"
            )

    def fallback(self, ctx: RecipeContext) -> None:
        """Before the torch.onnx path: refuse what only Optimum could build."""
        if ctx.task.generates:
            raise Unsupported(
                f"Optimum's ONNX exporter does not support `{model_config(ctx).model_type}` for "
                f"{EXPORT_TASKS.get(auto_class(ctx), ctx.task.name)}, and a generating model "
                "is exported only through it; measure it with a torch recipe (fp16, "
                "dynamic-int8)"
            )


class QuantizedRecipe(OptimumRecipe):
    """onnx-int8 and static-int8: ORTQuantizer over Optimum's export where it knows the
    model, else the subclass's own onnxruntime.quantization path over the torch.onnx one."""

    static: ClassVar[bool]
    scheme: ClassVar[str]

    def build(self, ctx: RecipeContext) -> Built:
        params = ctx.params
        if covered(ctx):
            source = export(ctx, scratch(ctx, "optimum-export"), params.opset)
            folder = quantize(ctx, source, scratch(ctx, "artifact"), static=self.static)
            return built(ctx, folder, self.scheme, params.graph_optimization_level, "_quantized")
        self.fallback(ctx)
        if params.layers or params.exclude or params.operators:
            raise Unsupported(
                "params.layers, exclude and operators select nodes of Optimum's export, which "
                f"does not know `{model_config(ctx).model_type}`; drop them"
            )
        return self.build_without_optimum(ctx)

    @abstractmethod
    def build_without_optimum(self, ctx: RecipeContext) -> Built: ...


class LevelledOrtBackend(OrtBackend):
    """The torch.onnx path's session, at the run's graph optimization level."""

    def __init__(self, ctx: RecipeContext, model_path: Path, level: int | None) -> None:
        import onnxruntime

        self.session = onnxruntime.InferenceSession(
            str(model_path), session_options(ctx, level), providers=[provider(ctx)]
        )
        self.input_names = [i.name for i in self.session.get_inputs()]
        self.device = ctx.device


def optimized(ctx: RecipeContext, source: Path, target: Path, level: str) -> Path:
    """ORTOptimizer at O1-O4 over every graph in `source`, written to `target`."""
    from optimum.onnxruntime import AutoOptimizationConfig, ORTOptimizer

    if level == "O4" and ctx.device != "cuda":
        raise Unsupported(
            "optimization O4 is O3 with fp16 for the GPU (Optimum optimizes it for CUDA only); "
            "this runner measures on the CPU: use O3, or `fp16`"
        )
    names = [p.name for p in onnx_files(source)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            optimizer = ORTOptimizer.from_pretrained(source, file_names=names)
            config = AutoOptimizationConfig.with_optimization_level(
                level, for_gpu=ctx.device == "cuda"
            )
            optimizer.optimize(config, target, file_suffix="optimized")
    except NotImplementedError as exc:
        raise Unsupported(
            f"Optimum's ORTOptimizer has no {level} for `{model_config(ctx).model_type}` "
            f"({str(exc).splitlines()[0][:200]}); drop params.optimization, or set "
            "params.graph_optimization_level for ONNX Runtime's own graph optimizations"
        ) from None
    except Exception as exc:
        raise RunnerError(
            f"ORTOptimizer {level} failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        ) from None
    copy_configs(source, target)
    return target


def copy_configs(source: Path, target: Path) -> None:
    for name in ("config.json", "generation_config.json"):
        if (source / name).is_file() and not (target / name).is_file():
            shutil.copy2(source / name, target / name)


def select_nodes(path: Path, patterns: list[str] | None) -> list[str]:
    """The graph's node names matching the globs (none given: empty, meaning all)."""
    if not patterns:
        return []
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [n.name for n in graph.node if any(fnmatch.fnmatchcase(n.name, p) for p in patterns)]


def graph_inputs(path: Path) -> list[str]:
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    initializers = {i.name for i in graph.initializer}
    return [i.name for i in graph.input if i.name not in initializers]


def calibration_rows(ctx: RecipeContext, path: Path, count: int) -> list[dict[str, np.ndarray]]:
    """The graph's inputs for each calibration sample, batch axis dropped (Optimum's
    reader adds it back). position_ids, which a causal LM's graph takes and the tokenizer
    does not give, are derived as ORTModelForCausalLM derives them."""
    names = graph_inputs(path)
    rows = []
    for sample in ctx.samples[:count]:
        feed = dict(sample.inputs)
        if "position_ids" in names and "position_ids" not in feed and "attention_mask" in feed:
            mask = np.asarray(feed["attention_mask"], dtype=np.int64)
            feed["position_ids"] = np.where(mask == 0, 1, mask.cumsum(-1) - 1)
        missing = [n for n in names if n not in feed]
        if missing:
            raise Unsupported(
                f"static-int8: the graph {path.name} takes {', '.join(missing)}, which the "
                "evaluation samples do not give; calibrate it elsewhere, or use onnx-int8"
            )
        rows.append({n: np.asarray(feed[n])[0] for n in names})
    return rows


def quantize(
    ctx: RecipeContext,
    source: Path,
    target: Path,
    static: bool,
) -> Path:
    """ORTQuantizer over every graph in `source` (one quantizer a graph), into `target`."""
    from onnxruntime.quantization import QuantFormat, QuantizationMode, QuantType
    from optimum.onnxruntime import ORTQuantizer
    from optimum.onnxruntime.configuration import (
        QuantizationConfig,
        default_quantization_parameters,
    )

    params = ctx.params
    method = "static-int8" if static else "onnx-int8"
    fmt = QuantFormat.QDQ if static and params.quant_format == "qdq" else QuantFormat.QOperator
    mode = QuantizationMode.QLinearOps if static else QuantizationMode.IntegerOps
    _, _, default_ops = default_quantization_parameters(static, fmt, mode)
    matched = 0
    for path in onnx_files(source):
        include = select_nodes(path, params.layers)
        exclude = select_nodes(path, params.exclude)
        matched += len(include) if params.layers else 0
        if params.layers and not include:
            continue  # no chosen node in this graph: it stays in float
        config = QuantizationConfig(
            is_static=static,
            format=fmt,
            mode=mode,
            activations_dtype=QuantType.QUInt8,
            weights_dtype=QuantType.QInt8,
            per_channel=params.per_channel,
            operators_to_quantize=list(params.operators or default_ops),
            nodes_to_quantize=include,
            nodes_to_exclude=exclude,
        )
        quantizer = ORTQuantizer.from_pretrained(source, file_name=path.name)
        ranges = None
        try:
            ranges = calibrated(ctx, quantizer, path, config) if static else None
            quantizer.quantize(
                config, target, file_suffix="quantized", calibration_tensors_range=ranges
            )
        except (Unsupported, RunnerError):
            raise
        except Exception as exc:  # ONNX Runtime's quantizer refuses a node it cannot take
            raise Unsupported(
                f"{method}: ORTQuantizer cannot quantize {path.name}: {type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]}; leave that kind of node in float with "
                "params.operators (e.g. [MatMul, Gather]) or params.exclude"
            ) from None
    if params.layers and not matched:
        raise Unsupported(
            f"{method}: no ONNX node matches params.layers {params.layers}; node names look "
            "like `/bert/encoder/layer.0/attention/self/query/MatMul`"
        )
    for path in onnx_files(source):  # graphs left in float keep their own name
        if not (target / f"{path.stem}_quantized.onnx").is_file():
            shutil.copy2(path, target / f"{path.stem}_quantized.onnx")
    copy_configs(source, target)
    require_int8(target, method)
    return target


def calibrated(ctx: RecipeContext, quantizer: Any, path: Path, config: Any) -> Any:
    """Static quantization's ranges: ORTQuantizer.fit over the evaluation samples."""
    from optimum.onnxruntime.configuration import CalibrationConfig

    params = ctx.params
    rows = calibration_rows(ctx, path, params.calibration_samples)
    calibration = CalibrationConfig(
        dataset_name="evaluation samples",
        dataset_config_name="",
        dataset_split="evaluation",
        dataset_num_samples=len(rows),
        **calibration_method(params.calibration_method),
    )
    return quantizer.fit(
        rows,
        calibration,
        onnx_augmented_model_name=str(ctx.work_dir / f"augmented-{path.name}"),
        operators_to_quantize=config.operators_to_quantize,
    )


def calibration_method(name: str) -> dict[str, Any]:
    from onnxruntime.quantization import CalibrationMethod

    if name == "entropy":
        return {"method": CalibrationMethod.Entropy, "num_bins": 128, "num_quantized_bins": 128}
    if name == "percentile":
        return {"method": CalibrationMethod.Percentile, "num_bins": 2048, "percentile": 99.999}
    return {"method": CalibrationMethod.MinMax, "moving_average": False}


def require_int8(folder: Path, method: str) -> None:
    """A quantizer that quantized no node leaves fp32 graphs: a finding, not int8."""
    import onnx

    int8 = (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
    for path in onnx_files(folder):
        graph = onnx.load(str(path), load_external_data=False).graph
        if any(i.data_type in int8 for i in graph.initializer):
            return
    raise RunnerError(
        f"{method}: ONNX Runtime quantized no node of this model (no int8 weight in the "
        "result): the model is unchanged"
    )


def scratch(ctx: RecipeContext, name: str) -> Path:
    """An empty folder under the run's scratch (the artifact's: `artifact`)."""
    path = ctx.work_dir / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
