"""A GPU-only method has no CPU latency: the runner cannot reproduce a `cpu_ms` for it."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.manifest.names import GPU_ONLY
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV411",
    "gpu-method-cpu-latency",
    "a GPU-only method (tensorrt, gptq, awq, bnb-*) reports `gpu_ms`, not `cpu_ms`",
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    for index, run in ctx.parts.runs:
        if run.method in GPU_ONLY and run.reported.cpu_ms is not None:
            yield INFO.finding(
                ctx.display,
                ("runs", index, "reported", "cpu_ms"),
                f"runs[{index}] `{run.label}`: `{run.method}` runs only on a CUDA GPU, "
                "so it has no CPU latency to reproduce",
                "report its latency as `gpu_ms` with `hardware: {gpu: ...}`; for a CPU int8 "
                "model use `dynamic-int8`, `static-int8` or `onnx-int8`",
            )
