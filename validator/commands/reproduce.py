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
from runner.sandbox.registry import DEFAULT_IMAGE, SANDBOXES, Options, open_sandbox
from validator.errors import UserError
from validator.escape import log_text
from validator.manifest.load import load, require
from validator.shards import parse_shard, plan
from validator.verification import Shard, write_record


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "reproduce",
        help="re-execute the recipes and measure them",
        description="Re-execute every run of a manifest from the base model, each in its own "
        "process, and write DIR/verification.json.",
    )
    parser.add_argument("manifest", metavar="MANIFEST", type=Path)
    parser.add_argument(
        "--out", metavar="DIR", type=Path, required=True, help="folder for verification.json"
    )
    parser.add_argument(
        "--run", metavar="LABEL", action="append", help="only the run with this label (repeatable)"
    )
    parser.add_argument(
        "--shard",
        metavar="K/N",
        help="only this runner's share of the runs, as `mcv shards` splits them (the "
        "original is timed in every shard); `mcv merge` joins the parts",
    )
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument(
        "--sandbox",
        choices=("auto", *SANDBOXES),
        default="auto",
        help="isolation of each run: "
        + "; ".join(f"{s.name}: {s.summary}" for s in SANDBOXES.values())
        + ". auto (default): bwrap where it starts here, else none, said aloud. A sandbox "
        "asked for by name that cannot start fails the job",
    )
    parser.add_argument(
        "--docker-image",
        default=DEFAULT_IMAGE,
        metavar="NAME",
        help="--sandbox docker: the image (built from this repository's Dockerfile; "
        f"default: {DEFAULT_IMAGE})",
    )
    parser.add_argument(
        "--docker-host-python",
        action="store_true",
        help="--sandbox docker: bind this machine's interpreter and system folders "
        "read-only into the image instead of using the image's own Python",
    )
    parser.add_argument(
        "--memory-limit",
        type=float,
        default=24.0,
        metavar="GIB",
        help="memory cap of a sandboxed run's whole process tree, its scratch included "
        "(a cgroup; default: 24)",
    )
    parser.add_argument(
        "--pids-limit",
        type=int,
        default=512,
        metavar="N",
        help="processes and threads of a sandboxed run's whole tree (default: 512)",
    )
    parser.add_argument(
        "--scratch-limit",
        type=float,
        default=16.0,
        metavar="GIB",
        help="size of a sandboxed run's one writable folder, a tmpfs (default: 16)",
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
    parser.add_argument(
        "--build-toolchains",
        action="store_true",
        help="build a toolchain a run needs when it is not built yet (network allowed; "
        "before any run starts), instead of failing that run (docs/toolchains.md)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    manifest, doc = require(load(args.manifest), str(args.manifest))
    labels = [r.label for r in manifest.runs]
    unknown = [label for label in args.run or [] if label not in labels]
    if unknown:
        raise UserError(f"no run labelled {', '.join(unknown)}; runs: {', '.join(labels)}")
    selected: list[str] | None = args.run
    shard = None
    if args.shard is not None:
        if args.run:
            raise UserError("--shard and --run do not go together: a shard picks its runs")
        shard = parse_shard(args.shard)
        selected = plan(manifest, shard[1])[shard[0] - 1]
    from runner.execute import Settings, reproduce
    from runner.sandbox.limits import GIB, Limits
    from runner.trackers.latency import LatencySettings
    from validator.config import load_config

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
        Limits(
            memory_bytes=int(args.memory_limit * GIB),
            processes=args.pids_limit,
            scratch_bytes=int(args.scratch_limit * GIB),
        ),
        load_config(args.config).course.custom_recipes,
        build_toolchains=args.build_toolchains,
    )
    name = auto_sandbox() if args.sandbox == "auto" else args.sandbox
    try:
        sandbox = open_sandbox(name, Options(args.docker_image, args.docker_host_python))
    except RunnerError as exc:
        raise UserError(str(exc)) from None
    progress = Progress(len(labels if selected is None else selected))
    record = reproduce(args.manifest, manifest, doc.sha256, selected, settings, progress, sandbox)
    if shard is not None:
        part = Shard(
            index=shard[0],
            of=shard[1],
            runs=list(selected or []),
            fingerprint=record.fingerprint,
            created_at=record.created_at,
        )
        record = record.model_copy(update={"shards": [part]})
    target = write_record(record, args.out)
    summary(record)
    print(log_text(f"wrote {target}"), file=sys.stderr)
    return 1 if any(r.status == "failed" for r in record.runs) else 0


def auto_sandbox() -> str:
    """bwrap where it starts here; otherwise none, and the user is told why."""
    starts, problem = SANDBOXES["bwrap"].check()
    if starts:
        return "bwrap"
    print(
        f"mcv reproduce: running unsandboxed ({problem}); pass --sandbox bwrap or docker "
        "to require a sandbox",
        file=sys.stderr,
    )
    return "none"


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
        self.console.print(  # label and phase are data (the phase from the sandboxed run)
            f"[dim]\\[{self.index}/{self.total}][/dim] [bold]{escape(log_text(label))}[/bold] "
            f"{escape(log_text(phase))} [dim]({elapsed:.1f} s)[/dim]",
            soft_wrap=True,  # a wrapped line could start with what the data put there
        )


def summary(record: Any) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    def cell(text: str) -> str:
        return escape(log_text(text))

    table = Table(title="reproduced", title_justify="left")
    for column in ("run", "method", "status", "size MB", "latency ms (median)", "quality"):
        table.add_column(column)
    for r in record.runs:
        latency = r.cpu or r.gpu
        quality = (r.error or "-")[:60]
        if r.quality:
            quality = f"{r.quality.metric} {r.quality.value:.4f}"
        table.add_row(
            cell(r.label),
            cell(r.method),
            r.status,
            f"{r.size.size_mb:.2f}" if r.size else "-",
            f"{latency.ms.median:.2f}" if latency else "-",
            cell(quality),
        )
    Console(stderr=True).print(table)
