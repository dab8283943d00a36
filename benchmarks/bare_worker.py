"""For benchmarks/harness_overhead.py only: the real worker (runner/worker.py) with one
more op, `bare`, that times the model's own timed call in a loop inside the worker, on
the worker's clock: the figure the coordinator's outside clock is compared with, in the
same process, on the same model instance. The coordinator never sends it."""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from runner import protocol, worker
from runner.tasks.base import Sample

_answer = worker.Worker.answer


def answer(self: worker.Worker, frame: protocol.Frame) -> tuple[dict[str, Any], dict[str, Any]]:
    if frame.header.get("op") != "bare":
        return _answer(self, frame)
    sample = Sample(frame.arrays, None, {})
    times = []
    for _ in range(int(frame.header.get("count", 300))):
        start = time.perf_counter()
        self.task.timed_call(self.backend, sample)
        times.append((time.perf_counter() - start) * 1e3)
    return {"median_ms": statistics.median(times)}, {}


worker.Worker.answer = answer  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(worker.main(sys.argv[1]))
