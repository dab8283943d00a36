"""Evaluation rows: found by the fetch phase, parsed where the run is (inside the sandbox).

`locate` finds the data files (a file in the team's folder, or the files of a pinned hub
revision in the cache) without reading them; `read_rows` parses the first N rows in order.
A row's own keys never carry meaning to the runner: the keys the runner adds itself
(`_base_dir`, `_label_names`, `_row`) are refused in data, and a file a row names resolves
only inside the dataset's own folder (`row_file`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from runner.errors import RunnerError
from runner.loading.team import TeamFolder
from validator.manifest.schema import Evaluation

Row = dict[str, Any]
INTERNAL = ("_base_dir", "_label_names", "_row")  # set by the runner, refused in data
SUFFIXES = (".jsonl", ".json", ".parquet", ".csv", ".arrow")


@dataclass(frozen=True)
class DataSource:
    """Where the rows are: what the fetch found, all a parse needs (it may run elsewhere)."""

    files: tuple[str, ...]  # data files, read in this order
    base_dir: str  # where a file named in a row resolves: the data's own folder
    readable: str  # the folder a sandbox binds read-only to read them
    label: str  # how errors name the dataset

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> DataSource:
        data = json.loads(text)
        return cls(tuple(data["files"]), data["base_dir"], data["readable"], data["label"])


def locate(evaluation: Evaluation, team: TeamFolder) -> DataSource:
    """The data files of the evaluation set, by path: may download, never parses."""
    if not evaluation.is_local:
        from runner.loading.hub_data import fetch_hub

        return fetch_hub(evaluation)
    path = team.resolve(evaluation.dataset, "evaluation.dataset")
    if path.suffix not in SUFFIXES or not path.is_file():
        raise RunnerError(
            f"evaluation.dataset `{evaluation.dataset}` is not a {', '.join(SUFFIXES)} file"
        )
    return DataSource((str(path),), str(path.parent), str(team.root), evaluation.dataset)


def read_rows(source: DataSource, samples: int) -> list[Row]:
    """The first `samples` rows, in the dataset's own order: deterministic by construction."""
    rows: list[Row] = []
    names: dict[str, list[str]] = {}
    for file in source.files:
        if len(rows) >= samples:
            break
        found, labels = read_file(Path(file), samples - len(rows))
        rows += found
        names = names or labels
    if not rows:
        raise RunnerError(f"evaluation.dataset `{source.label}` has no rows")
    for number, row in enumerate(rows, start=1):
        row["_row"] = number
        row["_base_dir"] = source.base_dir
        if names:
            row["_label_names"] = names
    return rows


def file_rows(path: Path, samples: int) -> list[Row]:
    """The first rows of one data file the caller trusts (a benchmark's, a test's)."""
    return read_rows(
        DataSource((str(path),), str(path.parent), str(path.parent), path.name), samples
    )


def read_file(path: Path, samples: int) -> tuple[list[Row], dict[str, list[str]]]:
    """(rows, ClassLabel names per column) of one data file, its internal keys refused."""
    names: dict[str, list[str]] = {}
    if path.suffix in (".jsonl", ".json"):
        rows = read_jsonl(path, samples)
    else:
        rows, names = _read_arrow(path, samples)
    for number, row in enumerate(rows, start=1):
        for key in INTERNAL:
            if key in row:
                raise RunnerError(
                    f"{path.name}: row {number} has a column `{key}`, a name the runner "
                    "keeps for itself; rename the column"
                )
    return rows, names


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


def _read_arrow(path: Path, samples: int) -> tuple[list[Row], dict[str, list[str]]]:
    try:
        import pyarrow as pa
        import pyarrow.csv as pa_csv
        import pyarrow.parquet as pq
    except ImportError:
        raise RunnerError(f"reading {path.suffix} files needs pyarrow") from None
    try:
        if path.suffix == ".parquet":
            table = _first_parquet_rows(pq.ParquetFile(path), samples)
        elif path.suffix == ".csv":
            table = pa_csv.read_csv(path)
        else:
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_stream(source).read_all()
    except (pa.ArrowException, OSError) as exc:
        raise RunnerError(f"{path.name}: cannot be read as {path.suffix}: {exc}") from None
    table = table.slice(0, samples)
    features = _features(table.schema)
    rows = list(table.to_pylist())
    return [_decoded(row, features, path) for row in rows], _label_names(features)


def _first_parquet_rows(file: Any, samples: int) -> Any:
    """Only the row groups the first rows are in: a large file is not read whole."""
    import pyarrow as pa

    batches, count = [], 0
    for batch in file.iter_batches(batch_size=min(max(1, samples), 65536)):
        batches.append(batch)
        count += batch.num_rows
        if count >= samples:
            break
    return pa.Table.from_batches(batches, schema=file.schema_arrow)


def _features(schema: Any) -> Any:
    """The `datasets` features a hub file carries in its schema metadata, if any."""
    meta = (schema.metadata or {}).get(b"huggingface")
    if not meta:
        return None
    try:
        import datasets

        info = json.loads(meta)["info"]["features"]
        return datasets.Features.from_dict(info)
    except Exception:  # no `datasets`, or metadata it cannot read: rows stay undecoded
        return None


def _decoded(row: Row, features: Any, path: Path) -> Row:
    """Images and audio decoded as `datasets` would (PIL images, {array, sampling_rate})."""
    if features is None:
        return row
    try:
        return dict(features.decode_example(row))
    except Exception as exc:  # a library failure on this data; name the file, keep going up
        raise RunnerError(f"{path.name}: a row cannot be decoded: {type(exc).__name__}") from None


def _label_names(features: Any) -> dict[str, list[str]]:
    """ClassLabel names per column, so integer tags can be matched to a model's labels."""
    out: dict[str, list[str]] = {}
    for column, feature in (features or {}).items():
        inner = getattr(feature, "feature", feature)
        names = getattr(inner, "names", None)
        if names:
            out[column] = list(names)
    return out


def row_file(row: Row, value: str) -> Path:
    """A file a row names (an image, an audio clip), inside the dataset's own folder."""
    where = f"evaluation row {row.get('_row', '?')}"
    column = next((k for k, v in row.items() if v is value), None)
    if column is not None:
        where += f", column `{column}`"
    base = row.get("_base_dir")
    pure = PurePosixPath(value)
    if (
        not base
        or pure.is_absolute()
        or value.startswith("~")
        or "\\" in value
        or ".." in pure.parts
        or not pure.parts
    ):
        raise RunnerError(
            f"{where}: `{value[:100]}` is not a path inside the dataset's folder; a row may "
            "name only files beside its data file"
        )
    path = Path(base, *pure.parts)
    if not path.is_file():
        raise RunnerError(f"{where}: `{value[:100]}` is not a file in the dataset's folder")
    return path


def jsonable(value: Any) -> Any:
    """Rows passed between processes as JSON: arrays and images become lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "convert"):  # a PIL image
        import numpy as np

        return np.asarray(value.convert("RGB")).tolist()
    if isinstance(value, bytes):
        raise TypeError("raw bytes in a row (an undecoded image or audio file?)")
    raise TypeError(f"cannot pass {type(value).__name__} between processes")


def json_lines(rows: list[Row]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row, default=jsonable) + "\n"
