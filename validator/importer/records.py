"""Tables -> records, the shape DESIGN.md fixes for `mcv import --format json`.

Row-per-method tables and transposed ones (metrics as rows, methods as columns) both come
out as one record per method. Nothing is guessed: a cell that cannot be read is left out of
its record and listed as a problem with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from validator.importer.cells import Reading, clean, is_placeholder, read_measure
from validator.importer.columns import MEASURES, Column, Kind, classify
from validator.importer.markdown_tables import Row, Table, find_tables
from validator.importer.quality import read_quality

MEASURE_FIELDS = ("size_mb", "cpu_ms", "gpu_ms", "ram_mb", "vram_mb")
_TEMPLATE = re.compile(
    r"your[\s_-]*model|ваша[\s_-]*модель|имя[\s_-]*модели|название[\s_-]*"
    r"модели|model[\s_-]*name|^<.*>$|^\.\.\.$|^…$|^пример$|^example$",
    re.I,
)
_METRIC_HEADER = re.compile(
    r"^(метрик\w*|metrics?|показател\w*|параметр\w*|parameters?|"
    r"характеристик\w*|measure\w*|)$",
    re.I,
)


@dataclass
class Record:
    model: str | None
    method: str | None
    line: int
    size_mb: float | None = None
    cpu_ms: float | None = None
    gpu_ms: float | None = None
    ram_mb: float | None = None
    vram_mb: float | None = None
    hardware: dict[str, str] = field(default_factory=dict)
    quality: dict[str, float] = field(default_factory=dict)
    uncertainty: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "method": self.method,
            **{name: getattr(self, name) for name in MEASURE_FIELDS},
            "hardware": self.hardware or None,
            "quality": self.quality,
            "line": self.line,
            "notes": self.notes,
            "uncertainty": self.uncertainty or None,
        }


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass
class ImportResult:
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # cells that could not be read
    skipped: list[Problem] = field(default_factory=list)  # tables and rows left out, and why


def import_markdown(text: str) -> ImportResult:
    result = ImportResult()
    for table in find_tables(text):
        columns = [classify(cell) for cell in table.header.cells]
        if _is_transposed(table, columns):
            _read_transposed(table, result)
        elif any(c.kind in MEASURES for c in columns):
            _read_rows(table, columns, result)
        else:
            result.skipped.append(
                Problem(table.line, "not a results table (no size, time, memory or quality column)")
            )
    return result


def _cell(row: Row, index: int) -> str:
    return row.cells[index] if index < len(row.cells) else ""


def _store(
    record: Record, kind: Kind, reading: Reading, label: str, result: ImportResult, line: int
) -> None:
    if reading.error:
        result.problems.append(Problem(line, f"{label}: {reading.error}"))
        return
    record.notes += [f"{kind.value}: {note}" for note in reading.notes]
    for key, value in reading.hardware.items():
        record.hardware.setdefault(key, value)
    if reading.value is not None:
        if getattr(record, kind.value) is not None:
            record.notes.append(f"{kind.value}: a second column ({label}) left out")
            return
        setattr(record, kind.value, reading.value)
        if reading.spread is not None:
            record.uncertainty[kind.value] = reading.spread


def _fill(record: Record, column: Column, raw: str, result: ImportResult, line: int) -> None:
    label = f"column `{column.header}`"
    if column.kind is Kind.QUALITY:
        text = clean(raw)
        if is_placeholder(text):
            return
        quality = read_quality(text, column.metrics, column.percent)
        if quality.error:
            result.problems.append(Problem(line, f"{label}: {quality.error}"))
            return
        record.notes += [f"quality: {note}" for note in quality.notes]
        for name, value in quality.values.items():
            record.quality.setdefault(name, value)
        return
    reading = read_measure(
        raw, "size" if column.kind in (Kind.SIZE, Kind.RAM, Kind.VRAM) else "time", column.unit
    )
    if column.note and reading.value is not None:
        reading.notes.append(column.note)
    _store(record, column.kind, reading, label, result, line)


def _is_template(record: Record, raw_model: str) -> bool:
    values = [getattr(record, f) for f in MEASURE_FIELDS] + list(record.quality.values())
    numbers = [v for v in values if v is not None]
    return bool(_TEMPLATE.search(raw_model.strip())) or (bool(numbers) and not any(numbers))


def _model_name(raw: str, record_notes: list[str]) -> str | None:
    text = clean(raw)
    if is_placeholder(text):
        return None
    bare = re.sub(r"\s*\(([^()]*)\)\s*$", "", text).strip()
    if bare != text and bare:
        record_notes.append(f"model: {text[len(bare) :].strip()}")
        return bare
    return text


def _read_rows(table: Table, columns: list[Column], result: ImportResult) -> None:
    model_at = next((i for i, c in enumerate(columns) if c.kind is Kind.MODEL), None)
    method_at = next((i for i, c in enumerate(columns) if c.kind is Kind.METHOD), None)
    for column in columns:
        if column.kind is Kind.OTHER and column.note:
            result.skipped.append(Problem(table.line, f"column `{column.header}`: {column.note}"))
    previous_model: str | None = None
    for row in table.rows:
        notes: list[str] = []
        raw_model = _cell(row, model_at) if model_at is not None else ""
        model = _model_name(raw_model, notes) if model_at is not None else None
        if model is None and previous_model is not None and model_at is not None:
            model = previous_model
            notes.append("model: empty cell, taken from the row above")
        method = clean(_cell(row, method_at)) if method_at is not None else None
        record = Record(model, method or None, row.line, notes=notes)
        before = len(result.problems)
        for index, column in enumerate(columns):
            if column.kind in MEASURES:
                _fill(record, column, _cell(row, index), result, row.line)
        if _is_template(record, raw_model):
            del result.problems[before:]
            result.skipped.append(
                Problem(row.line, "template row (placeholder model or all zeros)")
            )
            continue
        previous_model = model
        result.records.append(record)


def _is_transposed(table: Table, columns: list[Column]) -> bool:
    """Metrics down the first column, methods across: `| Метрика | FP32 | INT8 | Разница |`."""
    if any(c.kind in MEASURES for c in columns[1:]) or not table.rows:
        return False
    first = [classify(_cell(row, 0)).kind for row in table.rows]
    measured = sum(kind in MEASURES for kind in first)
    return measured >= 2 and (
        measured * 2 >= len(first) or bool(_METRIC_HEADER.match(clean(_cell(table.header, 0))))
    )


def _read_transposed(table: Table, result: ImportResult) -> None:
    row_columns = [classify(_cell(row, 0)) for row in table.rows]
    model: str | None = None
    for row, column in zip(table.rows, row_columns, strict=True):
        if column.kind is Kind.MODEL and len(row.cells) > 1:
            model = clean(_cell(row, 1)) or None
    for index, header in enumerate(table.header.cells[1:], start=1):
        method = clean(header)
        if classify(header).kind is Kind.DIFFERENCE:
            result.skipped.append(
                Problem(
                    table.line, f"column `{method}`: a difference between methods, not a method"
                )
            )
            continue
        record = Record(
            model,
            method or None,
            table.line,
            notes=["read from a transposed table (methods as columns)"],
        )
        for row, column in zip(table.rows, row_columns, strict=True):
            if column.kind in MEASURES:
                _fill(record, column, _cell(row, index), result, row.line)
        result.records.append(record)
