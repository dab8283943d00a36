"""Every recipe, keyed by the manifest's method name (a test keeps the two lists equal)."""

from __future__ import annotations

from runner.recipes.awq import Awq
from runner.recipes.base import Built, Recipe, RecipeContext
from runner.recipes.bitsandbytes import Bnb4Bit, BnbInt8
from runner.recipes.custom import Custom
from runner.recipes.dynamic_int8 import DynamicInt8
from runner.recipes.gptq import Gptq
from runner.recipes.half import Bf16, Fp16
from runner.recipes.kmeans import KMeans
from runner.recipes.onnx_export import OnnxExport
from runner.recipes.onnx_int8 import OnnxInt8
from runner.recipes.openvino import OpenVino
from runner.recipes.original import Distilled, Original
from runner.recipes.pruning import PruneStructured, PruneUnstructured
from runner.recipes.static_int8 import StaticInt8
from runner.recipes.tensorrt import TensorRt
from runner.recipes.torchscript import TorchScript

RECIPES: dict[str, type[Recipe]] = {
    recipe.method: recipe
    for recipe in (
        Original,
        Fp16,
        Bf16,
        DynamicInt8,
        StaticInt8,
        OnnxExport,
        OnnxInt8,
        OpenVino,
        TorchScript,
        TensorRt,
        PruneUnstructured,
        PruneStructured,
        KMeans,
        Gptq,
        Awq,
        BnbInt8,
        Bnb4Bit,
        Distilled,
        Custom,
    )
}

__all__ = ["RECIPES", "Built", "Recipe", "RecipeContext"]
