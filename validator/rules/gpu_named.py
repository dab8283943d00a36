"""A GPU figure names its GPU: latency is compared absolutely only on the same hardware."""

from collections.abc import Iterator

from validator.findings import Finding, Severity
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV410",
    "gpu-unnamed",
    "a run that reports gpu_ms or vram_mb names `hardware.gpu`",
    Severity.WARNING,
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    for index, run in ctx.parts.runs:
        gpu_figures = [f for f in ("gpu_ms", "vram_mb") if getattr(run.reported, f) is not None]
        if gpu_figures and (run.hardware is None or run.hardware.gpu is None):
            yield INFO.finding(
                ctx.display,
                ("runs", index, "reported", gpu_figures[0]),
                f"runs[{index}] `{run.label}` reports {' and '.join(gpu_figures)} "
                "but not which GPU",
                "add `hardware: {gpu: Tesla T4}` (your GPU's name) to the run",
            )
