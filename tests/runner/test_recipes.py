"""Each recipe does what its name says, checked on the model it builds (in-process)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any, get_args

import numpy as np
import pytest

from runner.errors import RunnerError, Unsupported
from runner.loading.data import file_rows
from runner.recipes import RECIPES, RecipeContext
from runner.tasks import TASKS
from runner.trackers.size import measure
from tests.runner.conftest import DATA
from validator.manifest import methods as m
from validator.manifest.schema import MethodName

OPTIMUM = pytest.mark.skipif(
    importlib.util.find_spec("optimum") is None,
    reason="builds through Optimum, which only the optimum toolchain has "
    "(tests/runner/test_optimum.py runs it there)",
)


def test_every_schema_method_has_a_recipe() -> None:
    assert set(RECIPES) == set(get_args(MethodName))


def test_every_schema_task_has_an_adapter() -> None:
    from validator.manifest.metrics import TaskName

    assert set(TASKS) == set(get_args(TaskName))


@pytest.fixture(scope="module")
def classifier(tiny_models: dict[str, Path]) -> tuple[Any, list[Any]]:
    task = TASKS["text-classification"](tiny_models["text-classification"], {})
    return task, task.prepare(file_rows(DATA / "sentiment.jsonl", 8))


def build(method: str, params: Any, classifier: tuple[Any, list[Any]], tmp_path: Path) -> Any:
    task, samples = classifier
    ctx = RecipeContext(task, params, samples, tmp_path, "cpu", 1)
    return RECIPES[method]().build(ctx)


def size_mb(built: Any) -> float:
    return measure(
        built.artifact, built.scheme, built.theoretical_bits, built.params, built.nonzero_params
    ).size_mb


@pytest.fixture(scope="module")
def original_mb(
    classifier: tuple[Any, list[Any]], tmp_path_factory: pytest.TempPathFactory
) -> float:
    return size_mb(
        build("original", m.OriginalParams(), classifier, tmp_path_factory.mktemp("original"))
    )


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("dynamic-int8", m.DynamicInt8Params()),
        pytest.param("onnx-int8", m.OnnxInt8Params(), marks=OPTIMUM),
    ],
)
def test_int8_shrinks_a_linear_heavy_model_more_than_twice(
    method: str, params: Any, classifier: Any, original_mb: float, tmp_path: Path
) -> None:
    built = build(method, params, classifier, tmp_path)
    assert size_mb(built) * 2 < original_mb
    task, samples = classifier
    assert task.predict(built.backend, samples[0]) in {"positive", "negative"}


def test_fp16_halves_the_artifact(classifier: Any, original_mb: float, tmp_path: Path) -> None:
    ratio = size_mb(build("fp16", m.Fp16Params(), classifier, tmp_path)) / original_mb
    assert 0.48 < ratio < 0.52


def linear_weights(model: Any) -> list[np.ndarray]:
    import torch

    return [
        mod.weight.detach().numpy() for mod in model.modules() if isinstance(mod, torch.nn.Linear)
    ]


def test_kmeans_leaves_at_most_k_values_per_layer(classifier: Any, tmp_path: Path) -> None:
    built = build("kmeans", m.KMeansParams(clusters=16, storage="codebook"), classifier, tmp_path)
    weights = linear_weights(built.backend.model)
    assert weights
    assert all(len(np.unique(w)) <= 16 for w in weights)
    from safetensors.numpy import load_file

    stored = load_file(str(built.artifact / "model.codebook.safetensors"))
    codebooks = [v for k, v in stored.items() if k.endswith(".codebook")]
    assert all(c.size <= 16 for c in codebooks)
    assert all(v.dtype == np.uint8 for k, v in stored.items() if k.endswith(".indices"))


def test_unstructured_pruning_zeroes_the_amount(classifier: Any, tmp_path: Path) -> None:
    built = build("prune-unstructured", m.PruneUnstructuredParams(amount=0.5), classifier, tmp_path)
    for weights in linear_weights(built.backend.model):
        assert (weights == 0).mean() == pytest.approx(0.5, abs=1 / weights.size + 1e-9)
    assert built.nonzero_params < built.params


def test_structured_pruning_zeroes_whole_rows(classifier: Any, tmp_path: Path) -> None:
    built = build(
        "prune-structured", m.PruneStructuredParams(amount=0.25, dim=0), classifier, tmp_path
    )
    for weights in linear_weights(built.backend.model):
        zero_rows = (weights == 0).all(axis=1).mean()
        assert zero_rows == pytest.approx(0.25, abs=1 / weights.shape[0])


def test_layer_patterns_select_modules(classifier: Any, tmp_path: Path) -> None:
    built = build(
        "prune-unstructured",
        m.PruneUnstructuredParams(amount=0.5, layers=["*.intermediate.dense"]),
        classifier,
        tmp_path,
    )
    import torch

    for name, module in built.backend.model.named_modules():
        if isinstance(module, torch.nn.Linear):
            zeros = (module.weight == 0).float().mean().item()
            assert (zeros > 0.4) == name.endswith("intermediate.dense"), name
    with pytest.raises(Unsupported, match="no layer matches"):
        build("kmeans", m.KMeansParams(clusters=4, layers=["nothing.*"]), classifier, tmp_path)


@pytest.mark.parametrize("method", ["gptq", "awq", "bnb-int8", "bnb-4bit", "tensorrt"])
def test_gpu_only_recipes_say_they_need_cuda(method: str, classifier: Any, tmp_path: Path) -> None:
    from validator.manifest.schema import RUN_TYPE_BY_METHOD

    params = RUN_TYPE_BY_METHOD[method].model_fields["params"].default_factory()  # type: ignore[misc]
    with pytest.raises(Unsupported, match="needs CUDA"):
        build(method, params, classifier, tmp_path)


@pytest.fixture(scope="module")
def resnet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Any]]:
    """A tiny ResNet (convolutions, one Linear head) over the 8x8 digit images."""
    from transformers import ResNetConfig, ResNetForImageClassification
    from transformers.models.vit.image_processing_pil_vit import ViTImageProcessorPil

    from tests.runner.tiny_models import save

    config = ResNetConfig(
        embedding_size=8, hidden_sizes=[8, 16], depths=[1, 1], layer_type="basic", num_labels=10
    )
    folder = save(
        ResNetForImageClassification(config),
        tmp_path_factory.mktemp("resnet"),
        ViTImageProcessorPil(size={"height": 8, "width": 8}, rescale_factor=1 / 16),
    )
    task = TASKS["image-classification"](folder, {})
    return task, task.prepare(file_rows(DATA / "digits.jsonl", 4))


def test_dynamic_int8_on_a_cnn_is_unsupported_with_the_alternative(
    resnet: Any, tmp_path: Path
) -> None:
    with pytest.raises(Unsupported) as caught:
        build("dynamic-int8", m.DynamicInt8Params(), resnet, tmp_path)
    assert "convolutions hold more and are not quantized dynamically; use static-int8" in str(
        caught.value
    )


def test_dynamic_int8_without_the_layer_kind_names_it(classifier: Any, tmp_path: Path) -> None:
    with pytest.raises(
        Unsupported, match=r"^no LSTM/GRU layers to quantize dynamically; use static"
    ):
        build("dynamic-int8", m.DynamicInt8Params(layers=["LSTM", "GRU"]), classifier, tmp_path)


def test_pruning_that_zeroes_nothing_fails(classifier: Any, tmp_path: Path) -> None:
    # 0.001 of the 128 x 2 head rounds to no weight at all
    params = m.PruneUnstructuredParams(amount=0.001, layers=["classifier"])
    with pytest.raises(RunnerError, match="pruning zeroed no weight in 1 layers"):
        build("prune-unstructured", params, classifier, tmp_path)
    structured = m.PruneStructuredParams(amount=0.1, layers=["classifier"], dim=0)
    with pytest.raises(RunnerError, match="the model is unchanged"):
        build("prune-structured", structured, classifier, tmp_path)


def test_kmeans_that_leaves_every_weight_fails(classifier: Any, tmp_path: Path) -> None:
    # the head has 256 weights: 300 clusters put each on its own centroid
    params = m.KMeansParams(clusters=300, layers=["classifier"])
    with pytest.raises(RunnerError, match="k-means with k=300 left every weight as it was"):
        build("kmeans", params, classifier, tmp_path)


def test_an_onnx_graph_without_int8_weights_is_not_quantized(
    classifier: Any, tmp_path: Path
) -> None:
    """On the torch.onnx path (a model Optimum does not know)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from runner.recipes.onnx_export import export, require_quantized

    task, samples = classifier
    ctx = RecipeContext(task, m.OnnxParams(), samples, tmp_path, "cpu", 1)
    fp32 = export(ctx, tmp_path / "model.onnx")
    with pytest.raises(RunnerError, match="onnx-int8: ONNX Runtime quantized no node"):
        require_quantized(fp32, "onnx-int8")
    int8 = tmp_path / "model.int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    require_quantized(int8, "onnx-int8")
