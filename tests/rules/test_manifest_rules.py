"""Every manifest rule: one manifest that trips it and a near neighbour that does not."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.builders import check, manifest, with_run
from validator.findings import Severity
from validator.rules import MANIFEST_RULES
from validator.rules._runs import significant_digits

Mutate = Callable[[dict[str, Any]], Any]


def reported(index: int, **values: Any) -> Mutate:
    return lambda d: d["runs"][index]["reported"].update(values)


def run(**fields: Any) -> Mutate:
    return lambda d: with_run(d, **fields)


def drop_hardware(d: dict[str, Any]) -> None:
    del d["runs"][0]["hardware"]


def setting(*path: Any, value: Any) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        node = d
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


# (code, severity, mutation that trips it, near miss that must not)
CASES: list[tuple[str, Severity, Mutate, Mutate]] = [
    (
        "MCV203",
        Severity.ERROR,
        setting("runs", 1, "label", value="оригинал "),
        setting("runs", 1, "label", value="Оригинал 2"),
    ),
    (
        "MCV204",
        Severity.ERROR,
        setting("runs", 0, "method", value="onnx"),
        setting("runs", 0, "label", value="baseline"),
    ),
    (
        "MCV205",
        Severity.WARNING,
        setting("model", "revision", value="main"),
        setting("model", "revision", value="a" * 40),
    ),
    (
        "MCV206",
        Severity.ERROR,
        setting("evaluation", "metric", value="wer"),
        setting("evaluation", "metric", value="precision"),
    ),
    (
        "MCV207",
        Severity.ERROR,
        setting("evaluation", "dataset", value="../../../home/runner/.ssh/id.jsonl"),
        setting("evaluation", "dataset", value="submissions/ml_masters/data/eval.jsonl"),
    ),
    (
        "MCV208",
        Severity.ERROR,
        setting("evaluation", "revision", value="main"),
        setting("evaluation", "revision", value="b" * 40),
    ),
    ("MCV401", Severity.ERROR, reported(1, cpu_ms=88.31), reported(1, cpu_ms=88.32)),
    ("MCV402", Severity.WARNING, reported(1, quality=0.9112), reported(1, quality=0.9111)),
    ("MCV403", Severity.ERROR, reported(1, size_mb=80.0), reported(1, size_mb=100.0)),
    (
        "MCV404",
        Severity.ERROR,
        run(
            label="prune",
            method="prune-unstructured",
            params={"amount": 0.5},
            reported={"size_mb": 210.0},
        ),
        run(
            label="prune",
            method="prune-unstructured",
            params={"amount": 0.5, "storage": "sparse"},
            reported={"size_mb": 210.0},
        ),
    ),
    ("MCV405", Severity.ERROR, reported(0, vram_mb=300.0), reported(0, vram_mb=400.0)),
    ("MCV406", Severity.ERROR, reported(1, cpu_ms=0), reported(1, cpu_ms=0.01)),
    ("MCV407", Severity.ERROR, reported(1, quality=90.31), reported(1, quality=0.99)),
    ("MCV409", Severity.WARNING, reported(1, ram_mb=150.0), reported(1, ram_mb=175.0)),
    (
        "MCV411",
        Severity.ERROR,
        run(label="bnb", method="bnb-int8", reported={"cpu_ms": 50.0}),
        run(label="bnb", method="bnb-int8", reported={"gpu_ms": 9.0}, hardware={"gpu": "T4"}),
    ),
    (
        "MCV212",
        Severity.ERROR,
        run(label="q", method="gptq", reported={"gpu_ms": 9.0}, hardware={"gpu": "T4"}),
        run(label="q", method="bnb-int8", reported={"gpu_ms": 9.0}, hardware={"gpu": "T4"}),
    ),
    (
        "MCV410",
        Severity.WARNING,
        drop_hardware,
        setting("runs", 0, "hardware", value={"gpu": "T4"}),
    ),
]


def test_clean_manifest_has_no_findings(tmp_path: Path) -> None:
    assert check(tmp_path, manifest()) == []


@pytest.mark.parametrize(("code", "severity", "hit", "miss"), CASES, ids=[c[0] for c in CASES])
def test_rule_hits(
    tmp_path: Path, code: str, severity: Severity, hit: Mutate, miss: Mutate
) -> None:
    data = manifest()
    hit(data)
    found = [f for f in check(tmp_path, data) if f.code == code]
    assert found, f"{code} did not fire"
    assert found[0].severity is severity
    assert found[0].line is not None
    assert found[0].hint


@pytest.mark.parametrize(("code", "severity", "hit", "miss"), CASES, ids=[c[0] for c in CASES])
def test_rule_misses(
    tmp_path: Path, code: str, severity: Severity, hit: Mutate, miss: Mutate
) -> None:
    data = manifest()
    miss(data)
    assert [f for f in check(tmp_path, data) if f.code == code] == []


def test_every_manifest_rule_has_a_case() -> None:
    tested = {c[0] for c in CASES} | {"MCV201", "MCV202", "MCV209", "MCV302", "MCV303"}
    assert {r.INFO.code for r in MANIFEST_RULES} <= tested


def test_team_folder_and_file_name(tmp_path: Path) -> None:
    found = check(tmp_path, manifest(), team="other", homework=3)
    assert {(f.code, f.loc) for f in found} == {("MCV201", ("team",)), ("MCV202", ("homework",))}
    assert check(tmp_path, manifest(), team="ml_masters", homework=2) == []


def test_copied_latency_with_few_digits_is_only_a_warning(tmp_path: Path) -> None:
    data = manifest()
    data["runs"][0]["reported"]["cpu_ms"] = 88
    data["runs"][1]["reported"]["cpu_ms"] = 88
    (hit,) = [f for f in check(tmp_path, data) if f.code == "MCV401"]
    assert hit.severity is Severity.WARNING


def test_two_identical_memory_values_escalate_to_error(tmp_path: Path) -> None:
    data = manifest()
    data["runs"][1]["reported"].update(ram_mb=903.4, quality=0.9112)
    found = [f for f in check(tmp_path, data) if f.code == "MCV401"]
    assert [(f.loc[-1], f.severity) for f in found] == [("ram_mb", Severity.ERROR)]
    assert "so are quality" in found[0].message


def test_identical_quality_after_lossless_export_is_fine(tmp_path: Path) -> None:
    data = with_run(
        manifest(),
        label="ONNX",
        method="onnx",
        reported={"size_mb": 411.0, "cpu_ms": 60.5, "quality": 0.9112},
    )
    assert check(tmp_path, data) == []


def test_fp16_not_halved_is_a_warning(tmp_path: Path) -> None:
    data = with_run(
        manifest(),
        label="FP16",
        method="fp16",
        reported={"size_mb": 409.9, "gpu_ms": 5.1},
        hardware={"gpu": "Tesla T4"},
    )
    (hit,) = [f for f in check(tmp_path, data) if f.code == "MCV403"]
    assert hit.severity is Severity.WARNING


def test_fp16_original_makes_fp16_run_size_neutral(tmp_path: Path) -> None:
    data = manifest()
    data["runs"][0]["params"] = {"dtype": "float16"}
    data["runs"][1] = {"label": "FP16", "method": "fp16", "reported": {"size_mb": 411.0}}
    assert [f for f in check(tmp_path, data) if f.code == "MCV403"] == []


def test_kmeans_below_its_codebook_floor(tmp_path: Path) -> None:
    data = with_run(
        manifest(),
        label="km",
        method="kmeans",
        params={"clusters": 16, "storage": "codebook"},
        reported={"size_mb": 30.0},
    )
    (hit,) = [f for f in check(tmp_path, data) if f.code == "MCV404"]
    assert "cannot go below" in hit.message


def test_structured_pruning_may_shrink_a_dense_file(tmp_path: Path) -> None:
    data = with_run(
        manifest(),
        label="ch",
        method="prune-structured",
        params={"amount": 0.3, "storage": "dense"},
        reported={"size_mb": 300.0},
    )
    assert [f for f in check(tmp_path, data) if f.code == "MCV404"] == []


def test_wer_above_one_is_a_warning_and_negative_an_error(tmp_path: Path) -> None:
    data = manifest(
        model={
            "id": "openai/whisper-tiny",
            "revision": "abcdef1",
            "task": "automatic-speech-recognition",
        }
    )
    data["evaluation"]["metric"] = "wer"
    data["runs"][0]["reported"]["quality"] = 1.2
    data["runs"][1]["reported"]["quality"] = -0.1
    found = {f.loc[1]: f.severity for f in check(tmp_path, data) if f.code == "MCV407"}
    assert found == {0: Severity.WARNING, 1: Severity.ERROR}


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("0.8474", 4),
        ("764.75", 5),
        ("539.00", 5),
        ("1400", 2),
        ("1334", 4),
        ("1.4", 2),
        ("0.828", 3),
        ("31.9", 3),
        ("2e3", 1),
        ("0", 1),
    ],
)
def test_significant_digits_as_written(text: str, digits: int) -> None:
    from validator.manifest.yaml_loader import Document

    doc = Document("m.yaml", None, plain_text={("x",): text})
    assert significant_digits(doc, ("x",), float(text)) == digits


def test_quality_unchanged_is_quiet_once_notes_explain_it(tmp_path: Path) -> None:
    data = manifest()
    data["runs"][1]["reported"]["quality"] = 0.9112
    data["runs"][1]["notes"] = "Same 911 of 1000 right as the original."
    assert [f for f in check(tmp_path, data) if f.code == "MCV402"] == []


@pytest.mark.parametrize(
    ("model_id", "warned"),
    [
        ("submissions/ml_masters/digits-vit", False),
        ("./models/bert", False),
        ("/abs/bert", False),
        ("a/b/c", False),
        ("dslim/bert", True),
        ("gpt2", True),
    ],
)
def test_local_models_need_no_revision(tmp_path: Path, model_id: str, warned: bool) -> None:
    data = manifest()
    data["model"] = {"id": model_id, "task": "token-classification"}
    assert ("MCV205" in [f.code for f in check(tmp_path, data)]) is warned


@pytest.mark.parametrize(
    ("where", "path", "refused"),
    [
        ("model", "/home/runner/.cache/huggingface/hub/models--x/snapshots/abc", True),
        ("model", "~/models/bert", True),
        ("model", "./models/../../outside", True),
        ("model", ".cache/demo/digits-vit", True),  # the runner's checkout, not the team's
        ("model", "submissions/other_team/model", True),  # another team's folder
        ("model", "submissions/ml_masters/../other_team/model", True),
        ("model", "./submissions/ml_masters", True),  # the folder itself: name what is in it
        ("model", "submissions/ml_masters/model", False),
        ("model", "./submissions/ml_masters/model", False),
        ("model", "dslim/bert-base-NER", False),
        ("student", "/etc", True),
        ("student", "submissions/ml_masters/student", False),
        ("student", "huawei-noah/TinyBERT_General_4L_312D", False),
        ("dataset", "/etc/passwd.jsonl", True),
        ("dataset", "eval.jsonl", True),  # relative to the repository root: not the folder
        ("dataset", "submissions/ml_masters/data/eval.jsonl", False),
        ("dataset", "nyu-mll/glue", False),
    ],
)
def test_local_paths_stay_inside_the_team_folder(
    tmp_path: Path, where: str, path: str, refused: bool
) -> None:
    data = manifest()
    if where == "model":
        data["model"]["id"] = path
    elif where == "dataset":
        data["evaluation"]["dataset"] = path
    else:
        data["runs"].append(
            {
                "label": "Студент",
                "method": "distilled",
                "reported": {"size_mb": 60.0},
                "params": {"student": {"id": path}},
            }
        )
    findings = [f for f in check(tmp_path, data) if f.code == "MCV207"]
    assert bool(findings) is refused
    if refused:
        assert f"`{path}` is not under `submissions/ml_masters/`" in findings[0].message
        assert "submissions/ml_masters/data/eval.jsonl" in findings[0].hint


def test_hub_datasets_need_a_full_commit_sha(tmp_path: Path) -> None:
    data = manifest()
    del data["evaluation"]["revision"]
    (found,) = [f for f in check(tmp_path, data) if f.code == "MCV208"]
    assert found.severity is Severity.ERROR
    assert "hub dataset `conll2003` has no `revision`" in found.message
    assert "40 hex digits" in found.hint
    data["evaluation"]["revision"] = "7b3f2c1"  # a short sha could later name another commit
    assert [f.loc for f in check(tmp_path, data) if f.code == "MCV208"] == [
        ("evaluation", "revision")
    ]
    data["evaluation"]["dataset"] = "submissions/ml_masters/eval.jsonl"  # local: no revision
    assert [f for f in check(tmp_path, data) if f.code == "MCV208"] == []


def test_team_files_are_capped_and_never_links(tmp_path: Path) -> None:
    from validator.manifest.team_files import MAX_FILE_BYTES

    folder = tmp_path / "submissions" / "ml_masters"
    (folder / "model").mkdir(parents=True)
    (folder / "model" / "config.json").write_text("{}")
    data = manifest()
    data["model"]["id"] = "submissions/ml_masters/model"
    data["evaluation"]["dataset"] = "submissions/ml_masters/eval.jsonl"
    data["runs"].append(
        {
            "label": "Свой",
            "method": "custom",
            "reported": {},
            "params": {"script": "recipe.py", "description": "mine"},
        }
    )
    assert [f for f in check(tmp_path, data) if f.code == "MCV209"] == []  # eval.jsonl missing
    with (folder / "model" / "model.safetensors").open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: no real disk used
    (folder / "eval.jsonl").symlink_to("/etc/passwd")
    (folder / "recipe.py").write_text("print(1)\n")
    found = {f.message: f for f in check(tmp_path, data) if f.code == "MCV209"}
    assert set(found) == {
        "`submissions/ml_masters/model/model.safetensors` is 25.0 MiB, over 25 MiB",
        "`submissions/ml_masters/eval.jsonl` is a symbolic link; the runner refuses links",
    }
    assert all(f.line is not None and f.hint for f in found.values())
    (folder / "model" / "model.safetensors").unlink()
    (folder / "eval.jsonl").unlink()
    for index in range(3):
        with (folder / "model" / f"part-{index}.safetensors").open("wb") as handle:
            handle.truncate(20 * 2**20)
    (total,) = [f for f in check(tmp_path, data) if f.code == "MCV209"]
    assert total.message == ("the files this manifest names come to 60.0 MiB together, over 50 MiB")


def test_team_files_are_checked_in_the_fetched_layout_too(tmp_path: Path) -> None:
    """`mcv fetch-manifest` writes the team's folder under `manifest/`, beside the manifest."""
    root = tmp_path / "manifest"
    folder = root / "submissions" / "ml_masters"
    folder.mkdir(parents=True)
    (folder / "eval.jsonl").symlink_to("/etc/passwd")
    data = manifest()
    data["evaluation"]["dataset"] = "submissions/ml_masters/eval.jsonl"
    found = [f for f in check(root, data) if f.code == "MCV209"]
    assert [f.loc for f in found] == [("evaluation", "dataset")]
