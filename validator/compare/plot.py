"""Reported against reproduced, one panel per measure: the diagonal is agreement."""

from __future__ import annotations

from pathlib import Path

from validator.compare.report import Report
from validator.compare.strings import Lang, t
from validator.escape import plot_text

_COLOURS = {
    "ok": "#2e7d32",
    "mismatch": "#c62828",
    "unverifiable": "#9e9e9e",
    "run-failed": "#6a1b9a",
    "not-reported": "#9e9e9e",
}
_LOG = {"size_mb", "cpu_ms", "gpu_ms", "ram_mb", "vram_mb"}


def title(metric: str, main_metric: str, lang: Lang) -> str:
    if metric.startswith("quality"):
        name = main_metric if metric == "quality" else metric.split(":", 1)[1]
        return t("metric.quality", lang, metric=name)
    return t(f"metric.{metric}", lang)


def draw(report: Report, target: Path, lang: Lang) -> Path | None:
    """Write a PNG; None when no cell has both numbers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    metrics: dict[str, list[tuple[float, float, str, str]]] = {}
    for run in report.runs:
        for cell in run.cells:
            if cell.reported is not None and cell.reproduced is not None:
                metrics.setdefault(cell.metric, []).append(
                    (cell.reproduced, cell.reported, cell.verdict, run.label)
                )
    if not metrics:
        return None
    figure, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 4), squeeze=False)
    for axis, (metric, points) in zip(axes[0], metrics.items(), strict=True):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        low, high = min(xs + ys), max(xs + ys)
        pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
        axis.plot([low - pad, high + pad], [low - pad, high + pad], color="#bbbbbb", lw=1)
        for x, y, verdict, label in points:
            axis.scatter([x], [y], color=_COLOURS[verdict], zorder=3)
            axis.annotate(
                plot_text(label), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
        if metric in _LOG and low > 0 and high / low > 10:  # log only across decades
            axis.set_xscale("log")
            axis.set_yscale("log")
            for side in (axis.xaxis, axis.yaxis):
                side.set_minor_formatter(NullFormatter())  # minor labels collide on short ranges
        axis.set_title(plot_text(title(metric, report.metric, lang)))
        axis.set_xlabel(t("column.reproduced", lang))
        axis.set_ylabel(t("column.reported", lang))
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target
