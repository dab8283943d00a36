"""A table's method text (`ONNX-int8`, `Clustering (32 clusters)`) -> a manifest method name
and the parameters the text states. Only what the text says; anything else is left unset."""

from __future__ import annotations

import re
from typing import Any

from validator.manifest.names import METHOD_WORDS

_UNSTRUCTURED = re.compile(r"unstructured|неструктур", re.I)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s*%")
_CLUSTERS = re.compile(
    r"(\d+)\s*(?:clusters?|кластер\w*|centroids?|центроид\w*)|k\s*=\s*(\d+)", re.I
)
_BITS = re.compile(r"(\d)\s*-?\s*(?:bit|бит)|int(\d)\b", re.I)


def method_of(text: str) -> tuple[str | None, dict[str, Any]]:
    """(method name or None, params the text states)."""
    for pattern, name in METHOD_WORDS:
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
