"""Leaderboard rows from `submissions/` and `results/`, regenerated whole, never edited.

One row per run: the reproduced value where a record exists (the reported one beside it
when they differ), the verdict the tolerance policy gives, and a late mark from the
course's deadlines. pandas holds the frame and sorts it; the Markdown is rendered here.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from validator.compare.config import CourseConfig
from validator.compare.report import Report, build, reproduced_size
from validator.compare.strings import Lang
from validator.escape import md, md_url
from validator.manifest.load import load
from validator.manifest.metrics import METRICS
from validator.manifest.schema import Manifest
from validator.numbers import figures, together
from validator.verification import RecordError, VerificationRecord, read_record

MEASURES = ("size_mb", "cpu_ms", "gpu_ms", "ram_mb", "vram_mb")

COLUMNS: dict[str, dict[str, str]] = {
    "team": {"ru": "Команда", "en": "Team"},
    "model": {"ru": "Модель", "en": "Model"},
    "method": {"ru": "Метод", "en": "Method"},
    "size_mb": {"ru": "Размер весов (MB)", "en": "Weights (MB)"},
    "cpu_ms": {"ru": "CPU (ms)", "en": "CPU (ms)"},
    "gpu_ms": {"ru": "GPU (ms)", "en": "GPU (ms)"},
    "ram_mb": {"ru": "RAM (MB)", "en": "RAM (MB)"},
    "vram_mb": {"ru": "VRAM (MB)", "en": "VRAM (MB)"},
    "quality": {"ru": "Качество ({metric})", "en": "Quality ({metric})"},
    "status": {"ru": "Статус", "en": "Status"},
}
WORDS: dict[str, dict[str, str]] = {
    "reported": {"ru": "заявлено", "en": "reported"},
    "homework": {"ru": "ДЗ", "en": "HW"},
    "verified": {"ru": "✅ проверено", "en": "✅ verified"},
    "discrepancies": {"ru": "❌ расхождение", "en": "❌ discrepancy"},
    "incomplete": {"ru": "⏳ проверено не полностью", "en": "⏳ incomplete"},
    "missing": {"ru": "⏳ не воспроизведено", "en": "⏳ not reproduced"},
    "late": {"ru": "⏰ после срока", "en": "⏰ late"},
    "report": {"ru": "отчёт", "en": "report"},
    "plot": {"ru": "размер и качество", "en": "size vs quality"},
    "empty": {"ru": "Пока нет ни одной работы.", "en": "No submissions yet."},
}


@dataclass(frozen=True)
class Submission:
    """One team's homework, for the instructor's gradebook."""

    team: str
    homework: int
    verdict: str  # verified, discrepancies, incomplete, not-reproduced
    pull_request: str | None
    date: str | None
    late: bool | None  # None: no date to judge by (not reproduced, or not published yet)


@dataclass
class Row:
    homework: int
    team: str
    model: str
    task: str
    metric: str
    label: str
    method: str
    reproduced: dict[str, float | None] = field(default_factory=dict)
    reported: dict[str, float | None] = field(default_factory=dict)
    status: str = "missing"  # verified, discrepancies, incomplete, missing
    link: str | None = None
    late: bool = False
    mismatched: set[str] = field(default_factory=set)  # measures the policy rejected


def load_record(path: Path) -> VerificationRecord | None:
    """The committed record, or None where there is none or it is not a valid one."""
    if not path.is_file():
        return None
    try:
        return read_record(path)
    except RecordError:
        return None


def _late(record: VerificationRecord | None, homework: int, config: CourseConfig) -> bool | None:
    """Opened after the deadline; False without a deadline, None without a date to judge."""
    deadline = config.homework(homework).deadline
    if deadline is None:
        return False
    if record is None or record.publication is None:
        return None
    opened = datetime.fromisoformat(record.publication.opened_at)
    return opened > deadline


def rows_of(
    manifest: Manifest, record: VerificationRecord | None, report: Report | None, late: bool
) -> list[Row]:
    by_label = {r.label: r for r in record.runs} if record else {}
    out = []
    for index, run in enumerate(manifest.runs):
        row = Row(
            manifest.homework,
            manifest.team,
            manifest.model.id,
            manifest.model.task,
            manifest.evaluation.metric,
            run.label,
            run.method,
            late=late,
        )
        for measure in (*MEASURES, "quality"):
            row.reported[measure] = getattr(run.reported, measure)
        found = by_label.get(run.label)
        if found is not None and found.status == "ok":
            row.reproduced["size_mb"] = reproduced_size(run, found)
            row.reproduced["cpu_ms"] = found.cpu.ms.median if found.cpu else None
            row.reproduced["gpu_ms"] = found.gpu.ms.median if found.gpu else None
            memory = found.memory
            row.reproduced["ram_mb"] = memory.ram_peak_mb if memory else None
            row.reproduced["vram_mb"] = memory.vram_peak_allocated_mb if memory else None
            row.reproduced["quality"] = found.quality.value if found.quality else None
        if report is not None:
            row.status = report.runs[index].verdict
            row.mismatched = {c.metric for c in report.runs[index].cells if c.verdict == "mismatch"}
        if record is not None and record.publication is not None:
            row.link = record.publication.comment_url or record.publication.url
        out.append(row)
    return out


Collected = tuple[list[Row], list[Submission], list[str]]
PARALLEL_FROM = 200  # manifests; below this a second process costs more than it saves


def _collect_paths(root: Path, config: CourseConfig, paths: list[Path]) -> Collected:
    rows: list[Row] = []
    submissions: list[Submission] = []
    skipped: list[str] = []
    for path in paths:
        loaded = load(path)
        manifest = loaded.manifest
        if manifest is None or loaded.document is None:
            skipped.append(f"{path}: not a valid manifest; left out")
            continue
        results = root / "results" / manifest.team / f"hw-{manifest.homework}.json"
        record = load_record(results)
        if results.exists() and record is None:
            skipped.append(f"{results}: not a valid record; the runs show as not reproduced")
        report = None
        if record is not None:
            report = build(manifest, record, [], config, loaded.document.sha256)
        late = _late(record, manifest.homework, config)
        rows += rows_of(manifest, record, report, bool(late))
        publication = record.publication if record else None
        submissions.append(
            Submission(
                manifest.team,
                manifest.homework,
                report.verdict if report else "not-reproduced",
                publication.url if publication else None,
                (publication.merged_at or publication.opened_at) if publication else None,
                late,
            )
        )
    return rows, submissions, skipped


def collect(root: Path, config: CourseConfig) -> Collected:
    """Every run of every valid manifest under root/submissions, with its record if any.

    Many manifests are read on every core (forked workers, in order); the result is the
    same as reading them one by one.
    """
    paths = sorted((root / "submissions").glob("*/hw-*.yaml"))
    workers = min(os.cpu_count() or 1, 8)
    if len(paths) < PARALLEL_FROM or workers < 2 or sys.platform != "linux":
        return _collect_paths(root, config, paths)
    chunks = [paths[i::workers] for i in range(workers)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = list(pool.map(_collect_paths, [root] * workers, [config] * workers, chunks))
    order = {path: n for n, path in enumerate(paths)}
    rows = sorted(
        (r for part in parts for r in part[0]),
        key=lambda r: order[root / "submissions" / r.team / f"hw-{r.homework}.yaml"],
    )
    submissions = [s for part in parts for s in part[1]]
    skipped = sorted(s for part in parts for s in part[2])
    return rows, submissions, skipped


def frame(rows: list[Row]) -> Any:
    """A pandas frame sorted by homework, task, metric, then quality (best first), team, label."""
    import pandas as pd

    records = []
    for row in rows:
        quality = row.reproduced.get("quality")
        quality = row.reported.get("quality") if quality is None else quality
        better = METRICS[row.metric].higher_is_better if row.metric in METRICS else True
        key = float("inf") if quality is None else (-quality if better else quality)
        records.append(
            {
                "homework": row.homework,
                "task": row.task,
                "metric": row.metric,
                "key": key,
                "team": row.team,
                "label": row.label,
                "row": row,
            }
        )
    columns = ["homework", "task", "metric", "key", "team", "label", "row"]
    if not records:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame.from_records(records).sort_values(columns[:-1], kind="stable")


def number(value: float | None) -> str:
    return figures(value)


def cell(row: Row, measure: str, lang: Lang) -> str:
    reproduced, reported = row.reproduced.get(measure), row.reported.get(measure)
    if reproduced is None:
        return number(reported)
    if reported is None or measure not in row.mismatched:
        return number(reproduced)
    shown, claimed = together([reproduced, reported])  # beyond tolerance, not noise
    return f"{shown} ({WORDS['reported'][lang]} {claimed})"


def status(row: Row, lang: Lang) -> str:
    text = WORDS[row.status][lang]
    link = md_url(row.link) if row.link else None
    if link and row.status != "missing":
        text += f" ([{WORDS['report'][lang]}]({link}))"
    if row.late:
        text += f", {WORDS['late'][lang]}"
    return text


def _section(group: Any, metric: str, lang: Lang) -> list[str]:
    """One ranking: the rows of one task and one quality metric, best first."""
    order = ["team", "model", "method", *MEASURES, "quality", "status"]
    head = [COLUMNS[c][lang].format(metric=md(metric)) for c in order]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(order)]
    for row in group["row"]:
        cells = [
            md(row.team),
            md(row.model),
            md(row.label),
            *(cell(row, m, lang) for m in (*MEASURES, "quality")),
            status(row, lang),
        ]
        out.append("| " + " | ".join(cells) + " |")
    return [*out, ""]


def markdown(
    rows: list[Row],
    config: CourseConfig,
    lang: Lang,
    plots: dict[tuple[int, str, str], str] | None = None,
) -> str:
    """The text that goes between the markers: per homework, one table per task and metric."""
    table = frame(rows)
    if table.empty:
        return WORDS["empty"][lang] + "\n"
    out: list[str] = []
    for homework, rankings in table.groupby("homework", sort=True):
        title = config.homework(int(homework)).title
        out += [
            f"### {WORDS['homework'][lang]}-{homework}" + (f": {md(title)}" if title else ""),
            "",
        ]
        several = rankings.groupby(["task", "metric"]).ngroups > 1
        for (task, metric), group in rankings.groupby(["task", "metric"], sort=True):
            if several:
                out += [f"**{md(task)} · {md(metric)}**", ""]
            link = (plots or {}).get((int(homework), task, metric))
            if link:
                out += [f"[{WORDS['plot'][lang]}: {md(task)}, {md(metric)}]({link})", ""]
            out += _section(group, metric, lang)
    return "\n".join(out)
