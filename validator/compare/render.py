"""The report, rendered: Markdown for the PR comment, JSON for machines, GitHub commands."""

from __future__ import annotations

import json
from typing import Any

from validator.compare.report import Cell, Report, RunReport
from validator.compare.strings import Lang, t
from validator.escape import command, log_json, md
from validator.manifest.yaml_loader import Document
from validator.numbers import figures, percent, together
from validator.output import json_v1
from validator.verification import VerificationRecord

REPORT_VERSION = 2  # 2: tolerance and spread are numbers; their text has keys of its own


def marker(report: Report) -> str:
    """The hidden line the bot finds its own comment by."""
    return f"<!-- mcv:report team={report.team} hw={report.homework} -->"


def metric_name(cell: Cell, report: Report, lang: Lang) -> str:
    """The metric's name for people, as plain text (the quality metric's name is data)."""
    if cell.metric == "quality":
        return t("metric.quality", lang, metric=report.metric)
    if cell.metric.startswith("quality:"):
        return t("metric.quality", lang, metric=cell.metric.split(":", 1)[1])
    return t(f"metric.{cell.metric}", lang)


UNNAMED = "not named"  # report.py's word for hardware the team did not name: data, not prose


def cause_text(cell: Cell, lang: Lang) -> str | None:
    cause = cell.judgement.cause
    if not cause:
        return None
    params = dict(cell.judgement.params)
    if params.get("hardware") == UNNAMED:  # said in the report's language
        params["hardware"] = t("machine.unnamed", lang)
    return t(f"cause.{cause}", lang, **params)


def _number(value: float | None) -> str:
    return figures(value)


def _delta(cell: Cell) -> str:
    delta = cell.delta
    if delta is None:
        return "—"
    if cell.metric in ("cpu_ms", "gpu_ms"):
        return f"{delta:+.1%}"
    if cell.metric.startswith("quality"):  # in the places the two values are shown with
        shown = together([cell.reported, cell.reproduced, delta])[2]
        return shown if shown.startswith("-") or float(shown) == 0 else "+" + shown
    return percent(delta)


def _pair(cell: Cell) -> tuple[str, str]:
    """Reported and reproduced with the same decimal places."""
    reported, reproduced = together([cell.reported, cell.reproduced])
    return reported, reproduced


def _reproduced(cell: Cell, lang: Lang) -> str:
    text = _pair(cell)[1]
    if cell.reproduced is None:
        return text
    if "rounds" in cell.spread:
        return f"{text} ({t('spread.latency-rounds', lang, **cell.spread)})"
    if "p90" in cell.spread:
        return f"{text} ({t('spread.latency', lang, **cell.spread)})"
    if "low" in cell.spread:  # the interval in the places of the values it bounds
        decimals = len(text.partition(".")[2])
        low, high = (f"{float(cell.spread[k]):.{decimals}f}" for k in ("low", "high"))
        params = {**cell.spread, "low": low, "high": high}
        return f"{text} ({t('spread.quality', lang, **params)})"
    return text


def tolerance_text(cell: Cell, lang: Lang) -> str:
    judgement = cell.judgement
    if not judgement.tolerance:
        return "—"
    if judgement.basis is None:
        return judgement.tolerance
    basis = t(f"basis.{judgement.basis}", lang, **judgement.basis_params)
    return f"{judgement.tolerance} ({basis})"


def _run_markdown(run: RunReport, report: Report, lang: Lang) -> list[str]:
    lines = [f"### {md(run.label)} · `{run.method}` · {t('verdict.' + run.verdict, lang)}", ""]
    head = ["metric", "reported", "reproduced", "delta", "tolerance", "verdict"]
    lines.append("| " + " | ".join(t(f"column.{h}", lang) for h in head) + " |")
    lines.append("|" + "---|" * len(head))
    for cell in run.cells:
        lines.append(
            f"| {md(metric_name(cell, report, lang))} | {_pair(cell)[0]} | "
            f"{md(_reproduced(cell, lang))} | {_delta(cell)} | "
            f"{md(tolerance_text(cell, lang))} | {t('cell.' + cell.verdict, lang)} |"
        )
    todo = []
    for cell in run.cells:
        text = cause_text(cell, lang)
        if text and (cell.verdict != "ok"):
            todo.append(f"- **{md(metric_name(cell, report, lang))}**: {md(text)}")
    todo += [
        f"- {t('section.static', lang)} `{f.code}`: {md(f.message)}"
        + (f" — {md(f.hint)}" if f.hint else "")
        for f in run.findings
    ]
    if todo:
        lines += ["", f"**{t('section.todo', lang)}**", "", *todo]
    return [*lines, ""]


def _machine(report: Report, lang: Lang) -> list[str]:
    record = report.record
    fp = record.fingerprint
    gpu = (
        md(f"{fp.gpu_name} ({t('machine.driver', lang)} {fp.gpu_driver}, CUDA {fp.cuda})")
        if fp.gpu_name
        else t("machine.none", lang)
    )
    versions = md(", ".join(f"{k} {v}" for k, v in sorted(fp.versions.items())))
    settings = md(", ".join(f"{k} {v}" for k, v in record.settings.items()))
    commit = f", {t('machine.commit', lang)} {md(record.commit[:12])}" if record.commit else ""
    cpu = t("machine.cpu-line", lang, cores=str(fp.cores), threads=str(fp.threads))
    return [
        "<details>",
        f"<summary>{t('section.machine', lang)}</summary>",
        "",
        f"- {t('machine.cpu', lang)}: {md(fp.cpu_model)}; {cpu}",
        f"- {t('machine.gpu', lang)}: {gpu}",
        f"- {t('machine.versions', lang)}: {versions}",
        f"- {t('machine.settings', lang)}: {settings}",
        f"- {t('machine.manifest', lang)}: {md(record.manifest_path)}, sha256 "
        f"`{record.manifest_sha256[:12]}`{commit}; {md(record.created_at)}",
        *_shards(record, lang),
        "",
        "</details>",
        "",
    ]


def _shards(record: VerificationRecord, lang: Lang) -> list[str]:
    """Which runner measured what, when the runs were fanned out."""
    if len(record.shards) < 2:
        return []
    lines = []
    for shard in record.shards:
        params = {
            "index": str(shard.index),
            "of": str(shard.of),
            "runs": ", ".join(md(label) for label in shard.runs) or "—",
        }
        if shard.fingerprint is None:
            lines.append(f"- {t('machine.shard-missing', lang, **params)}")
            continue
        fp = shard.fingerprint
        lines.append(
            f"- {t('machine.shard', lang, **params)}: {md(fp.cpu_model)}"
            + (f", {md(fp.gpu_name)}" if fp.gpu_name else "")
        )
    return lines


def markdown(
    report: Report, lang: Lang, plot: str | None = None, late_after: str | None = None
) -> str:
    lines = [
        marker(report),
        f"## {t('verdict.' + report.verdict, lang)} · {md(report.team)} "
        f"{t('homework', lang)}-{report.homework}",
        "",
        t("headline." + report.verdict, lang),
        "",
    ]
    if report.manifest_changed:
        lines += [f"> {t('cause.manifest-changed', lang)}", ""]
    if late_after:
        lines += [f"> {t('late', lang, deadline=md(late_after))}", ""]
    for finding in report.findings:
        lines.append(f"- {t('section.static', lang)} `{finding.code}`: {md(finding.message)}")
    if report.findings:
        lines.append("")
    for run in report.runs:
        lines += _run_markdown(run, report, lang)
    if plot:
        lines += [f"![{t('section.plot', lang)}]({plot})", ""]
    lines += _machine(report, lang)
    return "\n".join(lines)


def _as_number(text: str) -> float | None:
    """`41.2` -> 41.2, `2.0%` -> 0.02; None for what is not a number."""
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None


def tolerance_numbers(text: str) -> dict[str, Any] | None:
    """The judge's tolerance as numbers: `±5%` is relative 0.05, `±0.025` absolute 0.025,
    `×0.75…×1.56` the speed-up interval [0.75, 1.56]; None when nothing was judged."""
    if text.startswith("×") and "…" in text:
        low, high = (_as_number(side.strip().removeprefix("×")) for side in text.split("…", 1))
        return {"speedup": [low, high]} if low is not None and high is not None else None
    value = text.removeprefix("±").strip()
    number = _as_number(value)
    if number is None:
        return None
    return {"relative": number} if value.endswith("%") else {"absolute": number}


def spread_numbers(spread: dict[str, str]) -> dict[str, Any] | None:
    """`{"p90": "41.2", "cv": "2.0%", "n": "120"}` as numbers: 41.2, 0.02, 120. A key that
    names a kind (`"kind": "rounds"`) stays the word it is."""
    out: dict[str, Any] = {}
    for key, text in spread.items():
        number = _as_number(text)
        if number is None:
            out[key] = text
        elif key in ("n", "rounds"):
            out[key] = int(number)
        else:
            out[key] = number
    return out or None


def as_json(report: Report, lang: Lang) -> dict[str, Any]:
    """The report for machines: numbers as numbers, words only in `*_text` and `message`."""

    def cell(c: Cell) -> dict[str, Any]:
        return {
            "metric": c.metric,
            "reported": c.reported,
            "reproduced": c.reproduced,
            "delta": c.delta,
            "tolerance": tolerance_numbers(c.judgement.tolerance),
            "tolerance_basis": c.judgement.basis,
            "tolerance_text": tolerance_text(c, lang) if c.judgement.tolerance else None,
            "verdict": c.verdict,
            "cause": c.judgement.cause,
            "message": cause_text(c, lang),
            "spread": spread_numbers(c.spread),
            "counts": c.counts,
        }

    return {
        "version": REPORT_VERSION,
        "lang": lang,
        "team": report.team,
        "homework": report.homework,
        "verdict": report.verdict,
        "metric": report.metric,
        "manifest_changed": report.manifest_changed,
        "runs": [
            {
                "label": r.label,
                "method": r.method,
                "status": r.status,
                "verdict": r.verdict,
                "error": r.error,
                "cells": [cell(c) for c in r.cells],
                "findings": [json_v1.as_dict(f) for f in r.findings],
            }
            for r in report.runs
        ],
        "findings": [json_v1.as_dict(f) for f in report.findings],
        "fingerprint": report.record.fingerprint.model_dump(),
        "settings": report.record.settings,
    }


def json_text(report: Report, lang: Lang) -> str:
    return log_json(json.dumps(as_json(report, lang), indent=2, ensure_ascii=False)) + "\n"


def workflow_commands(report: Report, doc: Document | None, path: str, lang: Lang) -> list[str]:
    """Workflow commands on the manifest line of each reported value that did not hold."""
    out = []
    for run in report.runs:
        for cell in run.cells:
            if cell.verdict not in ("mismatch", "run-failed"):
                continue
            mark = doc.mark(cell.loc) if doc else None
            body = f"{run.label}: {_number(cell.reported)} vs {_number(cell.reproduced)}. " + (
                cause_text(cell, lang) or ""
            )
            out.append(
                command(
                    "error",
                    body,
                    file=path,
                    line=mark.line if mark else None,
                    col=mark.col if mark else None,
                    title=f"mcv compare: {cell.metric} {cell.verdict}",
                )
            )
    return out
