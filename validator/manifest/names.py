"""Method and metric names as teams write them, and what each most likely meant.

One table per kind, shared by `mcv import` (free-form results tables) and `mcv check`
(its did-you-mean hints), so `INT8-dynamic` means `dynamic-int8` to both.
"""

from __future__ import annotations

import difflib
import re
from typing import get_args

from validator.manifest.metrics import MetricName, TaskName

# The words teams write for a method (tables, manifests) -> its name; first match wins.
METHOD_WORDS: list[tuple[re.Pattern[str], str]] = [
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

# The words teams write for a metric -> its lower-case name (some are not in the schema).
METRIC_WORDS: dict[str, str] = {
    "accuracy": "accuracy",
    "acc": "accuracy",
    "top-1": "accuracy",
    "top1": "accuracy",
    "точность": "accuracy",
    "аккуратность": "accuracy",
    "f1": "f1",
    "f1-score": "f1",
    "f1score": "f1",
    "f1-мера": "f1",
    "f-score": "f1",
    "f-мера": "f1",
    "f1_score": "f1",
    "macro-f1": "f1",
    "f1-macro": "f1",
    "precision": "precision",
    "prec": "precision",
    "recall": "recall",
    "полнота": "recall",
    "wer": "wer",
    "cer": "cer",
    "bleu": "bleu",
    "sacrebleu": "bleu",
    "chrf": "chrf",
    "chrf++": "chrf",
    "perplexity": "perplexity",
    "ppl": "perplexity",
    "перплексия": "perplexity",
    "exact_match": "exact_match",
    "em": "exact_match",
    "rouge-l": "rouge_l",
    "rougel": "rouge_l",
    "rouge": "rouge_l",
    "map": "map",
    "miou": "miou",
}

# Methods that only run on a CUDA GPU (the runner's recipes say `needs_cuda`; a test holds
# the two equal). A CPU latency for them is a number the runner cannot reproduce.
GPU_ONLY = frozenset({"tensorrt", "gptq", "awq", "bnb-int8", "bnb-4bit"})

# Words that name a kind of compression, not one method: every method of that kind, the
# ones that run on a CPU first (the course's default runner), then the GPU ones.
_INT8 = ("dynamic-int8", "static-int8", "onnx-int8", "bnb-int8")
_INT4 = ("gptq", "awq", "bnb-4bit")
_QUANT = ("dynamic-int8", "static-int8", "onnx-int8", "gptq", "awq", "bnb-int8")
_PRUNE = ("prune-unstructured", "prune-structured")
METHOD_KINDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("int8", "8bit", "qint8", "uint8"), _INT8),
    **dict.fromkeys(("int4", "4bit", "nf4"), _INT4),
    **dict.fromkeys(("quant", "quantize", "quantized", "quantization", "ptq"), _QUANT),
    **dict.fromkeys(("prune", "pruned", "pruning", "sparsity"), _PRUNE),
    "half": ("fp16", "bf16"),
}
_PUNCTUATION = re.compile(r"[\s_-]+")


def _normal(word: str) -> str:
    return word.strip().lower().replace("_", "-").replace(" ", "-")


def guess_methods(word: str, known: list[str]) -> list[str]:
    """Methods `word` most likely meant, best first: its spelling, its words, its kind."""
    normal = _normal(word)
    if normal in known:
        return [normal]
    for pattern, name in METHOD_WORDS:
        if pattern.search(word) and name in known:
            return [name]
    kind = METHOD_KINDS.get(_PUNCTUATION.sub("", word.strip().lower()))
    if kind:
        return [m for m in kind if m in known]
    return difflib.get_close_matches(normal, known, n=1)


SCHEMA_METRICS: tuple[str, ...] = get_args(MetricName)
TASKS: tuple[str, ...] = get_args(TaskName)


def guess_metric(word: str) -> str | None:
    """The schema's metric name for `Accuracy`, `acc`, `F1-score`; None when none fits."""
    name = METRIC_WORDS.get(word.strip().lower().strip("-_:,.;"))
    if name in SCHEMA_METRICS:
        return name
    close = difflib.get_close_matches(word.strip().lower(), SCHEMA_METRICS, n=1)
    return close[0] if close else None


def guess_choice(word: str, allowed: list[str]) -> str | None:
    """The allowed value `word` means when only its case, `_` or spaces differ, or a close one."""
    normal = _normal(word)
    for value in allowed:
        if _normal(value) == normal:
            return value
    close = difflib.get_close_matches(normal, allowed, n=1, cutoff=0.75)
    return close[0] if close else None
