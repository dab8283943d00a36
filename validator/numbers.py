"""Numbers as people read them: significant digits, plain notation, one precision per row.

`17669` stays `17669` (never `1.767e+04`), `0.08474` keeps its four figures, and numbers
shown side by side (reported beside reproduced) get the same decimal places, so `0.0847`
never stands beside `0.08474` as if it were less precise. Pure; no locale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

DIGITS = 4


def places(value: float, digits: int = DIGITS) -> int:
    """Decimal places that show `value` to `digits` significant figures (0 for large values)."""
    if value == 0 or not math.isfinite(value):
        return 0
    return max(0, digits - 1 - math.floor(math.log10(abs(value))))


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.00"


def _trim(texts: list[str]) -> list[str]:
    """Drop trailing zeros that every number of the group has after its decimal point."""
    while all("." in t and t.endswith("0") for t in texts) and texts:
        texts = [t[:-1] for t in texts]
    return [t.removesuffix(".") for t in texts] if all(t.endswith(".") for t in texts) else texts


def figures(value: float | None, digits: int = DIGITS, empty: str = "—") -> str:
    """One number to `digits` significant figures, plain notation, trailing zeros dropped."""
    if value is None:
        return empty
    if not math.isfinite(value):
        return str(value)
    return _trim([_fixed(value, places(value, digits))])[0]


def together(values: Sequence[float | None], digits: int = DIGITS, empty: str = "—") -> list[str]:
    """Numbers shown side by side, with the decimal places of the largest at `digits` figures."""
    shown = [v for v in values if v is not None and math.isfinite(v)]
    if not shown:
        return [figures(v, digits, empty) for v in values]
    decimals = places(max(shown, key=abs), digits)
    texts = _trim([_fixed(v, decimals) for v in shown])
    out, numbers = [], iter(texts)
    for v in values:
        out.append(
            next(numbers) if v is not None and math.isfinite(v) else figures(v, digits, empty)
        )
    return out


def percent(fraction: float, decimals: int = 1, sign: bool = True) -> str:
    """`+4.2%`; a change that rounds to nothing is `0.0%`, never `-0.0%`."""
    text = _fixed(fraction * 100, decimals)
    if sign and float(text) > 0:
        text = "+" + text
    return text + "%"
