"""Harness overhead and stability, on the built-in demo model.

1. In one process: the median latency the harness reports (LatencyTracker over the task's
   prediction call, numpy in and out) vs a bare timed loop of the model's forward on the
   same torch tensors. Prints the ratio.
2. Over 5 fresh processes: the median each reports, and the coefficient of variation of
   those medians (how much a re-run moves the number a leaderboard shows).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

ITERATIONS = 300


def harness_and_bare() -> tuple[float, float]:
    import torch

    from runner.demo import build
    from runner.loading.data import file_rows
    from runner.recipes import RECIPES, RecipeContext
    from runner.tasks import TASKS
    from runner.trackers.latency import LatencySettings, LatencyTracker
    from validator.manifest.methods import OriginalParams

    torch.set_num_threads(1)
    folder, data = build(REPO / ".cache" / "demo")
    task = TASKS["image-classification"](folder)
    samples = task.prepare(file_rows(data, 8))
    built = RECIPES["original"]().build(
        RecipeContext(task, OriginalParams(), samples, Path(tempfile.mkdtemp()), "cpu", 1)
    )
    first = samples[0]
    settings = LatencySettings(warmup=20, min_iterations=ITERATIONS, min_seconds=1.0)
    harness = LatencyTracker().measure(lambda: task.timed_call(built.backend, first), settings, 1)
    model = built.backend.model  # type: ignore[attr-defined]
    inputs = {k: torch.from_numpy(v) for k, v in first.inputs.items()}
    bare = []
    with torch.inference_mode():
        for _ in range(20):
            model(**inputs)
        for _ in range(harness.ms.n):
            start = time.perf_counter()
            model(**inputs)
            bare.append((time.perf_counter() - start) * 1e3)
    return harness.ms.median, statistics.median(bare)


def main() -> None:
    if "--child" in sys.argv:
        print(json.dumps(harness_and_bare()))
        return
    harness, bare = harness_and_bare()
    print(
        f"in one process: harness median {harness:.4f} ms, bare forward median {bare:.4f} ms,"
        f" ratio {harness / bare:.3f}"
    )
    medians = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, __file__, "--child"],
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
        )
        medians.append(json.loads(out.stdout.strip().splitlines()[-1])[0])
    cv = statistics.stdev(medians) / statistics.mean(medians)
    print(
        "over 5 fresh processes: medians "
        + ", ".join(f"{m:.4f}" for m in medians)
        + f" ms; CV of the median {cv:.1%}"
    )


if __name__ == "__main__":
    main()
