"""`mcv reproduce`: fetch, prepare, then every run measured by the coordinator, one record.

The fetch phase (network) resolves the model folders and parses the rows in the sandbox;
the prepare step (sandboxed, our code only) turns them into samples whose references stay
with the coordinator (runner/coordinator.py); each run's worker (runner/worker.py) builds
and answers in the sandbox. A run that crashes, runs out of memory or hangs past its
timeout becomes a failed run in the record; the job goes on to the next.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from runner.coordinator import Coordinator, Plan, Prepared, WorkerFailed
from runner.errors import RunnerError
from runner.fingerprint import fingerprint
from runner.harness import Job, failed, fetch_model, job_of, job_to_dict, samples_of
from runner.loading.data import DataSource, locate
from runner.loading.model import readable_folder
from runner.loading.team import TeamFolder
from runner.sandbox.base import Backend, Plain, Request
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
    build_toolchains: bool = False  # build a missing toolchain instead of failing its run
    remote_code: bool = False  # [course] remote_code: models with their own code, pinned


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


def prepare_samples(
    task: str,
    columns: dict[str, str],
    folder: Path,
    rows_path: Path,
    data_dir: Path,
    samples: int,
    sandbox: Backend,
    settings: Settings,
    scratch: Path,
) -> Prepared:
    """The samples (inputs, references, what scoring needs) from `runner.prepare`, run
    sandboxed with only the model folder and the parsed rows readable; read back as JSON."""
    from runner.protocol import ProtocolError, unpack
    from runner.tasks.base import Sample

    scratch.mkdir(parents=True, exist_ok=True)
    spec_dir = scratch.parent / (scratch.name + "-spec")
    spec_dir.mkdir(exist_ok=True)
    spec = spec_dir / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "task": task,
                "folder": str(folder),
                "columns": columns,
                "rows": str(rows_path),
                "samples": samples,
            }
        ),
        encoding="utf-8",
    )
    for path in (spec_dir, spec):
        path.chmod(0o755 if path.is_dir() else 0o644)
    found: list[Sample] = []
    state: dict[str, object] = {}
    errors: list[str] = []
    done: list[bool] = []

    def on_line(line: str) -> None:
        kind, _, payload = line.partition("\t")
        try:
            if kind == "sample":
                data = unpack(json.loads(payload))
                found.append(Sample(data["inputs"], data["reference"], data.get("aux") or {}))
            elif kind == "state":
                state.update(unpack(json.loads(payload)))
            elif kind == "error":
                errors.append(payload)
            elif kind == "prepared":
                done.append(True)
        except (ProtocolError, json.JSONDecodeError, KeyError, TypeError, AttributeError):
            errors.append("the preparing step printed a sample that is not one")

    toolchain = toolchain_of("original", folder, "cpu")  # the model's: a timm one's is vision
    request = Request(
        [sandbox.python(toolchain), "-m", "runner.prepare", str(spec)],
        sorted({readable_folder(folder), rows_path.parent.resolve(), spec_dir.resolve(), data_dir}),
        scratch,
        "cpu",
        1,
        settings.limits,
        settings.timeout_s,
        toolchain,
    )
    outcome = sandbox.run(request, on_line)
    if errors:
        raise RunnerError(errors[-1])
    if outcome.returncode is None:
        raise RunnerError(f"timed out after {settings.timeout_s:g} s preparing the samples")
    if outcome.returncode != 0 or not done:
        tail = (outcome.stderr.strip().splitlines() or [""])[-1][:300]
        reason = outcome.reason or _exit_reason(outcome.returncode)
        raise RunnerError(f"preparing the evaluation samples failed: {reason} {tail}".strip())
    if not found:
        raise RunnerError("the evaluation set gave no samples")
    return Prepared(found, state)


@dataclass
class Fetched:
    folders: dict[int, Path | RunnerError]  # run index -> its model folder, or why not
    rows_path: Path
    team: TeamFolder
    data_dir: Path  # what rows may name beside them (audio, images): prepare reads it


def fetch_all(
    manifest: Manifest, jobs: dict[int, Job], sandbox: Backend, settings: Settings, root: Path
) -> Fetched:
    """The fetch phase, with network: each run's model folder, the data files, the rows
    parsed in the sandbox. What a run may read comes from the manifest's names as resolved
    here, never from the data."""
    any_job = next(iter(jobs.values()))
    team = TeamFolder.of(Path(any_job.manifest_dir), manifest.team)
    team.check_links()
    folders: dict[int, Path | RunnerError] = {}
    for index, job in jobs.items():
        try:
            folders[index] = fetch_model(manifest, job).resolve()
        except RunnerError as exc:  # that run fails; the others go on
            folders[index] = exc
    source = locate(manifest.evaluation, team)
    inputs = root / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    rows_path = parse_rows(source, samples_of(manifest, any_job), sandbox, settings, inputs)
    return Fetched(folders, rows_path, team, Path(source.readable).resolve())


def folder_of(fetched: Fetched, index: int) -> Path:
    folder = fetched.folders[index]
    if isinstance(folder, RunnerError):
        raise folder
    return folder


def toolchain_of(method: str, folder: Path, device: str) -> str:
    """The toolchain a run's worker needs, from its recipe and its model's config.json
    (read as data: nothing of the folder is imported here). A CUDA recipe on a CPU
    runner stays in core, where its worker says it needs CUDA."""
    from runner import toolchains
    from runner.loading.model import model_type, read_config_json
    from runner.recipes import RECIPES

    try:
        declared = model_type(read_config_json(folder))
    except RunnerError:
        declared = None  # the worker says what is wrong with it
    recipe = RECIPES.get(method)
    wanted = recipe.toolchain if recipe is not None else "core"
    if recipe is not None and recipe.needs_cuda and device != "cuda":
        wanted = "core"
    return toolchains.for_run(wanted, declared)


def ensure_toolchain(name: str, say: Callable[[str], None]) -> None:
    """Build the toolchain when it is not built (`--build-toolchains`); RunnerError
    when the build fails, which fails the runs that need it."""
    from runner import toolchains

    chain = toolchains.get(name)
    if not toolchains.state(chain).built:
        toolchains.build(chain, say)


def plan_for(
    manifest: Manifest,
    job: Job,
    folder: Path,
    fetched: Fetched,
    settings: Settings,
    root: Path,
    progress: Progress | None = None,
) -> Plan:
    """A run's worker: its model folder readable (and the team's folder for a `custom`
    script), never the rows, the data or the references; its own scratch."""
    run = manifest.runs[job.run_index]
    base = root / f"run-{job.run_index}"
    job_dir = base / "job"
    job_dir.mkdir(parents=True, exist_ok=True)
    job_dir.chmod(0o755)
    scratch = base / "work"
    readable = {readable_folder(folder)}
    if run.method == "custom":
        readable.add(fetched.team.root)
    toolchain = toolchain_of(run.method, folder, settings.device)
    if settings.build_toolchains:
        ensure_toolchain(toolchain, lambda line: progress and progress(run.label, line))
    data = {
        **job_to_dict(job),
        "model_dir": str(folder),
        "work_dir": str(scratch),
    }
    request = Request(
        [],
        [*sorted(readable), job_dir],  # the job's folder last: the coordinator writes it
        scratch,
        settings.device,
        job.threads,
        settings.limits,
        settings.timeout_s,
        toolchain,
    )
    return Plan(run.label, run.method, bool(run.params.lossy), data, request, scratch)


def reproduce(
    manifest_path: Path,
    manifest: Manifest,
    manifest_sha256: str,
    labels: list[str] | None,
    settings: Settings,
    progress: Progress,
    sandbox: Backend | None,
) -> VerificationRecord:
    """Every selected run (all when `labels` is None), each in a worker of its own inside
    `sandbox` (from `runner.sandbox.registry.open_sandbox`; a plain child process when it
    is None), measured by the coordinator; the original's worker stays up for them all."""
    from runner.tasks import TASKS

    threads = settings.threads or default_threads()
    backend: Backend = sandbox if sandbox is not None else Plain()
    indices = [i for i, run in enumerate(manifest.runs) if labels is None or run.label in labels]
    original = next((i for i, r in enumerate(manifest.runs) if r.method == "original"), None)
    records: dict[int, RunRecord] = {}
    with tempfile.TemporaryDirectory(prefix="mcv-") as scratch:
        root = Path(scratch)
        root.chmod(0o755)
        wanted = sorted(set(indices) | ({original} if original is not None else set()))
        jobs = {
            i: job_of(
                manifest,
                i,
                manifest_dir=str(manifest_path.parent.resolve()),
                device=settings.device,
                threads=threads,
                work_dir=str(root / f"run-{i}" / "work"),
                latency=settings.latency,
                max_samples=settings.max_samples,
                allow_custom=settings.allow_custom,
                remote_code=settings.remote_code,
            )
            for i in wanted
        }
        first = manifest.runs[indices[0]].label if indices else ""
        progress(first, "fetching the model and data files (network allowed), parsing the rows")
        try:
            fetched = fetch_all(manifest, jobs, backend, settings, root)
        except RunnerError as exc:
            now = time.perf_counter()
            failed_all = {i: failed(jobs[i], "failed", str(exc), now) for i in indices}
            return _record(manifest_path, manifest_sha256, settings, threads, sandbox, failed_all)
        some = next((f for f in fetched.folders.values() if isinstance(f, Path)), root)
        task = TASKS[manifest.model.task](some, manifest.evaluation.columns)
        coordinator = Coordinator(
            backend,
            task,
            manifest.evaluation.metric,
            settings.device,
            threads,
            settings.latency,
            settings.timeout_s,
            progress,
        )
        prepared: dict[Path, Prepared | RunnerError] = {}

        def samples_for(index: int) -> Prepared:
            folder = folder_of(fetched, index)
            if folder not in prepared:
                progress(manifest.runs[index].label, "preparing the evaluation samples")
                try:
                    prepared[folder] = prepare_samples(
                        manifest.model.task,
                        manifest.evaluation.columns,
                        folder,
                        fetched.rows_path,
                        fetched.data_dir,
                        samples_of(manifest, jobs[index]),
                        backend,
                        settings,
                        root / f"prepare-{len(prepared)}",
                    )
                except RunnerError as exc:
                    prepared[folder] = exc
            found = prepared[folder]
            if isinstance(found, RunnerError):
                raise found
            return found

        plans: dict[int, Plan] = {}

        def plan(index: int) -> Plan:
            if index not in plans:
                folder = folder_of(fetched, index)
                plans[index] = plan_for(
                    manifest, jobs[index], folder, fetched, settings, root, progress
                )
            return plans[index]

        try:
            if original is not None:
                started = time.perf_counter()
                try:
                    coordinator.open_original(plan(original), samples_for(original))
                except WorkerFailed as exc:
                    records[original] = failed(jobs[original], exc.status, exc.message, started)
                except RunnerError as exc:
                    records[original] = failed(jobs[original], "failed", str(exc), started)
            for index in indices:
                label = manifest.runs[index].label
                if index in records:
                    record = records[index]
                else:
                    progress(label, "starting")
                    try:
                        record = coordinator.measure(plan(index), samples_for(index))
                    except RunnerError as exc:
                        record = failed(jobs[index], "failed", str(exc), time.perf_counter())
                    records[index] = record
                progress(label, f"{record.status}" + (f": {record.error}" if record.error else ""))
        finally:
            coordinator.close()
    chosen = {i: records[i] for i in indices}
    return _record(manifest_path, manifest_sha256, settings, threads, sandbox, chosen)


def _record(
    manifest_path: Path,
    manifest_sha256: str,
    settings: Settings,
    threads: int,
    sandbox: Backend | None,
    records: dict[int, RunRecord],
) -> VerificationRecord:
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
            "timing": "coordinator: interleaved rounds with the original",
        },
        runs=[records[i] for i in sorted(records)],
    )
