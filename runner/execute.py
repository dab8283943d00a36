"""`mcv reproduce`: every run of a manifest in its own spawned process, one record out.

A run that crashes, runs out of memory or hangs past its timeout becomes a failed run in
the record; the job goes on to the next. Runs go one after another on the same machine,
so the baseline and the compressed runs are measured under the same conditions.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from runner.errors import RunnerError
from runner.fingerprint import fingerprint
from runner.harness import Job, child_main, failed, fetch_model, job_to_dict, samples_of
from runner.loading.data import DataSource, locate
from runner.loading.model import readable_folder
from runner.loading.team import TeamFolder
from runner.sandbox.base import Backend, Request
from runner.sandbox.limits import Limits
from runner.trackers.latency import LatencySettings
from validator.manifest.schema import Manifest
from validator.verification import RunRecord, VerificationRecord

Progress = Callable[[str, str], None]  # (run label, phase)


@dataclass(frozen=True)
class Settings:
    device: str = "cpu"
    threads: int | None = None
    timeout_s: float = 1800.0
    latency: LatencySettings = field(default_factory=LatencySettings)
    max_samples: int | None = None
    limits: Limits = field(default_factory=Limits)  # of a sandboxed run
    allow_custom: bool = False


def open_sandbox(name: str, docker_image: str, docker_host_python: bool) -> Backend | None:
    """The requested backend, or RunnerError saying why it cannot start: never a fallback."""
    if name == "bwrap":
        from runner.sandbox.bwrap import Bwrap

        return Bwrap()
    if name == "docker":
        from runner.sandbox.container import Docker

        return Docker(docker_image, docker_host_python)
    if name != "none":
        raise RunnerError(f"unknown sandbox {name!r}: none, bwrap or docker")
    return None


def default_threads() -> int:
    """Fewer threads than cores; one on a two-core box, where two are badly noisy."""
    cores = os.cpu_count() or 1
    return 1 if cores <= 2 else min(8, cores - 1)


def git_commit(folder: Path) -> str | None:
    try:
        out = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            ["git", "-C", str(folder), "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "timed out"
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = " (killed: out of memory?)" if -code == signal.SIGKILL else ""
        return f"the run's process died with {name}{hint}"
    return f"the run's process exited with code {code} without a result"


def run_in_child(job: Job, label: str, timeout_s: float, progress: Progress) -> RunRecord:
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    process = context.Process(target=child_main, args=(job, messages), daemon=True)
    started = time.perf_counter()
    process.start()
    result: str | None = None
    while result is None:
        try:
            kind, payload = messages.get(timeout=0.5)
        except queue.Empty:
            if not process.is_alive():
                break
            if time.perf_counter() - started > timeout_s:
                process.kill()
                process.join()
                return failed(job, "failed", f"timed out after {timeout_s:g} s", started)
            continue
        if kind == "phase":
            progress(label, payload)
        else:
            result = payload
    process.join(timeout=30)
    if result is None:
        return failed(job, "failed", _exit_reason(process.exitcode), started)
    return RunRecord.model_validate_json(result)


def fetch(job: Job, sandbox: Backend, settings: Settings) -> tuple[Job, list[Path]]:
    """The fetch phase, with network: the model's allow-listed files and the data files, by
    path; then the rows parsed inside the sandbox. What the run may read comes from the
    manifest's names as resolved here, never from the data.

    The run's folder gets `inputs/` (the job and its rows, read-only inside) beside
    `work/` (the only writable place inside)."""
    manifest = Manifest.model_validate_json(job.manifest_json)
    team = TeamFolder.of(Path(job.manifest_dir), manifest.team)
    team.check_links()
    folder = fetch_model(manifest, job).resolve()  # absolute: the sandbox runs elsewhere
    source = locate(manifest.evaluation, team)
    work = Path(job.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    inputs = work.parent / "inputs"
    inputs.mkdir(exist_ok=True)
    rows_path = parse_rows(source, samples_of(manifest, job), sandbox, settings, inputs)
    readable = {readable_folder(folder), team.root, Path(source.readable).resolve(), inputs}
    fetched = Job(
        **{
            **job_to_dict(job),
            "latency": job.latency,
            "model_dir": str(folder),
            "rows_path": str(rows_path),
        }
    )
    return fetched, sorted(readable)


def parse_rows(
    source: DataSource, samples: int, sandbox: Backend, settings: Settings, inputs: Path
) -> Path:
    """`inputs/rows.jsonl`, from the rows `runner.loading.parse` prints in the sandbox, where
    only the data's folder is readable: the data's bytes are never parsed out here."""
    scratch = inputs.parent / "parse"
    scratch.mkdir(exist_ok=True)
    source_file = inputs / "source.json"
    source_file.write_text(source.to_json(), encoding="utf-8")
    for path in (inputs, source_file):
        path.chmod(0o755 if path.is_dir() else 0o644)  # the sandbox's uid reads them
    rows_path = inputs / "rows.jsonl"
    errors: list[str] = []
    done: list[bool] = []
    with rows_path.open("w", encoding="utf-8") as handle:

        def on_line(line: str) -> None:
            kind, _, payload = line.partition("\t")
            if kind == "row":
                handle.write(payload + "\n")
            elif kind == "error":
                errors.append(payload)
            elif kind == "parsed":
                done.append(True)

        request = Request(
            [sandbox.python(), "-m", "runner.loading.parse", str(source_file), str(samples)],
            sorted({Path(source.readable).resolve(), inputs.resolve()}),
            scratch,
            "cpu",
            1,
            settings.limits,
            settings.timeout_s,
        )
        outcome = sandbox.run(request, on_line)
    if errors:
        raise RunnerError(errors[-1])
    if outcome.returncode != 0 or not done:
        tail = (outcome.stderr.strip().splitlines() or [""])[-1][:300]
        reason = outcome.reason or _exit_reason(outcome.returncode)
        raise RunnerError(f"parsing the evaluation rows failed: {reason} {tail}".strip())
    return rows_path


def run_in_sandbox(
    job: Job, label: str, settings: Settings, sandbox: Backend, progress: Progress
) -> RunRecord:
    """Fetch with network, then execute inside the sandbox without it."""
    started = time.perf_counter()
    progress(label, "fetching the model and data files (network allowed), parsing the rows")
    try:
        job, readable = fetch(job, sandbox, settings)
    except RunnerError as exc:
        return failed(job, "failed", str(exc), started)
    work = Path(job.work_dir)
    inputs = work.parent / "inputs"
    job_file = inputs / "job.json"
    job_file.write_text(json.dumps(job_to_dict(job)), encoding="utf-8")
    for path in (inputs, *inputs.iterdir()):  # written by this process: no links in here
        path.chmod(0o755 if path.is_dir() else 0o644)  # the sandbox's uid reads them
    result: list[str] = []

    def on_line(line: str) -> None:
        kind, _, payload = line.partition("\t")
        if kind == "phase":
            progress(label, payload + f" ({sandbox.name})")
        elif kind == "result":
            result.append(payload)

    try:
        request = Request(
            [sandbox.python(), "-m", "runner.sandbox.entry", str(job_file)],
            readable,
            work,
            settings.device,
            job.threads,
            settings.limits,
            settings.timeout_s,
        )
        outcome = sandbox.run(request, on_line)
    except RunnerError as exc:
        return failed(job, "failed", str(exc), started)
    if outcome.returncode is None:
        return failed(job, "failed", f"timed out after {settings.timeout_s:g} s", started)
    if not result:
        tail = (outcome.stderr.strip().splitlines() or [""])[-1][:300]
        reason = outcome.reason or _exit_reason(outcome.returncode)
        return failed(job, "failed", f"{reason}: {tail}" if tail else reason, started)
    return RunRecord.model_validate_json(result[-1])


def reproduce(
    manifest_path: Path,
    manifest: Manifest,
    manifest_sha256: str,
    labels: list[str] | None,
    settings: Settings,
    progress: Progress,
    sandbox: Backend | None,
) -> VerificationRecord:
    """Every selected run (all when `labels` is None), one after another; each inside
    `sandbox` (from `open_sandbox`), or unsandboxed in a spawned process when it is None."""
    threads = settings.threads or default_threads()
    indices = [i for i, run in enumerate(manifest.runs) if labels is None or run.label in labels]
    records = []
    with tempfile.TemporaryDirectory(prefix="mcv-") as scratch:
        for index in indices:
            label = manifest.runs[index].label
            job = Job(
                manifest.model_dump_json(),
                str(manifest_path.parent.resolve()),
                index,
                settings.device,
                threads,
                str(Path(scratch, f"run-{index}", "work")),
                settings.latency,
                settings.max_samples,
                allow_custom=settings.allow_custom,
            )
            progress(label, "starting")
            if sandbox is not None:
                record = run_in_sandbox(job, label, settings, sandbox, progress)
            else:
                record = run_in_child(job, label, settings.timeout_s, progress)
            progress(label, f"{record.status}" + (f": {record.error}" if record.error else ""))
            records.append(record)
    return VerificationRecord(
        manifest_path=manifest_path.as_posix(),
        manifest_sha256=manifest_sha256,
        commit=git_commit(manifest_path.parent),
        created_at=datetime.now(UTC).isoformat(),
        device=settings.device,  # type: ignore[arg-type]
        fingerprint=fingerprint(threads),
        settings={
            "warmup": settings.latency.warmup,
            "min_iterations": settings.latency.min_iterations,
            "min_seconds": settings.latency.min_seconds,
            "timeout_s": settings.timeout_s,
            "threads": threads,
            "max_samples": settings.max_samples or 0,
            "sandbox": sandbox.name if sandbox else "none",
        },
        runs=records,
    )
