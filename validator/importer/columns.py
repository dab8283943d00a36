"""What a column (or, in a transposed table, a row) holds, read from its header text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from validator.importer.cells import PER_SAMPLE, PER_TOKEN, SIZE_UNITS, TIME_UNITS, clean
from validator.importer.quality import metric_names


class Kind(StrEnum):
    MODEL = "model"
    METHOD = "method"
    SIZE = "size_mb"
    CPU = "cpu_ms"
    GPU = "gpu_ms"
    RAM = "ram_mb"
    VRAM = "vram_mb"
    QUALITY = "quality"
    DIFFERENCE = "difference"
    OTHER = "other"


MEASURES = (Kind.SIZE, Kind.CPU, Kind.GPU, Kind.RAM, Kind.VRAM, Kind.QUALITY)


@dataclass
class Column:
    kind: Kind
    header: str
    unit: str | None = None  # unit the header gives its cells, e.g. "с" or "GB"
    metrics: list[str] = field(default_factory=list)  # metric names the header names
    note: str | None = None  # what the header says that a reader of the record should know
    percent: bool = False


_DIFFERENCE = re.compile(
    r"разниц|differ|\bdiff\b|Δ|дельт|изменен|\bchange|ускорен|speed-?up|улучшен|improv|"
    r"сравнен|\bratio\b|отношен|во сколько|\bvs\.?\b|прирост|gain|сокращен|reduction",
    re.I,
)
_VRAM = re.compile(r"vram|видеопамят|gpu[\s_-]*mem|памят\w*\s*gpu|cuda[\s_-]*mem", re.I)
_RAM = re.compile(r"\bram\b|\bозу\b|памят|memory|\brss\b", re.I)
_SIZE = re.compile(r"размер|\bsize\b|\bвес\b|весов|объ[её]м|disk|диск|\.gz|gzip", re.I)
_TIME = re.compile(
    r"врем|time|latency|задержк|inference|инференс|скорост|speed|"
    r"throughput|пропускн|\bms\b|\bмс\b",
    re.I,
)
_PER_TOKEN = re.compile(r"(per|на|/)\s*(token|токен)", re.I)
_THROUGHPUT = re.compile(r"throughput|пропускн|\bfps\b|\bqps\b|it/s", re.I)
_GPU = re.compile(r"gpu|cuda|видеокарт|гпу", re.I)
_CPU = re.compile(r"cpu|процессор|цпу", re.I)
_QUALITY = re.compile(
    r"качеств|quality|метрик|metric|score|точност|accuracy|f1|wer|cer|"
    r"bleu|perplexity|ppl|precision|recall|полнот|chrf|rouge|exact",
    re.I,
)
_MODEL = re.compile(r"модел|model|сеть|network|архитектур|architecture|checkpoint", re.I)
_METHOD = re.compile(
    r"метод|method|техник|technique|подход|approach|вариант|variant|"
    r"оптимизац|optimi[sz]ation|compression|сжати|квантизац|формат|format|"
    r"config|конфигурац|версия|version",
    re.I,
)
_UNIT = re.compile(r"(?<![\w])([^\W\d_]+(?:\s*/\s*[^\W\d_]+)?)(?![\w])")


def header_unit(text: str) -> str | None:
    """The first word (or `a/b` pair) in the header that is a size or time unit."""
    for match in _UNIT.finditer(text):
        word = match.group(1).lower().replace(" ", "")
        top, _, bottom = word.partition("/")
        if bottom and (top in TIME_UNITS or bottom in TIME_UNITS):
            if (
                top in TIME_UNITS
                and bottom not in PER_TOKEN
                and bottom not in PER_SAMPLE
                and bottom not in TIME_UNITS
            ):
                return top  # "s/it": seconds per iteration, still a time
            return word
        if len(word) > 1 and (word in SIZE_UNITS or word in TIME_UNITS):
            return word
        if word in {"с", "s"} and re.search(rf"\(\s*{word}\s*\)|,\s*{word}\b", text, re.I):
            return word  # a lone "с" counts only as "(с)" or ", s"
    return None


def classify(raw_header: str) -> Column:
    text = clean(raw_header)
    if _DIFFERENCE.search(text):
        return Column(Kind.DIFFERENCE, text)
    unit = header_unit(text)
    if _VRAM.search(text):
        return Column(Kind.VRAM, text, unit)
    if _SIZE.search(text) and not _TIME.search(text):
        note = "size of the gzip-compressed file" if re.search(r"\.gz|gzip", text, re.I) else None
        return Column(Kind.SIZE, text, unit, note=note)
    if _RAM.search(text):
        return Column(Kind.RAM, text, unit)
    if _TIME.search(text) or (unit is not None and unit.split("/")[0] in TIME_UNITS):
        if _PER_TOKEN.search(text) and (unit is None or "/" not in unit):
            unit = f"{unit or 'ms'}/token"
        elif _THROUGHPUT.search(text) and (unit is None or "/" not in unit):
            unit = "items/s"
        if _GPU.search(text):
            return Column(Kind.GPU, text, unit)
        if _CPU.search(text):
            return Column(Kind.CPU, text, unit)
        return Column(Kind.OTHER, text, unit, note="a time without CPU or GPU named")
    if _QUALITY.search(text):
        return Column(Kind.QUALITY, text, metrics=metric_names(text), percent="%" in text)
    if _MODEL.search(text):
        return Column(Kind.MODEL, text)
    if _METHOD.search(text):
        return Column(Kind.METHOD, text)
    return Column(Kind.OTHER, text)
