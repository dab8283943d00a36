"""The coordinator's overhead and stability, on the built-in demo model (~1 ms a call).

In each of 5 fresh processes, one worker is started (the real worker, with a benchmark
op added: benchmarks/bare_worker.py) and the same model instance is timed two ways on
the same input: by the coordinator (each query over the pipe, timed from outside, the
channel's echo taken off) and by a bare loop inside the worker on its own clock, in
alternating blocks. The overhead is the coordinator's median over the bare one, block
pair by block pair in the same process: the target is below 5%. Beside it, the CV of
each median across the 5 processes: how much a process's own speed moves, which no
in-process figure can show.

`python benchmarks/harness_overhead.py`
"""

from __future__ import annotations

import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PER_BLOCK = 60  # calls per block
BLOCKS = 10  # per side, alternating


def measure() -> tuple[float, float, float, float]:
    """(coordinator median, bare median in the same worker, channel round trip, ms; the
    median over block pairs of coordinator / bare), from BLOCKS alternating blocks (bare,
    coordinator, bare, ...), so the machine's drift within the process lands on both."""
    import yaml

    from runner.coordinator import Coordinator, Plan, Prepared, nonce
    from runner.demo import build
    from runner.harness import job_of, job_to_dict
    from runner.loading.data import file_rows
    from runner.protocol import encode
    from runner.sandbox.base import Plain, Request, Session
    from runner.sandbox.limits import Limits
    from runner.tasks import TASKS
    from runner.trackers.latency import LatencySettings
    from validator.manifest.schema import Manifest

    class Bench(Plain):
        def start(self, request: Request) -> Session:
            script = str(REPO / "benchmarks" / "bare_worker.py")
            argv = [request.argv[0], script, request.argv[-1]]
            return super().start(dataclasses.replace(request, argv=argv))

    folder, data = build(REPO / ".cache" / "demo")
    task = TASKS["image-classification"](folder)
    samples = task.prepare(file_rows(data, 8))
    manifest_path = REPO / "submissions" / "demo" / "hw-3.yaml"
    manifest = Manifest.model_validate(yaml.safe_load(manifest_path.read_text(encoding="utf-8")))
    settings = LatencySettings(warmup=20, min_iterations=PER_BLOCK, min_seconds=0.1)
    with tempfile.TemporaryDirectory(prefix="mcv-overhead-") as scratch:
        root = Path(scratch)
        (root / "job").mkdir()
        job = job_to_dict(
            job_of(
                manifest,
                0,
                manifest_dir=str(manifest_path.parent),
                device="cpu",
                threads=1,
                work_dir=str(root / "work"),
                latency=settings,
                model_dir=str(folder),
            )
        )
        request = Request([], [root / "job"], root / "work", "cpu", 1, Limits(), 600)
        plan = Plan("original", "original", False, job, request, root / "work")
        coordinator = Coordinator(Bench(), task, "accuracy", "cpu", 1, settings, 600, print_nothing)
        worker = coordinator.start(plan, Prepared(samples, {}))

        def bare() -> float:
            data = encode({"op": "bare", "count": PER_BLOCK, "n": nonce()}, samples[0].inputs)
            return float(worker.call(data).header["median_ms"])

        try:
            clock, outside, bares = timed_blocks(worker, samples, bare)
        finally:
            worker.close()
    ratio = statistics.median(o / b for o, b in zip(outside, bares, strict=True))
    return statistics.median(outside), statistics.median(bares), clock.pipe_ms(), ratio


def timed_blocks(
    worker: Any, samples: list[Any], bare: Callable[[], float]
) -> tuple[Any, list[float], list[float]]:
    """The coordinator's clock (its timed call and echo) and the bare loop, alternating."""
    from runner.coordinator import Clock

    clock = Clock(worker, samples, [0])
    for _ in range(20):
        clock(0)
    bares, outside = [], []
    for _ in range(BLOCKS):
        bares.append(bare())
        clock.echo(0)
        calls = [clock(0) for _ in range(PER_BLOCK)]
        outside.append(statistics.median(calls) - statistics.median(clock.echoes[0]))
    return clock, outside, bares


def print_nothing(*_: object) -> None:
    return None


def main() -> None:
    if "--child" in sys.argv:
        print(json.dumps(measure()))
        return
    runs = []
    for index in range(5):
        out = subprocess.run(
            [sys.executable, __file__, "--child"], capture_output=True, text=True, check=True
        )
        coordinator, bare, pipe, ratio = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append((coordinator, bare, ratio))
        print(
            f"process {index + 1}: coordinator {coordinator:.4f} ms (channel {pipe:.4f} ms "
            f"taken off), bare loop in the same worker {bare:.4f} ms, overhead "
            f"{ratio - 1:+.1%} (median over {BLOCKS} alternating block pairs)",
            flush=True,
        )
    overheads = [r - 1 for _, _, r in runs]
    print(f"overhead: median {statistics.median(overheads):+.1%} (target below +5%)")
    for name, index in (("coordinator", 0), ("bare loop", 1)):
        medians = [r[index] for r in runs]
        cv = statistics.stdev(medians) / statistics.mean(medians)
        print(f"CV of the {name}'s median across the 5 processes: {cv:.1%}")


if __name__ == "__main__":
    main()
