"""Running on CPU reads every weight into memory: RAM below the file size is suspicious."""

from collections.abc import Iterator

from validator.findings import Finding, Severity
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV409", "ram-below-weights", "ram_mb is not below the run's own size_mb", Severity.WARNING
)

_SLACK = 0.95


def check(ctx: ManifestContext) -> Iterator[Finding]:
    if ctx.manifest is None:
        return
    for index, run in enumerate(ctx.manifest.runs):
        ram, size = run.reported.ram_mb, run.reported.size_mb
        if ram is None or size is None or size <= 0 or ram <= 0 or ram >= _SLACK * size:
            continue
        yield INFO.finding(
            ctx.display,
            ("runs", index, "reported", "ram_mb"),
            f"runs[{index}] `{run.label}`: {ram:g} MB of RAM is less than its {size:g} MB "
            "of weights",
            "report the peak resident memory (RSS) of the process while it runs on the CPU",
        )
