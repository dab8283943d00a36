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
    remote_code: bool = False  # the course config allows models with their own code, pinned


def job_to_dict(job: Job) -> dict[str, Any]:
    return asdict(job)


def samples_of(manifest: Manifest, job: Job) -> int:
    return min(manifest.evaluation.samples, job.max_samples or 10**9)


def fetch_model(manifest: Manifest, job: Job) -> Path:
    """The run's model folder (the student's, for `distilled`): may download. A local one
    is in the team's folder, the manifest's own."""
    from runner.loading.model import resolve
    from runner.loading.team import TeamFolder

    run = manifest.runs[job.run_index]
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
    manifest = Manifest.model_validate_json(job.manifest_json)
    run = manifest.runs[job.run_index]
    return RunRecord(
        label=run.label,
        method=run.method,
        status=status,  # type: ignore[arg-type]
        error=error,
        duration_s=time.perf_counter() - started,
    )
