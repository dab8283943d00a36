"""Causal language modelling: perplexity = exp(total NLL / total predicted tokens)."""

from __future__ import annotations

from typing import Any

import numpy as np

from runner import metrics
from runner.backends import Backend
from runner.errors import RunnerError
from runner.tasks.base import Sample, Task, column

MAX_TOKENS = 512


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class CausalLm(Task):
    name = "causal-lm"
    auto_class = "AutoModelForCausalLM"

    def load_model(self, folder: Any = None, dtype: Any = None) -> Any:
        model = super().load_model(folder, dtype)
        model.config.use_cache = False  # one forward pass, logits only
        return model

    def prepare(self, rows: list[dict[str, Any]]) -> list[Sample]:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.folder, trust_remote_code=False)
        out = []
        for row in rows:
            text = str(column(row, "text", self.columns, "text", "content", "document"))
            encoded = tokenizer(text, truncation=True, max_length=MAX_TOKENS, return_tensors="np")
            if encoded["input_ids"].shape[1] < 2:
                raise RunnerError(f"a text of fewer than 2 tokens cannot be scored: `{text[:40]}`")
            inputs = {
                "input_ids": encoded["input_ids"].astype(np.int64),
                "attention_mask": encoded["attention_mask"].astype(np.int64),
            }
            out.append(Sample(inputs, None))
        return out

    scores_outputs = True

    def predict(self, backend: Backend, sample: Sample) -> Any:
        return self.from_output(backend.forward(sample.inputs), sample)

    def from_output(self, output: Any, sample: Sample) -> Any:
        logits = np.asarray(output)[0]
        ids = sample.inputs["input_ids"][0]
        logp = log_softmax(logits[:-1].astype(np.float64))
        nll = -logp[np.arange(len(ids) - 1), ids[1:]].sum()
        return float(nll), len(ids) - 1

    def score(self, predictions: list[Any], samples: list[Sample], metric: str) -> metrics.Score:
        if metric != "perplexity":
            raise RunnerError(f"causal-lm is scored by perplexity here, not {metric}")
        return metrics.perplexity([p[0] for p in predictions], [p[1] for p in predictions])
