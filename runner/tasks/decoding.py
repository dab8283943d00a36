"""The one decoding setup every generating run uses, whatever the model's generation_config.

Greedy (one beam, no sampling), `max_new_tokens` from the references (the longest one's
token count x GROWTH + MARGIN, capped), EOS honoured (no minimum length), no length or
repetition penalties. Token-protocol settings of the model (decoder start, forced and
suppressed tokens, Whisper's language and task tokens) are kept: they say how the model
is prompted, not how long it talks. Without this, a checkpoint's `num_beams: 5` or a
`max_length: 448` would make latency and WER follow the output length, not the model.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GROWTH = 1.5
MARGIN = 8
CAP = 448  # Whisper's decoder window; no course reference is longer

# Search and length settings replaced on every run; the model's values are recorded.
GREEDY: dict[str, Any] = {
    "do_sample": False,
    "num_beams": 1,
    "num_return_sequences": 1,
    "min_length": 0,
    "min_new_tokens": 0,
    "length_penalty": 1.0,
    "no_repeat_ngram_size": 0,
    "repetition_penalty": 1.0,
    "encoder_repetition_penalty": 1.0,
    "temperature": 1.0,
    "top_k": 50,
    "top_p": 1.0,
}


@dataclass(frozen=True)
class Decoding:
    max_new_tokens: int
    derived_from: str
    eos_token_id: list[int]
    overridden: dict[str, str] = field(default_factory=dict)
    config: Any = None  # the transformers GenerationConfig every run generates with


def token_budget(reference_lengths: list[int], limit: int | None = None) -> tuple[int, str]:
    """(max_new_tokens, how it was chosen) from the references' token counts."""
    longest = max(reference_lengths, default=0)
    cap = min(CAP, limit) if limit else CAP
    wanted = math.ceil(longest * GROWTH) + MARGIN
    return max(1, min(wanted, cap)), (
        f"longest of {len(reference_lengths)} references {longest} tokens x {GROWTH} "
        f"+ {MARGIN}, capped at {cap}"
    )


def eos_ids(*sources: Any) -> list[int]:
    """The first EOS id list found on the generation config, model config or tokenizer."""
    for source in sources:
        value = getattr(source, "eos_token_id", None)
        if value is not None:
            return [int(v) for v in (value if isinstance(value, list | tuple) else [value])]
    return []


def greedy(
    base: Any, max_new_tokens: int, eos: list[int], suppress: list[int], extra: dict[str, Any]
) -> tuple[Any, dict[str, str]]:
    """A copy of `base` (a GenerationConfig) with GREEDY, the budget, EOS, `suppress` and
    the task's `extra` applied; and the model's values that were replaced, as text."""
    config = copy.deepcopy(base)
    wanted = {**GREEDY, **extra, "max_new_tokens": max_new_tokens}
    if eos:
        wanted["eos_token_id"] = eos if len(eos) > 1 else eos[0]
    if suppress:
        kept = getattr(base, "suppress_tokens", None) or []
        wanted["suppress_tokens"] = sorted(set(kept) | set(suppress))
    overridden = {}
    for key, value in wanted.items():
        before = getattr(base, key, None)
        if before is not None and before != value and key != "suppress_tokens":
            overridden[key] = str(before)
        setattr(config, key, value)
    if getattr(base, "max_length", None) is not None:
        overridden["max_length"] = f"{base.max_length} (max_new_tokens takes precedence)"
    return config, overridden


def setup(
    folder: Path,
    model_config: Any,
    tokenizer: Any,
    references: list[str],
    limit: int | None = None,
    suppress: list[int] | None = None,
    extra: dict[str, Any] | None = None,
    budget: tuple[int, str] | None = None,
) -> Decoding:
    """The run's decoding: budget from the references tokenized by the model's tokenizer,
    or `budget` as the preparing step derived it (a worker never sees the references)."""
    from transformers import GenerationConfig

    try:
        base = GenerationConfig.from_pretrained(folder)
    except OSError:  # no generation_config.json: the model config's own values
        base = GenerationConfig.from_model_config(model_config)
    if budget is None:
        lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in references]
        budget = token_budget(lengths, limit)
    max_new_tokens, derived = budget
    eos = eos_ids(base, model_config, tokenizer)
    config, overridden = greedy(base, max_new_tokens, eos, suppress or [], extra or {})
    return Decoding(max_new_tokens, derived, eos, overridden, config)
