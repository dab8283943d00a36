"""One run, from the base model to its record. Runs inside a fresh spawned process."""

from __future__ import annotations

import os
import random
import time
import traceback
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runner.errors import RunnerError, Unsupported
from runner.trackers.latency import LatencySettings
from validator.manifest.schema import Manifest
from validator.verification import Memory, Quality, RunRecord

MEMORY_PASS_SAMPLES = 20


@dataclass(frozen=True)
class Job:
    manifest_json: str  # the validated manifest, as JSON (spawned children re-validate it)
    manifest_dir: str  # relative dataset paths and custom scripts resolve against it
    run_index: int
    device: str
    threads: int
    work_dir: str
    latency: LatencySettings
    max_samples: int | None = None
    model_dir: str | None = None  # fetched beforehand (sandboxed runs have no network)
    rows_path: str | None = None  # evaluation rows fetched beforehand, as .jsonl
    allow_custom: bool = False  # the course config enables team recipe scripts


def job_to_dict(job: Job) -> dict[str, Any]:
    return asdict(job)


def job_from_dict(data: dict[str, Any]) -> Job:
    return Job(**{**data, "latency": LatencySettings(**data["latency"])})


def samples_of(manifest: Manifest, job: Job) -> int:
    return min(manifest.evaluation.samples, job.max_samples or 10**9)


def fetch_model(manifest: Manifest, job: Job) -> Path:
    """The run's model folder (the student's, for `distilled`): may download. A local one
    is in the team's folder, the manifest's own."""
    from runner.loading.model import resolve
    from runner.loading.team import TeamFolder

    run = manifest.runs[job.run_index]
    ref = run.params.student if run.method == "distilled" else manifest.model
    return resolve(ref.id, ref.revision, TeamFolder.of(Path(job.manifest_dir), manifest.team))


def fetch_rows(manifest: Manifest, job: Job) -> list[dict[str, Any]]:
    """The first rows of the evaluation set, in order: may download, and parses them here
    (a sandboxed run gets them parsed in the sandbox beforehand, as `rows_path`)."""
    from runner.loading.data import locate, read_rows
    from runner.loading.team import TeamFolder

    team = TeamFolder.of(Path(job.manifest_dir), manifest.team)
    return read_rows(locate(manifest.evaluation, team), samples_of(manifest, job))


def quiet() -> None:
    """Library chatter would bury the progress lines; the record says what matters."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def execute(job: Job, report: Any) -> RunRecord:
    """Build, measure and score one run. `report(phase)` tells the parent what is happening."""
    import numpy as np
    import torch

    from runner.backends import Backend
    from runner.loading.data import read_jsonl as read_rows
    from runner.loading.model import check_safe
    from runner.recipes import RECIPES, RecipeContext
    from runner.tasks import TASKS
    from runner.trackers import size as size_tracker
    from runner.trackers.latency import LatencyTracker
    from runner.trackers.memory import MB, RssSampler, VramTracker, release_memory

    quiet()
    started = time.perf_counter()
    manifest = Manifest.model_validate_json(job.manifest_json)
    run = manifest.runs[job.run_index]
    torch.set_num_threads(job.threads)
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    rss = RssSampler()
    before_load = rss.current()

    recipe = RECIPES[run.method]()
    if recipe.needs_cuda and job.device != "cuda":
        raise Unsupported(f"`{run.method}` needs CUDA; this runner measures on the CPU")
    report("resolving the model")
    folder = check_safe(Path(job.model_dir)) if job.model_dir else fetch_model(manifest, job)
    task = TASKS[manifest.model.task](folder, manifest.evaluation.columns)
    report("reading the evaluation rows")
    if job.rows_path:  # fetched beforehand: a sandboxed run has no network
        rows = read_rows(Path(job.rows_path), samples_of(manifest, job))
    else:
        rows = fetch_rows(manifest, job)
    samples = task.prepare(rows)
    report(f"building `{run.method}`")
    ctx = RecipeContext(
        task,
        run.params,
        samples,
        Path(job.work_dir),
        job.device,
        job.threads,
        Path(job.manifest_dir),
        job.allow_custom,
    )
    built = recipe.build(ctx)
    release_memory()
    size = size_tracker.measure(
        built.artifact, built.scheme, built.theoretical_bits, built.params, built.nonzero_params
    )
    backend: Backend = built.backend

    report(f"scoring {len(samples)} samples")
    predictions = [task.predict(backend, sample) for sample in samples]
    score = task.score(predictions, samples, manifest.evaluation.metric)
    quality = Quality(
        metric=score.metric,
        value=score.value,
        samples=score.samples,
        ci_low=score.ci[0] if score.ci else None,
        ci_high=score.ci[1] if score.ci else None,
        ci_method=score.ci_method,
        extra=score.extra,
        definition=score.definition,
    )

    report("timing")
    first = samples[0]
    latency = LatencyTracker(job.device).measure(
        lambda: task.timed_call(backend, first), job.latency, job.threads
    )

    report("measuring memory")
    vram = VramTracker() if job.device == "cuda" else None
    if vram:
        vram.reset()
    with rss.track():
        for sample in samples[:MEMORY_PASS_SAMPLES]:
            task.predict(backend, sample)
    memory = Memory(
        ram_peak_mb=rss.peak_bytes / MB,
        ram_before_load_mb=before_load / MB,
        samples=rss.samples,
        vram_peak_allocated_mb=vram.peak_allocated_mb() if vram else None,
        vram_nvml_mb=vram.nvml_mb() if vram else None,
    )
    return RunRecord(
        label=run.label,
        method=run.method,
        status="ok",
        duration_s=time.perf_counter() - started,
        size=size,
        cpu=latency if job.device == "cpu" else None,
        gpu=latency if job.device == "cuda" else None,
        memory=memory,
        quality=quality,
    )


def failed(job: Job, status: str, error: str, started: float) -> RunRecord:
    manifest = Manifest.model_validate_json(job.manifest_json)
    run = manifest.runs[job.run_index]
    return RunRecord(
        label=run.label,
        method=run.method,
        status=status,  # type: ignore[arg-type]
        error=error,
        duration_s=time.perf_counter() - started,
    )


def child_main(job: Job, queue: Any) -> None:
    """Entry point of the spawned process: always sends back one record."""
    started = time.perf_counter()

    def report(phase: str) -> None:
        queue.put(("phase", phase))

    try:
        record = execute(job, report)
    except Unsupported as exc:
        record = failed(job, "unsupported", str(exc), started)
    except RunnerError as exc:
        record = failed(job, "failed", str(exc), started)
    except MemoryError:
        record = failed(job, "failed", "out of memory", started)
    except Exception as exc:  # a bug or a library failure: keep the trace for the record
        detail = traceback.format_exc(limit=4).strip().splitlines()[-1]
        record = failed(
            job, "failed", f"{type(exc).__name__}: {exc}"[:500] + f" ({detail})"[:300], started
        )
    queue.put(("result", record.model_dump_json()))
