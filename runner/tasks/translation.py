"""Translation and other seq2seq text generation: corpus BLEU or chrF by sacrebleu."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner import metrics
from runner.backends import Backend
from runner.tasks import decoding
from runner.tasks.base import Sample, Task, column, load_tokenizer


class Translation(Task):
    name = "translation"
    auto_class = "AutoModelForSeq2SeqLM"

    def __init__(self, folder: Any, columns: dict[str, str] | None = None) -> None:
        super().__init__(folder, columns)
        self.generates = True

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoConfig

        self.tokenizer = load_tokenizer(self.folder)
        self.config = self.config or AutoConfig.from_pretrained(self.folder)
        out = []
        for row in rows:
            source = str(column(row, "source", self.columns, "source", "src", "input"))
            target = str(column(row, "target", self.columns, "target", "tgt", "reference"))
            encoded = self.tokenizer(source, truncation=True, max_length=512, return_tensors="np")
            inputs = {
                "input_ids": encoded["input_ids"].astype(np.int64),
                "attention_mask": encoded["attention_mask"].astype(np.int64),
            }
            out.append(Sample(inputs, target))
        self.decoding = decoding.setup(
            self.folder, self.config, self.tokenizer, [s.reference for s in out]
        )
        return out

    def restore(self, state: dict[str, Any]) -> None:
        from transformers import AutoConfig

        self.tokenizer = load_tokenizer(self.folder)
        self.config = self.config or AutoConfig.from_pretrained(self.folder)
        budget = state["budget"]
        self.decoding = decoding.setup(
            self.folder, self.config, self.tokenizer, [], budget=(int(budget[0]), str(budget[1]))
        )

    def predict(self, backend: Backend, sample: Sample) -> Any:
        ids = backend.generate(sample.inputs, self.decoding.config).ids
        return str(self.tokenizer.decode(ids[0], skip_special_tokens=True)).strip()

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        return metrics.bleu(predictions, [s.reference for s in samples], metric)
