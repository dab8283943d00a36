"""The course's own README tables (../shared/seeds, copied to tests/data/import)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import REPO
from validator.importer.records import import_markdown

DATA = REPO / "tests" / "data" / "import"


def records(name: str) -> list[dict[str, Any]]:
    result = import_markdown((DATA / name).read_text(encoding="utf-8"))
    assert result.problems == []
    return [r.as_json() for r in result.records]


def pick(record: dict[str, Any], *keys: str) -> tuple[Any, ...]:
    return tuple(record[k] for k in keys)


KEYS = ("model", "method", "size_mb", "cpu_ms", "gpu_ms", "ram_mb", "vram_mb", "quality")


def test_asr_table_with_wer_and_cer_in_one_cell() -> None:
    rows = records("seed_000.md")
    assert [pick(r, *KEYS) for r in rows] == [
        (
            "waveletdeboshir/gigaam-ctc",
            "GigaAM-CTC",
            888.8,
            940.85,
            19.8,
            2966.68,
            2153.24,
            {"wer": 0.2564, "cer": 0.0727},
        ),
        (
            "waveletdeboshir/gigaam-rnnt",
            "GigaAM-RNNT",
            892.6,
            836.99,
            88.79,
            3056.15,
            2158.08,
            {"wer": 0.3041, "cer": 0.0882},
        ),
        (
            "openai/whisper-small",
            "Whisper",
            922.15,
            377.65,
            156.32,
            922.8,
            931.01,
            {"cer": 0.0134, "wer": 0.0383},
        ),
    ]
    assert rows[2]["notes"] == ["model: (пример из задания)"]
    assert [r["line"] for r in rows] == [70, 71, 72]


def test_vit_quality_on_cpu_and_gpu() -> None:
    (row,) = records("seed_001.md")
    assert pick(row, *KEYS) == (
        "google/vit-base-patch16-224-in21k",
        "Оригинал",
        327.32,
        285.25,
        6.28,
        203.06,
        344.13,
        {"accuracy_cpu": 0.3125, "accuracy_gpu": 0.3281},
    )


def test_whisper_seconds_and_bold_markers() -> None:
    rows = records("seed_002.md")
    assert [pick(r, *KEYS) for r in rows] == [
        ("Whisper-large-v3", "Original", 17669.0, 5025.0, 431.0, 6768.0, 4032.0, {"wer": 0.25}),
        ("Whisper-large-v3", "ONNX-int8", 2782.0, 4497.0, 5734.0, 7289.0, 2074.0, {"wer": 0.256}),
    ]


def test_ner_units_in_cells_and_hardware_note() -> None:
    original, onnx = records("seed_003.md")
    assert pick(original, *KEYS) == (
        "dslim/bert-large-NER",
        "Оригинал",
        1361.92,
        769.1,
        31.9,
        1433.6,
        1433.6,
        {"f1": 0.828},
    )
    assert original["hardware"] == {"gpu": "Tesla T4"}
    assert pick(onnx, "gpu_ms", "size_mb", "hardware") == (None, 1361.92, None)


def test_clustering_table_value_before_name() -> None:
    original, clustered = records("seed_004.md")
    assert clustered["quality"] == {"precision": 0.8474, "recall": 0.8342, "f1": 0.8239}
    assert pick(clustered, "method", "size_mb", "ram_mb", "vram_mb") == (
        "Clustering (32 clusters)",
        37.11,
        764.75,
        539.0,
    )
    assert original["size_mb"] == 185.75


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("seed_*.md")))
def test_every_seed_has_a_results_table(name: str) -> None:
    assert records(name)
