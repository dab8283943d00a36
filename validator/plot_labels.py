"""Point labels that do not overlap: each label takes the first free place around its point.

Greedy, in display coordinates: the places beside a point are tried in order, then places
further up and down joined to the point by a thin line; a place is free when its box
stays inside the axes and touches no label placed before and no other point. Where no
place is free, the label goes where it overlaps least. Enough for the few dozen labels a
plot carries; the caller draws none beyond that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

_NEAR = [(5, 3, "left", "bottom"), (5, -3, "left", "top"), (-5, 3, "right", "bottom")]
_NEAR += [(-5, -3, "right", "top"), (0, 7, "center", "bottom"), (0, -7, "center", "top")]
_FAR = [  # further out, with a leader line
    (side * dx, step * 11, ha, "center")
    for step in (1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6)
    for dx in (8, 30)
    for side, ha in ((1, "left"), (-1, "right"))
]
_SAME = 3.0  # points closer than this many pixels share one label
_POINT = 4.0  # half the side of the box kept clear around every point, in pixels


def _area(a: Any, b: Any) -> float:
    width = min(a.x1, b.x1) - max(a.x0, b.x0)
    height = min(a.y1, b.y1) - max(a.y0, b.y0)
    return float(width * height) if width > 0 and height > 0 else 0.0


def _cost(box: Any, taken: list[Any], frame: Any) -> float:
    outside = float(box.width * box.height) - _area(box, frame)
    return outside * 4 + sum(_area(box, other) for other in taken)


def _merged(
    pixels: Sequence[Any], points: Sequence[tuple[float, float]], texts: Sequence[str]
) -> list[tuple[int, tuple[tuple[float, float], str]]]:
    """One label per place: the texts of points drawn on top of each other, joined."""
    out: list[tuple[int, tuple[tuple[float, float], str]]] = []
    for index, (pixel, point, text) in enumerate(zip(pixels, points, texts, strict=True)):
        twin = next(
            (n for n, (i, _) in enumerate(out) if abs(pixels[i] - pixel).max() < _SAME), None
        )
        if twin is None:
            out.append((index, (point, text)))
        else:
            first, (where, joined) = out[twin]
            out[twin] = (first, (where, f"{joined}, {text}"))
    return out


def _text_box(label: Any, renderer: Any) -> Any:
    """The label's text box, without its leader line (which may cross other points)."""
    from matplotlib.text import Text

    label.update_positions(renderer)
    return Text.get_window_extent(label, renderer)


def _try(axis: Any, point: tuple[float, float], text: str, size: float, n: int) -> Any:
    dx, dy, ha, va = (_NEAR + _FAR)[n]
    line = {"arrowstyle": "-", "color": "#9e9e9e", "lw": 0.5} if n >= len(_NEAR) else None
    return axis.annotate(
        text,
        point,
        xytext=(dx, dy),
        textcoords="offset points",
        ha=ha,
        va=va,
        fontsize=size,
        arrowprops=line,
    )


def place(
    axis: Any, points: Sequence[tuple[float, float]], texts: Sequence[str], size: float = 7
) -> None:
    """Annotate each point with its text, at the first place that overlaps nothing."""
    from matplotlib.transforms import Bbox

    figure = axis.figure
    figure.canvas.draw()  # the renderer, and the final limits and scales
    renderer = figure.canvas.get_renderer()
    frame = axis.get_window_extent(renderer)
    pixels = [axis.transData.transform(p) for p in points]
    marks = [Bbox.from_extents(x - _POINT, y - _POINT, x + _POINT, y + _POINT) for x, y in pixels]
    labels: list[Any] = []
    for index, (point, text) in _merged(pixels, points, texts):
        avoid = marks[:index] + marks[index + 1 :] + labels
        label = _try(axis, point, text, size, 0)
        box = _text_box(label, renderer)
        cost = _cost(box, avoid, frame)
        for n in range(1, len(_NEAR) + len(_FAR)):
            if cost == 0:
                break
            other = _try(axis, point, text, size, n)
            other_box = _text_box(other, renderer)
            other_cost = _cost(other_box, avoid, frame)
            if other_cost < cost:
                label.remove()
                label, box, cost = other, other_box, other_cost
            else:
                other.remove()
        labels.append(box)


def plain_log_ticks(axis: Any, sides: str = "x") -> None:
    """Log-scale tick labels as plain numbers (0.1, 1, 10; 2 and 5 between them on a short
    axis), never 2×10⁻¹ or 1e+02, and never so many that they run into each other."""
    from matplotlib.ticker import Formatter, FuncFormatter

    from validator.numbers import figures

    class Between(Formatter):
        def __call__(self, x: float, pos: int | None = None) -> str:
            if self.axis is None:
                return ""
            low, high = sorted(self.axis.get_view_interval())
            if low <= 0 or x <= 0:
                return ""
            decades = math.log10(high / low)
            lead = round(x / 10 ** math.floor(math.log10(x) + 1e-9))
            if decades < 0.5 or (decades < 1.5 and lead in (2, 5)):
                return figures(x, 3)
            return ""

    for side in sides:
        target = axis.xaxis if side == "x" else axis.yaxis
        target.set_major_formatter(FuncFormatter(lambda x, _: figures(x, 3)))
        target.set_minor_formatter(Between())
