"""For benchmarks/harness_overhead.py only: the real worker (runner/worker.py) with two
more ops and a stopwatch, on the worker's own clock, which the coordinator never sends
nor trusts (a team's worker could say anything; this one is the benchmark's own):

- every `time` query's model call (the task's timed call, nothing else) is timed inside
  the worker as well, and `inner` answers the median of those since it was last asked:
  the same calls the coordinator timed from outside, so the two differ only by what the
  coordinator's clock adds;
- `bare` times the model's timed call in a tight loop inside the worker, optionally with
  an idle gap (`gap_ms`, a sleep) before each call: the figure a team's notebook loop
  gives, and what an idle wait between calls costs the model with no channel at all.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from runner import protocol, worker
from runner.tasks.base import Sample

_answer = worker.Worker.answer
_inner: list[float] = []


def answer(self: worker.Worker, frame: protocol.Frame) -> tuple[dict[str, Any], dict[str, Any]]:
    op = frame.header.get("op")
    if op == "inner":
        median = statistics.median(_inner) if _inner else 0.0
        _inner.clear()
        return {"median_ms": median}, {}
    if op == "time" and self.recording is not None:  # the worker's `time` op, its model
        # call timed; not a wrapper on timed_call, which would time the bare loop's calls too
        sample = Sample(frame.arrays, None, protocol.unpack(frame.header.get("aux") or {}))
        start = time.perf_counter()
        prediction = self.task.timed_call(self.backend, sample)
        _inner.append((time.perf_counter() - start) * 1e3)
        return {"prediction": protocol.pack(prediction)}, {}
    if op != "bare":
        return _answer(self, frame)
    sample = Sample(frame.arrays, None, {})
    gap_s = float(frame.header.get("gap_ms", 0.0)) / 1e3
    times = []
    for _ in range(int(frame.header.get("count", 300))):
        if gap_s:
            time.sleep(gap_s)
        start = time.perf_counter()
        self.task.timed_call(self.backend, sample)
        times.append((time.perf_counter() - start) * 1e3)
    return {"median_ms": statistics.median(times)}, {}


worker.Worker.answer = answer  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(worker.main(sys.argv[1]))
