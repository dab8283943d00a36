"""Each run has its own label: the leaderboard and the report key rows by it."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo("MCV203", "duplicate-label", "run labels are unique within a manifest")


def check(ctx: ManifestContext) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for index, run in ctx.parts.runs:
        key = run.label.strip().casefold()
        if key in seen:
            yield INFO.finding(
                ctx.display,
                ("runs", index, "label"),
                f"runs[{index}] has the label `{run.label}` of runs[{seen[key]}]",
                "give every run its own label, e.g. `INT8 dynamic` and `INT8 static`",
            )
        else:
            seen[key] = index
