"""The Optimum recipes (onnx, onnx-int8, static-int8) in the optimum toolchain, on tiny
random-weight models of the real classes: each is `ok` with the outputs of Optimum's own
ORTModel on the same samples, or `unsupported` saying why and what to use instead."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runner import toolchains
from runner.loading.data import file_rows
from runner.tasks import TASKS
from tests.conftest import REPO
from tests.runner.conftest import DATA
from tests.runner.test_reproduce import FAST, read_record, write_manifest

# family -> (tiny model key, task, rows, metric)
FAMILIES = {
    "bert-ner": ("token-classification", "token-classification", "ner.jsonl", "f1"),
    "bert-sst": ("text-classification", "text-classification", "sentiment.jsonl", "accuracy"),
    "vit": ("image-classification", "image-classification", "digits.jsonl", "accuracy"),
    "qwen2": ("qwen2", "causal-lm", "lm.jsonl", "perplexity"),
    "opt": ("opt", "causal-lm", "lm.jsonl", "perplexity"),
    "whisper": (
        "automatic-speech-recognition",
        "automatic-speech-recognition",
        "asr.jsonl",
        "wer",
    ),
    "t5": ("translation", "translation", "translation.jsonl", "bleu"),
    "marian": ("marian", "translation", "translation.jsonl", "bleu"),
}
GENERATING = {"whisper", "t5", "marian"}
# transformers 5 loads a qwen2 folder's tokenizer as Qwen2Tokenizer whatever its files say;
# the tiny Qwen2 shares GPT-2's word-level vocabulary, so its samples are tokenized there
TOKENIZED_BY = {"qwen2": "causal-lm"}


@pytest.fixture(scope="module")
def optimum_python() -> Path:
    found = toolchains.state(toolchains.get("optimum"))
    if not found.built or found.python is None:
        pytest.skip(f"the optimum toolchain is not built here ({found.detail})")
    return found.python


@pytest.fixture(scope="module")
def models(tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Any:
    from tests.runner.optimum_models import build_extra

    return {**tiny_models, **build_extra(tmp_path_factory.mktemp("optimum-models"))}


def samples_file(task: str, model: Path, rows: str, path: Path, count: int = 4) -> Path:
    """The samples as the coordinator prepares them (main environment), for the worker side."""
    adapter = TASKS[task](model, {})
    samples = adapter.prepare(file_rows(DATA / rows, count))
    arrays = {f"{i}/{k}": v for i, s in enumerate(samples) for k, v in s.inputs.items()}
    np.savez(path, **arrays)  # type: ignore[arg-type]
    return path


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_recipe_answers_as_optimums_own_ortmodel(
    family: str, optimum_python: Path, models: dict[str, Path], tmp_path: Path
) -> None:
    key, task, rows, _ = FAMILIES[family]
    tokenized_by = models[TOKENIZED_BY.get(family, key)]
    npz = samples_file(task, tokenized_by, rows, tmp_path / "samples.npz")
    done = subprocess.run(
        [
            str(optimum_python),
            "-m",
            "tests.runner.optimum_reference",
            task,
            str(models[key]),
            str(npz),
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=600,
        check=False,
    )
    lines = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
    assert done.returncode == 0, done.stderr[-3000:]
    assert lines, done.stderr[-3000:]
    result = json.loads(lines[-1].removeprefix("RESULT "))
    for method in ("onnx", "onnx-int8"):
        assert result[method]["status"] == "ok", result[method]
    if family in GENERATING:
        assert result["onnx"]["same_ids"], result
        assert result["onnx-int8"]["same_ids"], result
        static = result["static-int8"]
        assert static["status"] == "Unsupported", static
        assert "onnx-int8" in static["error"]
    else:
        assert result["static-int8"]["status"] == "ok", result["static-int8"]
        for method in ("onnx", "onnx-int8", "static-int8"):
            assert result[method]["max_abs_diff"] <= 1e-5, (method, result[method])
    assert result["onnx-int8"]["scheme"] == "onnx (int8 weights)"


@pytest.mark.parametrize("family", ["bert-ner", "opt", "whisper", "marian"])
def test_the_worker_runs_them_in_the_optimum_toolchain(
    family: str, optimum_python: Path, models: dict[str, Path], tmp_path: Path
) -> None:
    """Through `mcv reproduce`: the real worker, started in the optimum toolchain."""
    from validator.cli import main

    key, task, rows, metric = FAMILIES[family]
    runs = [
        {"label": "Оригинал", "method": "original"},
        {"label": "ONNX", "method": "onnx"},
        {"label": "ONNX INT8", "method": "onnx-int8"},
        {"label": "Static", "method": "static-int8", "params": {"calibration_samples": 4}},
    ]
    manifest = write_manifest(tmp_path, models[key], task, rows, metric, runs, samples=4)
    main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *FAST])
    record = read_record(tmp_path / "out")
    by = {run.method: run for run in record.runs}
    assert by["original"].status == "ok", by["original"].error
    onnx = by["onnx"]
    assert onnx.status == "ok", onnx.error
    assert onnx.agreement is not None
    assert onnx.agreement.passed, onnx.agreement
    assert by["onnx-int8"].status == "ok", by["onnx-int8"].error
    assert by["onnx-int8"].quality is not None
    static = by["static-int8"]
    if family in GENERATING:
        assert static.status == "unsupported"
        assert "onnx-int8" in (static.error or "")
    else:
        assert static.status == "ok", static.error


def test_optimization_levels_and_a_subset_of_layers(
    optimum_python: Path, models: dict[str, Path], tmp_path: Path
) -> None:
    """ORTOptimizer O1-O4, the session's graph optimization level, and static int8 of a
    subset of nodes, as the course's tables use them, through the real worker."""
    from validator.cli import main

    static = {"calibration_samples": 4}
    runs = [
        {"label": "Оригинал", "method": "original"},
        {"label": "O1", "method": "onnx", "params": {"optimization": "O1"}},
        {"label": "O2", "method": "onnx", "params": {"optimization": "O2"}},
        {"label": "O3", "method": "onnx", "params": {"optimization": "O3"}},
        {"label": "O4", "method": "onnx", "params": {"optimization": "O4"}},
        {"label": "level 0", "method": "onnx", "params": {"graph_optimization_level": 0}},
        {"label": "level 99", "method": "onnx", "params": {"graph_optimization_level": 99}},
        {"label": "static", "method": "static-int8", "params": static},
        {
            "label": "static layer 0",
            "method": "static-int8",
            "params": {**static, "layers": ["/bert/encoder/layer.0/*"]},
        },
        {
            "label": "static none",
            "method": "static-int8",
            "params": {**static, "layers": ["/no/such/node/*"]},
        },
    ]
    manifest = write_manifest(
        tmp_path,
        models["text-classification"],
        "text-classification",
        "sentiment.jsonl",
        "accuracy",
        runs,
        samples=4,
    )
    main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *FAST])
    by = {run.label: run for run in read_record(tmp_path / "out").runs}
    for label in ("O1", "O2", "level 0", "level 99"):
        run = by[label]
        assert run.status == "ok", (label, run.error)
        assert run.agreement is not None
        assert run.agreement.lossless, label
        assert run.agreement.passed, (label, run.agreement)
    assert by["O3"].status == "ok", by["O3"].error
    assert by["O3"].agreement is not None
    assert not by["O3"].agreement.lossless  # GELU approximation: judged as lossy
    assert by["O4"].status == "unsupported"
    assert "O3" in (by["O4"].error or "")
    for label in ("static", "static layer 0"):
        assert by[label].status == "ok", (label, by[label].error)
    full, part = by["static"].size, by["static layer 0"].size
    assert full is not None
    assert part is not None
    assert full.size_mb < part.size_mb  # fewer int8 weights
    assert by["static none"].status == "unsupported"
    assert "no ONNX node matches" in (by["static none"].error or "")
