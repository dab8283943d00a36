"""Reported against reproduced, one panel per measure: the diagonal is agreement."""

from __future__ import annotations

from pathlib import Path

from validator.compare.report import Report
from validator.compare.strings import Lang, t
from validator.escape import plot_text
from validator.plot_labels import place, plain_log_ticks

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
        axis.scatter(xs, ys, color=[_COLOURS[p[2]] for p in points], zorder=3)
        if metric in _LOG and low > 0 and high / low > 10:  # log only across decades
            axis.set_xscale("log")
            axis.set_yscale("log")
            plain_log_ticks(axis, "xy")
        axis.margins(0.15)  # room for the labels of the outermost points
        axis.set_title(plot_text(title(metric, report.metric, lang)))
        axis.set_xlabel(t("column.reproduced", lang))
        axis.set_ylabel(t("column.reported", lang))
    figure.tight_layout()
    for axis, points in zip(axes[0], metrics.values(), strict=True):  # once the layout is final
        place(axis, [(p[0], p[1]) for p in points], [plot_text(p[3]) for p in points])
    figure.savefig(target, dpi=100)
    plt.close(figure)
    return target
