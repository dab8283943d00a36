"""Latency and memory never repeat to the last digit between two real measurements."""

from __future__ import annotations

from collections.abc import Iterator

from validator.findings import Finding, Severity
from validator.rules._runs import LATENCY, MEMORY, metric_value, original_of, others
from validator.rules._runs import significant_digits as digits
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV401",
    "copied-from-baseline",
    "a compressed run's latency, RAM or VRAM is not the original's, digit for digit",
)

_MIN_DIGITS = 3  # `1.4` GB may coincide after rounding; `764.75` MB does not


def check(ctx: ManifestContext) -> Iterator[Finding]:
    if (found := original_of(ctx.parts.runs)) is None:
        return
    base_index, base = found
    for index, run in others(ctx.parts.runs):
        same = [
            f
            for f in (*LATENCY, *MEMORY, "quality")
            if (v := metric_value(run, f)) is not None
            and v == metric_value(base, f)
            and (f != "quality" or run.params.lossy)
            and digits(ctx.document, ("runs", index, "reported", f), v) >= _MIN_DIGITS
        ]
        many = len(same) >= 2
        for field in (*LATENCY, *MEMORY):
            value = metric_value(run, field)
            if value is None or value != metric_value(base, field):
                continue
            loc = ("runs", index, "reported", field)
            precise = field in same
            severity = (
                Severity.ERROR if precise and (many or field in LATENCY) else (Severity.WARNING)
            )
            also = f" (so are {', '.join(f for f in same if f != field)})" if many else ""
            yield INFO.finding(
                ctx.display,
                loc,
                f"runs[{index}] `{run.label}`: {field} {value:g} equals the original's "
                f"(runs[{base_index}]) exactly{also}: copied from the baseline row?",
                f"measure {field} on the {run.method} model itself and report that number",
                severity,
            )
