"""GPU paths: run only where CUDA is available (skipped on CPU-only machines and in CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def test_cuda_events_time_device_work() -> None:
    from runner.trackers.latency import LatencySettings, LatencyTracker

    a = torch.randn(2048, 2048, device="cuda")
    result = LatencyTracker("cuda").measure(lambda: a @ a, LatencySettings(2, 10, 0.0), None)
    assert result.clock == "cuda_events"
    assert result.ms.median > 0


def test_vram_tracker_sees_an_allocation() -> None:
    from runner.trackers.memory import VramTracker

    tracker = VramTracker()
    tracker.reset()
    block = torch.empty(256 * 2**20, dtype=torch.uint8, device="cuda")
    assert tracker.peak_allocated_mb() >= 256
    del block


@pytest.mark.parametrize("methods", [["original", "fp16", "bnb-int8", "bnb-4bit"]])
def test_reproduce_on_cuda(
    tiny_models: dict[str, Path], tmp_path: Path, methods: list[str], cli: Any
) -> None:
    from tests.runner.test_reproduce import FAST, read_record, text_manifest

    runs = [{"label": m, "method": m} for m in methods]
    manifest = text_manifest(
        tmp_path,
        tiny_models["text-classification"],
        runs,
    )
    code, _, err = cli(
        "reproduce", str(manifest), "--out", str(tmp_path / "out"), "--device", "cuda", *FAST
    )
    record = read_record(tmp_path / "out")
    by_method = {r.method: r for r in record.runs}
    assert by_method["original"].status == "ok", by_method["original"].error
    assert by_method["original"].gpu is not None
    assert by_method["original"].memory.vram_peak_allocated_mb > 0  # type: ignore[union-attr]
    assert by_method["fp16"].status == "ok"
    for method in ("bnb-int8", "bnb-4bit"):  # ok where bitsandbytes is installed
        assert by_method[method].status in ("ok", "unsupported"), by_method[method].error
    assert code in (0, 1), err
