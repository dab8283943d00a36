"""OpenVINO through optimum-intel: the model exported to OpenVINO IR by `OVModelFor*`, in
the `openvino` toolchain (optimum-intel pins transformers < 5.6, so not in core).

optimum-intel names the IR's inputs after the model's own (no positional mix-up of
`token_type_ids`), keeps a decoder's cache as OpenVINO state, and runs generate() for
causal LMs, Whisper and seq2seq models, as a team's `OVModelFor*` notebook does.
`precision`: fp32 (the CPU plugin told f32, not its bf16 default), fp16 (weights
compressed to fp16, `half()`), int8 or int4 (NNCF data-free weight compression,
`OVWeightQuantizationConfig`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, ClassVar

from runner.backends import TorchBackend
from runner.errors import RunnerError, Unsupported
from runner.recipes.base import Built, Recipe, RecipeContext

# the task adapter's transformers Auto class -> optimum-intel's class for it
OV_CLASSES = {
    "AutoModelForSequenceClassification": "OVModelForSequenceClassification",
    "AutoModelForTokenClassification": "OVModelForTokenClassification",
    "AutoModelForImageClassification": "OVModelForImageClassification",
    "AutoModelForCausalLM": "OVModelForCausalLM",
    "AutoModelForSpeechSeq2Seq": "OVModelForSpeechSeq2Seq",
    "AutoModelForCTC": "OVModelForCTC",
    "AutoModelForSeq2SeqLM": "OVModelForSeq2SeqLM",
}
WEIGHT_BITS = {"fp32": 32, "fp16": 16, "int8": 8, "int4": 4}


class OpenVinoBackend(TorchBackend):
    """An `OVModelFor*`: called, and generating, as the transformers model it stands for
    (torch tensors in, torch outputs back), so forward() and generate() are TorchBackend's."""

    def __init__(self, model: Any) -> None:
        import torch

        self.torch = torch
        self.model = model
        self.device = "cpu"
        self.dtype = torch.float32  # inputs stay f32: the IR converts what it needs itself


def ir_stats(folder: Path) -> tuple[int, int, float]:
    """(weights, nonzero weights, nonzero x bits) over every IR in the artifact: its weight
    constants (float, or int8/int4 after weight compression; not shapes and indices)."""
    import numpy as np
    import openvino as ov

    core = ov.Core()
    params = nonzero = 0
    bits = 0.0
    for xml in sorted(folder.glob("*.xml")):
        model = core.read_model(str(xml))
        for op in model.get_ordered_ops():
            if op.get_type_name() != "Constant":
                continue
            kind = op.get_element_type()
            if not (kind.is_real() or kind.get_type_name() in ("u8", "i8", "u4", "i4")):
                continue
            data = op.get_data()
            size = int(np.prod(list(op.get_output_shape(0)), dtype=np.int64))
            if kind.bitwidth == 4:  # two values a byte: count the nibbles, not the bytes
                packed = np.asarray(data, dtype=np.uint8).reshape(-1)
                data = np.stack([packed & 15, packed >> 4], axis=1).reshape(-1)[:size]
            count = int(np.count_nonzero(data))
            params += size
            nonzero += count
            bits += count * kind.bitwidth
    return params, nonzero, bits


class OpenVino(Recipe):
    method = "openvino"
    toolchain: ClassVar[str] = "openvino"

    def preflight(self, ctx: RecipeContext) -> None:
        super().preflight(ctx)
        missing = [m for m in ("openvino", "optimum.intel") if not _importable(m)]
        if missing:
            raise Unsupported(
                f"`openvino` runs in the `openvino` toolchain (optimum-intel, OpenVINO, NNCF); "
                f"this environment lacks {', '.join(missing)} (mcv toolchains build openvino)"
            )

    def build(self, ctx: RecipeContext) -> Built:
        import transformers

        self.preflight(ctx)
        intel = importlib.import_module("optimum.intel")  # the toolchain's; no stubs in core
        config = transformers.AutoConfig.from_pretrained(ctx.task.folder, trust_remote_code=False)
        ctx.task.config = ctx.task.config or config
        auto = ctx.task.auto_class_for(config)
        cls = getattr(intel, OV_CLASSES.get(auto, ""), None)
        if cls is None:
            raise Unsupported(f"optimum-intel has no OpenVINO class for {auto} models")
        precision = ctx.params.precision
        options: dict[str, Any] = {"load_in_8bit": False}  # fp32 stays fp32 at any size
        if precision in ("int8", "int4"):
            options = {
                "quantization_config": intel.OVWeightQuantizationConfig(bits=WEIGHT_BITS[precision])
            }
        hints = {"INFERENCE_NUM_THREADS": str(ctx.threads)}
        if precision == "fp32":  # on a bf16-capable CPU the plugin's default is bf16
            hints["INFERENCE_PRECISION_HINT"] = "f32"
        try:
            model = cls.from_pretrained(
                ctx.task.folder,
                export=True,
                compile=False,
                device="CPU",
                ov_config=hints,
                trust_remote_code=False,
                **options,
            )
            if precision == "fp16":
                model.half()
            model.save_pretrained(ctx.artifact_dir)
            model.compile()
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
            text = str(exc).strip().splitlines()
            raise RunnerError(
                f"optimum-intel could not export this {type(config).__name__} to OpenVINO: "
                f"{type(exc).__name__}: {(text[0] if text else '')[:300]}"
            ) from None
        params, nonzero, bits = ir_stats(ctx.artifact_dir)
        return Built(
            OpenVinoBackend(model),
            ctx.artifact_dir,
            f"openvino IR ({precision}, optimum-intel {cls.__name__})",
            bits,
            params,
            nonzero,
        )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False
