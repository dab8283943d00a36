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

from runner import equivalence
from runner.errors import RunnerError, Unsupported
from runner.trackers.latency import LatencySettings
from validator.manifest.schema import Manifest
from validator.verification import Agreement, Decoding, Latency, Memory, Quality, RunRecord

MEMORY_PASS_SAMPLES = 20
# Runs that are not compared with the original: itself, and a student the harness loads
# in its place (the teacher is not in this process).
NO_REFERENCE = ("original", "distilled")
# A team's script may legitimately reload the model unchanged (it declares no lossiness):
# its agreement is recorded, never judged.
NOT_JUDGED = ("custom",)


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
    """Build, score, time and measure one run. `report(phase)` tells the parent what is
    happening."""
    import numpy as np
    import torch

    from runner.recipes import RECIPES
    from runner.trackers.memory import RssSampler

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
    task, samples = load_phase(manifest, job, report)
    built, size, reference = build_phase(recipe, task, samples, run, job, report)
    scored = score_phase(task, built.backend, samples, manifest, reference, run, report)
    latency = memory = None
    if not scored.finding:  # a run that fails its agreement check is not timed
        del reference  # not held through the memory pass
        report("timing")
        latency = time_phase(task, built.backend, samples[0], job)
        report("measuring memory")
        memory = memory_phase(task, built.backend, samples, job, rss, before_load)
    return RunRecord(
        label=run.label,
        method=run.method,
        status="failed" if scored.finding else "ok",
        error=scored.finding,
        duration_s=time.perf_counter() - started,
        size=size,
        cpu=latency if job.device == "cpu" else None,
        gpu=latency if job.device == "cuda" else None,
        memory=memory,
        quality=scored.quality,
        agreement=scored.agreement,
        decoding=scored.decoding,
    )


def load_phase(manifest: Manifest, job: Job, report: Any) -> tuple[Any, list[Any]]:
    """The task adapter over the model folder, and the prepared evaluation samples."""
    from runner.loading.data import read_jsonl as read_rows
    from runner.loading.model import check_safe
    from runner.tasks import TASKS

    report("resolving the model")
    folder = check_safe(Path(job.model_dir)) if job.model_dir else fetch_model(manifest, job)
    task = TASKS[manifest.model.task](folder, manifest.evaluation.columns)
    report("reading the evaluation rows")
    if job.rows_path:  # fetched beforehand: a sandboxed run has no network
        rows = read_rows(Path(job.rows_path), samples_of(manifest, job))
    else:
        rows = fetch_rows(manifest, job)
    return task, task.prepare(rows)


def build_phase(
    recipe: Any, task: Any, samples: list[Any], run: Any, job: Job, report: Any
) -> tuple[Any, Any, Answers | None]:
    """(built, its size, the original's answers): the original is asked first and handed
    to the recipe, so the base model is loaded once."""
    from runner.recipes import RecipeContext
    from runner.trackers import size as size_tracker
    from runner.trackers.memory import release_memory

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
    recipe.preflight(ctx)  # before the reference pass: an unsupported run costs nothing
    reference = None
    if run.method not in NO_REFERENCE:
        report(f"asking the original model {len(samples)} samples")
        reference, ctx.original = reference_pass(task, samples, job.device)
    report(f"building `{run.method}`")
    built = recipe.build(ctx)
    ctx.original = None  # a recipe that did not take it: its memory is not the run's
    release_memory()
    size = size_tracker.measure(
        built.artifact, built.scheme, built.theoretical_bits, built.params, built.nonzero_params
    )
    return built, size, reference


@dataclass
class Scored:
    quality: Quality
    agreement: Agreement | None
    finding: str | None  # lossless but not the original's outputs; lossy but unchanged
    decoding: Decoding | None


def score_phase(
    task: Any,
    backend: Any,
    samples: list[Any],
    manifest: Manifest,
    reference: Answers | None,
    run: Any,
    report: Any,
) -> Scored:
    report(f"scoring {len(samples)} samples")
    answers = answer(task, backend, samples)
    score = task.score(answers.predictions, samples, manifest.evaluation.metric)
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
    decoding = decoding_record(task, answers.outputs)
    lossless = not run.params.lossy
    agreement, finding = agree(task, reference, answers, lossless) if reference else (None, None)
    if run.method in NOT_JUDGED:
        finding = None
    return Scored(quality, agreement, finding, decoding)


def time_phase(task: Any, backend: Any, sample: Any, job: Job) -> Latency:
    from runner.trackers.latency import LatencyTracker
    from runner.trackers.memory import release_memory

    release_memory()
    return LatencyTracker(job.device).measure(
        lambda: task.timed_call(backend, sample), job.latency, job.threads
    )


def memory_phase(
    task: Any, backend: Any, samples: list[Any], job: Job, rss: Any, before_load: int
) -> Memory:
    from runner.trackers.memory import MB, VramTracker

    vram = VramTracker() if job.device == "cuda" else None
    if vram:
        vram.reset()
    with rss.track():
        for sample in samples[:MEMORY_PASS_SAMPLES]:
            task.predict(backend, sample)
    return Memory(
        ram_peak_mb=rss.peak_bytes / MB,
        ram_before_load_mb=before_load / MB,
        samples=rss.samples,
        vram_peak_allocated_mb=vram.peak_allocated_mb() if vram else None,
        vram_nvml_mb=vram.nvml_mb() if vram else None,
    )


@dataclass
class Answers:
    predictions: list[Any]
    outputs: list[Any]  # what the backend returned per sample: logits, or a Generated


def answer(task: Any, backend: Any, samples: list[Any]) -> Answers:
    """Every sample's prediction, and the raw output it was decoded from: logits for the
    leading samples within the equivalence budget (a causal LM's are sequence x vocabulary
    each), every generate() result (small) for a generating task."""
    import numpy as np

    from runner.backends import Recording

    recording = Recording(backend)
    answers = Answers([], [])
    held, full = 0, False
    for sample in samples:
        answers.predictions.append(task.predict(recording, sample))
        output = recording.last
        if isinstance(output, np.ndarray):
            held += output.nbytes
            full = full or (held > equivalence.REFERENCE_BUDGET_BYTES and bool(answers.outputs))
        if not full:
            answers.outputs.append(output)
    return answers


def reference_pass(task: Any, samples: list[Any], device: str) -> tuple[Answers, Any]:
    """The original fp32 model's answers on the samples, and the model itself (on the CPU)
    for the recipe to build from."""
    import torch

    from runner.backends import TorchBackend

    model = task.load_model()
    answers = answer(task, TorchBackend(model.to(device), device), samples)
    model = model.to("cpu")
    if device == "cuda":  # the run's VRAM readings are its own model's, not the reference's
        torch.cuda.empty_cache()
    return answers, model


def agree(
    task: Any, reference: Answers, answers: Answers, lossless: bool
) -> tuple[Agreement, str | None]:
    """The run's outputs against the original's, as a record; and the finding that fails
    the run: a lossless recipe outside the tolerance, a lossy one that changed nothing."""
    if task.generates:
        result = equivalence.compare_text(
            [str(p) for p in reference.predictions], [str(p) for p in answers.predictions]
        )
    else:
        count = min(len(reference.outputs), len(answers.outputs))
        result = equivalence.compare_logits(reference.outputs[:count], answers.outputs[:count])
    finding = equivalence.lossless_failure(result) if lossless else equivalence.unchanged(result)
    record = Agreement(
        compared=result.kind,
        samples=result.samples,
        lossless=lossless,
        passed=(finding is None) if lossless else None,
        max_abs_logit_diff=result.max_abs_diff,
        argmax_agreement=result.argmax_agreement,
        mean_kl=result.mean_kl,
        shape_mismatches=result.shape_mismatches,
        exact_match=result.exact_match,
        edit_distance=result.edit_distance,
        tolerance=equivalence.TOLERANCE if lossless else {},
    )
    return record, finding


def decoding_record(task: Any, outputs: list[Any]) -> Decoding | None:
    """A generating task's decoding setup and what it produced; a model whose generate()
    ran past the budget fails the run, since its latency would follow its output length."""
    setup = task.decoding
    if setup is None:
        return None
    steps = [getattr(o, "new_tokens", 0) for o in outputs]
    over = [i for i, n in enumerate(steps) if n > setup.max_new_tokens]
    if over:
        raise RunnerError(
            f"generate() took {steps[over[0]]} decoding steps on sample {over[0] + 1}, past "
            f"max_new_tokens {setup.max_new_tokens}: the model does not honour the budget"
        )
    return Decoding(
        max_new_tokens=setup.max_new_tokens,
        derived_from=setup.derived_from,
        eos_token_id=setup.eos_token_id,
        overridden=setup.overridden,
        new_tokens_mean=sum(steps) / len(steps) if steps else None,
        new_tokens_max=max(steps, default=None),
        ended_without_eos=sum(n >= setup.max_new_tokens for n in steps),
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
