"""The weights sit in GPU memory while the model runs there, so VRAM is at least their size."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.rules._runs import below_own_size
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo("MCV405", "vram-below-weights", "vram_mb is not below the run's own size_mb")


def check(ctx: ManifestContext) -> Iterator[Finding]:
    for index, run, vram, size in below_own_size(ctx.parts.runs, "vram_mb"):
        yield INFO.finding(
            ctx.display,
            ("runs", index, "reported", "vram_mb"),
            f"runs[{index}] `{run.label}`: {vram:g} MB of VRAM holds less than its own "
            f"{size:g} MB of weights",
            "report the peak GPU memory (torch.cuda.max_memory_allocated or NVML) while the "
            "model runs, and the size of the same model's file",
        )
