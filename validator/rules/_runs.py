"""Shared helpers for rules that compare runs of one manifest."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from validator.manifest.schema import OriginalRun, RunBase
from validator.manifest.yaml_loader import Document

LATENCY = ("cpu_ms", "gpu_ms")
MEMORY = ("ram_mb", "vram_mb")
_DIGITS = re.compile(r"[-+]?(\d*)\.?(\d*)")


Runs = Sequence[tuple[int, RunBase]]  # (index in the manifest's `runs`, the run)


def original_of(runs: Runs) -> tuple[int, OriginalRun] | None:
    for index, run in runs:
        if isinstance(run, OriginalRun):
            return index, run
    return None


def others(runs: Runs) -> Iterator[tuple[int, RunBase]]:
    """The non-original runs, with their index in `runs`."""
    for index, run in runs:
        if not isinstance(run, OriginalRun):
            yield index, run


def significant_digits(doc: Document | None, loc: tuple[str | int, ...], value: float) -> int:
    """Significant digits as the team wrote them (`539.00` has 5, `1400` has 2)."""
    text = (doc.plain_text.get(loc) if doc else None) or repr(value)
    mantissa = re.split(r"[eE]", text)[0]
    match = _DIGITS.match(mantissa)
    if not match:
        return 0
    whole, frac = match.group(1), match.group(2)
    if "." not in mantissa:
        whole = whole.rstrip("0") or "0"  # 1400: trailing zeros say nothing
    digits = (whole + frac).lstrip("0")
    return len(digits) if "." in mantissa else max(len(digits), 1)


def metric_value(run: RunBase, field: str) -> float | None:
    value = getattr(run.reported, field)
    return None if value is None else float(value)


def below_own_size(
    runs: Runs, field: str, slack: float = 0.95
) -> Iterator[tuple[int, RunBase, float, float]]:
    """(index, run, value, size) for runs whose memory `field` is under their own size_mb."""
    for index, run in runs:
        value, size = getattr(run.reported, field), run.reported.size_mb
        if value is not None and size is not None and 0 < value < slack * size:
            yield index, run, float(value), float(size)
