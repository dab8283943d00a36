"""A table's method text (`ONNX-int8`, `Clustering (32 clusters)`) -> a manifest method name
and the parameters the text states. Only what the text says; anything else is left unset."""

from __future__ import annotations

import re
from typing import Any

_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"оригин|original|baseline|базов|исходн|без сжатия|^fp32$|^float32$", re.I),
        "original",
    ),
    (re.compile(r"onnx.*(int8|quant|квант|uint8)|(int8|quant|квант).*onnx", re.I), "onnx-int8"),
    (re.compile(r"onnx", re.I), "onnx"),
    (re.compile(r"openvino", re.I), "openvino"),
    (re.compile(r"torch\s*script|\bjit\b", re.I), "torchscript"),
    (re.compile(r"tensor\s*rt|\btrt\b", re.I), "tensorrt"),
    (re.compile(r"gptq", re.I), "gptq"),
    (re.compile(r"\bawq\b", re.I), "awq"),
    (re.compile(r"(bnb|bitsandbytes|llm\.int8).*(4|nf4|fp4)|nf4|load_in_4bit", re.I), "bnb-4bit"),
    (re.compile(r"bnb|bitsandbytes|llm\.int8|load_in_8bit", re.I), "bnb-int8"),
    (re.compile(r"(dynamic|динамич).*int8|int8.*(dynamic|динамич)", re.I), "dynamic-int8"),
    (re.compile(r"(static|статич).*int8|int8.*(static|статич)", re.I), "static-int8"),
    (re.compile(r"\bbf16\b|bfloat16", re.I), "bf16"),
    (re.compile(r"\bfp16\b|float16|half", re.I), "fp16"),
    (re.compile(r"(structured|структур|channel|канал|filter|фильтр)", re.I), "prune-structured"),
    (re.compile(r"prun|прунинг|прореж|sparsit|разрежен", re.I), "prune-unstructured"),
    (re.compile(r"cluster|кластер|k-?means", re.I), "kmeans"),
    (re.compile(r"distil|дистил", re.I), "distilled"),
]
_UNSTRUCTURED = re.compile(r"unstructured|неструктур", re.I)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_CLUSTERS = re.compile(
    r"(\d+)\s*(?:clusters?|кластер\w*|centroids?|центроид\w*)|k\s*=\s*(\d+)", re.I
)
_BITS = re.compile(r"(\d)\s*-?\s*(?:bit|бит)|int(\d)\b", re.I)


def method_of(text: str) -> tuple[str | None, dict[str, Any]]:
    """(method name or None, params the text states)."""
    for pattern, name in _RULES:
        if not pattern.search(text):
            continue
        if name == "prune-structured" and (
            _UNSTRUCTURED.search(text) or not re.search(r"prun|прун|прореж", text, re.I)
        ):
            continue
        return name, _params(name, text)
    return None, {}


def _params(name: str, text: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if name.startswith("prune") and (percent := _PERCENT.search(text)):
        amount = float(percent.group(1).replace(",", ".")) / 100
        if 0 < amount < 1:
            params["amount"] = amount
    if name == "kmeans" and (clusters := _CLUSTERS.search(text)):
        params["clusters"] = int(clusters.group(1) or clusters.group(2))
    if name == "gptq" and (bits := _BITS.search(text)):
        value = int(bits.group(1) or bits.group(2))
        if value in (2, 3, 4, 8):
            params["bits"] = value
    return params
