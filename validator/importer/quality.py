"""Quality cells: `WER: 0.2564, CER: 0.0727`, `82.8% F1`, `0.1468 / 0.0490` under a header
`Качество (WER / CER)`, `Accuracy 31.25% on CPU, 32.81% on GPU`. Names are lower-case,
percentages become fractions."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from validator.importer.cells import tidy
from validator.manifest.names import METRIC_WORDS as ALIASES

FRACTION_METRICS = {
    "accuracy",
    "f1",
    "precision",
    "recall",
    "exact_match",
    "rouge_l",
    "map",
    "miou",
}
_WORD = re.compile(r"[^\W\d][\w+-]*(?:[-_]\w+)*|f1[\w-]*|top-?1", re.I)
_TOKEN = re.compile(
    r"(?P<num>[-+]?\d+(?:[.,]\d+)?)\s*(?P<pct>%)?"
    r"|(?P<device>(?:on|на)\s+(?:cpu|gpu)|\((?:cpu|gpu)\))"
    r"|(?P<word>[^\W\d][\w+-]*|f1[\w-]*|top-?1)",
    re.I,
)
_PAREN = re.compile(r"\(([^()]*)\)")


def metric_of(word: str) -> str | None:
    return ALIASES.get(word.lower().strip("-_:,.;"))


def metric_names(header: str) -> list[str]:
    """Metric names a header gives; a parenthesis that names metrics overrides the rest."""
    for inner in _PAREN.findall(header):
        names = [m for w in _WORD.findall(inner) if (m := metric_of(w))]
        if names:
            return names
    return [m for w in _WORD.findall(header) if (m := metric_of(w))]


@dataclass
class QualityReading:
    values: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class _Number:
    value: float
    percent: bool
    device: str = ""
    name: str | None = None


def _tokens(text: str) -> tuple[list[_Number], list[str], bool]:
    """Numbers with the names next to them, the names in order, and whether names lead."""
    numbers: list[_Number] = []
    names: list[str] = []
    pending: str | None = None
    names_first: bool | None = None
    for match in _TOKEN.finditer(text):
        if match["num"]:
            value = float(match["num"].replace(",", "."))
            if not math.isfinite(value):
                continue
            numbers.append(_Number(value, bool(match["pct"])))
            if names_first is None:
                names_first = False
            if names_first and pending:
                numbers[-1].name, pending = pending, None
        elif match["device"]:
            if numbers:
                numbers[-1].device = "_gpu" if "gpu" in match["device"].lower() else "_cpu"
        elif (name := metric_of(match["word"])) is not None:
            names.append(name)
            if names_first is None:
                names_first = True
            if names_first:
                pending = name
            elif numbers and numbers[-1].name is None:
                numbers[-1].name = name
    return numbers, names, bool(names_first)


def read_quality(raw: str, header_metrics: list[str], header_percent: bool) -> QualityReading:
    """Every metric a quality cell states, as {name: fraction-or-value}."""
    reading = QualityReading()
    numbers, names, names_first = _tokens(raw)
    if not numbers:
        reading.error = f"no number in `{raw}`"
        return reading
    if names_first:  # "Accuracy 31.25% on CPU, 32.81% on GPU": a name carries over
        last = None
        for number in numbers:
            number.name = number.name or last
            last = number.name
    unnamed = [n for n in numbers if n.name is None]
    if unnamed:
        if len(unnamed) == len(header_metrics) and not names:
            for number, name in zip(unnamed, header_metrics, strict=True):
                number.name = name
        elif len(unnamed) == 1 and len(header_metrics) == 1:
            unnamed[0].name = header_metrics[0]
        else:
            said = ", ".join(header_metrics) or "none"
            reading.error = f"cannot tell which metric `{raw}` is (the header names: {said})"
            return reading
    for number in numbers:
        name = f"{number.name}{number.device}"
        value = number.value
        if number.percent or header_percent:
            value /= 100
        elif number.name in FRACTION_METRICS and 1 < value <= 100:
            value /= 100
            reading.notes.append(f"{number.name} {number.value:g} read as a percentage")
        if name in reading.values and reading.values[name] != value:
            reading.notes.append(f"{name} given twice; kept the first")
            continue
        reading.values.setdefault(name, tidy(value))
    return reading
