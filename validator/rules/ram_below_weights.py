"""Running on CPU reads every weight into memory: RAM below the file size is suspicious."""

from collections.abc import Iterator

from validator.findings import Finding, Severity
from validator.rules._runs import below_own_size
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV409", "ram-below-weights", "ram_mb is not below the run's own size_mb", Severity.WARNING
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    for index, run, ram, size in below_own_size(ctx.parts.runs, "ram_mb"):
        yield INFO.finding(
            ctx.display,
            ("runs", index, "reported", "ram_mb"),
            f"runs[{index}] `{run.label}`: {ram:g} MB of RAM is less than its {size:g} MB "
            "of weights",
            "report the peak resident memory (RSS) of the process while it runs on the CPU",
        )
