from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import REPO
from validator.importer.drafts import drafts
from validator.importer.records import import_markdown
from validator.manifest.schema import Manifest
from validator.manifest.validate import validate
from validator.manifest.yaml_loader import parse_yaml

DATA = REPO / "tests" / "data" / "import"
FILL = {"team": "ml_masters", "homework": 3}


def completed(text: str) -> Manifest | None:
    """What the team does with a draft: fill in exactly the listed keys, nothing else."""
    doc, findings = parse_yaml(text.encode(), "draft.yaml")
    assert doc is not None
    assert findings == []
    data = doc.data
    data.setdefault("team", FILL["team"])
    data.setdefault("homework", FILL["homework"])
    data["model"].update(revision="abc1234", task="image-classification")
    data["evaluation"].update(dataset="imagenet-1k", samples=1000)
    doc.data = data
    manifest, errors = validate(doc, Manifest)
    assert errors == [], [e.message for e in errors]
    return manifest


def test_clustering_seed_draft_passes_the_schema_once_filled_in() -> None:
    result = import_markdown((DATA / "seed_004.md").read_text(encoding="utf-8"))
    (item,) = drafts(result.records, "README.md")
    assert item.missing == [
        "team",
        "homework",
        "model.revision",
        "model.task",
        "evaluation.dataset",
        "evaluation.samples",
    ]
    assert "# README.md line 51" in item.text
    manifest = completed(item.text)
    assert manifest is not None
    assert [r.method for r in manifest.runs] == ["original", "kmeans"]
    assert manifest.runs[1].params.clusters == 32  # type: ignore[attr-defined]
    assert manifest.evaluation.metric == "f1"
    assert manifest.runs[0].reported.extra_metrics == {"precision": 0.8474, "recall": 0.8342}


def test_unknown_method_is_listed_not_guessed() -> None:
    result = import_markdown((DATA / "seed_000.md").read_text(encoding="utf-8"))
    items = drafts(result.records, "README.md", team="asr", homework=1)
    assert [i.slug for i in items] == [
        "waveletdeboshir-gigaam-ctc",
        "waveletdeboshir-gigaam-rnnt",
        "openai-whisper-small",
    ]
    assert "runs[0].method" in items[0].missing
    run_lines = items[0].text.split("runs:")[1].split("reported")[0].splitlines()
    assert not [line for line in run_lines if line.strip().startswith("method:")]


def test_cli_prints_json_records(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("import", str(DATA / "seed_003.md"))
    assert code == 0, err
    records = json.loads(out)
    assert records[0]["size_mb"] == 1361.92
    assert set(records[0]) >= {
        "model",
        "method",
        "size_mb",
        "cpu_ms",
        "gpu_ms",
        "ram_mb",
        "vram_mb",
        "hardware",
        "quality",
    }


def test_cli_yaml_format(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("import", str(DATA / "seed_002.md"), "--format", "yaml")
    assert code == 0
    assert yaml.safe_load(out)[1]["method"] == "ONNX-int8"


def test_cli_writes_drafts_and_never_overwrites(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    out_dir = tmp_path / "drafts"
    code, out, _ = cli(
        "import",
        str(DATA / "seed_004.md"),
        "--out",
        str(out_dir),
        "--team",
        "effvit",
        "--homework",
        "3",
    )
    assert code == 0
    written = out_dir / "efficientvit-b3.yaml"
    assert out.startswith(f"wrote {written}: fill in model.revision")
    before = written.read_bytes()
    code, _, err = cli("import", str(DATA / "seed_004.md"), "--out", str(out_dir))
    assert code == 2
    assert "would overwrite" in err
    assert written.read_bytes() == before


def test_cli_unreadable_cells_exit_1_with_lines(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    source = tmp_path / "README.md"
    source.write_text("| Модель | Размер (MB) |\n|---|---|\n| m | огромный |\n", encoding="utf-8")
    code, out, err = cli("import", str(source))
    assert code == 1
    assert f"{source}:3: cannot read column `Размер (MB)`" in err
    assert json.loads(out)[0]["size_mb"] is None


def test_cli_no_table_and_bad_files(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.md"
    empty.write_text("# nothing here\n", encoding="utf-8")
    assert cli("import", str(empty))[0] == 1
    assert cli("import", str(tmp_path / "missing.md"))[0] == 2
    binary = tmp_path / "x.md"
    binary.write_bytes(b"\x00\x01")
    assert cli("import", str(binary))[0] == 2
    latin = tmp_path / "latin.md"
    latin.write_bytes("Заметка\n\n| Model | Size (MB) |\n|---|---|\n| m | 12 |\n".encode("cp1251"))
    code, _, err = cli("import", str(latin))
    assert code == 0
    assert "not valid UTF-8" in err


HEADERS = [
    "Модель",
    "Метод",
    "Model",
    "Method",
    "Размер весов (MB)",
    "Size (GB)",
    "Время CPU (с)",
    "Latency GPU, ms",
    "RAM (МБ)",
    "VRAM (MB)",
    "Качество (WER / CER)",
    "Точность",
    "F1",
    "Метрика",
    "Разница",
    "tokens/sec",
    "Комментарий",
    "",
]
CELLS = [
    "1.33Gb",
    "769.1ms",
    "12.9 ms (Tesla T4)",
    "-",
    "N/A",
    "*Не применимо*",
    "0.8474 f1",
    "WER: 0.2564, CER: 0.0727",
    "1,5",
    "±",
    "<br>",
    "**0.431**",
    "`x`",
    "82.8% F1",
    "|",
    "1e309",
    "0x1f",
    "12 ± 3 ms",
    "((((",
    "Accuracy 31.25% on CPU",
    "9" * 400,
    "%",
    "",
]

tables = st.lists(st.sampled_from(HEADERS), min_size=1, max_size=7).flatmap(
    lambda header: st.lists(
        st.lists(st.sampled_from(CELLS), min_size=len(header), max_size=len(header)), max_size=5
    ).map(
        lambda rows: (
            "| "
            + " | ".join(header)
            + " |\n|"
            + "---|" * len(header)
            + "\n"
            + "".join(
                "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n" for row in rows
            )
        )
    )
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(tables, st.text(max_size=400)))
def test_any_markdown_imports_without_error(text: str) -> None:
    result = import_markdown(text)
    for record in result.records:
        json.dumps(record.as_json(), allow_nan=False)  # never inf or nan
    drafts(result.records, "README.md")


@pytest.mark.parametrize(
    "text", ["| a |\n|---|\n| 1e309 MB |\n", "| Size (MB) |\n|--|\n| 1e309 |\n"]
)
def test_overflowing_numbers_do_not_crash(text: str) -> None:
    import_markdown(text)
