"""`mcv reproduce`: re-execute a manifest's recipes and write DIR/verification.json.

torch and the runner load only here, when the command runs, so `mcv check` stays fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from runner.errors import RunnerError
from validator.errors import UserError
from validator.manifest.load import load, require


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "reproduce",
        help="re-execute the recipes and measure them",
        description="Re-execute every run of a manifest from the base model, each in its own "
        "process, and write DIR/verification.json. Exit 0: every run ran (or cannot run on "
        "this machine, e.g. needs CUDA); 1: a run failed; 2: usage error or invalid manifest.",
    )
    parser.add_argument("manifest", metavar="MANIFEST", type=Path)
    parser.add_argument(
        "--out", metavar="DIR", type=Path, required=True, help="folder for verification.json"
    )
    parser.add_argument(
        "--run", metavar="LABEL", action="append", help="only the run with this label (repeatable)"
    )
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--sandbox",
        choices=("none", "bwrap", "docker"),
        default="none",
        help="isolation of each run: bwrap (no network, read-only view, scratch only, "
        "limits; needs bubblewrap) or none (trusted machines only); docker: not built yet",
    )
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=24.0,
        metavar="GIB",
        help="address-space limit of a sandboxed run (default: 24)",
    )
    parser.add_argument(
        "--pids-limit",
        type=int,
        default=512,
        metavar="N",
        help="processes and threads of a sandboxed run (default: 512)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="course config (custom recipes need [course] custom_recipes)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="CPU threads per run (default: 1 on <= 2 cores, else cores - 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        metavar="S",
        help="seconds one run may take (default: 1800)",
    )
    parser.add_argument("--warmup", type=int, default=10, metavar="N")
    parser.add_argument("--min-iterations", type=int, default=100, metavar="N")
    parser.add_argument("--min-seconds", type=float, default=2.0, metavar="S")
    parser.add_argument(
        "--max-samples",
        type=int,
        metavar="N",
        help="evaluate at most N rows (default: evaluation.samples)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.sandbox == "docker":
        raise UserError("--sandbox docker is not built yet (issue #8); use --sandbox bwrap")
    manifest, _ = require(load(args.manifest), str(args.manifest))
    labels = [r.label for r in manifest.runs]
    unknown = [label for label in args.run or [] if label not in labels]
    if unknown:
        raise UserError(f"no run labelled {', '.join(unknown)}; runs: {', '.join(labels)}")
    from runner.execute import Settings, reproduce, write_record
    from runner.sandbox.limits import GIB, Limits
    from runner.trackers.latency import LatencySettings
    from validator.compare.config import load_config

    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise UserError("--device cuda: CUDA is not available on this machine")
    settings = Settings(
        args.device,
        args.threads,
        args.timeout,
        LatencySettings(args.warmup, args.min_iterations, args.min_seconds),
        args.max_samples,
        args.sandbox,
        Limits(memory_bytes=int(args.memory_limit * GIB), processes=args.pids_limit),
        load_config(args.config).course.custom_recipes,
    )
    if args.sandbox == "bwrap":
        from runner.sandbox.bwrap import executable

        try:
            executable()
        except RunnerError as exc:
            raise UserError(str(exc)) from None
    progress = Progress(len(args.run or labels))
    record = reproduce(args.manifest, manifest, args.run, settings, progress)
    target = write_record(record, args.out)
    summary(record)
    print(f"wrote {target}", file=sys.stderr)
    return 1 if any(r.status == "failed" for r in record.runs) else 0


class Progress:
    """One line per phase on stderr: which run, what it does, how long it has taken."""

    def __init__(self, total: int) -> None:
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False)
        self.total = total
        self.index = 0
        self.started = time.perf_counter()

    def __call__(self, label: str, phase: str) -> None:
        from rich.markup import escape

        if phase == "starting":
            self.index += 1
            self.started = time.perf_counter()
        elapsed = time.perf_counter() - self.started
        self.console.print(
            f"[dim]\\[{self.index}/{self.total}][/dim] [bold]{escape(label)}[/bold] "
            f"{escape(phase)} [dim]({elapsed:.1f} s)[/dim]"
        )


def summary(record: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="reproduced", title_justify="left")
    for column in ("run", "method", "status", "size MB", "latency ms (median)", "quality"):
        table.add_column(column)
    for r in record.runs:
        latency = r.cpu or r.gpu
        table.add_row(
            r.label,
            r.method,
            r.status,
            f"{r.size.size_mb:.2f}" if r.size else "-",
            f"{latency.ms.median:.2f}" if latency else "-",
            f"{r.quality.metric} {r.quality.value:.4f}" if r.quality else (r.error or "-")[:60],
        )
    Console(stderr=True).print(table)
