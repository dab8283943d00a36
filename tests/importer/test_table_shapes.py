"""Hand-written tables, one per kind of mess the issue lists."""

from __future__ import annotations

from typing import Any

import pytest

from validator.importer.cells import read_measure, to_float
from validator.importer.quality import read_quality
from validator.importer.records import ImportResult, import_markdown


def table(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def only(text: str) -> dict[str, Any]:
    result = import_markdown(text)
    assert result.problems == [], result.problems
    (record,) = result.records
    return record.as_json()


@pytest.mark.parametrize(
    ("cell", "header_unit", "expected"),
    [
        ("1.33Gb", None, 1361.92),
        ("665 MB", None, 665.0),
        ("96.66Mb", None, 96.66),
        ("1,5 ГБ", None, 1536.0),
        ("512 KB", None, 0.5),
        ("2 048", "mb", 2048.0),
        ("1\u00a0024 MB", None, 1024.0),
        ("**420**", "мб", 420.0),
        ("~300 MB", None, 300.0),
        ("1,334 MB", None, 1334.0),
        ("1.334,5 MB", None, 1334.5),
        ("`88.1 MB`", None, 88.1),
    ],
)
def test_sizes_in_megabytes(cell: str, header_unit: str | None, expected: float) -> None:
    reading = read_measure(cell, "size", header_unit)
    assert reading.error is None
    assert reading.value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("cell", "header_unit", "expected"),
    [
        ("769.1ms", None, 769.1),
        ("12.9 ms (Tesla T4)", None, 12.9),
        ("5.025", "с", 5025.0),
        ("0.5", "seconds/text", 500.0),
        ("0.5", "сек/сэмпл", 500.0),
        ("250 мкс", None, 0.25),
        ("1.2 s", None, 1200.0),
        ("3,5 сек", None, 3500.0),
        ("12.1 ± 0.4 ms", None, 12.1),
        ("12.1+-0.4", "ms", 12.1),
        ("42", None, 42.0),
    ],
)
def test_times_in_milliseconds_per_sample(
    cell: str, header_unit: str | None, expected: float
) -> None:
    reading = read_measure(cell, "time", header_unit)
    assert reading.error is None
    assert reading.value == pytest.approx(expected)


@pytest.mark.parametrize(
    ("cell", "header_unit", "note"),
    [
        ("0.05 sec/token", None, "time per token"),
        ("35", "tokens/sec", "throughput"),
        ("120", "изобр/сек", "throughput"),
        ("35 tokens/s", None, "throughput"),
        ("OOM", None, "out of memory"),
    ],
)
def test_per_token_times_and_throughputs_are_not_latencies(
    cell: str, header_unit: str | None, note: str
) -> None:
    reading = read_measure(cell, "time", header_unit)
    assert (reading.value, reading.error) == (None, None)
    assert any(note in n for n in reading.notes)


@pytest.mark.parametrize(
    "cell", ["-", "--", "---", "N/A", "*N/A*", "*Не применимо*", "", "  ", "—"]
)
def test_placeholders_are_empty_not_errors(cell: str) -> None:
    reading = read_measure(cell, "size", None)
    assert (reading.value, reading.error, reading.notes) == (None, None, [])


@pytest.mark.parametrize("cell", ["fast", "12 parsecs", "1.2.3 MB", "12 %"])
def test_unreadable_cells_are_errors(cell: str) -> None:
    assert read_measure(cell, "time", None).error is not None


def test_uncertainty_is_kept() -> None:
    reading = read_measure("12.1 ± 0.4 s", "time", None)
    assert (reading.value, reading.spread) == (pytest.approx(12100.0), pytest.approx(400.0))


def test_thousands_separator_reading_is_noted() -> None:
    assert to_float("1,334") == (1334.0, "read `1,334` with `,` as a thousands separator")
    assert to_float("0,828") == (0.828, None)


@pytest.mark.parametrize(
    ("cell", "metrics", "expected"),
    [
        (
            "0.8474 precision 0.8342 recall 0.8239 f1-score",
            [],
            {"precision": 0.8474, "recall": 0.8342, "f1": 0.8239},
        ),
        ("WER: 0.2564, CER: 0.0727", [], {"wer": 0.2564, "cer": 0.0727}),
        ("1.32% CER, 3.66% WER", [], {"cer": 0.0132, "wer": 0.0366}),
        ("82.8% F1", [], {"f1": 0.828}),
        (
            "Accuracy 31.25% on CPU, 32.81% on GPU",
            [],
            {"accuracy_cpu": 0.3125, "accuracy_gpu": 0.3281},
        ),
        ("0.1468 / 0.0490", ["wer", "cer"], {"wer": 0.1468, "cer": 0.049}),
        ("**0.250**", ["wer"], {"wer": 0.25}),
        ("PPL 12.7", [], {"perplexity": 12.7}),
        ("BLEU 27.3", [], {"bleu": 27.3}),
        ("91.2", ["accuracy"], {"accuracy": 0.912}),
    ],
)
def test_quality_cells(cell: str, metrics: list[str], expected: dict[str, float]) -> None:
    reading = read_quality(cell, metrics, False)
    assert reading.error is None
    assert reading.values == pytest.approx(expected)


def test_quality_without_a_metric_name_is_unreadable() -> None:
    assert read_quality("0.81", ["perplexity", "bleu", "accuracy"], False).error is not None


def test_metric_named_only_in_the_header() -> None:
    record = only(
        table("| Модель | Метод | Точность (WER) ↓ |", "|---|---|---|", "| m | Original | 0.250 |")
    )
    assert record["quality"] == {"wer": 0.25}


def test_tochnost_alone_means_accuracy() -> None:
    record = only(table("| Модель | Метод | Точность |", "|---|---|---|", "| m | FP16 | 91.3% |"))
    assert record["quality"] == {"accuracy": 0.913}


def test_columns_in_another_order_english_headers_and_extra_columns() -> None:
    record = only(
        table(
            "| Quality (F1) | Comment | Method | Model | Size (GB) | Latency CPU (s) | RAM, MB |",
            "|---|---|---|---|---|---|---|",
            "| 0.91 | looks good | INT8 dynamic | bert | 0.4 | 0.05 | 900 |",
        )
    )
    assert (
        record["model"],
        record["method"],
        record["size_mb"],
        record["cpu_ms"],
        record["ram_mb"],
        record["quality"],
    ) == ("bert", "INT8 dynamic", pytest.approx(409.6), pytest.approx(50.0), 900.0, {"f1": 0.91})


def test_gz_size_column_and_two_vram_columns() -> None:
    record = only(
        table(
            "| Model | Размер в .gz (MB) | VRAM peak (MB) | VRAM reserved (MB) |",
            "|---|---|---|---|",
            "| m | 30.5 | 400 | 512 |",
        )
    )
    assert (record["size_mb"], record["vram_mb"]) == (30.5, 400.0)
    assert "size_mb: size of the gzip-compressed file" in record["notes"]
    assert any("second column" in note for note in record["notes"])


def test_markup_br_and_nbsp_in_cells() -> None:
    record = only(
        table(
            "| Модель | Метод | Размер | CPU (ms) |",
            "|---|---|---|---|",
            "| *m*<br>v2 | __ONNX__ </br> | 1\u00a0024 MB  | `12.5`&nbsp; |",
        )
    )
    assert (record["model"], record["method"], record["size_mb"], record["cpu_ms"]) == (
        "m v2",
        "ONNX",
        1024.0,
        12.5,
    )


def test_template_rows_are_skipped_and_reported() -> None:
    result = import_markdown(
        table(
            "| Модель | Метод | Размер весов (MB) | Время (CPU, ms) |",
            "|---|---|---|---|",
            "| your model name | Оригинал | 0.0 | 0.0ms |",
            "| bert | Оригинал | 420 | 31 |",
            "| m2 | x | 0 | 0.0ms |",
        )
    )
    assert [r.model for r in result.records] == ["bert"]
    assert [p.line for p in result.skipped] == [3, 5]


def test_transposed_table_skips_difference_columns() -> None:
    result = import_markdown(
        table(
            "| Метрика | FP32 | INT8 | Разница |",
            "|---|---|---|---|",
            "| Размер (MB) | 420 | 110 | -74% |",
            "| Время CPU (ms) | 31.2 | 12.0 | x2.6 |",
            "| Accuracy | 0.912 | 0.905 | -0.007 |",
        )
    )
    assert result.problems == []
    rows = [(r.method, r.size_mb, r.cpu_ms, r.quality) for r in result.records]
    assert rows == [
        ("FP32", 420.0, 31.2, {"accuracy": 0.912}),
        ("INT8", 110.0, 12.0, {"accuracy": 0.905}),
    ]
    assert any("Разница" in p.message for p in result.skipped)


def test_non_results_tables_are_skipped() -> None:
    result = import_markdown(
        table(
            "| Идея | Ожидаемый эффект |",
            "|---|---|",
            "| label smoothing | +0.5 F1 |",
            "| mixup | ? |",
        )
    )
    assert result.records == []
    assert result.skipped[0].message.startswith("not a results table")


def test_tables_in_code_blocks_do_not_count() -> None:
    text = "```\n| Модель | Размер (MB) |\n|---|---|\n| m | 1 |\n```\n"
    assert import_markdown(text).records == []


def test_unreadable_cell_is_listed_with_its_line_and_the_rest_kept() -> None:
    result: ImportResult = import_markdown(
        table("| Модель | Размер (MB) | CPU (ms) |", "|---|---|---|", "| m | big | 12 |")
    )
    (record,) = result.records
    assert (record.size_mb, record.cpu_ms) == (None, 12.0)
    (problem,) = result.problems
    assert problem.line == 3
    assert "Размер (MB)" in problem.message


def test_missing_cells_in_short_rows() -> None:
    record = only(
        table(
            "| Модель | Метод | Размер (MB) | CPU (ms) |", "|---|---|---|---|", "| m | FP16 | 210 |"
        )
    )
    assert (record["size_mb"], record["cpu_ms"]) == (210.0, None)


def test_empty_model_cell_continues_the_row_above() -> None:
    result = import_markdown(
        table(
            "| Модель | Метод | Размер (MB) |",
            "|---|---|---|",
            "| bert | Оригинал | 420 |",
            "| | FP16 | 210 |",
        )
    )
    assert [r.model for r in result.records] == ["bert", "bert"]


@pytest.mark.parametrize(
    "header",
    [
        "Time per token CPU (ms)",
        "Время на токен, CPU (мс)",
        "Throughput CPU",
        "CPU скорость (токенов/с)",
    ],
)
def test_per_token_and_throughput_headers(header: str) -> None:
    result = import_markdown(table(f"| Model | {header} |", "|---|---|", "| m | 35 |"))
    (record,) = result.records
    assert record.cpu_ms is None
    assert any("not a per-sample latency" in note for note in record.notes)
