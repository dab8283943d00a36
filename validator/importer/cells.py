"""One table cell: strip the markup, spot placeholders, read a number with its unit.

Sizes become MB (1 GB = 1024 MB), times milliseconds per sample. A time per token or a
throughput is not a per-sample latency, so it reads as None with a note, never converted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

_TAGS = re.compile(r"</?\s*[a-zA-Z][^>]*>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|~~|`)")
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_PLACEHOLDERS = {
    "",
    "-",
    "--",
    "---",
    "—",
    "–",
    "n/a",
    "na",
    "n.a.",
    "none",
    "null",
    "nan",
    "?",
    "tbd",
    "todo",
    "x",
    "не применимо",
    "нет",
    "нет данных",
    "не измерялось",
    "не измерено",
    "н/д",
    "not applicable",
    "not measured",
    "skip",
    "skipped",
}
_NUMBER = r"[-+]?(?:\d[\d\u00a0\u202f ]*(?:[.,]\d+)*|[.,]\d+)"
_PLUS_MINUS = re.compile(rf"(?P<value>{_NUMBER})\s*(?:±|\+-|\+/-)\s*(?P<spread>{_NUMBER})")
_VALUE = re.compile(rf"(?P<num>{_NUMBER})\s*(?P<unit>%|[^\W\d_][\w.]*(?:\s*/\s*[^\W\d_]+)?)?")
_PAREN = re.compile(r"\(([^()]*)\)")
_APPROX = re.compile(r"^(?:~|≈|≃|около|прибл\.?|примерно|approx\.?|about)\s*", re.I)

GPU_WORDS = re.compile(
    r"\b(tesla|nvidia|geforce|quadro|rtx|gtx|a100|h100|h200|v100|p100|t4|l4|a10g?|a6000|"
    r"k80|l40s?|rtx\s?\d+|mps|cuda|colab\s*gpu)\b",
    re.I,
)
CPU_WORDS = re.compile(
    r"\b(intel|amd|xeon|ryzen|core\s?i\d|i[3579]-\d+|epyc|apple\s?m\d|m[123]"
    r"( pro| max)?|arm|cpu)\b",
    re.I,
)

# unit -> factor to MB
SIZE_UNITS = {
    "b": 1 / 2**20,
    "байт": 1 / 2**20,
    "bytes": 1 / 2**20,
    "kb": 1 / 1024,
    "kib": 1 / 1024,
    "кб": 1 / 1024,
    "k": 1 / 1024,
    "mb": 1.0,
    "mib": 1.0,
    "мб": 1.0,
    "m": 1.0,
    "мегабайт": 1.0,
    "gb": 1024.0,
    "gib": 1024.0,
    "гб": 1024.0,
    "g": 1024.0,
    "гигабайт": 1024.0,
    "tb": 1024.0**2,
    "tib": 1024.0**2,
    "тб": 1024.0**2,
}
# unit -> factor to ms
TIME_UNITS = {
    "ns": 1e-6,
    "нс": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "мкс": 1e-3,
    "μs": 1e-3,
    "ms": 1.0,
    "мс": 1.0,
    "msec": 1.0,
    "миллисекунд": 1.0,
    "s": 1e3,
    "с": 1e3,
    "сек": 1e3,
    "sec": 1e3,
    "secs": 1e3,
    "second": 1e3,
    "seconds": 1e3,
    "секунд": 1e3,
    "секунды": 1e3,
    "секунда": 1e3,
    "min": 6e4,
    "мин": 6e4,
    "minutes": 6e4,
    "минут": 6e4,
}
PER_SAMPLE = {
    "sample",
    "samples",
    "сэмпл",
    "сэмпла",
    "семпл",
    "пример",
    "text",
    "текст",
    "image",
    "img",
    "изображение",
    "изобр",
    "audio",
    "аудио",
    "utterance",
    "запрос",
    "request",
    "item",
    "batch1",
    "инференс",
    "inference",
    "предложение",
    "sentence",
}
PER_TOKEN = {"token", "tokens", "токен", "токена", "tok", "word", "слово", "char", "символ"}


def tidy(value: float) -> float:
    """Drop binary noise from unit arithmetic: 91.3 / 100 is 0.913, not 0.9129999999999999."""
    return float(f"{value:.12g}")


def clean(text: str) -> str:
    """Markup out, spaces normalised: `**0.431**<br>` -> `0.431`."""
    text = re.sub(r"<\s*/?\s*br\s*/?\s*>", " ", text, flags=re.I)
    text = _TAGS.sub(" ", text).replace("&nbsp;", " ").replace("\\|", "|")
    text = _EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def is_placeholder(text: str) -> bool:
    return text.strip().strip("*_ ").lower() in _PLACEHOLDERS


def to_float(number: str) -> tuple[float, str | None]:
    """`1 334,5` -> 1334.5. Returns the value and a note when the reading was a judgement."""
    raw = number.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    note = None
    if "," in raw and "." in raw:  # the later one is the decimal mark
        raw = (
            raw.replace(",", "")
            if raw.rfind(".") > raw.rfind(",")
            else (raw.replace(".", "").replace(",", "."))
        )
    elif raw.count(",") > 1 or re.fullmatch(r"[-+]?[1-9]\d{0,2}(,\d{3})+", raw):
        note = f"read `{number}` with `,` as a thousands separator"
        raw = raw.replace(",", "")
    else:
        raw = raw.replace(",", ".")
    if raw.count(".") > 1:
        raise ValueError(number)
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(number)
    return value, note


@dataclass
class Reading:
    """What one measurement cell said."""

    value: float | None = None
    notes: list[str] = field(default_factory=list)
    hardware: dict[str, str] = field(default_factory=dict)
    spread: float | None = None
    error: str | None = None  # set when the cell could not be read at all


def hardware_of(note: str) -> dict[str, str]:
    if GPU_WORDS.search(note):
        return {"gpu": note.strip()}
    if CPU_WORDS.search(note):
        return {"cpu": note.strip()}
    return {}


def split_parentheses(text: str) -> tuple[str, list[str]]:
    """`12.9 ms (Tesla T4)` -> (`12.9 ms`, [`Tesla T4`])."""
    notes = [m.strip() for m in _PAREN.findall(text)]
    return _PAREN.sub(" ", text).strip(), notes


def unit_kind(unit: str) -> tuple[str, str | None]:
    """('time'|'per-token'|'throughput'|'size'|'percent'|'unknown', the base unit)."""
    unit = unit.lower().strip(". ")
    if unit == "%":
        return "percent", None
    if "/" in unit:
        top, bottom = (p.strip(". ") for p in unit.split("/", 1))
        if top in TIME_UNITS:
            if bottom in PER_TOKEN:
                return "per-token", top
            return "time", top
        if bottom in TIME_UNITS:
            return "throughput", None
        return "unknown", None
    if unit in TIME_UNITS:
        return "time", unit
    if unit in SIZE_UNITS:
        return "size", unit
    if unit in {"it", "fps", "qps", "rps"} or unit.endswith("ps"):
        return "throughput", None
    return "unknown", None


def read_measure(text: str, dimension: str, header_unit: str | None) -> Reading:
    """A size/memory (`dimension='size'`) or latency (`'time'`) cell, in MB or ms."""
    reading = Reading()
    text = clean(text)
    if is_placeholder(text):
        return reading
    if re.search(r"\b(oom|out of memory|cuda oom)\b", text, re.I):
        reading.notes.append("out of memory")
        return reading
    text, parentheticals = split_parentheses(text)
    for note in parentheticals:
        found = hardware_of(note)
        reading.hardware.update(found)
        if not found and note:
            reading.notes.append(f"({note})")
    if (approx := _APPROX.match(text)) is not None:
        text = text[approx.end() :]
        reading.notes.append("approximate")
    spread_match = _PLUS_MINUS.search(text)
    if spread_match:
        text = text[: spread_match.start("spread")].rstrip(" ±+-/") + text[spread_match.end() :]
    match = _VALUE.match(text)
    if match is None or not re.search(r"\d", match["num"]):
        reading.error = f"cannot read `{text}` as a number"
        return reading
    rest = text[match.end() :].strip(" ,;")
    if rest and not hardware_of(rest):
        reading.error = f"cannot read `{text}`: `{rest}` after the number"
        return reading
    reading.hardware.update(hardware_of(rest) if rest else {})
    try:
        value, judgement = to_float(match["num"])
        if spread_match:
            reading.spread = abs(to_float(spread_match["spread"])[0])
    except ValueError:
        reading.error = f"cannot read `{match['num']}` as a number"
        return reading
    if judgement:
        reading.notes.append(judgement)
    return _convert(reading, value, match["unit"] or header_unit, dimension)


def _convert(reading: Reading, value: float, unit: str | None, dimension: str) -> Reading:
    default = "mb" if dimension == "size" else "ms"
    if unit is None:
        reading.notes.append(
            f"no unit given; read as {default.upper() if default == 'mb' else default}"
            " (the course's unit)"
        )
        unit = default
    kind, base = unit_kind(unit)
    if kind == "per-token":
        reading.notes.append(f"`{unit}` is a time per token, not a per-sample latency")
        return reading
    if kind == "throughput":
        reading.notes.append(f"`{unit}` is a throughput, not a per-sample latency")
        return reading
    if kind != dimension or base is None:
        reading.error = f"unit `{unit}` does not fit a {'size' if dimension == 'size' else 'time'}"
        return reading
    factor = (SIZE_UNITS if dimension == "size" else TIME_UNITS)[base]
    reading.value = tidy(value * factor)
    if reading.spread is not None:
        reading.spread = tidy(reading.spread * factor)
    return reading
