from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from runner.trackers.latency import LatencySettings, LatencyTracker, spread
from runner.trackers.memory import RssSampler
from runner.trackers.size import gzip_bytes, measure


def test_spread_statistics() -> None:
    values = [1.0, 2.0, 3.0, 4.0, 100.0]
    result = spread(values)
    assert (result.median, result.n) == (3.0, 5)
    assert result.mean == pytest.approx(22.0)
    assert result.p90 == pytest.approx(np.percentile(values, 90))
    assert result.iqr == pytest.approx(2.0)
    assert result.cv == pytest.approx(np.std(values, ddof=1) / 22.0)


def test_latency_loop_meets_both_minimums() -> None:
    calls: list[int] = []
    result = LatencyTracker().measure(
        lambda: calls.append(1),
        LatencySettings(warmup=3, min_iterations=20, min_seconds=0.05),
        threads=1,
    )
    assert result.ms.n >= 20
    assert len(calls) == 1 + 3 + result.ms.n  # cold call and warm-ups are not in the sample
    assert result.clock == "perf_counter"
    assert result.cold_ms >= 0


def test_latency_tracker_records_even_when_the_call_fails() -> None:
    tracker = LatencyTracker()
    with pytest.raises(ZeroDivisionError), tracker.track():
        _ = 1 / 0
    assert len(tracker.samples_ms) == 1


def test_rss_sampler_sees_an_allocation() -> None:
    sampler = RssSampler()
    before = sampler.current()
    with sampler.track():
        block = np.ones(64 * 2**20 // 8)  # 64 MiB, touched
        block += 1
    assert sampler.peak_bytes - before > 32 * 2**20
    assert sampler.samples >= 1
    del block


def test_size_counts_every_file_in_mebibytes(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"\0" * 2**20)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.bin").write_bytes(b"x" * 2**19)
    result = measure(tmp_path, "test", theoretical_bits=8 * 2**20, params=10, nonzero=5)
    assert result.size_mb == 1.5
    assert result.files == ["a.bin", "sub/b.bin"]
    assert result.theoretical_mb == 1.0
    assert result.gzip_mb < 0.01


def test_gzip_size_is_a_real_gzip(tmp_path: Path) -> None:
    path = tmp_path / "data"
    payload = np.random.default_rng(0).integers(0, 4, 200_000, dtype=np.uint8).tobytes()
    path.write_bytes(payload)
    assert abs(gzip_bytes([path]) - len(gzip.compress(payload, 6))) < 64
