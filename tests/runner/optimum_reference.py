"""Run in the optimum toolchain: a recipe's outputs against Optimum's own ORTModel.

`python -m tests.runner.optimum_reference TASK MODEL SAMPLES.npz WORK` builds `onnx`,
`onnx-int8` and `static-int8` with our recipes and, independently, with Optimum as its
documentation does it (ORTModelFor*.from_pretrained(export=True); ORTQuantizer with
AutoQuantizationConfig.avx512_vnni per graph), feeds both the same samples (prepared by
the test in the main environment, as the coordinator prepares them) and prints one JSON
line: per method, the status and how far the two outputs are apart.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def reference(ctx: Any, method: str, work: Path) -> Any:
    """Optimum's own model for the method, built from the model folder."""
    from optimum.onnxruntime import AutoQuantizationConfig, ORTQuantizer
    from optimum.onnxruntime.configuration import CalibrationConfig

    from runner.recipes import optimum_ort

    cls = optimum_ort.ort_class(ctx)
    kwargs = {"use_cache": False} if optimum_ort.auto_class(ctx) == "AutoModelForCausalLM" else {}
    model = cls.from_pretrained(ctx.task.folder, export=True, **kwargs)
    if method == "onnx":
        return model
    exported = work / f"ref-{method}-export"
    model.save_pretrained(exported)
    target = work / f"ref-{method}"
    static = method == "static-int8"
    for path in sorted(exported.glob("*.onnx")):
        config = AutoQuantizationConfig.avx512_vnni(is_static=static, per_channel=False)
        quantizer = ORTQuantizer.from_pretrained(exported, file_name=path.name)
        ranges = None
        if static:
            from onnxruntime.quantization import CalibrationMethod

            rows = optimum_ort.calibration_rows(ctx, path, len(ctx.samples))
            calibration = CalibrationConfig("s", "", "s", len(rows), CalibrationMethod.MinMax)
            ranges = quantizer.fit(
                rows,
                calibration,
                onnx_augmented_model_name=str(work / f"ref-aug-{path.name}"),
                operators_to_quantize=config.operators_to_quantize,
            )
        quantizer.quantize(config, target, calibration_tensors_range=ranges)
    return cls.from_pretrained(target, **optimum_ort.file_names(target, "_quantized"), **kwargs)


def main(task_name: str, model_dir: str, samples_file: str, work_dir: str) -> None:
    import torch
    from transformers import AutoConfig, GenerationConfig

    from runner.errors import RunnerError, Unsupported
    from runner.recipes import RECIPES, RecipeContext
    from runner.tasks import TASKS
    from runner.tasks.base import Sample
    from validator.manifest import methods as m

    warnings.simplefilter("ignore")
    task = TASKS[task_name](Path(model_dir), {})
    task.auto_class_for(AutoConfig.from_pretrained(model_dir))  # sets `generates`
    with np.load(samples_file) as data:
        count = len({k.split("/")[0] for k in data.files})
        samples = [
            Sample({k.split("/")[1]: data[k] for k in data.files if k.startswith(f"{i}/")}, None)
            for i in range(count)
        ]
    work = Path(work_dir)
    params = {
        "onnx": m.OnnxParams(),
        "onnx-int8": m.OnnxInt8Params(),
        "static-int8": m.StaticInt8Params(calibration_samples=len(samples)),
    }
    out: dict[str, Any] = {}
    for method, p in params.items():
        ctx = RecipeContext(task, p, samples, work / method, "cpu", 1)
        recipe = RECIPES[method]()
        try:
            recipe.preflight(ctx)
            built = recipe.build(ctx)
        except (Unsupported, RunnerError) as exc:
            out[method] = {"status": type(exc).__name__, "error": str(exc)}
            continue
        ref = reference(ctx, method, work)
        entry: dict[str, Any] = {"status": "ok", "scheme": built.scheme}
        if task.generates:
            base = GenerationConfig.from_pretrained(model_dir)
            # generate() fills unset values from the model's generation config: the model
            # folder's, as the original's (Optimum's export may add config.json's to it)
            ref.generation_config = GenerationConfig.from_pretrained(model_dir)
            config = GenerationConfig(**{**base.to_diff_dict(), "max_new_tokens": 8})
            config.do_sample, config.num_beams = False, 1
            ours = [built.backend.generate(s.inputs, config).ids.tolist() for s in samples]
            with torch.inference_mode():
                theirs = [
                    ref.generate(
                        **{k: torch.from_numpy(v) for k, v in s.inputs.items()},
                        generation_config=config,
                    ).tolist()
                    for s in samples
                ]
            entry["same_ids"] = ours == theirs
        else:
            diff = 0.0
            for s in samples:
                mine = built.backend.forward(s.inputs)
                with torch.inference_mode():
                    feed = {k: torch.from_numpy(v) for k, v in s.inputs.items()}
                    theirs = ref(**feed).logits.float().numpy()
                diff = max(diff, float(np.abs(mine - theirs).max()))
            entry["max_abs_diff"] = diff
        out[method] = entry
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:5])
