"""Generation runs with one explicit decoding setup, whatever the model's generation_config."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from runner.coordinator import Answers, WorkerFailed, decoding_of
from runner.tasks import decoding
from tests.runner.test_equivalence import run_in_process

# What a real checkpoint's generation_config.json carries (Whisper's and Marian's), with
# token ids inside the tiny vocabulary: beams, a long max_length, a minimum length that
# holds EOS back, and Whisper's timestamp/language/task fields.
REAL_STYLE: dict[str, Any] = {
    "decoder_start_token_id": 6,
    "eos_token_id": 5,
    "pad_token_id": 0,
    "bos_token_id": 5,
    "max_length": 448,
    "num_beams": 5,
    "min_length": 40,
    "begin_suppress_tokens": [7],
    "suppress_tokens": [8, 9],
    "forced_decoder_ids": [[1, 10], [2, 11]],
    "no_timestamps_token_id": 12,
    "is_multilingual": True,
    "lang_to_id": {"<|en|>": 10},
    "task_to_id": {"transcribe": 11, "translate": 13},
    "return_timestamps": False,
    "max_initial_timestamp_index": 50,
    "prev_sot_token_id": 14,
}


def test_the_budget_follows_the_longest_reference_and_its_cap() -> None:
    assert decoding.token_budget([3, 10, 4]) == (
        23,
        "longest of 3 references 10 tokens x 1.5 + 8, capped at 448",
    )
    assert decoding.token_budget([1000], limit=60)[0] == 60
    assert decoding.token_budget([])[0] == decoding.MARGIN


def test_greedy_replaces_search_and_length_settings_and_keeps_the_prompt() -> None:
    from transformers import GenerationConfig

    base = GenerationConfig(
        num_beams=4, max_length=448, min_length=40, repetition_penalty=1.3, decoder_start_token_id=6
    )
    config, overridden = decoding.greedy(base, 12, [5], [20, 21], {})
    assert (config.num_beams, config.do_sample, config.min_length) == (1, False, 0)
    assert (config.max_new_tokens, config.eos_token_id, config.repetition_penalty) == (12, 5, 1.0)
    assert config.decoder_start_token_id == 6
    assert config.suppress_tokens == [20, 21]
    assert overridden["num_beams"] == "4"
    assert overridden["min_length"] == "40"
    assert overridden["max_length"].startswith("448")
    assert base.num_beams == 4  # the model's own config is left alone


def test_a_generate_that_runs_past_the_budget_fails_the_run() -> None:
    state = {"budget": [4, "x"], "eos": [5], "overridden": {"num_beams": "5"}}
    task = SimpleNamespace(generates=True)
    with pytest.raises(WorkerFailed, match="took 9 decoding steps on sample 2, past max_new"):
        decoding_of(state, Answers(["a", "b"], {}, {0: 3, 1: 9}), task)
    record = decoding_of(state, Answers(["a", "b"], {}, {0: 3, 1: 4}), task)
    assert record is not None
    assert (record.new_tokens_max, record.ended_without_eos, record.new_tokens_mean) == (4, 1, 3.5)
    assert (record.eos_token_id, record.overridden) == ([5], {"num_beams": "5"})


def with_generation_config(source: Path, target: Path, values: dict[str, Any]) -> Path:
    from transformers import GenerationConfig

    shutil.copytree(source, target)
    GenerationConfig(**values).save_pretrained(target)
    return target


@pytest.mark.parametrize(
    ("key", "task"),
    [
        ("automatic-speech-recognition", "automatic-speech-recognition"),
        ("translation", "translation"),
    ],
)
def test_a_real_style_generation_config_does_not_set_the_length(
    key: str, task: str, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    """Before: Whisper under this config took 500 decoding steps with a budget of 10 (its
    window re-decoded as "timestamps" ended each segment) and beams multiplied it."""
    values = dict(REAL_STYLE)
    if task == "translation":  # T5 has no Whisper fields
        values = {k: values[k] for k in ("eos_token_id", "pad_token_id", "max_length", "num_beams")}
        values.update(decoder_start_token_id=0, min_length=40)
    model = with_generation_config(tiny_models[key], tmp_path / "model", values)
    record = run_in_process(tmp_path, model, {"label": "Q", "method": "dynamic-int8"}, task)
    assert record.status == "ok", record.error
    setup = record.decoding
    assert setup is not None
    assert setup.strategy == "greedy"
    assert setup.max_new_tokens <= 3 * 1.5 + decoding.MARGIN + 1  # references are 1-3 words
    assert setup.new_tokens_max is not None
    assert setup.new_tokens_max <= setup.max_new_tokens
    assert setup.eos_token_id == [5]
    assert setup.overridden["num_beams"] == "5"
    assert setup.overridden["min_length"] == "40"
    agreement = record.agreement
    assert agreement is not None
    assert agreement.compared == "text"
    assert agreement.exact_match is not None
    assert agreement.edit_distance is not None


def test_a_forward_task_records_no_decoding(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    record = run_in_process(
        tmp_path, tiny_models["token-classification"], {"label": "F", "method": "fp16"}
    )
    assert record.status == "ok", record.error
    assert record.decoding is None
    assert record.agreement is not None
    assert record.agreement.compared == "logits"
