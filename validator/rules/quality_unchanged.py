"""Lossy compression moves quality at least a little; an identical score deserves a look."""

from collections.abc import Iterator

from validator.findings import Finding, Severity
from validator.rules._runs import original_of, others, significant_digits
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV402",
    "quality-unchanged",
    "quality after a lossy method is not identical to 3+ significant digits "
    "(unless `notes` explain it)",
    Severity.WARNING,
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    if (found := original_of(ctx.parts.runs)) is None:
        return
    base = found[1].reported
    for index, run in others(ctx.parts.runs):
        value = run.reported.quality
        if run.notes:  # the team has explained it; the reviewer reads the note
            continue
        if not run.params.lossy or value is None or value != base.quality:
            continue
        loc = ("runs", index, "reported", "quality")
        digits = significant_digits(ctx.document, loc, value)
        if digits < 3:
            continue
        extra = [k for k, v in run.reported.extra_metrics.items() if base.extra_metrics.get(k) == v]
        also = f" and so are {', '.join(extra)}" if extra else ""
        yield INFO.finding(
            ctx.display,
            loc,
            f"runs[{index}] `{run.label}`: quality {value:g} is the original's to {digits} "
            f"significant digits after lossy `{run.method}`{also}",
            "evaluate the compressed model itself; if it really is unchanged, say so in "
            "`notes` and give `evaluation.samples` so the runner can confirm",
        )
