"""Reported vs reproduced, cell by cell, into one typed report. Pure: no I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from validator.compare import policy
from validator.compare.config import CourseConfig
from validator.compare.hardware import same
from validator.compare.policy import Judgement
from validator.findings import Finding, Loc, Severity
from validator.manifest.methods import KMeansParams, PruneStructuredParams, PruneUnstructuredParams
from validator.manifest.schema import Manifest, OriginalRun, RunBase
from validator.verification import Latency, RunRecord, VerificationRecord

RunVerdict = Literal["verified", "discrepancies", "incomplete"]
MB = 2**20


@dataclass
class Cell:
    metric: str  # size_mb, cpu_ms, gpu_ms, ram_mb, vram_mb, quality, quality:cer
    reported: float | None
    reproduced: float | None
    judgement: Judgement
    spread: dict[str, str] = field(default_factory=dict)  # p90/cv/n or CI bounds, as text
    loc: Loc = ()  # where the reported value is in the manifest
    counts: bool = True  # whether an unverifiable cell makes the run incomplete
    speedups: tuple[float, float] | None = None  # (claimed, measured): the judged basis

    @property
    def verdict(self) -> policy.Verdict:
        return self.judgement.verdict

    @property
    def delta(self) -> float | None:
        """The difference on the basis the tolerance applies to: the speed-up where the
        speed-up is judged, else the value itself (absolute for quality)."""
        if self.speedups is not None:
            claimed, measured = self.speedups
            return (claimed - measured) / measured if measured else None
        if self.reported is None or self.reproduced is None:
            return None
        if self.metric.startswith("quality"):
            return self.reported - self.reproduced
        return (self.reported - self.reproduced) / self.reproduced if self.reproduced else None


@dataclass
class RunReport:
    index: int
    label: str
    method: str
    status: str  # the record's: ok, failed, unsupported, or "missing"
    verdict: RunVerdict
    cells: list[Cell]
    findings: list[Finding]
    error: str | None = None


@dataclass
class Report:
    team: str
    homework: int
    verdict: RunVerdict
    runs: list[RunReport]
    findings: list[Finding]  # static findings not tied to one run
    record: VerificationRecord
    manifest_changed: bool
    metric: str


def reproduced_size(run: RunBase, record: RunRecord) -> float | None:
    """The size the team's declared storage scheme corresponds to."""
    size = record.size
    if size is None:
        return None
    params = run.params
    if isinstance(params, PruneUnstructuredParams | PruneStructuredParams | KMeansParams):
        storage = params.storage
        if storage == "gzip":
            return size.gzip_mb
        if storage in ("sparse", "theoretical"):
            return size.theoretical_mb
        if storage == "dense" and isinstance(params, KMeansParams):
            return size.params * 4 / MB
    return size.size_mb


def _latency_of(record: RunRecord | None, metric: str) -> Latency | None:
    if record is None:
        return None
    return record.cpu if metric == "cpu_ms" else record.gpu


def _latency_cell(
    metric: str,
    index: int,
    run: RunBase,
    runs: dict[str, RunRecord],
    manifest: Manifest,
    report: VerificationRecord,
    tol: CourseConfig,
) -> Cell:
    loc = ("runs", index, "reported", metric)
    reported = getattr(run.reported, metric)
    record = runs.get(run.label)
    latency = _latency_of(record, metric)
    measured_on = "cuda" if metric == "gpu_ms" else "cpu"
    if report.device != measured_on:
        cause = "gpu-on-cpu-runner" if metric == "gpu_ms" else "cpu-on-gpu-runner"
        return Cell(metric, reported, None, Judgement("unverifiable", cause=cause), loc=loc)
    if latency is None:
        return Cell(metric, reported, None, Judgement("unverifiable", cause="no-baseline"), loc=loc)
    measured = latency.ms.median
    if measured <= 0:  # the echo took the whole time off: below what the channel resolves
        params = {"pipe": f"{latency.pipe_ms or 0:.3g}"}
        judgement = Judgement("unverifiable", cause="latency-below-channel", params=params)
        return Cell(metric, reported, measured, judgement, loc=loc)
    hardware = run.hardware or (manifest.runs[0].hardware if manifest.runs else None)
    reported_hw = (hardware.gpu if metric == "gpu_ms" else hardware.cpu) if hardware else None
    shard = report.shard_of(run.label)  # fanned out: this run's own runner and anchor
    machine = shard.fingerprint if shard and shard.fingerprint else report.fingerprint
    runner_hw = machine.gpu_name if metric == "gpu_ms" else machine.cpu_model
    base = next((r for r in manifest.runs if isinstance(r, OriginalRun)), None)
    base_reported = getattr(base.reported, metric) if base else None
    if latency.interval_rel() is not None:
        return _measured_cell(
            metric, loc, reported, latency, record, same(reported_hw, runner_hw), base_reported,
            isinstance(run, OriginalRun), reported_hw, tol,
        )  # fmt: skip
    spread = {"p90": f"{latency.ms.p90:.3g}", "cv": f"{latency.ms.cv:.1%}", "n": str(latency.ms.n)}
    if same(reported_hw, runner_hw):
        judgement = policy.judge_latency_same_hardware(
            reported, measured, latency.ms.cv, tol.tolerance
        )
        return Cell(metric, reported, measured, judgement, spread, loc)
    if isinstance(run, OriginalRun):
        anchor = Judgement(
            "unverifiable",
            cause="baseline-other-hardware",
            params={"hardware": reported_hw or "not named"},
        )
        return Cell(metric, reported, measured, anchor, spread, loc, counts=False)
    if shard is not None:
        base_latency = shard.original_gpu if metric == "gpu_ms" else shard.original_cpu
    else:
        base_latency = _latency_of(runs.get(base.label) if base else None, metric)
    if not base_reported or base_latency is None or reported <= 0:
        return Cell(
            metric, reported, measured, Judgement("unverifiable", cause="no-baseline"), spread, loc
        )
    cv = (latency.ms.cv**2 + base_latency.ms.cv**2) ** 0.5
    judgement = policy.judge_speedup(
        base_reported / reported, base_latency.ms.median / measured, cv, tol.tolerance
    )
    return Cell(metric, reported, measured, judgement, spread, loc)


def _measured_cell(
    metric: str,
    loc: Loc,
    reported: float,
    latency: Latency,
    record: RunRecord | None,
    same_hardware: bool,
    base_reported: float | None,
    is_original: bool,
    reported_hw: str | None,
    config: CourseConfig,
) -> Cell:
    """A record from the coordinator: the absolute time against the median's interval,
    drift and floor (same hardware); the speed-up against its paired interval."""
    tol = config.tolerance
    measured = latency.ms.median
    spread = {
        "low": f"{latency.ci_low:.3g}",
        "high": f"{latency.ci_high:.3g}",
        "rounds": str(latency.rounds or 0),
    }
    resolution = latency.resolution_rel()
    absolute = policy.judge_latency_interval(
        reported, measured, latency.interval_rel() or 0.0, latency.drift or 0.0, tol, resolution
    )
    if is_original:
        if same_hardware:
            grey = absolute.verdict == "unverifiable"
            return Cell(metric, reported, measured, absolute, spread, loc, counts=not grey)
        anchor = Judgement(
            "unverifiable",
            cause="baseline-other-hardware",
            params={"hardware": reported_hw or "not named"},
        )
        return Cell(metric, reported, measured, anchor, spread, loc, counts=False)
    if same_hardware and absolute.verdict == "mismatch":
        return Cell(metric, reported, measured, absolute, spread, loc)
    speedup = record.speedup if record else None
    if speedup is None or not base_reported or reported <= 0:
        return Cell(
            metric, reported, measured, Judgement("unverifiable", cause="no-baseline"), spread, loc
        )
    claimed = base_reported / reported
    judgement = policy.judge_speedup_interval(
        claimed,
        speedup.value,
        speedup.ci_low,
        speedup.ci_high,
        speedup.rounds,
        same_hardware,
        tol,
        resolution,
    )
    grey = judgement.verdict == "unverifiable"
    return Cell(
        metric,
        reported,
        measured,
        judgement,
        spread,
        loc,
        counts=not grey,
        speedups=(claimed, speedup.value),
    )


def _cells(
    index: int,
    run: RunBase,
    record: RunRecord,
    manifest: Manifest,
    report: VerificationRecord,
    runs: dict[str, RunRecord],
    config: CourseConfig,
) -> list[Cell]:
    tol = config.tolerance
    cells: list[Cell] = []
    reported = run.reported
    size = reproduced_size(run, record)
    if reported.size_mb is not None and size is not None:
        cells.append(
            Cell(
                "size_mb",
                reported.size_mb,
                size,
                policy.judge_size(reported.size_mb, size, tol),
                loc=("runs", index, "reported", "size_mb"),
            )
        )
    for metric in ("cpu_ms", "gpu_ms"):
        if getattr(reported, metric) is not None:
            cells.append(_latency_cell(metric, index, run, runs, manifest, report, config))
    memory = record.memory
    if reported.ram_mb is not None and memory is not None:
        cells.append(
            Cell(
                "ram_mb",
                reported.ram_mb,
                memory.ram_peak_mb,
                policy.judge_memory(reported.ram_mb, memory.ram_peak_mb, tol, None, vram=False),
                loc=("runs", index, "reported", "ram_mb"),
            )
        )
    if reported.vram_mb is not None:
        loc = ("runs", index, "reported", "vram_mb")
        vram = (memory.vram_peak_allocated_mb or memory.vram_nvml_mb) if memory else None
        if report.device != "cuda" or vram is None:
            cells.append(
                Cell(
                    "vram_mb",
                    reported.vram_mb,
                    None,
                    Judgement("unverifiable", cause="gpu-on-cpu-runner"),
                    loc=loc,
                )
            )
        else:
            weights = record.size.size_mb if record.size else None
            cells.append(
                Cell(
                    "vram_mb",
                    reported.vram_mb,
                    vram,
                    policy.judge_memory(reported.vram_mb, vram, tol, weights, vram=True),
                    loc=loc,
                )
            )
    cells += _quality_cells(index, run, record, manifest, config)
    return cells


def _quality_cells(
    index: int, run: RunBase, record: RunRecord, manifest: Manifest, config: CourseConfig
) -> list[Cell]:
    quality = record.quality
    if quality is None:
        return []
    ci = (
        (quality.ci_low, quality.ci_high)
        if quality.ci_low is not None and quality.ci_high is not None
        else None
    )
    spread = {"low": f"{ci[0]:.4g}", "high": f"{ci[1]:.4g}"} if ci else {}
    spread["n"] = str(quality.samples)
    cells = []
    if run.reported.quality is not None:
        cells.append(
            Cell(
                "quality",
                run.reported.quality,
                quality.value,
                policy.judge_quality(
                    manifest.evaluation.metric,
                    run.reported.quality,
                    quality.value,
                    quality.samples,
                    ci,
                    config.tolerance,
                ),
                spread,
                ("runs", index, "reported", "quality"),
            )
        )
    for name, value in run.reported.extra_metrics.items():
        if name in quality.extra:
            cells.append(
                Cell(
                    f"quality:{name}",
                    value,
                    quality.extra[name],
                    policy.judge_quality(
                        name, value, quality.extra[name], quality.samples, None, config.tolerance
                    ),
                    {"n": str(quality.samples)},
                    ("runs", index, "reported", "extra_metrics", name),
                )
            )
    return cells


def _reported_cells(
    index: int, run: RunBase, verdict: policy.Verdict, cause: str, params: dict[str, str]
) -> list[Cell]:
    """One cell per reported value, all with the same verdict (failed or unsupported run)."""
    cells = []
    for metric in ("size_mb", "cpu_ms", "gpu_ms", "ram_mb", "vram_mb", "quality"):
        value = getattr(run.reported, metric)
        if value is not None:
            cells.append(
                Cell(
                    metric,
                    value,
                    None,
                    Judgement(verdict, cause=cause, params=params),
                    loc=("runs", index, "reported", metric),
                )
            )
    return cells


def _run_verdict(cells: list[Cell], findings: list[Finding], status: str) -> RunVerdict:
    if any(c.verdict == "mismatch" for c in cells) or any(
        f.severity is Severity.ERROR for f in findings
    ):
        return "discrepancies"
    if status != "ok" or any(
        c.verdict in ("unverifiable", "run-failed") and c.counts for c in cells
    ):
        return "incomplete"
    return "verified"


def build(
    manifest: Manifest,
    record: VerificationRecord,
    findings: list[Finding],
    config: CourseConfig,
    manifest_sha256: str,
) -> Report:
    """Judge every reported value of every run; static findings join their run's verdict."""
    by_label = {r.label: r for r in record.runs}
    runs: list[RunReport] = []
    for index, run in enumerate(manifest.runs):
        own = [f for f in findings if f.loc[:2] == ("runs", index)]
        found = by_label.get(run.label)
        if found is None:
            cells = _reported_cells(index, run, "unverifiable", "not-reproduced", {})
            status, error = "missing", None
        elif found.status == "failed":
            cells = _reported_cells(
                index, run, "run-failed", "run-failed", {"error": found.error or "?"}
            )
            status, error = found.status, found.error
        elif found.status == "unsupported":
            cells = _reported_cells(
                index, run, "unverifiable", "recipe-unsupported", {"error": found.error or "?"}
            )
            status, error = found.status, found.error
        else:
            cells = _cells(index, run, found, manifest, record, by_label, config)
            status, error = found.status, None
        runs.append(
            RunReport(
                index,
                run.label,
                run.method,
                status,
                _run_verdict(cells, own, status),
                cells,
                own,
                error,
            )
        )
    general = [f for f in findings if f.loc[:1] != ("runs",) or len(f.loc) < 2]
    changed = record.manifest_sha256 != manifest_sha256
    verdicts = {r.verdict for r in runs}
    if "discrepancies" in verdicts or any(f.severity is Severity.ERROR for f in general):
        verdict: RunVerdict = "discrepancies"
    elif "incomplete" in verdicts or changed:
        verdict = "incomplete"
    else:
        verdict = "verified"
    return Report(
        manifest.team,
        manifest.homework,
        verdict,
        runs,
        general,
        record,
        changed,
        manifest.evaluation.metric,
    )
