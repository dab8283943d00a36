"""Quality metrics, computed by the libraries the field uses, with a 95% interval.

Hugging Face `evaluate` loads its metric scripts from the hub, which a runner cannot reach,
so each metric calls the library `evaluate` wraps (jiwer, seqeval, sacrebleu,
scikit-learn) with the same corpus-level definition. Intervals: Wilson for proportions,
a seeded bootstrap over samples for everything else.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

BOOTSTRAP_ROUNDS = 1000
SEED = 20251122


@dataclass
class Score:
    metric: str
    value: float
    samples: int
    ci: tuple[float, float] | None
    ci_method: str | None
    definition: str
    extra: dict[str, float] = field(default_factory=dict)


def wilson(successes: int, n: int) -> tuple[float, float]:
    from scipy.stats import binomtest

    interval = binomtest(successes, n).proportion_ci(confidence_level=0.95, method="wilson")
    return float(interval.low), float(interval.high)


def bootstrap_ratio(
    numerators: np.ndarray,
    denominators: np.ndarray,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[float, float] | None:
    """95% percentile interval of sum(num)/sum(den) over samples drawn with replacement."""
    n = len(numerators)
    if n < 2:
        return None
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, n, size=(BOOTSTRAP_ROUNDS, n))
    den = denominators[picks].sum(axis=1)
    ratios = np.divide(
        numerators[picks].sum(axis=1), den, out=np.zeros(BOOTSTRAP_ROUNDS), where=den > 0
    )
    if transform is not None:
        ratios = transform(ratios)
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)


def accuracy(predictions: Sequence[Any], references: Sequence[Any]) -> Score:
    hits = sum(p == r for p, r in zip(predictions, references, strict=True))
    n = len(references)
    return Score(
        "accuracy",
        hits / n,
        n,
        wilson(hits, n),
        "wilson",
        "share of samples whose predicted label equals the reference",
    )


def classification_f1(predictions: Sequence[Any], references: Sequence[Any], metric: str) -> Score:
    """Macro-averaged F1 / precision / recall over the labels present (scikit-learn)."""
    from sklearn.metrics import precision_recall_fscore_support

    def macro(idx: np.ndarray) -> tuple[float, float, float]:
        p, r, f, _ = precision_recall_fscore_support(
            [references[i] for i in idx],
            [predictions[i] for i in idx],
            average="macro",
            zero_division=0,
        )
        return float(p), float(r), float(f)

    n = len(references)
    everything = np.arange(n)
    values = dict(zip(("precision", "recall", "f1"), macro(everything), strict=True))
    rng = np.random.default_rng(SEED)
    rounds = [values_at(macro(rng.integers(0, n, n)), metric) for _ in range(200)] if n > 1 else []
    ci = (float(np.percentile(rounds, 2.5)), float(np.percentile(rounds, 97.5))) if rounds else None
    return Score(
        metric,
        values[metric],
        n,
        ci,
        "bootstrap" if ci else None,
        f"macro-averaged {metric} over labels (scikit-learn)",
        {k: v for k, v in values.items() if k != metric},
    )


def values_at(triple: tuple[float, float, float], metric: str) -> float:
    return triple[("precision", "recall", "f1").index(metric)]


def entity_f1(predictions: list[list[str]], references: list[list[str]], metric: str) -> Score:
    """Entity-level micro F1 of seqeval in strict IOB2 mode (an entity counts only whole)."""
    from seqeval.scheme import IOB2, Entities

    true = Entities(references, IOB2, suffix=False)
    pred = Entities(predictions, IOB2, suffix=False)
    counts = np.array(
        [
            [len(set(t) & set(p)), len(p), len(t)]
            for t, p in zip(true.entities, pred.entities, strict=True)
        ],
        dtype=float,
    )
    tp, n_pred, n_true = counts.sum(axis=0)
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_true if n_true else 0.0
    f1 = 2 * tp / (n_pred + n_true) if (n_pred + n_true) else 0.0
    values = {"precision": precision, "recall": recall, "f1": f1}
    if metric == "f1":
        ci = bootstrap_ratio(2 * counts[:, 0], counts[:, 1] + counts[:, 2])
    elif metric == "precision":
        ci = bootstrap_ratio(counts[:, 0], counts[:, 1])
    else:
        ci = bootstrap_ratio(counts[:, 0], counts[:, 2])
    return Score(
        metric,
        float(values[metric]),
        len(references),
        ci,
        "bootstrap",
        f"entity-level micro {metric}, seqeval strict mode, IOB2 scheme",
        {k: float(v) for k, v in values.items() if k != metric},
    )


def error_rate(hypotheses: list[str], references: list[str], metric: str) -> Score:
    """Corpus WER/CER (jiwer): all edits over all reference words (characters), not a mean."""
    import jiwer

    measure = jiwer.process_words if metric == "wer" else jiwer.process_characters
    value = (
        jiwer.wer(references, hypotheses) if metric == "wer" else jiwer.cer(references, hypotheses)
    )
    per = [measure(r, h) for r, h in zip(references, hypotheses, strict=True)]
    edits = np.array([o.substitutions + o.deletions + o.insertions for o in per], dtype=float)
    lengths = np.array([o.substitutions + o.deletions + o.hits for o in per], dtype=float)
    other = "cer" if metric == "wer" else "wer"
    other_value = (
        jiwer.cer(references, hypotheses) if other == "cer" else jiwer.wer(references, hypotheses)
    )
    return Score(
        metric,
        float(value),
        len(references),
        bootstrap_ratio(edits, lengths),
        "bootstrap",
        f"corpus-level {metric.upper()} (jiwer): total edits / total "
        "reference " + ("words" if metric == "wer" else "characters") + ", no text "
        "normalisation",
        {other: float(other_value)},
    )


def perplexity(nll_sums: list[float], token_counts: list[int]) -> Score:
    nll = np.array(nll_sums, dtype=float)
    tokens = np.array(token_counts, dtype=float)
    value = math.exp(nll.sum() / tokens.sum())
    ci = bootstrap_ratio(nll, tokens, transform=np.exp)
    return Score(
        "perplexity",
        value,
        len(nll_sums),
        ci,
        "bootstrap",
        "exp(total negative log-likelihood / total predicted tokens)",
    )


def bleu(hypotheses: list[str], references: list[str], metric: str) -> Score:
    """Corpus BLEU or chrF (sacrebleu, default settings); the signature says which."""
    from sacrebleu.metrics.bleu import BLEU
    from sacrebleu.metrics.chrf import CHRF

    scorer = BLEU() if metric == "bleu" else CHRF()
    value = scorer.corpus_score(hypotheses, [references]).score
    n = len(references)
    ci = None
    if 1 < n <= 5000:
        rng = np.random.default_rng(SEED)
        rounds = []
        for _ in range(200):
            idx = rng.integers(0, n, n)
            rounds.append(
                scorer.corpus_score(
                    [hypotheses[i] for i in idx], [[references[i] for i in idx]]
                ).score
            )
        ci = (float(np.percentile(rounds, 2.5)), float(np.percentile(rounds, 97.5)))
    return Score(
        metric,
        float(value),
        n,
        ci,
        "bootstrap" if ci else None,
        f"sacrebleu corpus {metric.upper()}, signature {scorer.get_signature()}",
    )
