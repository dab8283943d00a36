"""The coordinator's overhead and stability, on the built-in demo model (~1 ms a call).

1. In one process: the median latency the coordinator measures (a worker answering over
   its pipe, each query timed from outside, the channel's echo taken off) against a bare
   timed loop of the model's forward on the same inputs in this process. Prints the
   overhead; the target is below 5%.
2. Over 5 fresh processes: both figures again, and the coefficient of variation of the
   medians across processes, side by side.

`python benchmarks/harness_overhead.py`
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


def measure() -> tuple[float, float, float]:
    """(coordinator median, bare median, channel round trip), ms."""
    import torch
    import yaml

    from runner.coordinator import Coordinator, Plan, Prepared
    from runner.demo import build
    from runner.loading.data import file_rows
    from runner.sandbox.base import Plain, Request
    from runner.sandbox.limits import Limits
    from runner.tasks import TASKS
    from runner.trackers.latency import LatencySettings
    from validator.manifest.schema import Manifest

    torch.set_num_threads(1)
    folder, data = build(REPO / ".cache" / "demo")
    task = TASKS["image-classification"](folder)
    samples = task.prepare(file_rows(data, 8))
    manifest_path = REPO / "submissions" / "demo" / "hw-3.yaml"
    manifest = Manifest.model_validate(yaml.safe_load(manifest_path.read_text(encoding="utf-8")))
    settings = LatencySettings(warmup=20, min_iterations=ITERATIONS, min_seconds=1.0)
    with tempfile.TemporaryDirectory(prefix="mcv-overhead-") as scratch:
        root = Path(scratch)
        (root / "job").mkdir()
        job = {
            "manifest_json": manifest.model_dump_json(),
            "manifest_dir": str(manifest_path.parent),
            "run_index": 0,
            "device": "cpu",
            "threads": 1,
            "work_dir": str(root / "work"),
            "model_dir": str(folder),
            "allow_custom": False,
        }
        request = Request([], [root / "job"], root / "work", "cpu", 1, Limits(), 600)
        plan = Plan("original", "original", False, job, request, root / "work")
        coordinator = Coordinator(
            Plain(), task, "accuracy", "cpu", 1, settings, 600, lambda *a: None
        )
        worker = coordinator.start(plan, Prepared(samples, {}))
        try:
            (_, latency), _, _ = coordinator._time(plan, worker, True, samples, [0])
        finally:
            worker.close()
    model = task.load_model()
    inputs = {k: torch.from_numpy(v) for k, v in samples[0].inputs.items()}
    bare = []
    with torch.inference_mode():
        for _ in range(20):
            model(**inputs)
        for _ in range(latency.ms.n):
            start = time.perf_counter()
            model(**inputs).logits.numpy()
            bare.append((time.perf_counter() - start) * 1e3)
    return latency.ms.median, statistics.median(bare), latency.pipe_ms or 0.0


def main() -> None:
    if "--child" in sys.argv:
        print(json.dumps(measure()))
        return
    coordinator, bare, pipe = measure()
    print(
        f"in one process: coordinator median {coordinator:.4f} ms (channel {pipe:.4f} ms "
        f"taken off), bare forward median {bare:.4f} ms, overhead {coordinator / bare - 1:+.1%}"
    )
    runs = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, __file__, "--child"], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    for name, index in (("coordinator", 0), ("bare loop", 1)):
        medians = [r[index] for r in runs]
        cv = statistics.stdev(medians) / statistics.mean(medians)
        print(
            f"over 5 fresh processes, {name}: medians "
            + ", ".join(f"{m:.4f}" for m in medians)
            + f" ms; CV of the median {cv:.1%}"
        )
    overheads = [r[0] / r[1] - 1 for r in runs]
    print("overhead per process: " + ", ".join(f"{o:+.1%}" for o in overheads))


if __name__ == "__main__":
    main()
