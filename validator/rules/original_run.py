"""Exactly one `original` run: every other run is judged against it."""

from collections.abc import Iterator

from validator.findings import Finding
from validator.manifest.schema import OriginalRun
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV204",
    "original-run",
    "exactly one run has `method: original`, the baseline the others are compared with",
)


def check(ctx: ManifestContext) -> Iterator[Finding]:
    originals = [i for i, run in ctx.parts.runs if isinstance(run, OriginalRun)]
    if "original" not in ctx.parts.methods and ctx.parts.methods:
        yield INFO.finding(
            ctx.display,
            ("runs",),
            "no run has `method: original`",
            "add the uncompressed baseline as the first run; speed-ups and size ratios "
            "are judged against it",
        )
    for index in originals[1:]:
        yield INFO.finding(
            ctx.display,
            ("runs", index, "method"),
            f"runs[{index}] is a second `original` run (the first is runs[{originals[0]}])",
            "keep one baseline; another measurement of it belongs in `notes`",
        )
