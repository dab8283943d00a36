"""Token classification (NER): entity F1 by seqeval, strict IOB2; one label per word."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner import metrics
from runner.backends import Backend
from runner.errors import RunnerError
from runner.tasks.base import Sample, Task, column


class TokenClassification(Task):
    name = "token-classification"
    auto_class = "AutoModelForTokenClassification"

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoConfig, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.folder, trust_remote_code=False)
        if not tokenizer.is_fast:
            raise RunnerError("token classification needs a fast tokenizer (tokenizer.json)")
        self.config = self.config or AutoConfig.from_pretrained(self.folder)
        out = []
        for row in rows:
            words = [str(w) for w in column(row, "tokens", self.columns, "tokens", "words")]
            tags = column(row, "tags", self.columns, "ner_tags", "tags", "labels")
            names = row.get("_label_names", {}).get(self.columns.get("tags", "ner_tags"))
            encoded = tokenizer(
                words,
                is_split_into_words=True,
                truncation=True,
                max_length=512,
                return_tensors="np",
            )
            word_ids = encoded.word_ids(0)
            first = [
                i
                for i, w in enumerate(word_ids)
                if w is not None and (i == 0 or word_ids[i - 1] != w)
            ]
            inputs = {k: v.astype(np.int64) for k, v in encoded.items()}
            kept = len(first)  # words cut by truncation have no prediction
            out.append(
                Sample(
                    inputs,
                    [self._tag_name(t, names) for t in tags][:kept],
                    {"first_subtokens": np.array(first, dtype=np.int64)},
                )
            )
        return out

    def _tag_name(self, tag: Any, names: list[str] | None) -> str:
        if isinstance(tag, str):
            return tag
        if names:
            return names[int(tag)]
        return str(self.config.id2label[int(tag)])

    def predict(self, backend: Backend, sample: Sample) -> Any:
        logits = backend.forward(sample.inputs)[0]
        first = sample.aux["first_subtokens"]
        return [str(self.config.id2label[int(i)]) for i in logits[first].argmax(axis=-1)]

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        if metric == "accuracy":
            flat_p = [t for seq in predictions for t in seq]
            flat_r = [t for s in samples for t in s.reference]
            score = metrics.accuracy(flat_p, flat_r)
            score.definition = "share of words whose predicted tag equals the reference"
            return score
        return metrics.entity_f1(predictions, [s.reference for s in samples], metric)
