"""The coordinator: the trusted side of a reproduction. It runs no model code.

Following MLPerf's LoadGen (the harness issues queries and owns the clock; accuracy is
scored from logged responses; audits compare passes) and Codabench's split of ingestion
(participant code, inputs only) from scoring (holds the references):

- it holds the evaluation samples' references, prepared by a sandboxed step of our own
  (runner/prepare.py) before any worker starts;
- each run's worker (runner/worker.py) builds the model in the sandbox and answers
  queries over a pipe; it gets inputs only;
- the coordinator times every query from outside (the channel's echo taken off), the
  original and the run in interleaved rounds with both resident (runner/timing.py);
  reads memory from outside (the worker's processes' RSS, sampled; VRAM by NVML per
  process); measures the artifact's bytes on disk itself; scores the predictions itself;
  compares the run's outputs with the original's (runner/equivalence.py); audits that the
  timing pass answered what the scoring pass did and that repeated inputs are not
  answered from a cache; and writes the record. Nothing the worker says is a measurement.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import secrets
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from runner import equivalence, protocol, timing
from runner.errors import RunnerError, Unsupported
from runner.sandbox.base import Backend, Outcome, Request, Session
from runner.tasks.base import Sample
from validator.verification import (
    Agreement,
    Decoding,
    Latency,
    Memory,
    Quality,
    RunRecord,
    Size,
    Speedup,
)

MB = 2**20
MEMORY_PASS_SAMPLES = 20
MAX_CYCLE = 16  # distinct samples the timing rounds cycle through
ECHOES = 5  # per cycled sample, to calibrate the channel's round trip
NO_REFERENCE = ("original", "distilled")  # not compared with the original's outputs
NOT_JUDGED = ("custom",)  # a team's script may reload the model unchanged: recorded only
Progress = Callable[[str], None]
FOREIGN_FRAME = (
    "a reply in the worker's channel did not answer the request it followed (wrong nonce): "
    "something else in the sandbox wrote into the channel; nothing of the run is taken"
)


AWAKE_S = 0.02  # a timed query's reply polled for at most this long, then waited for


def nonce() -> int:
    return secrets.randbits(63)


def nonce_of(data: bytes) -> int | None:
    """The nonce of a frame this side encoded (read back from its header)."""
    head_len = protocol.PREFIX.unpack_from(data)[1]
    header = json.loads(data[protocol.PREFIX.size : protocol.PREFIX.size + head_len])
    value = header.get("n")
    return int(value) if isinstance(value, int) else None


def spare_cpus(threads: int) -> int:
    """CPUs this process may run on beyond the worker's threads."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        usable = os.cpu_count() or 1
    return usable - threads


class WorkerFailed(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class Prepared:
    samples: list[Sample]
    state: dict[str, Any]


class Worker:
    """The coordinator's end of one worker: frames out and in, a deadline watched from
    a side thread (a worker that stops answering is killed, and its read ends)."""

    def __init__(self, session: Session, label: str, progress: Progress, timeout_s: float):
        self.session, self.label, self.progress = session, label, progress
        self.timeout_s = timeout_s
        self.deadline = time.monotonic() + timeout_s
        self.resident = False
        self.timed_out = False
        self.built: dict[str, Any] = {}
        self.before_load_bytes = 0
        self.spin_s = 0.0  # how long a timed query polls for its reply (`awake`)
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            if time.monotonic() > self.deadline:
                self.timed_out = True
                self.session.kill()
                return

    def keep(self) -> None:
        """Resident for every run (the original): its timeout counts only while it is
        asked, never while another run's worker builds or hangs."""
        self.resident = True
        self.deadline = math.inf

    def _read(self) -> protocol.Frame:
        try:
            return protocol.read(self.session.stdout)
        except (protocol.ProtocolError, OSError, ValueError) as exc:
            raise WorkerFailed("failed", self._death(str(exc))) from None

    def _death(self, why: str) -> str:
        if self.timed_out:
            return f"timed out after {self.timeout_s:g} s"
        outcome = self.session.finish(wait_s=5)
        if outcome.reason:
            return outcome.reason
        tail = (outcome.stderr.strip().splitlines() or [""])[-1][:300]
        code = outcome.returncode
        said = f"the worker's process exited with code {code}" if code is not None else why
        if code is not None and code < 0:
            import signal

            said = f"the worker's process died with {signal.Signals(-code).name}"
            if -code == signal.SIGKILL:
                said += " (killed: out of memory?)"
        if why != "end of stream":
            said = f"{said}; its channel: {why}"
        return f"{said}: {tail}" if tail else said

    def call(self, data: bytes) -> protocol.Frame:
        """Send one encoded frame; the reply, with progress frames passed on."""
        expected = nonce_of(data) if data else None
        if self.resident:
            self.deadline = time.monotonic() + self.timeout_s
        try:
            protocol.write(self.session.stdin, data)
        except (OSError, ValueError) as exc:
            raise WorkerFailed("failed", self._death(str(exc))) from None
        try:
            return self._reply(expected)
        finally:
            if self.resident:
                self.deadline = math.inf

    def _reply(self, expected: int | None) -> protocol.Frame:
        while True:
            frame = self._read()
            if "phase" in frame.header:
                self.progress(str(frame.header["phase"])[:200])
                continue
            if frame.header.get("n") != expected:
                raise WorkerFailed("failed", FOREIGN_FRAME)
            if "error" in frame.header:
                status = "unsupported" if frame.header.get("status") == "unsupported" else "failed"
                raise WorkerFailed(status, str(frame.header["error"])[:800])
            return frame

    def timed(self, data: bytes) -> tuple[float, protocol.Frame]:
        """One query's round trip on the coordinator's clock, ms: from the first byte sent
        until the reply's last byte is in, before the reply is decoded (decoding after a
        model's run, its caches cold, cost a 1 ms model about 1% more than the echo's)."""
        expected = nonce_of(data)
        stdin, stdout = self.session.stdin, self.session.stdout
        if self.resident:
            self.deadline = time.monotonic() + self.timeout_s
        began = time.perf_counter()
        try:
            stdin.write(data)
            stdin.flush()
            if self.spin_s:
                self._await(stdout.fileno(), began + self.spin_s)
            raw = protocol.receive(stdout)
            elapsed = (time.perf_counter() - began) * 1e3  # all of it in, nothing decoded
            frame = protocol.parse(*raw)
        except (protocol.ProtocolError, OSError, ValueError) as exc:
            raise WorkerFailed("failed", self._death(str(exc))) from None
        if self.resident:
            self.deadline = math.inf
        if frame.header.get("n") != expected:
            raise WorkerFailed("failed", FOREIGN_FRAME)
        if "error" in frame.header or "phase" in frame.header:
            raise WorkerFailed("failed", str(frame.header.get("error", "answered out of turn")))
        return elapsed, frame

    def awake(self, spare_cpus: int) -> None:
        """While timed, poll for the reply instead of sleeping in read(), where a CPU is
        spare for it: a reader woken from sleep (on a VM, a halted vCPU woken by the
        host) adds its wake-up to every query that outlasts the echo, which the echo's
        short wait never pays, so the subtraction misses it. Polling yields the CPU at
        each turn, so on a shared CPU the worker runs first. Only on a plain pipe: a
        stream with its own buffer (the container engine's demultiplexed socket) could
        hold a reply that polling its socket would never see."""
        plain = isinstance(self.session.stdout, io.BufferedReader)
        self.spin_s = AWAKE_S if spare_cpus > 0 and plain else 0.0

    @staticmethod
    def _await(fd: int, until: float) -> None:
        while time.perf_counter() < until:
            if select.select([fd], [], [], 0)[0]:
                return
            os.sched_yield()

    def ready(self) -> None:
        frame = self.call(b"")  # nothing sent: the worker's first frames
        if not frame.header.get("ready"):
            raise WorkerFailed("failed", "the worker did not say it was ready")
        self.before_load_bytes = tree_rss(self.session.pids())

    def close(self) -> Outcome:
        self._stop.set()
        with contextlib.suppress(OSError, ValueError):
            protocol.write(self.session.stdin, protocol.encode({"op": "quit"}))
        return self.session.finish(wait_s=10)

    def failing(self, exc: WorkerFailed) -> WorkerFailed:
        """Close a worker that failed: a cap the sandbox saw hit (out of memory, scratch
        full) is the reason, whatever the worker said."""
        outcome = self.close()
        return WorkerFailed("failed", outcome.reason) if outcome.reason else exc


def tree_rss(pids: list[int]) -> int:
    """Resident bytes of a set of processes, read from /proc outside the sandbox."""
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
        except (OSError, ValueError, IndexError):
            continue
    return total


def vram_mb(pids: list[int]) -> float | None:
    """What NVML says the processes hold on the GPU, MB; None without NVML."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:
        return None
    wanted, used = set(pids), 0
    for index in range(pynvml.nvmlDeviceGetCount()):
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        for proc in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
            if proc.pid in wanted and proc.usedGpuMemory:
                used += int(proc.usedGpuMemory)
    return used / MB


@dataclass
class Sampler:
    """The worker's processes' RSS, sampled from outside every few ms; keeps the peak."""

    pids: Callable[[], list[int]]
    peak: int = 0
    count: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _loop(self) -> None:
        pids = self.pids()
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(pids))
            self.count += 1
            self._stop.wait(0.005)

    def __enter__(self) -> Sampler:
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.thread.join()
        self.peak = max(self.peak, tree_rss(self.pids()))


def query(op: str, sample: Sample, outputs: bool = False) -> bytes:
    """One request, with a fresh random nonce the reply must carry: a frame written into
    the channel by anything else in the sandbox (bubblewrap's init holds the pipe, and a
    team script may open it through /proc/1/fd) cannot answer a request it never saw."""
    header: dict[str, Any] = {"op": op, "aux": protocol.pack(sample.aux), "n": nonce()}
    if outputs:
        header["outputs"] = True
    return protocol.encode(header, sample.inputs)


def artifact_size(worker: Worker, scratch: Path, built: dict[str, Any]) -> Size:
    """The artifact's bytes on disk, read by the coordinator through a sandbox process's
    root (the scratch is a tmpfs of the sandbox's own), links never followed."""
    from runner.trackers.size import MB as SIZE_MB
    from runner.trackers.size import gzip_bytes

    inside = Path(str(built.get("artifact", "")))
    if not inside.is_absolute() or not inside.resolve().is_relative_to(scratch.resolve()):
        raise WorkerFailed("failed", f"the worker named an artifact outside its scratch: {inside}")
    roots = [Path("/")] + [Path(f"/proc/{pid}/root") for pid in worker.session.pids()]
    for root in roots:
        folder = root / inside.relative_to("/")
        if not folder.is_dir():
            continue
        files = []
        for top, _dirs, names in os.walk(folder):  # followlinks=False
            for name in names:
                path = Path(top, name)
                if path.is_file() and not path.is_symlink():
                    files.append(path)
        if not files:
            continue
        size = sum(p.lstat().st_size for p in files)
        return Size(
            size_mb=size / SIZE_MB,
            bytes=size,
            files=sorted(p.relative_to(folder).as_posix() for p in files),
            params=int(built.get("params", 0)),
            nonzero_params=int(built.get("nonzero_params", 0)),
            gzip_mb=gzip_bytes(files) / SIZE_MB,
            theoretical_mb=float(built.get("theoretical_bits", 0.0)) / 8 / SIZE_MB,
            scheme=str(built.get("scheme", ""))[:80],
        )
    raise WorkerFailed("failed", "the artifact folder is empty or cannot be read from outside")


@dataclass
class Answers:
    predictions: list[Any]
    outputs: dict[int, Any]  # sample index -> logits (ndarray) or generated ids
    new_tokens: dict[int, int]


def scoring_pass(
    worker: Worker, task: Any, samples: list[Sample], indices: list[int], answers: Answers
) -> None:
    """Ask each sample once, outputs kept within the equivalence budget."""
    held = sum(getattr(o, "nbytes", 0) for o in answers.outputs.values())
    for index in indices:
        sample = samples[index]
        keep = held <= equivalence.REFERENCE_BUDGET_BYTES or not answers.outputs
        frame = worker.call(query("predict", sample, outputs=keep or task.scores_outputs))
        output = frame.arrays.get("logits", frame.arrays.get("ids"))
        if task.scores_outputs:
            if output is None:
                raise WorkerFailed("failed", "the worker sent no output to score")
            prediction = task.from_output(output, sample)  # never the worker's own number
        else:
            prediction = protocol.unpack(frame.header.get("prediction"))
        answers.predictions[index] = prediction
        if "new_tokens" in frame.header:
            answers.new_tokens[index] = int(frame.header["new_tokens"])
        if keep and output is not None:
            answers.outputs[index] = np.array(output)
            held += int(output.nbytes)


def same_answer(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return bool(np.isclose(float(a), float(b), rtol=1e-4, atol=1e-6))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same_answer(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class Clock:
    """Timed queries of one worker, on the coordinator's clock. The channel's own round
    trip is measured with echoes of the same inputs, a few before the rounds and one after
    each of the worker's blocks (so it follows the machine as the rounds go); once the
    rounds are done each call has its sample's median echo taken off (`correct`)."""

    def __init__(self, worker: Worker, samples: list[Sample], cycle: list[int]) -> None:
        self.worker = worker
        self.samples = samples
        self.echoes: dict[int, list[float]] = {i: [] for i in cycle}
        self.answers: dict[int, list[Any]] = {i: [] for i in cycle}
        for index in cycle:
            for _ in range(ECHOES):
                self.echo(index)

    def __call__(self, index: int) -> float:
        data = query("time", self.samples[index])  # encoded before the clock starts
        elapsed, frame = self.worker.timed(data)
        self.answers[index].append(protocol.unpack(frame.header.get("prediction")))
        return elapsed

    def echo(self, index: int) -> None:
        self.echoes[index].append(self.worker.timed(query("echo", self.samples[index]))[0])

    def correct(self, rounds: timing.Rounds, model: int) -> None:
        """Take each call's channel cost off, in place: its sample's median echo."""
        median = {i: float(np.median(e)) for i, e in self.echoes.items() if e}
        for r, index in enumerate(rounds.samples):
            cost = median.get(index, 0.0)
            rounds.times[r][model] = [max(t - cost, 0.0) for t in rounds.times[r][model]]
            if rounds.firsts:
                rounds.firsts[r][model] = max(rounds.firsts[r][model] - cost, 0.0)

    def pipe_ms(self) -> float:
        return float(np.median([t for e in self.echoes.values() for t in e]))

    def pipe_iqr_ms(self) -> float:
        pooled = [t for e in self.echoes.values() for t in e]
        low, high = np.percentile(pooled, [25, 75])
        return float(high - low)


def audit_answers(clock: Clock, task: Any, answers: Answers, samples: list[Sample]) -> str | None:
    """TEST01's idea: every answer in the timing pass equals the scoring pass's answer."""
    for index, given in clock.answers.items():
        scored = answers.predictions[index]
        for answer in given:
            if task.scores_outputs:
                continue  # the timing reply carries the worker's own number, not scored
            if not same_answer(answer, scored):
                return (
                    f"sample {index + 1} was answered {str(answer)[:60]!r} while timed and "
                    f"{str(scored)[:60]!r} while scored: the timed model is not the scored one"
                )
    return None


def latency_of(
    rounds: timing.Rounds, model: int, device: str, threads: int, clock: Clock, mode: str
) -> Latency:
    from runner.trackers.latency import spread

    median, low, high = timing.median_interval(rounds, model)
    pooled = rounds.pooled(model)
    return Latency(
        device=device,  # type: ignore[arg-type]
        ms=spread(pooled).model_copy(update={"median": median}),
        cold_ms=rounds.firsts[0][model] if rounds.firsts else rounds.times[0][model][0],
        warmup=0,
        threads=threads,
        clock="coordinator",
        ci_low=low,
        ci_high=high,
        rounds=len(rounds.times),
        drift=timing.drift(rounds, model),
        pipe_ms=clock.pipe_ms(),
        pipe_iqr_ms=clock.pipe_iqr_ms(),
        timing=mode,  # type: ignore[arg-type]
    )


def quality_of(task: Any, predictions: list[Any], samples: list[Sample], metric: str) -> Quality:
    score = task.score(predictions, samples, metric)
    return Quality(
        metric=score.metric,
        value=score.value,
        samples=score.samples,
        ci_low=score.ci[0] if score.ci else None,
        ci_high=score.ci[1] if score.ci else None,
        ci_method=score.ci_method,
        extra=score.extra,
        definition=score.definition,
    )


def agreement_of(
    task: Any, reference: Answers, answers: Answers, lossless: bool
) -> tuple[Agreement, str | None]:
    if task.generates:
        result = equivalence.compare_text(
            [str(p) for p in reference.predictions], [str(p) for p in answers.predictions]
        )
    else:
        common = sorted(set(reference.outputs) & set(answers.outputs))
        result = equivalence.compare_logits(
            [reference.outputs[i] for i in common], [answers.outputs[i] for i in common]
        )
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


def decoding_of(state: dict[str, Any], answers: Answers, task: Any) -> Decoding | None:
    """A generating task's decoding setup and what it produced; past the budget fails."""
    budget = state.get("budget")
    if not budget or not task.generates:
        return None
    limit = int(budget[0])
    steps = [answers.new_tokens.get(i, 0) for i in range(len(answers.predictions))]
    over = [i for i, n in enumerate(steps) if n > limit]
    if over:
        raise WorkerFailed(
            "failed",
            f"generate() took {steps[over[0]]} decoding steps on sample {over[0] + 1}, past "
            f"max_new_tokens {limit}: the model does not honour the budget",
        )
    return Decoding(
        max_new_tokens=limit,
        derived_from=str(budget[1]),
        eos_token_id=[int(i) for i in state.get("eos") or []],
        overridden={str(k): str(v) for k, v in (state.get("overridden") or {}).items()},
        new_tokens_mean=sum(steps) / len(steps) if steps else None,
        new_tokens_max=max(steps, default=None),
        ended_without_eos=sum(n >= limit for n in steps),
    )


@dataclass
class Measuring:
    """One run as the coordinator's phases measure it: which samples are scored apart
    and which the timing rounds cycle through, and what each phase found."""

    plan: Plan
    worker: Worker
    is_original: bool
    samples: list[Sample]
    cycle: list[int] = field(init=False)
    rest: list[int] = field(init=False)
    answers: Answers = field(init=False)
    finding: str | None = None
    agreement: Agreement | None = None
    audits: list[str] = field(default_factory=list)
    clock: Clock | None = None
    latency: Latency | None = None
    speedup: Speedup | None = None

    def __post_init__(self) -> None:
        count = len(self.samples)
        cycle_len = min(MAX_CYCLE, max(1, count // 2)) if count > 1 else 1
        self.cycle = list(range(count - cycle_len, count))
        self.rest = [i for i in range(count) if i not in self.cycle]
        self.answers = Answers([None] * count, {}, {})


@dataclass
class Plan:
    """What the coordinator needs to start one run's worker."""

    label: str
    method: str
    lossy: bool
    job: dict[str, Any]  # the worker's JOB.json
    request: Request  # argv filled in by the coordinator
    scratch: Path


def reported_versions(built: dict[str, Any]) -> dict[str, str]:
    """The library versions the worker says its environment has: a label, not a
    measurement, so only short strings are kept."""
    found = built.get("versions")
    if not isinstance(found, dict):
        return {}
    return {str(k)[:40]: str(v)[:40] for k, v in list(found.items())[:20] if isinstance(v, str)}


def toolchain_label(name: str) -> str:
    """`optimum (py3.11-1a2b3c4d5e6f)`: the toolchain and the pins it was built from."""
    from runner import toolchains

    return name if name == "core" else f"{name} ({toolchains.key(toolchains.get(name))})"


class Coordinator:
    def __init__(
        self,
        sandbox: Backend,
        task: Any,
        metric: str,
        device: str,
        threads: int,
        latency: Any,
        timeout_s: float,
        progress: Callable[[str, str], None],
    ) -> None:
        self.sandbox, self.task, self.metric = sandbox, task, metric
        self.device, self.threads, self.latency = device, threads, latency
        self.timeout_s, self.report = timeout_s, progress
        self.original: Worker | None = None
        self.original_label = ""
        self.reference: Answers | None = None
        self.original_samples: list[Sample] = []
        self.original_latency: float | None = None  # its median, timed alone

    def start(self, plan: Plan, prepared: Prepared) -> Worker:
        job_file = plan.request.read_only[-1] / "job.json"
        job_file.write_text(json.dumps({**plan.job, "state": prepared.state}), encoding="utf-8")
        job_file.chmod(0o644)
        request = Request(
            [self.sandbox.python(plan.request.toolchain), "-m", "runner.worker", str(job_file)],
            plan.request.read_only,
            plan.scratch,
            plan.request.device,
            plan.request.threads,
            plan.request.limits,
            plan.request.timeout_s,
            plan.request.toolchain,
        )
        session = self.sandbox.start(request)
        name = self.sandbox.name
        worker = Worker(
            session, plan.label, lambda p: self.report(plan.label, f"{p} ({name})"), self.timeout_s
        )
        worker.awake(spare_cpus(plan.request.threads))
        try:
            worker.ready()
            samples = [{"inputs": s.inputs, "aux": s.aux} for s in prepared.samples]
            data = protocol.encode({"op": "build", "samples": protocol.pack(samples), "n": nonce()})
            worker.built = worker.call(data).header
        except WorkerFailed as exc:
            raise worker.failing(exc) from None
        except BaseException:
            worker.close()
            raise
        return worker

    def open_original(self, plan: Plan, prepared: Prepared) -> None:
        """The original, resident for every run: its answers are the reference outputs."""
        self.report(plan.label, "starting the original's worker (kept for every run)")
        self.original = self.start(plan, prepared)
        self.original.keep()
        # Whether the task generates (Whisper does, a CTC model does not) is read from
        # the model's config by our own worker, never by this process.
        self.task.generates = bool(self.original.built.get("generates"))
        self.original_label = plan.label
        self.original_samples = prepared.samples
        self.report(plan.label, f"asking the original model {len(prepared.samples)} samples")
        count = len(prepared.samples)
        self.reference = Answers([None] * count, {}, {})
        scoring_pass(self.original, self.task, prepared.samples, list(range(count)), self.reference)

    def close(self) -> None:
        if self.original is not None:
            self.original.close()
            self.original = None

    def measure(self, plan: Plan, prepared: Prepared) -> RunRecord:
        started = time.perf_counter()
        try:
            return self._measure(plan, prepared, started)
        except WorkerFailed as exc:
            return RunRecord(
                label=plan.label,
                method=plan.method,
                status=exc.status,  # type: ignore[arg-type]
                error=exc.message,
                duration_s=time.perf_counter() - started,
            )
        except RunnerError as exc:
            return RunRecord(
                label=plan.label,
                method=plan.method,
                status="unsupported" if isinstance(exc, Unsupported) else "failed",
                error=str(exc),
                duration_s=time.perf_counter() - started,
            )

    def _measure(self, plan: Plan, prepared: Prepared, started: float) -> RunRecord:
        is_original = self.original is not None and plan.label == self.original_label
        report = lambda phase: self.report(plan.label, phase)  # noqa: E731
        worker = self.original if is_original else None
        if worker is None:
            report("starting the worker")
            worker = self.start(plan, prepared)
            if self.original is None:  # no original to say it: the run's own worker does
                self.task.generates = bool(worker.built.get("generates"))
        try:
            record = self._passes(plan, prepared, worker, is_original, started, report)
        except WorkerFailed as exc:
            if is_original:
                raise
            raise worker.failing(exc) from None
        if not is_original:
            worker.close()
        return record.model_copy(
            update={
                "toolchain": toolchain_label(plan.request.toolchain),
                "versions": reported_versions(worker.built),
            }
        )

    def _passes(
        self,
        plan: Plan,
        prepared: Prepared,
        worker: Worker,
        is_original: bool,
        started: float,
        report: Progress,
    ) -> RunRecord:
        """The phases of one run, in order: size, scoring (all but the timing cycle), the
        agreement check, timing with its cache audit, scoring the cycle, the timing audit,
        agreement over every sample, quality, memory. A finding stops the phases that
        would measure a model already known to be wrong."""
        run = Measuring(plan, worker, is_original, prepared.samples)
        size = artifact_size(worker, plan.scratch, worker.built)
        reference = self.reference
        if is_original and reference is not None:
            run.answers = reference  # the original's own scoring, as the others saw it
        else:
            report(f"scoring {len(run.rest)} of {len(run.samples)} samples")
            scoring_pass(worker, self.task, run.samples, run.rest, run.answers)
        if run.rest:  # a run that fails its agreement check is not timed
            self._agree(run, run.rest)
        if run.finding is None:
            report("timing" + ("" if is_original or not self.original else " (paired)"))
            self._timed(run)
        if not (is_original and reference is not None):
            scoring_pass(worker, self.task, run.samples, run.cycle, run.answers)
        self._audit(run)
        if run.finding is None:
            self._agree(run, list(range(len(run.samples))))
        quality = quality_of(self.task, run.answers.predictions, run.samples, self.metric)
        decoding = decoding_of(prepared.state, run.answers, self.task)
        memory = None
        if run.finding is None:
            report("measuring memory (from outside)")
            memory = self._memory(worker, run.samples)
        ok = run.finding is None
        return RunRecord(
            label=plan.label,
            method=plan.method,
            status="ok" if ok else "failed",
            error=run.finding,
            duration_s=time.perf_counter() - started,
            size=size,
            cpu=run.latency if self.device == "cpu" and ok else None,
            gpu=run.latency if self.device == "cuda" and ok else None,
            memory=memory,
            quality=quality,
            agreement=run.agreement,
            decoding=decoding,
            speedup=run.speedup if ok else None,
            audits=run.audits if ok else [],
        )

    def _agree(self, run: Measuring, indices: list[int]) -> None:
        """Its answers on `indices` against the original's (a lossless recipe must give
        the same; a lossy one records how close); not for the original or a student."""
        reference = self.reference
        if run.plan.method in NO_REFERENCE or reference is None:
            return

        def part(answers: Answers) -> Answers:
            outputs = {i: answers.outputs[i] for i in indices if i in answers.outputs}
            return Answers([answers.predictions[i] for i in indices], outputs, {})

        run.agreement, finding = agreement_of(
            self.task, part(reference), part(run.answers), not run.plan.lossy
        )
        if run.plan.method not in NOT_JUDGED:
            run.finding = finding

    def _timed(self, run: Measuring) -> None:
        (run.clock, run.latency), run.speedup, cache = self._time(
            run.plan, run.worker, run.is_original, run.samples, run.cycle
        )
        if cache and not run.is_original:
            run.finding = cache
        else:
            run.audits.append("cache: repeated inputs answered like fresh ones")

    def _audit(self, run: Measuring) -> None:
        """TEST01: the timed answers are the scored ones."""
        if run.clock is None or run.finding is not None:
            return
        mismatch = audit_answers(run.clock, self.task, run.answers, run.samples)
        if mismatch and not run.is_original:
            run.finding = mismatch
        else:
            run.audits.append("timing: every timed answer equals the scored one")

    def _time(
        self, plan: Plan, worker: Worker, is_original: bool, samples: list[Sample], cycle: list[int]
    ) -> tuple[tuple[Clock, Latency], Speedup | None, str | None]:
        settings = self.latency
        mine = Clock(worker, samples, cycle)
        cold = max(mine(cycle[0]) - mine.pipe_ms(), 0.0)
        paired = not is_original and self.original is not None
        clocks: list[Clock] = [mine]
        if self.original is not None and paired:  # the original's own inputs, same rows
            clocks = [Clock(self.original, self.original_samples, cycle), mine]
        rounds = timing.loop(
            clocks,
            cycle,
            settings.warmup,
            settings.min_iterations,
            settings.min_seconds,
            settings.max_seconds,
            after_block=[c.echo for c in clocks],
        )
        for model, clock in enumerate(clocks):
            clock.correct(rounds, model)
        index = 1 if paired else 0
        mode = "interleaved" if paired else "alone"
        latency = latency_of(rounds, index, self.device, self.threads, mine, mode)
        latency = latency.model_copy(update={"cold_ms": cold, "warmup": settings.warmup})
        speedup = None
        ratio = timing.speedup(rounds, 0, 1) if paired else None
        if ratio is not None:
            value, low, high = ratio
            speedup = Speedup(
                value=value,
                ci_low=low,
                ci_high=high,
                rounds=len(rounds.times),
                paired_with=self.original_label,
                original_drift=timing.drift(rounds, 0),
                timing="interleaved",
            )
        if speedup is not None:  # on the original's time base: base / run is the speed-up
            base = self.original_latency or float(np.median(rounds.pooled(0)))
            latency = latency.model_copy(
                update={
                    "ms": latency.ms.model_copy(update={"median": base / speedup.value}),
                    "ci_low": base / speedup.ci_high,
                    "ci_high": base / speedup.ci_low,
                    "paired_ms": latency.ms.median,
                }
            )
        elif is_original:
            self.original_latency = latency.ms.median
        cache = timing.cache_finding(rounds, index)
        return (mine, latency), speedup, cache

    def _memory(self, worker: Worker, samples: list[Sample]) -> Memory:
        frames = [query("predict", s) for s in samples[:MEMORY_PASS_SAMPLES]]
        with Sampler(worker.session.pids) as sampler:
            for data in frames:
                worker.call(data)
        pids = worker.session.pids()
        return Memory(
            ram_peak_mb=sampler.peak / MB,
            ram_before_load_mb=worker.before_load_bytes / MB,
            samples=sampler.count,
            vram_nvml_mb=vram_mb(pids) if self.device == "cuda" else None,
        )
