"""Quality lies in its metric's range; 82.8 in an F1 field is a percentage in a fraction's place."""

from __future__ import annotations

from collections.abc import Iterator

from validator.findings import Finding, Loc, Severity
from validator.manifest.metrics import METRICS
from validator.rules.base import ManifestContext, RuleInfo

INFO = RuleInfo(
    "MCV407", "metric-range", "quality values lie in their metric's range (fractions as 0..1)"
)


def _judge(name: str, value: float) -> tuple[str, str, Severity] | None:
    metric = METRICS[name]
    if metric.fraction and 1.0 < value <= 100.0:
        return (
            f"{name} {value:g} is above 1: a percentage written where a fraction goes",
            f"write {value / 100:g} instead of {value:g}",
            Severity.ERROR,
        )
    if value < metric.low or (metric.high is not None and value > metric.high):
        top = f"{metric.high:g}" if metric.high is not None else "∞"
        return (
            f"{name} {value:g} is outside {metric.low:g}..{top}",
            "check the number and the metric's scale",
            Severity.ERROR,
        )
    if metric.soft_high is not None and value > metric.soft_high:
        return (
            f"{name} {value:g} is above {metric.soft_high:g}: possible, but rare",
            f"if this is a percentage, write {value / 100:g}",
            Severity.WARNING,
        )
    return None


def check(ctx: ManifestContext) -> Iterator[Finding]:
    metric = ctx.parts.metric
    for index, run in ctx.parts.runs:
        values: list[tuple[str, float, Loc]] = []
        if run.reported.quality is not None and metric is not None:
            values.append((metric, run.reported.quality, ("quality",)))
        values += [(k, v, ("extra_metrics", k)) for k, v in run.reported.extra_metrics.items()]
        for name, value, where in values:
            verdict = _judge(name, value)
            if verdict:
                message, hint, severity = verdict
                yield INFO.finding(
                    ctx.display,
                    ("runs", index, "reported", *where),
                    f"runs[{index}] `{run.label}`: {message}",
                    hint,
                    severity,
                )
