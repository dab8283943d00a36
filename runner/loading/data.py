"""Evaluation rows: a local .jsonl/.parquet file or a hub dataset, first N rows in order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from runner.errors import RunnerError

Row = dict[str, Any]


def load_rows(
    dataset: str, subset: str | None, split: str, samples: int, base: Path | None = None
) -> list[Row]:
    """The first `samples` rows, in the dataset's own order: deterministic by construction."""
    path = Path(dataset)
    if not path.is_absolute() and base is not None and (base / path).exists():
        path = base / path
    if path.suffix in (".jsonl", ".json", ".parquet"):
        if not path.is_file():
            raise RunnerError(f"evaluation.dataset `{dataset}`: no such file")
        rows = (
            read_jsonl(path, samples) if path.suffix != ".parquet" else _read_parquet(path, samples)
        )
    else:
        rows = _read_hub(dataset, subset, split, samples)
    if not rows:
        raise RunnerError(f"evaluation.dataset `{dataset}` has no rows")
    for row in rows:
        row.setdefault("_base_dir", str(path.parent.resolve()) if path.suffix else "")
    return rows


def read_jsonl(path: Path, samples: int) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if len(rows) >= samples:
                break
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise RunnerError(f"{path}:{number}: not JSON: {exc}") from None
            if not isinstance(row, dict):
                raise RunnerError(f"{path}:{number}: each line must be a JSON object")
            rows.append(row)
    return rows


def _read_parquet(path: Path, samples: int) -> list[Row]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise RunnerError("reading .parquet needs pyarrow (`pip install pyarrow`)") from None
    table = pq.read_table(path).slice(0, samples)
    return list(table.to_pylist())


def _read_hub(dataset: str, subset: str | None, split: str, samples: int) -> list[Row]:
    try:
        import datasets
    except ImportError:
        raise RunnerError("a hub dataset needs the `datasets` package") from None
    try:
        data = datasets.load_dataset(dataset, subset, split=f"{split}[:{samples}]")
    except Exception as exc:  # datasets raises many kinds; all mean "cannot load"
        raise RunnerError(
            f"evaluation.dataset `{dataset}` ({subset or 'default'}, {split}) "
            f"cannot be loaded: {str(exc).splitlines()[0][:300]}"
        ) from None
    rows = [dict(row) for row in data]
    names = _label_names(data)
    if names:
        for row in rows:
            row["_label_names"] = names
    return rows


def _label_names(data: Any) -> dict[str, list[str]]:
    """ClassLabel names per column, so integer tags can be matched to a model's labels."""
    out: dict[str, list[str]] = {}
    for column, feature in getattr(data, "features", {}).items():
        inner = getattr(feature, "feature", feature)
        names = getattr(inner, "names", None)
        if names:
            out[column] = list(names)
    return out
