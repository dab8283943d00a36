"""Size against quality per homework and task: the non-dominated front, and the rest."""

from __future__ import annotations

from pathlib import Path

from validator.escape import plot_text
from validator.leaderboard.table import Row
from validator.manifest.metrics import METRICS


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


def groups(rows: list[Row]) -> dict[tuple[int, str], list[Row]]:
    out: dict[tuple[int, str], list[Row]] = {}
    for row in rows:
        if _value(row, "size_mb") is not None and _value(row, "quality") is not None:
            out.setdefault((row.homework, row.task), []).append(row)
    return out


def file_name(homework: int, task: str) -> str:
    return f"hw-{homework}-{task}.png"


def draw(rows: list[Row], folder: Path) -> dict[tuple[int, str], Path]:
    """One PNG per homework and task that has sizes and qualities; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = {}
    folder.mkdir(parents=True, exist_ok=True)
    for (homework, task), members in sorted(groups(rows).items()):
        metric = members[0].metric
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
        labelled = [i for i in range(len(points)) if i in best or len(points) <= 30]
        for index in labelled if len(labelled) <= 30 else []:  # labels only where legible
            row, (x, y) = members[index], points[index]
            axis.annotate(
                plot_text(f"{row.team}: {row.label}"),
                (x, y),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
            )
        if points and min(p[0] for p in points) > 0:
            axis.set_xscale("log")
        axis.set_xlabel("size (MB)")
        axis.set_ylabel(metric)
        axis.set_title(f"HW-{homework} · {task}")
        figure.tight_layout()
        target = folder / file_name(homework, task)
        figure.savefig(target, dpi=100, metadata={"Software": None})
        plt.close(figure)
        written[(homework, task)] = target
    return written
