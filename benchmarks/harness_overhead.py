"""The coordinator's overhead and stability, on the built-in demo model (~1 ms a call).

In each of 5 fresh processes one worker is started (the real worker, with a stopwatch and
a benchmark op added: benchmarks/bare_worker.py) and the same model instance is timed, on
the same input, in alternating blocks:

- by the coordinator: each query over the pipe, timed from outside, the channel's echo
  taken off (what a record holds);
- the same calls on the worker's own clock, around the model call alone: the coordinator's
  overhead is its median over this one, block by block (target: below 5%);
- by a bare loop inside the worker (a team's notebook loop), and by that loop with an idle
  gap as long as the echo before each call: how much slower the model runs when it is
  served one query at a time rather than looped, and how much of that an idle wait alone
  costs, with no channel at all. This is the model's cost of being served, not the
  clock's: it is printed, not taken off.

Beside them, the CV of each median across the 5 processes: how much a process's own
speed moves, which no in-process figure can show.

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


def measure() -> dict[str, float]:
    """Medians (ms) over BLOCKS alternating blocks, and the block-by-block ratios, so the
    machine's drift within the process lands on every figure alike."""
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

        def ask(op: str, **header: Any) -> float:
            data = encode({"op": op, "count": PER_BLOCK, "n": nonce(), **header}, samples[0].inputs)
            return float(worker.call(data).header["median_ms"])

        try:
            clock, blocks = timed_blocks(worker, samples, ask)
        finally:
            worker.close()

    def ratio(a: str, b: str) -> float:
        return statistics.median(x / y for x, y in zip(blocks[a], blocks[b], strict=True)) - 1

    figures = {name: statistics.median(values) for name, values in blocks.items()}
    figures.update(
        pipe=clock.pipe_ms(),
        overhead=ratio("coordinator", "inner"),
        serving=ratio("inner", "bare"),
        idle=ratio("gap", "bare"),
    )
    return figures


def timed_blocks(
    worker: Any, samples: list[Any], ask: Callable[..., float]
) -> tuple[Any, dict[str, list[float]]]:
    """Per block: the bare loop, the loop with an idle gap, then the coordinator's timed
    calls with an echo after them (as the timing rounds take it) and the worker's own
    clock of those same calls. As the coordinator does once the rounds are done, the
    median of every echo is taken off each block's median."""
    from runner.coordinator import Clock

    clock = Clock(worker, samples, [0])
    for _ in range(20):
        clock(0)
    ask("inner")  # the warm-up's calls are not a block's
    blocks: dict[str, list[float]] = {k: [] for k in ("coordinator", "inner", "bare", "gap")}
    for _ in range(BLOCKS):
        blocks["bare"].append(ask("bare"))
        blocks["gap"].append(ask("bare", gap_ms=clock.pipe_ms()))
        blocks["coordinator"].append(statistics.median(clock(0) for _ in range(PER_BLOCK)))
        clock.echo(0)
        blocks["inner"].append(ask("inner"))
    blocks["coordinator"] = [t - clock.pipe_ms() for t in blocks["coordinator"]]
    return clock, blocks


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
        run = json.loads(out.stdout.strip().splitlines()[-1])
        runs.append(run)
        print(
            f"process {index + 1}: coordinator {run['coordinator']:.4f} ms (channel "
            f"{run['pipe']:.4f} ms taken off), the same calls on the worker's clock "
            f"{run['inner']:.4f} ms: overhead {run['overhead']:+.1%}; bare loop "
            f"{run['bare']:.4f} ms, with an idle gap {run['gap']:.4f} ms "
            f"(medians over {BLOCKS} alternating blocks)",
            flush=True,
        )

    def median(key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    print(
        f"coordinator's overhead over the calls it timed: median {median('overhead'):+.1%} "
        "(target below +5%)"
    )
    print(
        f"served one query at a time, the model runs {median('serving'):+.1%} against a bare "
        f"loop; a loop with an idle gap alone, no channel: {median('idle'):+.1%}"
    )
    for name, key in (
        ("coordinator", "coordinator"),
        ("worker's clock", "inner"),
        ("bare loop", "bare"),
    ):
        medians = [r[key] for r in runs]
        cv = statistics.stdev(medians) / statistics.mean(medians)
        print(f"CV of the {name}'s median across the 5 processes: {cv:.1%}")


if __name__ == "__main__":
    main()
