"""What the steps of a run share: its job, the model fetch, quiet libraries, a failed
record. The run itself is runner/worker.py (in the sandbox) measured by
runner/coordinator.py (outside)."""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runner.trackers.latency import LatencySettings
from validator.manifest.schema import Manifest
from validator.verification import RunRecord


@dataclass(frozen=True)
class Job:
    """One run's job: what its worker is told, loaded once on this side and passed on
    (the worker validates the run's own entry, never the whole manifest)."""

    run_json: str  # the run's validated manifest entry, as JSON
    label: str
    method: str
    task: str  # the manifest's model.task
    columns: dict[str, str]  # the manifest's evaluation.columns
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
    remote_code: bool = False  # the course config allows models with their own code, pinned


def job_of(manifest: Manifest, index: int, **settings: Any) -> Job:
    """Run `index`'s job, from the loaded manifest."""
    run = manifest.runs[index]
    return Job(
        run.model_dump_json(),
        run.label,
        run.method,
        manifest.model.task,
        dict(manifest.evaluation.columns),
        run_index=index,
        **settings,
    )


def run_of(job: dict[str, Any]) -> Any:
    """The worker's side: the run's typed entry, validated again (its job file is the
    only thing it is told about the manifest)."""
    from pydantic import TypeAdapter

    from validator.manifest.schema import Run

    return TypeAdapter(Run).validate_json(job["run_json"])


def job_to_dict(job: Job) -> dict[str, Any]:
    return asdict(job)


def samples_of(manifest: Manifest, job: Job) -> int:
    return min(manifest.evaluation.samples, job.max_samples or 10**9)


def fetch_model(manifest: Manifest, job: Job) -> Path:
    """The run's model folder (the student's, for `distilled`): may download. A local one
    is in the team's folder, the manifest's own."""
    from runner.loading.model import resolve
    from runner.loading.team import TeamFolder

    run = manifest.runs[job.run_index]  # the loaded manifest's entry (the job's own)
    ref = run.params.student if run.method == "distilled" else manifest.model
    team = TeamFolder.of(Path(job.manifest_dir), manifest.team)
    return resolve(ref.id, ref.revision, team, remote_code=job.remote_code)


def quiet() -> None:
    """Library chatter would bury the progress lines; the record says what matters."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    warnings.filterwarnings("ignore")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()


def failed(job: Job, status: str, error: str, started: float) -> RunRecord:
    return RunRecord(
        label=job.label,
        method=job.method,
        status=status,  # type: ignore[arg-type]
        error=error,
        duration_s=time.perf_counter() - started,
    )
