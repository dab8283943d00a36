"""The tolerance policy: pure functions from a reported and a reproduced value to a verdict.

Each judge returns a Judgement: the verdict, the tolerance as a person reads it, and the
key of the sentence that explains a mismatch (see strings.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from validator.compare.config import Tolerance
from validator.manifest.metrics import METRICS

Verdict = Literal["ok", "mismatch", "unverifiable", "not-reported", "run-failed"]


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    tolerance: str = ""  # "±5%", "±0.021"
    cause: str | None = None  # a `cause.*` key in strings.py when the verdict needs a word
    params: dict[str, str] = field(default_factory=dict)
    basis: str | None = None  # a `basis.*` key: what the tolerance rests on ("ci", "speedup")
    basis_params: dict[str, str] = field(default_factory=dict)


def relative(reported: float, reproduced: float, tol: float) -> bool:
    return reproduced > 0 and abs(reported - reproduced) / reproduced <= tol


def judge_size(reported: float, reproduced: float, tol: Tolerance) -> Judgement:
    if relative(reported, reproduced, tol.size_rel):
        return Judgement("ok", f"±{tol.size_rel:.0%}")
    ratio = reported / reproduced if reproduced else math.inf
    cause = "size-units" if 500 < ratio < 2000 or 0 < ratio < 0.002 else "size"
    return Judgement("mismatch", f"±{tol.size_rel:.0%}", cause, {"ratio": f"{ratio:.2f}"})


def sampling_error(metric: str, value: float, n: int) -> float:
    """Half-width of the 95% normal interval of a proportion at n samples."""
    p = min(max(value, 0.0), 1.0)
    return 1.96 * math.sqrt(p * (1 - p) / max(n, 1)) if METRICS[metric].fraction else 0.0


def judge_quality(
    metric: str,
    reported: float,
    reproduced: float,
    n: int,
    ci: tuple[float, float] | None,
    tol: Tolerance,
) -> Judgement:
    base = metric.split(":")[-1]
    if base in ("perplexity",):
        ok = relative(reported, reproduced, tol.perplexity_rel)
        return Judgement(
            "ok" if ok else "mismatch", f"±{tol.perplexity_rel:.0%}", None if ok else "quality"
        )
    if base in ("bleu", "chrf"):
        allowed, text = tol.bleu_abs, f"±{tol.bleu_abs:g}"
    elif base in ("wer", "cer"):
        half = (ci[1] - ci[0]) / 2 if ci else 0.0
        allowed = max(tol.error_rate_floor, half)
        text, basis = f"±{allowed:.3f}", ("bootstrap" if half > tol.error_rate_floor else None)
    else:
        error = sampling_error(base, reproduced, n)
        allowed = max(tol.quality_floor, error)
        text, basis = f"±{allowed:.3f}", ("ci" if error > tol.quality_floor else None)
    extra = {"basis": basis, "basis_params": {"n": str(n)}}
    if abs(reported - reproduced) <= allowed + 1e-12:
        return Judgement("ok", text, **extra)  # type: ignore[arg-type]
    fraction = METRICS.get(base)
    if (
        fraction is not None
        and fraction.fraction
        and 1 < reported <= 100
        and abs(reported / 100 - reproduced) <= allowed
    ):
        return Judgement("mismatch", text, "quality-percent", **extra)  # type: ignore[arg-type]
    return Judgement("mismatch", text, "quality", {"n": str(n)}, **extra)  # type: ignore[arg-type]


def judge_latency_same_hardware(
    reported: float, reproduced: float, cv: float, tol: Tolerance
) -> Judgement:
    allowed = max(tol.latency_rel, tol.cv_widening * cv)
    if relative(reported, reproduced, allowed):
        return Judgement("ok", f"±{allowed:.0%}")
    ratio = reported / reproduced if reproduced else math.inf
    cause = "latency-units" if 500 < ratio < 2000 or 0 < ratio < 0.002 else "latency"
    return Judgement("mismatch", f"±{allowed:.0%}", cause, {"ratio": f"{ratio:.2f}"})


def judge_speedup(
    reported_speedup: float, reproduced_speedup: float, cv: float, tol: Tolerance
) -> Judgement:
    """Same direction, and the ratio of speed-ups within tolerance (widened by noise)."""
    allowed = max(tol.speedup_rel, tol.cv_widening * cv)
    text = f"±{allowed:.0%}"
    params = {"claimed": f"{reported_speedup:.2f}", "measured": f"{reproduced_speedup:.2f}"}
    faster_claimed, faster_measured = (
        reported_speedup > 1 + allowed,
        reproduced_speedup > 1 + allowed,
    )
    slower_claimed, slower_measured = (
        reported_speedup < 1 - allowed,
        reproduced_speedup < 1 - allowed,
    )
    if (faster_claimed and slower_measured) or (slower_claimed and faster_measured):
        return Judgement("mismatch", text, "speedup-direction", params, "speedup")
    if abs(math.log(reported_speedup / reproduced_speedup)) <= math.log1p(allowed):
        return Judgement("ok", text, basis="speedup")
    return Judgement("mismatch", text, "speedup", params, "speedup")


def judge_memory(
    reported: float, reproduced: float, tol: Tolerance, weights_mb: float | None, vram: bool
) -> Judgement:
    text = f"±{tol.memory_rel:.0%}"
    if vram and weights_mb and reported < 0.95 * weights_mb:
        return Judgement("mismatch", text, "vram-below-weights", {"weights": f"{weights_mb:.1f}"})
    if relative(reported, reproduced, tol.memory_rel):
        return Judgement("ok", text)
    return Judgement("mismatch", text, "memory")


def judge_latency_interval(
    reported: float,
    median: float,
    interval_rel: float,
    drift: float,
    tol: Tolerance,
    resolution: float = 0.0,
) -> Judgement:
    """A latency on the same hardware, against what the runner resolved: its median's
    interval, the drift it saw, and the course floor. Outside that but within the
    plausibility band the machine cannot tell (grey); beyond the band it is a discrepancy."""
    allowed = interval_rel + abs(drift) + tol.latency_rel + resolution
    text = f"±{allowed:.0%}"
    basis = {
        "ci": f"±{interval_rel:.0%}",
        "drift": f"{drift:+.0%}",
        "floor": f"{tol.latency_rel:.0%}",
    }
    if relative(reported, median, allowed):
        return Judgement("ok", text, basis="interval", basis_params=basis)
    ratio = reported / median if median else math.inf
    params = {"ratio": f"{ratio:.2f}", "band": f"{tol.latency_band:g}"}
    if 500 < ratio < 2000 or 0 < ratio < 0.002:
        return Judgement("mismatch", text, "latency-units", params, "interval", basis)
    if 1 / tol.latency_band <= ratio <= tol.latency_band:
        return Judgement("unverifiable", text, "latency-unresolved", params, "interval", basis)
    return Judgement("mismatch", text, "latency", params, "interval", basis)


def judge_speedup_interval(
    claimed: float,
    measured: float,
    low: float,
    high: float,
    rounds: int,
    same_hardware: bool,
    tol: Tolerance,
    resolution: float = 0.0,
) -> Judgement:
    """A claimed speed-up over the original against the runner's paired measurement: its
    interval widened, in ratio, by the course floor and by what the channel leaves
    unresolved for a model about as fast as the pipe (`resolution`, relative). On other
    hardware a claim off by less than the plausibility band is not comparable here
    (grey), beyond it a discrepancy."""
    widen = 1 + tol.speedup_rel + resolution
    lo, hi = low / widen, high * widen
    text = f"×{lo:.2f}…×{hi:.2f}"
    basis = {"rounds": str(rounds), "floor": f"{widen - 1:.0%}"}
    params = {
        "claimed": f"{claimed:.2f}",
        "measured": f"{measured:.2f}",
        "band": f"{tol.latency_band:g}",
    }
    if lo <= claimed <= hi:
        return Judgement("ok", text, basis="paired", basis_params=basis)
    if (claimed > 1 + tol.speedup_rel and hi < 1) or (claimed < 1 - tol.speedup_rel and lo > 1):
        return Judgement("mismatch", text, "speedup-direction", params, "paired", basis)
    if not same_hardware and measured / tol.latency_band <= claimed <= measured * tol.latency_band:
        return Judgement("unverifiable", text, "speedup-other-hardware", params, "paired", basis)
    return Judgement("mismatch", text, "speedup", params, "paired", basis)
