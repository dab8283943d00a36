"""The words teams write for methods and metrics, and what `mcv check` takes them to mean."""

from __future__ import annotations

import pytest

from validator.manifest.names import GPU_ONLY, guess_choice, guess_methods, guess_metric
from validator.manifest.schema import RUN_TYPE_BY_METHOD

KNOWN = list(RUN_TYPE_BY_METHOD)


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("INT8-dynamic", ["dynamic-int8"]),
        ("Dynamic_INT8", ["dynamic-int8"]),
        ("ONNX int8", ["onnx-int8"]),
        ("int8", ["dynamic-int8", "static-int8", "onnx-int8", "bnb-int8"]),
        ("int4", ["gptq", "awq", "bnb-4bit"]),
        ("Original", ["original"]),
        ("kmean", ["kmeans"]),
    ],
)
def test_methods_are_read_by_meaning(word: str, meant: list[str]) -> None:
    assert guess_methods(word, KNOWN) == meant


def test_metric_and_choice_names_ignore_case_and_aliases() -> None:
    assert guess_metric("Accuracy") == "accuracy"
    assert guess_metric("acc") == "accuracy"
    assert guess_metric("F1-score") == "f1"
    assert guess_metric("rouge") is None  # a metric, but not one of the schema's
    assert guess_choice("Text_Classification", ["text-classification", "translation"]) == (
        "text-classification"
    )


def test_gpu_only_methods_are_the_recipes_that_need_cuda() -> None:
    recipes = pytest.importorskip("runner.recipes")
    assert {name for name, r in recipes.RECIPES.items() if r.needs_cuda} == GPU_ONLY
