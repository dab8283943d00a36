"""The check run (or, where a check run cannot be created, a commit status) for a report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from validator.compare.render import cause_text
from validator.compare.report import Report
from validator.compare.strings import Lang, t
from validator.escape import one_line
from validator.manifest.yaml_loader import Document

NAME = "mcv / reproduced metrics"
MAX_ANNOTATIONS = 50  # GitHub's limit per request
MAX_TEXT = 65_000  # GitHub caps summary and text at 65535 characters
CONCLUSION = {"verified": "success", "discrepancies": "failure", "incomplete": "neutral"}
STATE = {"verified": "success", "discrepancies": "failure", "incomplete": "success"}


@dataclass
class CheckRun:
    name: str
    head_sha: str
    conclusion: str
    title: str
    summary: str
    text: str = ""
    annotations: list[dict[str, Any]] = field(default_factory=list)


def check_run(
    report: Report,
    head_sha: str,
    manifest_path: str,
    doc: Document | None,
    markdown: str,
    lang: Lang,
) -> CheckRun:
    annotations = []
    for run in report.runs:
        for cell in run.cells:
            if cell.verdict not in ("mismatch", "run-failed"):
                continue
            mark = doc.mark(cell.loc) if doc else None
            line = mark.line if mark else 1
            annotations.append(
                {
                    "path": manifest_path,
                    "start_line": line,
                    "end_line": line,
                    "annotation_level": "failure",
                    # plain text on GitHub's side: one line each, so nothing is laid out
                    "title": one_line(f"{run.label}: {cell.metric} {cell.verdict}")[:255],
                    "message": one_line(cause_text(cell, lang) or cell.verdict)[:64_000],
                }
            )
    title = one_line(f"{t('verdict.' + report.verdict, lang)} · {_slot(report, lang)}")
    return CheckRun(
        NAME,
        head_sha,
        CONCLUSION[report.verdict],
        title[:255],
        t("headline." + report.verdict, lang)[:MAX_TEXT],
        markdown[:MAX_TEXT],
        annotations[:MAX_ANNOTATIONS],
    )


def _slot(report: Report, lang: Lang) -> str:
    """`ml_masters HW-2`, or `ml_masters ДЗ-2` in a Russian course."""
    return f"{report.team} {t('homework', lang)}-{report.homework}"


def status(report: Report, lang: Lang) -> tuple[str, str]:
    """(state, description) for the commit-status fallback; descriptions stop at 140."""
    description = one_line(f"{t('verdict.' + report.verdict, lang)}: {_slot(report, lang)}")
    return STATE[report.verdict], description[:140]
