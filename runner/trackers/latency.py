"""Latency per sample: a cold call timed apart, warm-ups, then a loop that runs until both a
minimum count and a minimum duration are met. CUDA events on a GPU, perf_counter on a CPU."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from validator.verification import Latency, Spread


@dataclass(frozen=True)
class LatencySettings:
    warmup: int = 10
    min_iterations: int = 100
    min_seconds: float = 2.0
    max_seconds: float = 120.0  # a slow model stops here with however many it has


def spread(samples_ms: list[float]) -> Spread:
    values = np.asarray(samples_ms, dtype=float)
    p25, p50, p75, p90, p95 = np.percentile(values, [25, 50, 75, 90, 95])
    mean = float(values.mean())
    cv = float(values.std(ddof=1) / mean) if len(values) > 1 and mean > 0 else 0.0
    return Spread(
        median=float(p50),
        mean=mean,
        p90=float(p90),
        p95=float(p95),
        iqr=float(p75 - p25),
        cv=cv,
        n=len(values),
    )


@dataclass
class LatencyTracker:
    device: str = "cpu"
    samples_ms: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._cuda: Any = None
        if self.device == "cuda":
            import torch

            self._cuda = torch.cuda

    @contextmanager
    def track(self) -> Iterator[None]:
        """Time one call; device work queued inside is waited for before the clock stops."""
        if self._cuda is not None:
            start, end = self._cuda.Event(enable_timing=True), self._cuda.Event(enable_timing=True)
            self._cuda.synchronize()
            start.record()
            try:
                yield
            finally:
                end.record()
                self._cuda.synchronize()
                self.samples_ms.append(float(start.elapsed_time(end)))
        else:
            begin = time.perf_counter()
            try:
                yield
            finally:
                self.samples_ms.append((time.perf_counter() - begin) * 1e3)

    def measure(
        self, call: Callable[[], Any], settings: LatencySettings, threads: int | None
    ) -> Latency:
        with self.track():
            call()
        cold = self.samples_ms.pop()
        for _ in range(settings.warmup):
            call()
        started = time.perf_counter()
        while True:
            with self.track():
                call()
            elapsed = time.perf_counter() - started
            enough = (
                len(self.samples_ms) >= settings.min_iterations and elapsed >= settings.min_seconds
            )
            if enough or elapsed >= settings.max_seconds:
                break
        return Latency(
            device="cuda" if self._cuda is not None else "cpu",
            ms=spread(self.samples_ms),
            cold_ms=cold,
            warmup=settings.warmup,
            threads=threads,
            clock="cuda_events" if self._cuda is not None else "perf_counter",
        )
