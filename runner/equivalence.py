"""Does a recipe's model still answer as the original does? Pure: numpy arrays and strings.

The reference is the original torch model (fp32) loaded in the same run process, asked the
same evaluation samples. A lossless recipe (`onnx`, `torchscript`, `openvino` fp32, ...)
must reproduce it within the tolerance below, or the run fails with the figures; a lossy
one records how far it moved. Logits are compared position by position over the last
axis (one position for a sequence classifier, one per token for NER, per frame for CTC);
generated text is compared as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

# The tolerance of a lossless recipe, in one place (docs/equivalence.md explains them).
MAX_ABS_LOGIT_DIFF = 1e-3  # fp32 kernels reorder sums; 1e-3 is far above that, far below a bug
MIN_ARGMAX_AGREEMENT = 1.0  # every position's top-1 class equals the original's
MIN_EXACT_TEXT = 1.0  # a lossless generating model writes the original's text, every sample
# Reference logits kept for the comparison, at most; later samples are not compared
# (a causal LM's logits are sequence x vocabulary per sample).
REFERENCE_BUDGET_BYTES = 256 * 2**20
TOLERANCE = {
    "max_abs_logit_diff": MAX_ABS_LOGIT_DIFF,
    "min_argmax_agreement": MIN_ARGMAX_AGREEMENT,
    "min_exact_text": MIN_EXACT_TEXT,
}


@dataclass(frozen=True)
class Comparison:
    """How a candidate's outputs compare with the reference's, over `samples` samples."""

    kind: Literal["logits", "text"]
    samples: int
    max_abs_diff: float | None = None  # logits; None when an output is not finite
    argmax_agreement: float | None = None  # logits: share of positions with the same top-1
    mean_kl: float | None = None  # logits: mean KL(reference || candidate) per position, nats
    shape_mismatches: int = 0  # logits: samples whose output shape differs
    exact_match: float | None = None  # text: share of samples with the same text
    edit_distance: float | None = None  # text: mean Levenshtein / longer length, per sample


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def compare_logits(reference: list[np.ndarray], candidate: list[np.ndarray]) -> Comparison:
    """Position-wise comparison of two lists of logits, sample by sample."""
    if len(reference) != len(candidate):
        raise ValueError(f"{len(reference)} reference outputs, {len(candidate)} candidate ones")
    max_diff, kl_sum, agree, positions, mismatches, finite = 0.0, 0.0, 0, 0, 0, True
    for ref, cand in zip(reference, candidate, strict=True):
        ref64, cand64 = np.asarray(ref, np.float64), np.asarray(cand, np.float64)
        count = int(np.prod(ref64.shape[:-1], dtype=np.int64)) if ref64.ndim else 1
        positions += count
        if ref64.shape != cand64.shape:
            mismatches += 1  # every position of this sample disagrees
            continue
        if not (np.isfinite(ref64).all() and np.isfinite(cand64).all()):
            finite = False
            continue
        max_diff = max(max_diff, float(np.abs(ref64 - cand64).max(initial=0.0)))
        flat_ref, flat_cand = ref64.reshape(count, -1), cand64.reshape(count, -1)
        agree += int((flat_ref.argmax(-1) == flat_cand.argmax(-1)).sum())
        log_p, log_q = log_softmax(flat_ref), log_softmax(flat_cand)
        kl_sum += float((np.exp(log_p) * (log_p - log_q)).sum())
    return Comparison(
        "logits",
        len(reference),
        max_abs_diff=max_diff if finite and not mismatches else None,
        argmax_agreement=agree / positions if positions else 1.0,
        mean_kl=kl_sum / positions if positions and finite and not mismatches else None,
        shape_mismatches=mismatches,
    )


def levenshtein(a: str, b: str) -> int:
    """Character edits (insert, delete, substitute) that turn `a` into `b`."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


def compare_text(reference: list[str], candidate: list[str]) -> Comparison:
    """Generated text against the original's: exact matches and normalized edit distance."""
    if len(reference) != len(candidate):
        raise ValueError(f"{len(reference)} reference outputs, {len(candidate)} candidate ones")
    if not reference:
        return Comparison("text", 0, exact_match=1.0, edit_distance=0.0)
    exact = sum(r == c for r, c in zip(reference, candidate, strict=True))
    distances = [
        levenshtein(r, c) / max(len(r), len(c)) if r != c else 0.0
        for r, c in zip(reference, candidate, strict=True)
    ]
    return Comparison(
        "text",
        len(reference),
        exact_match=exact / len(reference),
        edit_distance=sum(distances) / len(distances),
    )


def compare(reference: list[object], candidate: list[object]) -> Comparison:
    """Text when the outputs are strings, logits otherwise."""
    if reference and isinstance(reference[0], str):
        return compare_text([str(r) for r in reference], [str(c) for c in candidate])
    return compare_logits([np.asarray(r) for r in reference], [np.asarray(c) for c in candidate])


def lossless_failure(result: Comparison) -> str | None:
    """Why a lossless recipe's outputs do not count as the original's; None when they do."""
    if result.kind == "text":
        if (result.exact_match or 0.0) >= MIN_EXACT_TEXT:
            return None
        return (
            f"a lossless recipe must write the original's text: {result.exact_match:.1%} of "
            f"{result.samples} samples match (mean normalized edit distance "
            f"{result.edit_distance:.3f})"
        )
    agreement = result.argmax_agreement if result.argmax_agreement is not None else 0.0
    if result.shape_mismatches:
        detail = f"output shape differs on {result.shape_mismatches} of {result.samples} samples"
    elif result.max_abs_diff is None:
        detail = "outputs are not finite (NaN or inf)"
    elif result.max_abs_diff <= MAX_ABS_LOGIT_DIFF and agreement >= MIN_ARGMAX_AGREEMENT:
        return None
    else:
        detail = f"max |Δlogit| {result.max_abs_diff:.3g}"
    return (
        f"a lossless recipe must reproduce the original's outputs (max |Δlogit| ≤ "
        f"{MAX_ABS_LOGIT_DIFF:g}, argmax agreement {MIN_ARGMAX_AGREEMENT:.0%}): {detail}, "
        f"argmax agreement {agreement:.2%} over {result.samples} samples"
    )


def unchanged(result: Comparison) -> str | None:
    """Why a lossy recipe's logits show it changed nothing: bit-identical to the original's
    on every compared sample (generated text may well be identical; it is not judged)."""
    if result.kind != "logits" or result.max_abs_diff != 0.0 or not result.samples:
        return None
    return (
        f"the outputs are bit-identical to the original's on {result.samples} samples "
        "(max |Δlogit| 0): the method changed nothing"
    )
