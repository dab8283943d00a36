"""What people read on the leaderboard: one metric per ranking, plain numbers, no overlaps."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.compare.planted import honest
from tests.leaderboard.test_table import course
from validator.compare.config import CourseConfig
from validator.leaderboard.pareto import draw
from validator.leaderboard.table import collect, markdown
from validator.plot_labels import place, plain_log_ticks


def two_metrics(tmp_path: Path) -> Path:
    root = course(tmp_path)
    data, record = honest(500)
    other = {**data, "team": "f1_team", "evaluation": {**data["evaluation"], "metric": "f1"}}
    other["runs"][0]["reported"]["size_mb"] = 17669.0  # a Whisper-sized fp32 file
    course(tmp_path, other, record)
    return root


def test_a_homework_with_two_metrics_ranks_each_apart(tmp_path: Path) -> None:
    rows, _, _ = collect(two_metrics(tmp_path), CourseConfig())
    text = markdown(rows, CourseConfig(), "en", {(2, "text-classification", "f1"): "f1.png"})
    accuracy, f1 = text.split("**text-classification · accuracy**")[1].split(
        "**text-classification · f1**"
    )
    assert "| Quality (accuracy) |" in accuracy
    assert "f1_team" not in accuracy
    assert "| Quality (f1) |" in f1
    assert "ml_masters" not in f1
    assert "[size vs quality: text-classification, f1](f1.png)" in f1


def test_numbers_are_plain(tmp_path: Path) -> None:
    rows, _, _ = collect(two_metrics(tmp_path), CourseConfig())
    text = markdown(rows, CourseConfig(), "ru")
    assert "| 17669 (заявлено" not in text  # the reproduced value is shown, not the claim
    assert "e+0" not in text
    assert "17669" in text


def test_one_plot_per_metric_in_the_course_language(tmp_path: Path) -> None:
    rows, _, _ = collect(two_metrics(tmp_path), CourseConfig())
    written = draw(rows, tmp_path / "plots", "ru")
    assert sorted(p.name for p in written.values()) == [
        "hw-2-text-classification-accuracy.png",
        "hw-2-text-classification-f1.png",
    ]


def _boxes(axis: Any) -> list[Any]:
    from matplotlib.text import Text

    renderer = axis.figure.canvas.get_renderer()
    out = []
    for label in axis.texts:
        label.update_positions(renderer)
        out.append(Text.get_window_extent(label, renderer))
    return out


def test_labels_of_crowded_points_do_not_overlap() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = [(0.27, 0.925), (0.085, 0.925), (0.12, 0.925), (0.08, 0.922), (0.14, 0.911)]
    points += [(424.0 / 1000, 0.9), (428.0 / 1000, 0.9005), (427.0 / 1000, 0.9003)]
    texts = [f"demo: run number {i}" for i in range(len(points))]
    figure, axis = plt.subplots(figsize=(6, 4))
    axis.scatter(*zip(*points, strict=True))
    axis.set_xscale("log")
    figure.tight_layout()
    place(axis, points, texts)
    figure.canvas.draw()
    boxes = _boxes(axis)
    shown = ", ".join(t.get_text() for t in axis.texts)
    assert all(text in shown for text in texts)  # near-coincident points share a label
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (a, b)
    frame = axis.get_window_extent()
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)
    plt.close(figure)


def test_points_on_top_of_each_other_share_one_label() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots()
    place(axis, [(1.0, 1.0), (1.0, 1.0), (2.0, 2.0)], ["a", "b", "c"])
    assert sorted(t.get_text() for t in axis.texts) == ["a, b", "c"]
    plt.close(figure)


@pytest.mark.parametrize(
    ("limits", "ticks", "labels"),
    [
        ((0.12, 9.0), [0.2, 0.3, 0.4, 2.0], ["", "", "", ""]),  # they ran into each other
        ((2300.0, 21000.0), [3000.0, 5000.0, 20000.0], ["", "5000", "20000"]),
        ((0.2, 0.5), [0.3, 0.4], ["0.3", "0.4"]),
    ],
)
def test_log_ticks_are_plain_and_sparse(
    limits: tuple[float, float], ticks: list[float], labels: list[str]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots()
    axis.set_xscale("log")
    axis.set_xlim(*limits)
    plain_log_ticks(axis, "x")
    minor = axis.xaxis.get_minor_formatter()
    assert [minor(t) for t in ticks] == labels
    assert axis.xaxis.get_major_formatter()(10000.0) == "10000"  # never 1e+04
    plt.close(figure)
