"""Size against quality per homework, task and metric: the non-dominated front, and the rest.

One plot per quality metric: an F1 is never drawn on an accuracy axis. Titles and axis
names are in the course's language, like the table that links the plot.
"""

from __future__ import annotations

from pathlib import Path

from validator.compare.strings import Lang
from validator.escape import plot_text
from validator.leaderboard.table import WORDS, Row
from validator.manifest.metrics import METRICS
from validator.plot_labels import place, plain_log_ticks

Key = tuple[int, str, str]  # homework, task, metric
MAX_LABELS = 30  # beyond this many points labels cannot be legible; the table names them
AXIS = {"ru": "размер весов (MB)", "en": "weights (MB)"}


def front(points: list[tuple[float, float]], higher_is_better: bool) -> set[int]:
    """Indices of points no other point beats on both size (smaller) and quality."""

    def beats(a: tuple[float, float], b: tuple[float, float]) -> bool:
        better_q = a[1] >= b[1] if higher_is_better else a[1] <= b[1]
        strictly = a[0] < b[0] or (a[1] > b[1] if higher_is_better else a[1] < b[1])
        return a[0] <= b[0] and better_q and strictly

    return {i for i, p in enumerate(points) if not any(beats(q, p) for q in points)}


def _value(row: Row, measure: str) -> float | None:
    value = row.reproduced.get(measure)
    return row.reported.get(measure) if value is None else value


def groups(rows: list[Row]) -> dict[Key, list[Row]]:
    out: dict[Key, list[Row]] = {}
    for row in rows:
        if _value(row, "size_mb") is not None and _value(row, "quality") is not None:
            out.setdefault((row.homework, row.task, row.metric), []).append(row)
    return out


def file_name(homework: int, task: str, metric: str) -> str:
    return f"hw-{homework}-{task}-{metric}.png"


def title(key: Key, lang: Lang) -> str:
    homework, task, metric = key
    return f"{WORDS['homework'][lang]}-{homework} · {task} · {metric}"


def draw(rows: list[Row], folder: Path, lang: Lang = "ru") -> dict[Key, Path]:
    """One PNG per homework, task and metric with sizes and qualities; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = {}
    folder.mkdir(parents=True, exist_ok=True)
    for key, members in sorted(groups(rows).items()):
        homework, task, metric = key
        higher = METRICS[metric].higher_is_better if metric in METRICS else True
        points = [
            (float(_value(r, "size_mb")), float(_value(r, "quality")))  # type: ignore[arg-type]
            for r in members
        ]
        best = front(points, higher)
        figure, axis = plt.subplots(figsize=(6, 4))
        ordered = sorted((points[i] for i in best), key=lambda p: p[0])
        if ordered:
            axis.step(
                [p[0] for p in ordered],
                [p[1] for p in ordered],
                where="post",
                color="#2e7d32",
                lw=1,
                zorder=1,
            )
        rest = [p for i, p in enumerate(points) if i not in best]
        if rest:  # one scatter per kind: a few artists, not one per point
            axis.scatter(
                [p[0] for p in rest],
                [p[1] for p in rest],
                zorder=2,
                s=30,
                color="white",
                edgecolors="#9e9e9e",
            )
        axis.scatter(
            [p[0] for p in ordered], [p[1] for p in ordered], zorder=3, s=30, color="#2e7d32"
        )
        if points and min(p[0] for p in points) > 0:
            axis.set_xscale("log")
            plain_log_ticks(axis, "x")
        axis.margins(x=0.15, y=0.12)  # room for the labels of the outermost points
        axis.set_xlabel(AXIS[lang])
        axis.set_ylabel(metric)
        axis.set_title(plot_text(title(key, lang)))
        figure.tight_layout()
        shown = [i for i in range(len(points)) if i in best or len(points) <= MAX_LABELS]
        if len(shown) <= MAX_LABELS:  # labels only where they can be legible
            texts = [plot_text(f"{members[i].team}: {members[i].label}") for i in shown]
            place(axis, [points[i] for i in shown], texts)
        target = folder / file_name(homework, task, metric)
        figure.savefig(target, dpi=100, metadata={"Software": None})
        plt.close(figure)
        written[key] = target
    return written
