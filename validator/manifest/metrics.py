"""What each quality metric means: its range, its direction, and the tasks it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricName = Literal[
    "accuracy",
    "f1",
    "precision",
    "recall",
    "exact_match",
    "wer",
    "cer",
    "bleu",
    "chrf",
    "perplexity",
]
TaskName = Literal[
    "text-classification",
    "token-classification",
    "image-classification",
    "automatic-speech-recognition",
    "causal-lm",
    "translation",
]


@dataclass(frozen=True)
class Metric:
    name: str
    higher_is_better: bool
    low: float  # smallest possible value
    high: float | None  # largest possible value, None when unbounded
    fraction: bool = False  # written as 0..1; 82.8 is a percentage in the wrong place
    soft_high: float | None = None  # above this is possible but suspicious


def _fraction(name: str, higher: bool = True) -> Metric:
    return Metric(name, higher, 0.0, 1.0, fraction=True)


METRICS: dict[str, Metric] = {
    "accuracy": _fraction("accuracy"),
    "f1": _fraction("f1"),
    "precision": _fraction("precision"),
    "recall": _fraction("recall"),
    "exact_match": _fraction("exact_match"),
    # WER and CER can pass 1.0 (insertions), but a value that high is almost always a
    # percentage written as a fraction.
    "wer": Metric("wer", False, 0.0, None, soft_high=1.0),
    "cer": Metric("cer", False, 0.0, None, soft_high=1.0),
    "bleu": Metric("bleu", True, 0.0, 100.0),  # sacrebleu's 0..100 scale
    "chrf": Metric("chrf", True, 0.0, 100.0),
    "perplexity": Metric("perplexity", False, 1.0, None),
}

TASK_METRICS: dict[str, frozenset[str]] = {
    "text-classification": frozenset({"accuracy", "f1", "precision", "recall"}),
    "token-classification": frozenset({"f1", "precision", "recall", "accuracy"}),
    "image-classification": frozenset({"accuracy", "f1", "precision", "recall"}),
    "automatic-speech-recognition": frozenset({"wer", "cer"}),
    "causal-lm": frozenset({"perplexity", "accuracy"}),
    "translation": frozenset({"bleu", "chrf"}),
}
