"""`mcv reproduce` end to end: spawned processes, the record, and runs that go wrong."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from runner import toolchains
from runner.execute import _exit_reason
from runner.recipes import RECIPES
from tests.runner.conftest import DATA
from validator.verification import VerificationRecord

# Unsandboxed unless a test says otherwise: these test recipes and records; tests/sandbox
# tests the sandboxes, and test_auto_sandbox the default.
FAST = [
    *("--min-iterations", "3", "--min-seconds", "0", "--warmup", "1", "--threads", "1"),
    *("--sandbox", "none"),
]

ALL_METHODS: list[dict[str, Any]] = [
    {"label": "Оригинал", "method": "original"},
    {"label": "FP16", "method": "fp16"},
    {"label": "BF16", "method": "bf16"},
    {"label": "INT8 dynamic", "method": "dynamic-int8"},
    {"label": "INT8 static", "method": "static-int8", "params": {"calibration_samples": 4}},
    {"label": "ONNX", "method": "onnx"},
    {"label": "ONNX INT8", "method": "onnx-int8"},
    {"label": "TorchScript", "method": "torchscript"},
    {
        "label": "Прунинг",
        "method": "prune-unstructured",
        "params": {"amount": 0.5, "storage": "sparse"},
    },
    {"label": "Каналы", "method": "prune-structured", "params": {"amount": 0.25}},
    {"label": "K-means", "method": "kmeans", "params": {"clusters": 16, "storage": "codebook"}},
    {"label": "Student", "method": "distilled", "params": {"student": {"id": "STUDENT"}}},
    {"label": "OpenVINO", "method": "openvino"},
    {"label": "GPTQ", "method": "gptq"},
    {"label": "AWQ", "method": "awq"},
    {"label": "bnb int8", "method": "bnb-int8"},
    {"label": "bnb 4bit", "method": "bnb-4bit"},
    {"label": "TensorRT", "method": "tensorrt"},
    {"label": "Own code", "method": "custom", "params": {"script": "mine.py", "description": "x"}},
]
UNSUPPORTED_HERE = {"gptq", "awq", "bnb-int8", "bnb-4bit", "tensorrt", "custom"} | {
    method  # a recipe whose toolchain is not built here says how to build it
    for method, recipe in RECIPES.items()
    if recipe.toolchain != "core" and not toolchains.state(toolchains.get(recipe.toolchain)).built
}


def place(root: Path, source: Path, name: str) -> str:
    """Copy a model folder into the team's folder, as a team commits one; its manifest name."""
    target = root / "submissions" / "t" / name
    if not target.exists():
        shutil.copytree(source, target)
    return f"submissions/t/{name}"


def write_manifest(
    root: Path,
    model: Path | str,
    task: str,
    dataset: str,
    metric: str,
    runs: list[dict[str, Any]],
    samples: int = 8,
) -> Path:
    """A manifest in `root/submissions/t/`, its local model and rows copied in beside it
    (the runner reads a team's files only from the team's folder); a str model is a name."""
    runs = [{"reported": {}, **run} for run in runs]
    model_id = place(root, model, "model") if isinstance(model, Path) else model
    place(root, DATA, "data")
    data = {
        "schema_version": 1,
        "team": "t",
        "homework": 2,
        "model": {"id": model_id, "task": task},
        "evaluation": {
            "dataset": f"submissions/t/data/{dataset}",
            "samples": samples,
            "metric": metric,
        },
        "runs": runs,
    }
    path = root / "submissions" / "t" / "hw-2.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def text_manifest(
    root: Path, model: Path | str, runs: list[dict[str, Any]], samples: int = 8
) -> Path:
    """A text classifier over the shipped sentiment rows: what most runner tests need."""
    return write_manifest(
        root, model, "text-classification", "sentiment.jsonl", "accuracy", runs, samples
    )


def read_record(out: Path) -> VerificationRecord:
    return VerificationRecord.model_validate_json((out / "verification.json").read_text())


@pytest.fixture(scope="module")
def every_method(
    tiny_models: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, VerificationRecord]:
    from validator.cli import main

    root = tmp_path_factory.mktemp("every-method")
    student = place(root, tiny_models["text-classification"], "student")
    runs = json.loads(json.dumps(ALL_METHODS).replace("STUDENT", student))
    manifest = text_manifest(
        root,
        tiny_models["text-classification"],
        runs,
    )
    code = main(["reproduce", str(manifest), "--out", str(root / "out"), *FAST])
    return code, read_record(root / "out")


def test_every_cpu_recipe_runs_and_the_rest_say_why_not(every_method: Any) -> None:
    code, record = every_method
    assert code == 0
    statuses = {run.method: (run.status, run.error) for run in record.runs}
    for method, (status, error) in statuses.items():
        expected = "unsupported" if method in UNSUPPORTED_HERE else "ok"
        assert status == expected, (method, error)
        assert (error is None) == (status == "ok")
    assert "needs CUDA" in (statuses["bnb-int8"][1] or "")
    assert "not supported for text-classification" in (statuses["gptq"][1] or "")
    assert "sandbox" in (statuses["custom"][1] or "")


def test_record_measures_what_it_says(every_method: Any) -> None:
    _, record = every_method
    runs = {run.method: run for run in record.runs}
    original = runs["original"]
    assert original.size is not None
    assert original.cpu is not None
    assert original.memory is not None
    assert original.quality is not None
    assert original.cpu.ms.n >= 3
    assert original.cpu.threads == 1
    assert original.quality.samples == 8
    assert original.quality.ci_low is not None
    assert original.memory.ram_peak_mb > original.memory.ram_before_load_mb > 0
    assert runs["dynamic-int8"].size.size_mb * 2 < original.size.size_mb  # type: ignore[union-attr]
    assert runs["onnx-int8"].size.size_mb * 2 < original.size.size_mb  # type: ignore[union-attr]
    pruned = runs["prune-unstructured"].size
    assert pruned is not None
    assert pruned.theoretical_mb < original.size.theoretical_mb
    assert record.fingerprint.versions["torch"].startswith("2.13")
    assert record.fingerprint.threads == 1
    assert len(record.manifest_sha256) == 64


def test_every_task_reproduces(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    from validator.cli import main

    cases = [
        ("token-classification", "token-classification", "ner.jsonl", "f1"),
        ("image-classification", "image-classification", "digits.jsonl", "accuracy"),
        ("causal-lm", "causal-lm", "lm.jsonl", "perplexity"),
        ("translation", "translation", "translation.jsonl", "bleu"),
        ("automatic-speech-recognition", "automatic-speech-recognition", "asr.jsonl", "wer"),
        ("ctc", "automatic-speech-recognition", "asr.jsonl", "cer"),
    ]
    for key, task, dataset, metric in cases:
        root = tmp_path / key
        manifest = write_manifest(
            root,
            tiny_models[key],
            task,
            dataset,
            metric,
            [{"label": "Оригинал", "method": "original"}],
            samples=4,
        )
        assert main(["reproduce", str(manifest), "--out", str(root / "out"), *FAST]) == 0, key
        (run,) = read_record(root / "out").runs
        assert run.status == "ok", (key, run.error)
        assert run.quality is not None
        rows = sum(1 for line in (DATA / dataset).read_text().splitlines() if line.strip())
        assert (run.quality.metric, run.quality.samples) == (metric, min(4, rows)), key


def test_a_failed_run_does_not_stop_the_job(
    tiny_models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from validator.cli import main

    pickled = tmp_path / "pickled-model"
    pickled.mkdir()
    student = place(tmp_path, tiny_models["text-classification"], "student")
    (pickled / "config.json").write_text("{}")
    (pickled / "pytorch_model.bin").write_bytes(b"not even a pickle")
    manifest = text_manifest(
        tmp_path,
        pickled,
        [
            {"label": "Оригинал", "method": "original"},
            {
                "label": "Student",
                "method": "distilled",
                "params": {"student": {"id": student}},
            },
        ],
    )
    assert main(["reproduce", str(manifest), "--out", str(tmp_path / "out"), *FAST]) == 1
    first, second = read_record(tmp_path / "out").runs
    assert first.status == "failed"
    assert "pickled weights are refused" in (first.error or "")
    assert second.status == "ok"
    assert "Traceback" not in capsys.readouterr().err


def test_a_run_past_its_timeout_is_stopped(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    from validator.cli import main

    manifest = text_manifest(
        tmp_path,
        tiny_models["text-classification"],
        [{"label": "Оригинал", "method": "original"}],
    )
    assert (
        main(
            ["reproduce", str(manifest), "--out", str(tmp_path / "out"), "--timeout", "0.5", *FAST]
        )
        == 1
    )
    (run,) = read_record(tmp_path / "out").runs
    assert run.status == "failed"
    assert "timed out after 0.5 s" in (run.error or "")


def test_exit_reasons_name_the_signal() -> None:
    assert _exit_reason(-signal.SIGKILL) == (
        "the run's process died with SIGKILL (killed: out of memory?)"
    )
    assert _exit_reason(3) == "the run's process exited with code 3 without a result"


def test_usage_errors(
    tiny_models: dict[str, Path], tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = text_manifest(
        tmp_path,
        tiny_models["text-classification"],
        [{"label": "Оригинал", "method": "original"}],
    )
    out = str(tmp_path / "out")
    code, _, err = cli("reproduce", str(manifest), "--out", out, "--run", "nope")
    assert (code, err.strip()) == (2, "mcv reproduce: no run labelled nope; runs: Оригинал")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    code, _, err = cli("reproduce", str(manifest), "--out", out, "--sandbox", "docker")
    assert code == 2
    assert "--sandbox docker: no Docker engine answers" in err
    assert "nothing was run unsandboxed" in err
    assert "Traceback" not in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("team: [\n")
    code, _, err = cli("reproduce", str(broken), "--out", out)
    assert code == 2
    assert "MCV004" in err
    assert not (tmp_path / "out").exists()


def test_cuda_requested_without_cuda(
    tiny_models: dict[str, Path], tmp_path: Path, cli: Any
) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    manifest = text_manifest(
        tmp_path,
        tiny_models["text-classification"],
        [{"label": "Оригинал", "method": "original"}],
    )
    code, _, err = cli("reproduce", str(manifest), "--out", str(tmp_path / "o"), "--device", "cuda")
    assert (code, err.strip()) == (
        2,
        "mcv reproduce: --device cuda: CUDA is not available on this machine",
    )


def test_every_run_but_the_original_is_compared_with_it(every_method: Any) -> None:
    _, record = every_method
    for run in record.runs:
        if run.status != "ok":
            continue
        if run.method in ("original", "distilled"):
            assert run.agreement is None, run.method
            continue
        agreement = run.agreement
        assert agreement is not None, run.method
        assert agreement.samples == 8
        if run.method in ("onnx", "torchscript", "openvino"):
            assert (agreement.lossless, agreement.passed) == (True, True), run.method
            assert agreement.argmax_agreement == 1.0
        else:
            assert (agreement.lossless, agreement.passed) == (False, None), run.method
        assert run.decoding is None
