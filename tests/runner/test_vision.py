"""timm checkpoints (TimmWrapper) in the `vision` toolchain: a tiny EfficientViT saved as the
hub's `timm/...` models are, answered as timm itself answers, reproduced method by method.

The tests that run a model need the vision toolchain built (`mcv toolchains build vision`,
about 7 minutes and 5.7 GiB: torch 2.14.1's CUDA build, the only one with torchvision here)
and skip without it; those about telling a timm checkpoint apart run everywhere.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from runner import toolchains
from runner.errors import Unsupported
from runner.loading.model import is_timm_config, model_type
from tests.conftest import REPO
from tests.runner.conftest import DATA
from tests.runner.test_reproduce import FAST, read_record, write_manifest

HUB_TIMM_CONFIG: dict[str, Any] = {  # as timm's save_for_hf writes it: no model_type
    "architecture": "efficientvit_b3",
    "num_classes": 1000,
    "num_features": 512,
    "pretrained_cfg": {"input_size": [3, 224, 224], "crop_pct": 0.95, "mean": [0.5] * 3},
}


def test_a_timm_checkpoint_is_told_apart_and_needs_the_vision_toolchain() -> None:
    assert model_type(HUB_TIMM_CONFIG) == "timm_wrapper"
    assert model_type({**HUB_TIMM_CONFIG, "model_type": "timm_wrapper"}) == "timm_wrapper"
    assert model_type({"model_type": "vit", "image_size": 224}) == "vit"
    assert model_type({"model_type": "bert", "pretrained_cfg": {}}) == "bert"  # declared wins
    assert model_type({"architectures": ["ResNetForImageClassification"]}) is None
    assert not is_timm_config({"model_type": 3})
    assert toolchains.for_run("core", model_type(HUB_TIMM_CONFIG)) == "vision"
    assert toolchains.for_run("core", model_type({"model_type": "vit"})) == "core"


@pytest.mark.skipif(
    importlib.util.find_spec("timm") is not None, reason="this environment has timm"
)
def test_without_timm_a_timm_checkpoint_says_which_toolchain_it_needs(tmp_path: Path) -> None:
    from runner.tasks.image_classification import ImageClassification

    (tmp_path / "config.json").write_text(json.dumps(HUB_TIMM_CONFIG))
    task = ImageClassification(tmp_path)
    rows = [json.loads(line) for line in (DATA / "digits.jsonl").read_text().splitlines()[:2]]
    for attempt in (lambda: task.prepare(rows), task.load_model):
        with pytest.raises(Unsupported, match=r"timm checkpoint .*needs timm.*`vision` toolchain"):
            attempt()


@pytest.fixture(scope="module")
def vision_python() -> Path:
    found = toolchains.state(toolchains.get("vision"))
    if not found.built or found.python is None:
        pytest.skip(f"the vision toolchain is not built here: {found.detail}")
    return found.python


def in_vision(python: Path, *args: str) -> str:
    """`python -m tests.runner.tiny_timm ARGS` in the vision toolchain; its stdout."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [str(python), "-m", "tests.runner.tiny_timm", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def efficientvit(vision_python: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("timm") / "efficientvit"
    in_vision(vision_python, "build", str(folder))
    return folder


@pytest.fixture(scope="module")
def timm_answers(vision_python: Path, efficientvit: Path) -> dict[str, Any]:
    out = in_vision(vision_python, "compare", str(efficientvit), str(DATA / "digits.jsonl"))
    answers: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return answers


def accuracy(top1: list[int], labels: list[int]) -> float:
    return sum(a == b for a, b in zip(top1, labels, strict=True)) / len(labels)


def test_the_tiny_model_is_saved_as_the_hub_saves_timm_models(efficientvit: Path) -> None:
    config = json.loads((efficientvit / "config.json").read_text())
    assert "model_type" not in config
    assert config["architecture"] == "efficientvit_b0"
    assert config["pretrained_cfg"]["input_size"] == [3, 32, 32]
    assert config["model_args"]["num_classes"] == 10  # what TimmWrapper alone cannot load
    assert sorted(p.name for p in efficientvit.iterdir()) == ["config.json", "model.safetensors"]


def test_the_runner_answers_as_timm_does(timm_answers: dict[str, Any]) -> None:
    assert timm_answers["model_class"] == "TimmWrapperForImageClassification"
    assert timm_answers["runner_top1"] == timm_answers["timm_top1"]
    assert timm_answers["max_abs_diff"] < 1e-4
    assert len(set(timm_answers["timm_top1"])) == 10  # it tells the digits apart
    assert timm_answers["runner_predictions"] == [str(i) for i in timm_answers["runner_top1"]]


def test_a_timm_model_reproduces_in_the_vision_toolchain(
    efficientvit: Path, timm_answers: dict[str, Any], tmp_path: Path
) -> None:
    from validator.cli import main

    runs: list[dict[str, Any]] = [
        {"label": "Оригинал", "method": "original"},
        {"label": "FP16", "method": "fp16"},
        {"label": "Clustering (32 clusters)", "method": "kmeans", "params": {"clusters": 32}},
        {"label": "Прунинг", "method": "prune-unstructured", "params": {"amount": 0.3}},
        {"label": "TorchScript", "method": "torchscript"},
        {"label": "INT8 dynamic", "method": "dynamic-int8"},
    ]
    manifest = write_manifest(
        tmp_path, efficientvit, "image-classification", "digits.jsonl", "accuracy", runs, 24
    )
    assert main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *FAST]) == 0
    record = {run.method: run for run in read_record(tmp_path / "out").runs}
    labels = timm_answers["labels"]
    timm_accuracy = accuracy(timm_answers["timm_top1"], labels)
    assert timm_accuracy == 1.0
    for method in ("original", "fp16", "kmeans", "prune-unstructured", "torchscript"):
        run = record[method]
        assert run.status == "ok", (method, run.error)
        assert (run.toolchain or "").startswith("vision ("), (method, run.toolchain)
        assert run.versions.get("timm"), method
    for method in ("original", "fp16", "torchscript"):
        assert record[method].quality.value == timm_accuracy, method  # type: ignore[union-attr]
    kmeans = record["kmeans"].quality
    assert kmeans is not None
    assert kmeans.value == pytest.approx(accuracy(timm_answers["timm_kmeans32_top1"], labels))
    dynamic = record["dynamic-int8"]
    assert dynamic.status == "unsupported"
    assert "convolutions hold more" in (dynamic.error or "")
    assert "use static-int8" in (dynamic.error or "")
