"""Our metric definitions equal the reference libraries', to 1e-9, on fixed fixtures.

`evaluate` would call these same libraries (its wer/cer are corpus-level jiwer, its seqeval
is seqeval, its sacrebleu is sacrebleu); it cannot load offline, so the definitions are
pinned here instead."""

from __future__ import annotations

import math

import pytest

from runner import metrics

REFS = ["the cat sat on the mat", "a dog ran", "hello world again and again", "x"]
HYPS = ["the cat sat on mat", "a dog ran fast", "hello word again", "y z"]


def test_wer_is_corpus_level_like_jiwer_and_evaluate() -> None:
    import jiwer

    score = metrics.error_rate(HYPS, REFS, "wer")
    assert score.value == pytest.approx(jiwer.wer(REFS, HYPS), abs=1e-9)
    edits = sum(
        jiwer.process_words(r, h).wer * len(r.split()) for r, h in zip(REFS, HYPS, strict=True)
    )
    assert score.value == pytest.approx(edits / sum(len(r.split()) for r in REFS), abs=1e-9)
    mean_of_utterances = sum(jiwer.wer(r, h) for r, h in zip(REFS, HYPS, strict=True)) / len(REFS)
    assert abs(score.value - mean_of_utterances) > 0.05  # not the mean of per-utterance WERs
    assert score.extra["cer"] == pytest.approx(jiwer.cer(REFS, HYPS), abs=1e-9)
    assert score.ci is not None
    assert score.ci[0] <= score.value <= score.ci[1]


def test_cer_matches_jiwer() -> None:
    import jiwer

    assert metrics.error_rate(HYPS, REFS, "cer").value == pytest.approx(
        jiwer.cer(REFS, HYPS), abs=1e-9
    )


TRUE = [
    ["B-PER", "I-PER", "O", "B-LOC"],
    ["O", "B-ORG", "I-ORG", "O"],
    ["B-LOC", "O"],
    ["I-PER", "O", "B-PER", "O"],
]
PRED = [
    ["B-PER", "I-PER", "O", "O"],
    ["O", "B-ORG", "O", "O"],
    ["B-LOC", "O"],
    ["B-PER", "O", "B-PER", "O"],
]


@pytest.mark.parametrize("metric", ["f1", "precision", "recall"])
def test_entity_scores_match_seqeval_strict_iob2(metric: str) -> None:
    from seqeval.metrics import f1_score, precision_score, recall_score
    from seqeval.scheme import IOB2

    reference = {"f1": f1_score, "precision": precision_score, "recall": recall_score}[metric]
    expected = reference(TRUE, PRED, mode="strict", scheme=IOB2)
    score = metrics.entity_f1(PRED, TRUE, metric)
    assert score.value == pytest.approx(expected, abs=1e-9)
    assert "strict" in score.definition


def test_strict_differs_from_seqevals_default_on_a_broken_entity() -> None:
    from seqeval.metrics import f1_score

    # `I-PER` opening a sentence is an entity for conlleval, not for strict IOB2
    assert metrics.entity_f1(PRED, TRUE, "f1").value != pytest.approx(f1_score(TRUE, PRED))


def test_accuracy_and_wilson_interval() -> None:
    from sklearn.metrics import accuracy_score

    predictions, references = [1, 0, 1, 1, 0, 1, 1, 1], [1, 0, 0, 1, 0, 1, 0, 1]
    score = metrics.accuracy(predictions, references)
    assert score.value == pytest.approx(accuracy_score(references, predictions), abs=1e-9)
    low, high = score.ci  # type: ignore[misc]
    p, n, z = 6 / 8, 8, 1.959963984540054
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (low, high) == (
        pytest.approx(centre - half, abs=1e-9),
        pytest.approx(centre + half, abs=1e-9),
    )


@pytest.mark.parametrize("metric", ["f1", "precision", "recall"])
def test_classification_scores_are_sklearn_macro(metric: str) -> None:
    from sklearn.metrics import f1_score, precision_score, recall_score

    predictions, references = ["a", "b", "a", "c", "b", "a"], ["a", "b", "b", "c", "a", "a"]
    reference = {"f1": f1_score, "precision": precision_score, "recall": recall_score}[metric]
    expected = reference(references, predictions, average="macro", zero_division=0)
    assert metrics.classification_f1(predictions, references, metric).value == pytest.approx(
        expected, abs=1e-9
    )


def test_perplexity_is_exp_of_token_mean_nll() -> None:
    score = metrics.perplexity([10.0, 4.0, 7.5], [5, 2, 3])
    assert score.value == pytest.approx(math.exp(21.5 / 10), abs=1e-9)
    assert score.value != pytest.approx(math.exp((10 / 5 + 4 / 2 + 7.5 / 3) / 3))


def test_bleu_matches_sacrebleu_and_names_its_signature() -> None:
    import sacrebleu

    hyps = ["the cat sat on the mat", "a quick brown fox", "hello there"]
    refs = ["the cat sat on a mat", "the quick brown fox", "hello there friend"]
    score = metrics.bleu(hyps, refs, "bleu")
    assert score.value == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score, abs=1e-9)
    assert "nrefs:1" in score.definition
    chrf = metrics.bleu(hyps, refs, "chrf")
    assert chrf.value == pytest.approx(sacrebleu.corpus_chrf(hyps, [refs]).score, abs=1e-9)
