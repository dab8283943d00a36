"""Loading models and rows: safe files only, names resolved only in the team's folder, hub
datasets at a pinned revision with no card able to point outside its own repository."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path
from typing import Any

import pytest

from runner.errors import RunnerError
from runner.loading.data import DataSource, locate, read_rows, row_file
from runner.loading.hub_data import download_patterns, split_patterns
from runner.loading.model import check_safe, readable_folder, resolve
from runner.loading.team import TeamFolder
from tests.runner.conftest import DATA
from tests.runner.hub_cache import SHA, add_model_folder, add_repo, offline_cache
from validator.manifest.schema import Evaluation

SECRET = "TOPSECRET-runner-file-content"  # noqa: S105 - what must never leak


class Payload:
    """Unpickling this would create a file: proof that nothing unpickled it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (self.marker,))


def team(tmp_path: Path, name: str = "t") -> TeamFolder:
    folder = tmp_path / "manifest" / "submissions" / name  # as `mcv fetch-manifest` writes it
    folder.mkdir(parents=True, exist_ok=True)
    return TeamFolder.of(folder, name)


def evaluation(dataset: str, **fields: Any) -> Evaluation:
    return Evaluation.model_validate(
        {"dataset": dataset, "samples": 5, "metric": "accuracy", **fields}
    )


def secret_file(tmp_path: Path) -> Path:
    """A host file the runner could read but a team must never see: mode 600."""
    path = tmp_path / "host" / "secret.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps({"text": SECRET, "label": 1}) + "\n")
    path.chmod(0o600)
    return path


def test_pickled_weights_are_refused_without_loading(tmp_path: Path) -> None:
    folder = team(tmp_path)
    marker = tmp_path / "pwned"
    model = folder.root / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "pytorch_model.bin").write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(
        RunnerError,
        match=r"no \.safetensors weights \(found only "
        r"pytorch_model\.bin\); pickled weights are refused",
    ):
        resolve("submissions/t/model", None, folder)
    assert not marker.exists()


def test_custom_code_is_refused(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "remote"
    folder.mkdir()
    for item in tiny_models["text-classification"].iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.Evil"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        RunnerError, match=r"needs its own code .* refused: the course does not allow"
    ):
        check_safe(folder)
    del config["auto_map"]
    (folder / "config.json").write_text(json.dumps(config))
    (folder / "modeling_evil.py").write_text("raise SystemExit")
    with pytest.raises(RunnerError, match="ships Python files"):
        check_safe(folder)


@pytest.mark.parametrize(
    "name",
    [
        "/etc",
        "~/.ssh",
        "../../../root",
        ".cache/demo/digits-vit",  # the runner's own checkout
        "submissions/other/model",  # another team's folder
        "submissions/t/../other/model",
        "./submissions/t/../../..",
    ],
)
def test_a_local_model_outside_the_team_folder_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(RunnerError, match=r"is not under `submissions/t/`: the runner reads"):
        resolve(name, None, team(tmp_path))


def test_missing_local_model_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(RunnerError, match=r"model `submissions/t/nowhere`: no such file"):
        resolve("submissions/t/nowhere", None, team(tmp_path))


def test_links_in_the_team_folder_are_refused(tmp_path: Path) -> None:
    folder = team(tmp_path)
    secret = secret_file(tmp_path)
    (folder.root / "data").mkdir()
    (folder.root / "data" / "eval.jsonl").symlink_to(secret)
    with pytest.raises(RunnerError, match=r"`eval\.jsonl` is a symbolic link; refused") as err:
        locate(evaluation("submissions/t/data/eval.jsonl"), folder)
    (folder.root / "data" / "eval.jsonl").unlink()
    (folder.root / "linked").symlink_to(secret.parent, target_is_directory=True)
    with pytest.raises(RunnerError, match=r"`linked` is a symbolic link; refused"):
        locate(evaluation("submissions/t/linked/secret.jsonl"), folder)
    with pytest.raises(RunnerError, match=r"holds a symbolic link, `linked`"):
        folder.check_links()
    assert SECRET not in str(err.value)


def test_the_size_cap_holds_at_the_runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runner.loading.team as team_module

    folder = team(tmp_path)
    (folder.root / "eval.jsonl").write_text('{"text": "a", "label": 0}\n' * 100)
    monkeypatch.setattr(team_module, "MAX_FILE_BYTES", 1000)
    with pytest.raises(RunnerError, match=r"is over the size cap"):
        locate(evaluation("submissions/t/eval.jsonl"), folder)


def test_rows_come_in_file_order_and_stop_at_samples(tmp_path: Path) -> None:
    folder = team(tmp_path)
    shutil.copy(DATA / "sentiment.jsonl", folder.root / "sentiment.jsonl")
    source = locate(evaluation("submissions/t/sentiment.jsonl"), folder)
    assert source.readable == str(folder.root)
    rows = read_rows(source, 3)
    assert [r["text"] for r in rows] == ["a great good film", "bad boring film", "good fun"]
    assert [(r["_row"], r["_base_dir"]) for r in rows] == [(i, str(folder.root)) for i in (1, 2, 3)]


def test_bad_jsonl_line_is_located(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "ok"}\n{not json}\n')
    with pytest.raises(RunnerError, match=r"rows\.jsonl:2: not JSON"):
        read_rows(DataSource((str(path),), str(tmp_path), str(tmp_path), "x"), 5)


def test_parquet_and_csv_rows(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": ["a", "b", "c"], "label": [0, 1, 0]}), path)
    source = DataSource((str(path),), str(tmp_path), str(tmp_path), "x")
    assert [r["text"] for r in read_rows(source, 2)] == ["a", "b"]
    csv = tmp_path / "rows.csv"
    csv.write_text("text,label\nx,1\ny,0\n")
    source = DataSource((str(csv),), str(tmp_path), str(tmp_path), "x")
    assert [(r["text"], r["label"]) for r in read_rows(source, 5)] == [("x", 1), ("y", 0)]


@pytest.mark.parametrize("key", ["_base_dir", "_label_names", "_row"])
def test_internal_keys_in_data_are_refused(tmp_path: Path, key: str) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text(json.dumps({"text": "ok", "label": 0}) + "\n" + json.dumps({key: "/root"}))
    with pytest.raises(RunnerError, match=rf"rows\.jsonl: row 2 has a column `{key}`"):
        read_rows(DataSource((str(path),), str(tmp_path), str(tmp_path), "x"), 5)


@pytest.mark.parametrize(
    "value", ["../../etc/passwd", "/etc/passwd", "~/.ssh/id_rsa", "img/../../secret", "..\\x"]
)
def test_a_row_names_files_only_in_the_dataset_folder(tmp_path: Path, value: str) -> None:
    row = {"image": value, "label": 0, "_row": 4, "_base_dir": str(tmp_path)}
    with pytest.raises(RunnerError, match=r"evaluation row 4, column `image`: .* not a path"):
        row_file(row, value)


def test_a_row_file_beside_the_data_resolves(tmp_path: Path) -> None:
    (tmp_path / "img").mkdir()
    (tmp_path / "img" / "1.npy").write_bytes(b"x")
    row = {"image": "img/1.npy", "_row": 1, "_base_dir": str(tmp_path)}
    assert row_file(row, "img/1.npy") == tmp_path / "img" / "1.npy"
    with pytest.raises(RunnerError, match=r"`img/2\.npy` is not a file in the dataset's folder"):
        row_file({**row, "image": "img/2.npy"}, "img/2.npy")


def test_missing_column_says_how_to_map_it(tiny_models: dict[str, Path]) -> None:
    from runner.tasks import TASKS

    task = TASKS["text-classification"](tiny_models["text-classification"], {})
    with pytest.raises(RunnerError, match=r"no `text` column .*evaluation\.columns: \{text: "):
        task.prepare([{"comment": "good", "label": 1}])
    mapped = TASKS["text-classification"](tiny_models["text-classification"], {"text": "comment"})
    assert len(mapped.prepare([{"comment": "good", "label": 1}])) == 1


# --- the hub, offline, through a cache laid out as huggingface_hub lays it out ---


def test_offline_hub_model_names_the_id(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    offline_cache(monkeypatch, tmp_path / "hub")
    with pytest.raises(
        RunnerError, match=r"model `org/not-cached`@abc1234 is not in the local cache"
    ):
        resolve("org/not-cached", "abc1234", team(tmp_path))


def test_a_cached_hub_model_binds_its_repository_folder(
    tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = offline_cache(monkeypatch, tmp_path / "hub")
    add_model_folder(cache, "org/tiny", tiny_models["text-classification"])
    folder = resolve("org/tiny", SHA, team(tmp_path))
    assert folder == cache / "models--org--tiny" / "snapshots" / SHA
    assert (folder / "config.json").is_symlink()  # the snapshot links into blobs/
    assert readable_folder(folder) == (cache / "models--org--tiny").resolve()


def test_a_poisoned_cache_link_is_refused(
    tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = offline_cache(monkeypatch, tmp_path / "hub")
    snapshot = add_model_folder(cache, "org/tiny", tiny_models["text-classification"])
    (snapshot / "vocab.txt").unlink(missing_ok=True)
    (snapshot / "vocab.txt").symlink_to(secret_file(tmp_path))
    with pytest.raises(RunnerError, match=r"links `vocab\.txt` outside its own folder") as err:
        resolve("org/tiny", SHA, team(tmp_path))
    assert SECRET not in str(err.value)


def labelled_parquet(rows: int, split: str) -> bytes:
    pa = pytest.importorskip("pyarrow")
    import io

    import pyarrow.parquet as pq

    features = {
        "text": {"dtype": "string", "_type": "Value"},
        "label": {"names": ["neg", "pos"], "_type": "ClassLabel"},
    }
    table = pa.table(
        {"text": [f"{split} {i}" for i in range(rows)], "label": [i % 2 for i in range(rows)]}
    )
    table = table.replace_schema_metadata(
        {"huggingface": json.dumps({"info": {"features": features}})}
    )
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


CARD = """---
configs:
- config_name: sst2
  data_files:
  - split: train
    path: sst2/train-*
  - split: validation
    path: sst2/validation-*
- config_name: other
  data_files: other/*.parquet
---
# A dataset card
"""


def glue_like(cache: Path, card: str = CARD) -> Path:
    return add_repo(
        cache,
        "dataset",
        "org/glue",
        {
            "README.md": card.encode(),
            "sst2/train-00000-of-00001.parquet": labelled_parquet(4, "train"),
            "sst2/validation-00000-of-00002.parquet": labelled_parquet(3, "validation"),
            "sst2/validation-00001-of-00002.parquet": labelled_parquet(3, "second"),
            "other/x.parquet": labelled_parquet(2, "other"),
            "glue.py": b"raise SystemExit('a dataset script never runs')",
        },
    )


def test_a_pinned_hub_dataset_gives_its_split_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = offline_cache(monkeypatch, tmp_path / "hub")
    snapshot = glue_like(cache)
    source = locate(evaluation("org/glue", revision=SHA, subset="sst2"), team(tmp_path))
    assert [Path(f).relative_to(snapshot).as_posix() for f in source.files] == [
        "sst2/validation-00000-of-00002.parquet",
        "sst2/validation-00001-of-00002.parquet",
    ]
    assert source.readable == str((cache / "datasets--org--glue").resolve())
    rows = read_rows(source, 5)  # across both files, in order
    assert [r["text"] for r in rows] == [
        "validation 0",
        "validation 1",
        "validation 2",
        "second 0",
        "second 1",
    ]
    assert rows[0]["_label_names"] == {"label": ["neg", "pos"]}


def test_an_unpinned_hub_dataset_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    offline_cache(monkeypatch, tmp_path / "hub")
    for revision in (None, "main", "abc1234"):
        with pytest.raises(RunnerError, match=r"is not pinned: a hub dataset needs"):
            locate(evaluation("org/glue", revision=revision), team(tmp_path))


def test_an_uncached_hub_dataset_offline_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    offline_cache(monkeypatch, tmp_path / "hub")
    with pytest.raises(RunnerError, match=r"`org/no-such-set`@3f1c2b9d8e7a is not in the local"):
        locate(evaluation("org/no-such-set", revision=SHA), team(tmp_path))


@pytest.mark.parametrize(
    "pattern",
    [
        "{secret}",  # an absolute host path
        "../../../../{name}",
        "sst2/../../../etc/passwd",
        "https://evil.example/x.parquet",
        "hf://datasets/other/repo/x.parquet",
        "~/.ssh/id_rsa",
        "C:\\\\x.parquet",
    ],
)
def test_a_card_pointing_outside_its_repository_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, pattern: str
) -> None:
    cache = offline_cache(monkeypatch, tmp_path / "hub")
    secret = secret_file(tmp_path)
    pattern = pattern.format(secret=secret, name=secret.name)
    card = (
        "---\nconfigs:\n- config_name: default\n  data_files:\n"
        f'  - split: validation\n    path: "{pattern}"\n---\n'
    )
    glue_like(cache, card)
    with pytest.raises(RunnerError, match=r"outside the dataset's own repository") as err:
        locate(evaluation("org/glue", revision=SHA), team(tmp_path))
    assert SECRET not in str(err.value)


def test_hostile_patterns_in_another_config_are_refused_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = offline_cache(monkeypatch, tmp_path / "hub")
    glue_like(cache, CARD.replace("other/*.parquet", "/etc/shadow"))
    with pytest.raises(RunnerError, match=r"'/etc/shadow', outside the dataset's own"):
        locate(evaluation("org/glue", revision=SHA, subset="sst2"), team(tmp_path))


def test_without_configs_the_files_are_found_by_split_name() -> None:
    assert split_patterns({}, None, "test") == ["*test*"]
    assert split_patterns({}, "ru", "test") == ["ru/*test*"]


def test_a_card_with_aliases_is_refused(tmp_path: Path) -> None:
    from runner.loading.hub_data import read_card

    card = tmp_path / "README.md"
    card.write_text("---\na: &x [1, 2]\nb: *x\n---\n")
    with pytest.raises(RunnerError, match="YAML header cannot be read"):
        read_card(card)


def test_only_data_files_are_downloaded() -> None:
    assert download_patterns(["sst2/validation-*"]) == [
        "sst2/validation-*.jsonl",
        "sst2/validation-*.json",
        "sst2/validation-*.parquet",
        "sst2/validation-*.csv",
        "sst2/validation-*.arrow",
    ]
    assert download_patterns(["data/test.parquet"]) == ["data/test.parquet"]
    assert download_patterns(["data"])[0] == "data/*.jsonl"


def test_a_poisoned_dataset_cache_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = offline_cache(monkeypatch, tmp_path / "hub")
    snapshot = glue_like(cache)
    target = snapshot / "sst2" / "validation-00000-of-00002.parquet"
    target.unlink()
    target.symlink_to(secret_file(tmp_path))
    with pytest.raises(RunnerError, match=r"outside its own folder") as err:
        locate(evaluation("org/glue", revision=SHA, subset="sst2"), team(tmp_path))
    assert SECRET not in str(err.value)


def test_a_split_the_card_does_not_name_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    glue_like(offline_cache(monkeypatch, tmp_path / "hub"))
    with pytest.raises(RunnerError, match=r"names no data files for split `test` of sst2"):
        locate(evaluation("org/glue", revision=SHA, subset="sst2", split="test"), team(tmp_path))
    with pytest.raises(RunnerError, match=r"has no config `nope` \(it has: sst2, other\)"):
        locate(evaluation("org/glue", revision=SHA, subset="nope"), team(tmp_path))
