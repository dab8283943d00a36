"""Paired latency: interleaved rounds over workers, timed by the coordinator's clock.

A round takes one evaluation sample (cycling through distinct ones) and asks each model in
a block of its own, A then B, the next round B then A, so the machine's drift lands on
both alike. A block's first call, the first after the other model ran (a worker woken,
its caches cold), is kept apart: it feeds the cache audit, not the latency, so a run's
latency is that of its model answering back to back, as the original's alone is. A
speed-up is a ratio measured round by round, its interval a bootstrap over rounds; the
original's drift across the rounds is recorded.
The statistics are pure functions over the rounds; `loop` is the only part that calls.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

PER_ROUND = 5  # calls per model per round
MIN_ROUNDS = 20
RESAMPLES = 2000
CACHE_RATIO = 0.25  # repeated inputs answered this much faster than fresh ones: a cache

Call = Callable[[int], float]  # sample index -> milliseconds, the channel's cost taken off


@dataclass
class Rounds:
    """What `loop` measured: per round, its sample and each model's calls (ms)."""

    samples: list[int]
    times: list[list[list[float]]]  # [round][model][call], each block's first call apart
    fresh: list[bool]  # whether the round's first call per model was the sample's first
    elapsed_s: float
    firsts: list[list[float]] = field(default_factory=list)  # [round][model]

    def medians(self, model: int) -> np.ndarray:
        return np.array([float(np.median(r[model])) for r in self.times])

    def pooled(self, model: int) -> list[float]:
        return [t for r in self.times for t in r[model]]


def loop(
    calls: Sequence[Call],
    cycle: Sequence[int],
    warmup: int,
    min_calls: int,
    min_seconds: float,
    max_seconds: float,
    after_block: Sequence[Callable[[int], None]] | None = None,
) -> Rounds:
    """Rounds until each model has `min_calls` calls, `min_seconds` of timing each and at
    least MIN_ROUNDS rounds; or `max_seconds` in all (with two rounds at least)."""
    for call in calls:
        for _ in range(warmup):
            call(cycle[0])
    seen = {cycle[0]}
    need = max(MIN_ROUNDS, math.ceil(min_calls / PER_ROUND))
    out = Rounds([], [], [], 0.0, [])
    started = time.perf_counter()
    while True:
        index = cycle[len(out.times) % len(cycle)]
        times: list[list[float]] = [[] for _ in calls]
        firsts = [0.0 for _ in calls]
        forward = len(out.times) % 2 == 0
        order = list(range(len(calls))) if forward else list(reversed(range(len(calls))))
        for model in order:
            firsts[model] = calls[model](index)
            times[model] = [calls[model](index) for _ in range(PER_ROUND)]
            if after_block:
                after_block[model](index)
        out.firsts.append(firsts)
        out.fresh.append(index not in seen)
        seen.add(index)
        out.samples.append(index)
        out.times.append(times)
        out.elapsed_s = time.perf_counter() - started
        enough = len(out.times) >= need and out.elapsed_s >= min_seconds * len(calls)
        if enough or (out.elapsed_s >= max_seconds and len(out.times) >= 2):
            return out


def _bootstrap(values: np.ndarray, statistic: Callable[[np.ndarray], float]) -> tuple[float, float]:
    if len(values) < 2:
        value = statistic(values)
        return value, value
    rng = np.random.default_rng(0)
    picks = rng.integers(0, len(values), size=(RESAMPLES, len(values)))
    stats = np.array([statistic(values[p]) for p in picks])
    low, high = np.percentile(stats, [2.5, 97.5])
    return float(low), float(high)


def median_interval(rounds: Rounds, model: int) -> tuple[float, float, float]:
    """(median of the round medians, its 95% bootstrap interval over rounds), ms."""
    medians = rounds.medians(model)
    low, high = _bootstrap(medians, lambda v: float(np.median(v)))
    return float(np.median(medians)), low, high


def speedup(rounds: Rounds, original: int = 0, run: int = 1) -> tuple[float, float, float] | None:
    """The original's time over the run's, round by round: (median ratio, 95% interval);
    None where a round's median of either is not above zero (a model about as fast as the
    channel, whose echo took its whole time off): no ratio is resolved there."""
    base, mine = rounds.medians(original), rounds.medians(run)
    if not len(base) or float(base.min()) <= 0 or float(mine.min()) <= 0:
        return None
    ratios = base / mine
    low, high = _bootstrap(ratios, lambda v: float(np.median(v)))
    return float(np.median(ratios)), low, high


def drift(rounds: Rounds, model: int = 0) -> float:
    """How much a model's speed moved over the rounds: the median of its round medians in
    the last third over the first third, minus one, each round taken relative to the
    same sample's median (so the mix of samples does not count as drift)."""
    medians = rounds.medians(model)
    samples = np.array(rounds.samples)
    norm = np.empty_like(medians)
    for index in set(rounds.samples):
        mask = samples == index
        norm[mask] = medians[mask] / max(float(np.median(medians[mask])), 1e-9)
    third = max(1, len(norm) // 3)
    return float(np.median(norm[-third:]) / max(float(np.median(norm[:third])), 1e-9) - 1)


def cache_finding(rounds: Rounds, model: int) -> str | None:
    """MLPerf's TEST04 idea: inputs asked again answered far faster than fresh ones. Each
    round's first call is compared (the first after the other model ran, so waking the
    worker costs both alike): a sample's first round against its later ones."""
    pairs = list(zip(rounds.firsts, rounds.fresh, strict=True))
    fresh = [r[model] for r, first in pairs if first]
    again = [r[model] for r, first in pairs if not first]
    if len(fresh) < 3 or not again:
        return None
    first, repeat = float(np.median(fresh)), float(np.median(again))
    if first > 0.05 and repeat < CACHE_RATIO * first:
        return (
            f"the model answers an input it has seen in {repeat:.3g} ms and a fresh one in "
            f"{first:.3g} ms: it caches answers, so its latency is not a model's"
        )
    return None
