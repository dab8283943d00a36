"""Numbers people read: significant digits, plain notation, one precision per row."""

from __future__ import annotations

import pytest

from validator.numbers import figures, percent, together


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (17669.0, "17669"),  # never 1.767e+04
        (17669.4, "17669"),
        (1234567.8, "1234568"),
        (0.08474, "0.08474"),
        (0.0847, "0.0847"),
        (420.0, "420"),
        (6.28, "6.28"),
        (0.25, "0.25"),
        (-0.00001, "-0.00001"),
        (-0.0, "0"),
        (0.0, "0"),
        (None, "—"),
    ],
)
def test_figures(value: float | None, text: str) -> None:
    assert figures(value) == text


@pytest.mark.parametrize(
    ("values", "texts"),
    [
        ([0.0847, 0.08474], ["0.08470", "0.08474"]),  # not 0.0847 beside 0.08474
        ([424.2, 420.0], ["424.2", "420.0"]),
        ([24.0, 40.0], ["24", "40"]),
        ([0.914, 0.912], ["0.914", "0.912"]),
        ([24.0, 0.5], ["24.0", "0.5"]),
        ([None, 3.0], ["—", "3"]),
        ([17669.0, 2782.0], ["17669", "2782"]),
    ],
)
def test_together_shares_decimal_places(values: list[float | None], texts: list[str]) -> None:
    assert together(values) == texts


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(-0.0001, "0.0%"), (0.0, "0.0%"), (0.042, "+4.2%"), (-0.4, "-40.0%")],
)
def test_percent_never_prints_minus_zero(fraction: float, text: str) -> None:
    assert percent(fraction) == text
