from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from runner.errors import RunnerError
from runner.loading.data import load_rows
from runner.loading.model import check_safe, resolve
from tests.runner.conftest import DATA


class Payload:
    """Unpickling this would create a file: proof that nothing unpickled it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def test_pickled_weights_are_refused_without_loading(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "pytorch_model.bin").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(
        RunnerError,
        match=r"no \.safetensors weights \(found only "
        r"pytorch_model\.bin\); pickled weights are refused",
    ):
        resolve(str(model), None)
    assert not marker.exists()


def test_custom_code_is_refused(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "remote"
    folder.mkdir()
    for item in tiny_models["text-classification"].iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.Evil"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunnerError, match="trust_remote_code is never enabled"):
        check_safe(folder)
    del config["auto_map"]
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_evil.py").write_text("raise SystemExit")
    with pytest.raises(RunnerError, match="ships Python files"):
        check_safe(folder)


def test_missing_local_model_names_the_path() -> None:
    with pytest.raises(RunnerError, match=r"model `\./nowhere`: no such local directory"):
        resolve("./nowhere", None)


def test_offline_hub_model_names_the_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(
        RunnerError,
        match=r"model `org/not-cached`@abc1234 is not in the local "
        r"cache",
    ):
        resolve("org/not-cached", "abc1234")


def test_rows_come_in_file_order_and_stop_at_samples() -> None:
    rows = load_rows(str(DATA / "sentiment.jsonl"), None, "validation", 3)
    assert [r["text"] for r in rows] == ["a great good film", "bad boring film", "good fun"]


def test_relative_dataset_resolves_against_the_manifest() -> None:
    rows = load_rows("sentiment.jsonl", None, "validation", 2, DATA)
    assert len(rows) == 2


def test_bad_jsonl_line_is_located(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "ok"}\n{not json}\n')
    with pytest.raises(RunnerError, match=r"rows\.jsonl:2: not JSON"):
        load_rows(str(path), None, "validation", 5)


def test_parquet_rows(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": ["a", "b", "c"], "label": [0, 1, 0]}), path)
    assert [r["text"] for r in load_rows(str(path), None, "validation", 2)] == ["a", "b"]


def test_missing_column_says_how_to_map_it(tiny_models: dict[str, Path]) -> None:
    from runner.tasks import TASKS

    task = TASKS["text-classification"](tiny_models["text-classification"], {})
    with pytest.raises(RunnerError, match=r"no `text` column .*evaluation\.columns: \{text: "):
        task.prepare([{"comment": "good", "label": 1}])
    mapped = TASKS["text-classification"](tiny_models["text-classification"], {"text": "comment"})
    assert len(mapped.prepare([{"comment": "good", "label": 1}])) == 1


def test_unreachable_hub_dataset_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    datasets = pytest.importorskip("datasets")
    import huggingface_hub.constants

    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)  # read at import time
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(
        RunnerError,
        match=r"evaluation\.dataset `org/no-such-set` \(default, "
        r"validation\) cannot be loaded",
    ):
        load_rows("org/no-such-set", None, "validation", 5)
