"""Sequence classification: accuracy, or macro F1/precision/recall."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner import metrics
from runner.backends import Backend
from runner.tasks.base import Sample, Task, column, predicted_label


def label_key(value: Any, names: list[str] | None) -> str:
    """Compare labels as lower-case names: `1`, `positive` and `POSITIVE` may all be one."""
    if isinstance(value, bool | int | np.integer) and names and 0 <= int(value) < len(names):
        return names[int(value)].lower()
    return str(value).lower()


class TextClassification(Task):
    name = "text-classification"
    auto_class = "AutoModelForSequenceClassification"

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.folder, trust_remote_code=False)
        out = []
        for row in rows:
            text = column(row, "text", self.columns, "text", "sentence", "content", "review")
            pair = row.get(self.columns.get("text_pair", "text_pair"))
            encoded = tokenizer(
                str(text),
                str(pair) if pair is not None else None,
                truncation=True,
                max_length=512,
                return_tensors="np",
            )
            names = row.get("_label_names", {}).get(self.columns.get("label", "label"))
            reference = column(row, "label", self.columns, "label", "labels")
            out.append(
                Sample(
                    {k: v.astype(np.int64) for k, v in encoded.items()}, label_key(reference, names)
                )
            )
        return out

    def predict(self, backend: Backend, sample: Sample) -> Any:
        return predicted_label(self.config, int(backend.forward(sample.inputs)[0].argmax()))

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        return score_labels(predictions, samples, metric)


def score_labels(predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
    """Accuracy, or macro F1/precision/recall, over predicted and reference labels."""
    references = [s.reference for s in samples]
    if metric == "accuracy":
        return metrics.accuracy(predictions, references)
    return metrics.classification_f1(predictions, references, metric)
