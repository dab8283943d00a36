"""A recipe's outputs against the original's: the pure comparison, and the run it fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from runner import equivalence as eq
from runner.recipes import onnx_export
from runner.trackers.latency import LatencySettings
from tests.runner.test_coordinator import Hostile
from tests.runner.test_reproduce import write_manifest
from validator.manifest.schema import Manifest
from validator.verification import RunRecord


def test_identical_logits_agree_fully() -> None:
    logits = [np.array([[0.1, 2.0, -1.0]]), np.array([[[1.0, 0.0], [0.0, 3.0]]])]
    result = eq.compare_logits(logits, [x.copy() for x in logits])
    assert (result.max_abs_diff, result.argmax_agreement, result.mean_kl) == (0.0, 1.0, 0.0)
    assert result.samples == 2
    assert eq.lossless_failure(result) is None


def test_a_flipped_position_is_counted_and_fails_a_lossless_recipe() -> None:
    reference = [np.array([[[1.0, 0.0], [0.0, 3.0], [2.0, 1.0]]])]
    candidate = [np.array([[[1.0, 0.0], [3.0, 0.0], [2.0, 1.0]]])]
    result = eq.compare_logits(reference, candidate)
    assert result.argmax_agreement == pytest.approx(2 / 3)
    assert result.max_abs_diff == 3.0
    assert result.mean_kl is not None
    assert result.mean_kl > 0.5
    message = eq.lossless_failure(result)
    assert message is not None
    assert "max |Δlogit| 3" in message
    assert "argmax agreement 66.67%" in message


def test_a_difference_within_the_tolerance_passes_and_one_beyond_fails() -> None:
    reference = [np.array([[0.0, 5.0]])]
    inside = eq.compare_logits(reference, [np.array([[0.0, 5.0 + eq.MAX_ABS_LOGIT_DIFF / 2]])])
    outside = eq.compare_logits(reference, [np.array([[0.0, 5.0 + eq.MAX_ABS_LOGIT_DIFF * 2]])])
    assert inside.argmax_agreement == outside.argmax_agreement == 1.0
    assert eq.lossless_failure(inside) is None
    assert "max |Δlogit| 0.002" in (eq.lossless_failure(outside) or "")


def test_kl_is_that_of_the_softmaxes() -> None:
    reference, candidate = np.array([[0.0, 0.0]]), np.array([[np.log(3.0), 0.0]])
    result = eq.compare_logits([reference], [candidate])
    p, q = np.array([0.5, 0.5]), np.array([0.75, 0.25])
    assert result.mean_kl == pytest.approx(float((p * np.log(p / q)).sum()))


def test_other_shapes_and_nan_are_findings_not_numbers() -> None:
    shaped = eq.compare_logits([np.zeros((1, 3))], [np.zeros((1, 4))])
    assert (shaped.shape_mismatches, shaped.max_abs_diff, shaped.argmax_agreement) == (1, None, 0)
    assert "output shape differs on 1 of 1" in (eq.lossless_failure(shaped) or "")
    nan = eq.compare_logits([np.zeros((1, 3))], [np.full((1, 3), np.nan)])
    assert nan.max_abs_diff is None
    assert "not finite" in (eq.lossless_failure(nan) or "")
    with pytest.raises(ValueError, match="2 reference outputs, 1 candidate"):
        eq.compare_logits([np.zeros(2), np.zeros(2)], [np.zeros(2)])


def test_bit_identical_logits_are_a_lossy_method_that_changed_nothing() -> None:
    same = eq.compare_logits([np.ones((1, 3))], [np.ones((1, 3))])
    assert "bit-identical to the original's on 1 samples" in (eq.unchanged(same) or "")
    moved = eq.compare_logits([np.ones((1, 3))], [np.ones((1, 3)) + 1e-7])
    assert eq.unchanged(moved) is None
    assert eq.unchanged(eq.compare_text(["a"], ["a"])) is None  # same text is fine


def test_text_is_compared_by_exact_match_and_edit_distance() -> None:
    assert eq.levenshtein("kitten", "sitting") == 3
    assert eq.levenshtein("", "abc") == 3
    result = eq.compare_text(["the cat sat", "a dog", ""], ["the cat sat", "a dot", ""])
    assert result.exact_match == pytest.approx(2 / 3)
    assert result.edit_distance == pytest.approx((1 / 5) / 3)
    assert "66.7% of 3 samples match" in (eq.lossless_failure(result) or "")
    assert eq.lossless_failure(eq.compare_text(["a"], ["a"])) is None


CASES = {
    "token-classification": ("ner.jsonl", "f1"),
    "text-classification": ("sentiment.jsonl", "accuracy"),
    "automatic-speech-recognition": ("asr.jsonl", "wer"),
    "translation": ("translation.jsonl", "bleu"),
}


def run_in_process(
    root: Path,
    model: Path,
    run: dict[str, Any],
    task: str = "token-classification",
    patch: str = "",
) -> RunRecord:
    """One run through the coordinator, its worker (a plain child process) started with
    `patch` applied first, so a test may change a recipe; the original answers for it."""
    from runner.execute import Settings, reproduce

    dataset, metric = CASES[task]
    runs = [{"label": "Оригинал", "method": "original"}, run]
    path = write_manifest(root, model, task, dataset, metric, runs, samples=4)
    manifest = Manifest.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    script = root / "patched-worker.py"
    script.write_text(
        "import sys\n" + patch + "\nfrom runner.worker import main\nsys.exit(main(sys.argv[1]))\n"
    )
    settings = Settings(
        threads=1, latency=LatencySettings(warmup=1, min_iterations=3, min_seconds=0.0)
    )
    record = reproduce(
        path, manifest, "0" * 64, [run["label"]], settings, lambda *a: None, Hostile(script)
    )
    (only,) = record.runs
    return only


def test_the_tokenizer_order_is_not_forward_order(tiny_models: dict[str, Path]) -> None:
    """The premise of the regression below: BERT's tokenizer and forward() disagree."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    folder = tiny_models["token-classification"]
    names = list(AutoTokenizer.from_pretrained(folder)("john lives", return_tensors="np"))
    model = AutoModelForTokenClassification.from_pretrained(folder)
    assert names == ["input_ids", "token_type_ids", "attention_mask"]
    assert onnx_export.forward_order(model, names) == [
        "input_ids",
        "attention_mask",
        "token_type_ids",
    ]


def test_the_old_export_order_fails_the_run(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """Regression: graph inputs named in the tokenizer's order (main before the fix) feed
    attention_mask to the token-type embeddings; the run must fail, not score. On the
    torch.onnx path, the one for a model Optimum's exporter does not know (Optimum's own
    export names its graph's inputs itself)."""
    patch = (
        "from runner.recipes import onnx_export, optimum_ort\n"
        "onnx_export.forward_order = lambda model, names: names\n"
        "optimum_ort.covered = lambda ctx: False\n"
    )
    record = run_in_process(
        tmp_path, tiny_models["token-classification"], {"label": "O", "method": "onnx"},
        patch=patch,
    )  # fmt: skip
    assert record.status == "failed"
    assert record.error is not None
    assert "a lossless recipe must reproduce the original's outputs" in record.error
    assert "max |Δlogit|" in record.error
    assert "argmax agreement" in record.error
    assert record.agreement is not None
    assert record.agreement.passed is False
    assert (record.agreement.max_abs_logit_diff or 0) > eq.MAX_ABS_LOGIT_DIFF
    assert record.quality is not None
    assert record.cpu is None


def toolchain_built(name: str) -> bool:
    from runner import toolchains

    return toolchains.state(toolchains.get(name)).built


OPENVINO = pytest.mark.skipif(
    not toolchain_built("openvino"),
    reason="the openvino toolchain is not built (mcv toolchains build openvino)",
)


@pytest.mark.parametrize(
    "method", ["onnx", "torchscript", pytest.param("openvino", marks=OPENVINO)]
)
def test_a_lossless_export_reproduces_the_original(
    method: str, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    record = run_in_process(
        tmp_path, tiny_models["token-classification"], {"label": "X", "method": method}
    )
    assert record.status == "ok", record.error
    agreement = record.agreement
    assert agreement is not None
    assert (agreement.lossless, agreement.passed, agreement.compared) == (True, True, "logits")
    assert agreement.max_abs_logit_diff is not None
    assert agreement.max_abs_logit_diff <= eq.MAX_ABS_LOGIT_DIFF
    assert agreement.argmax_agreement == 1.0
    assert agreement.samples == 4
    assert agreement.tolerance["max_abs_logit_diff"] == eq.MAX_ABS_LOGIT_DIFF


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("onnx-int8", {}),
        ("static-int8", {"calibration_samples": 4}),
        ("dynamic-int8", {}),
        pytest.param("openvino", {"precision": "fp16"}, marks=OPENVINO),
    ],
)
def test_a_lossy_recipe_records_its_agreement(
    method: str, params: dict[str, Any], tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    run = {"label": "Q", "method": method, "params": params}
    record = run_in_process(
        tmp_path, tiny_models["text-classification"], run, "text-classification"
    )
    assert record.status == "ok", record.error
    agreement = record.agreement
    assert agreement is not None
    assert (agreement.lossless, agreement.passed) == (False, None)
    assert agreement.argmax_agreement is not None
    assert 0 <= agreement.argmax_agreement <= 1
    assert agreement.mean_kl is not None
    assert agreement.mean_kl >= 0
    assert (agreement.max_abs_logit_diff or 0) > 0  # int8 moved the logits


def test_a_lossy_recipe_that_changed_nothing_fails(
    tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    """Caught from the outputs, whatever the recipe: here an `fp16` that kept fp32."""
    patch = (
        "from runner.recipes.base import save_torch\n"
        "from runner.recipes.half import Fp16\n"
        "Fp16.build = lambda self, ctx: save_torch(ctx.base_model(), ctx)\n"
    )
    run = {"label": "H", "method": "fp16"}
    record = run_in_process(
        tmp_path, tiny_models["text-classification"], run, "text-classification", patch
    )
    assert record.status == "failed"
    assert "the method changed nothing" in (record.error or "")
    assert record.agreement is not None
    assert record.agreement.max_abs_logit_diff == 0.0


def test_a_record_from_before_these_fields_still_validates() -> None:
    from tests.conftest import REPO
    from validator.verification import VerificationRecord

    old = VerificationRecord.model_validate_json(
        (REPO / "tests/data/records/demo-hw-3-before-agreement.json").read_text()
    )
    assert old.runs
    assert all(run.agreement is None and run.decoding is None for run in old.runs)
