"""Sizes, latencies and memory are positive: zero means 'not measured', so leave it out."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.rules._runs import LATENCY, MEMORY
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo("MCV406", "non-positive", "size, latency and memory values are above zero")


def check(ctx: ManifestContext) -> Iterator[Finding]:
    for index, run in ctx.parts.runs:
        for field in ("size_mb", *LATENCY, *MEMORY):
            value = getattr(run.reported, field)
            if value is not None and value <= 0:
                yield INFO.finding(
                    ctx.display,
                    ("runs", index, "reported", field),
                    f"runs[{index}] `{run.label}`: {field} is {value:g}",
                    "leave the key out when it was not measured",
                )
