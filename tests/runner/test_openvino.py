"""`openvino` through optimum-intel in the `openvino` toolchain: a classifier, a causal LM and
Whisper (tiny, random weights) export, answer as the original does, and say what they are.

The runs need the openvino toolchain built (`mcv toolchains build openvino`: optimum-intel,
OpenVINO, NNCF, transformers < 5.6; not built by `make test`) and skip without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runner import toolchains
from tests.runner.test_reproduce import FAST, read_record, write_manifest

CASES = [  # tiny model, task, rows, metric
    ("text-classification", "text-classification", "sentiment.jsonl", "accuracy"),
    ("causal-lm", "causal-lm", "lm.jsonl", "perplexity"),
    ("automatic-speech-recognition", "automatic-speech-recognition", "asr.jsonl", "wer"),
]


@pytest.fixture(scope="module")
def openvino_built() -> None:
    found = toolchains.state(toolchains.get("openvino"))
    if not found.built:
        pytest.skip(f"the openvino toolchain is not built here: {found.detail}")


def test_the_recipe_declares_the_openvino_toolchain() -> None:
    from runner.recipes import RECIPES

    assert RECIPES["openvino"].toolchain == "openvino"
    assert toolchains.for_run("openvino", "bert") == "openvino"


@pytest.mark.parametrize(("key", "task", "dataset", "metric"), CASES, ids=[c[0] for c in CASES])
def test_openvino_reproduces_the_original(
    openvino_built: None,
    tiny_models: dict[str, Path],
    tmp_path: Path,
    key: str,
    task: str,
    dataset: str,
    metric: str,
) -> None:
    from validator.cli import main

    runs: list[dict[str, Any]] = [
        {"label": "Оригинал", "method": "original"},
        {"label": "OpenVINO", "method": "openvino"},
        {"label": "OpenVINO fp16", "method": "openvino", "params": {"precision": "fp16"}},
    ]
    manifest = write_manifest(tmp_path, tiny_models[key], task, dataset, metric, runs, 4)
    assert main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *FAST]) == 0
    original, fp32, fp16 = read_record(tmp_path / "out").runs
    for run in (original, fp32, fp16):
        assert run.status == "ok", (run.label, run.error)
    for run in (fp32, fp16):
        assert (run.toolchain or "").startswith("openvino ("), run.toolchain
        assert run.versions.get("optimum-intel"), run.versions
        assert run.agreement is not None
        assert run.quality is not None
        assert original.quality is not None
    assert fp32.agreement is not None
    if fp32.agreement.compared == "logits":
        assert fp32.agreement.argmax_agreement == 1.0
        assert (fp32.agreement.max_abs_logit_diff or 0.0) < 1e-3
        assert fp32.quality.value == pytest.approx(original.quality.value, rel=1e-3)  # type: ignore[union-attr]
    else:  # generated ids: the same text as the original's
        assert fp32.agreement.exact_match == 1.0
        assert fp32.quality.value == original.quality.value  # type: ignore[union-attr]
