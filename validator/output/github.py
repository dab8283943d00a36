"""For GitHub Actions: workflow commands that annotate the PR diff, plus a job summary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from validator.escape import command as workflow_command
from validator.escape import md
from validator.findings import Finding, Summary


def command(finding: Finding) -> str:
    line = finding.line if finding.file else None
    return workflow_command(
        finding.severity.value,
        finding.message + (f"\nfix: {finding.hint}" if finding.hint else ""),
        file=finding.file or None,
        line=line,
        col=(finding.col or 1) if line else None,
        title=f"{finding.code} {finding.rule}",
    )


def summary_markdown(findings: list[Finding], summary: Summary) -> str:
    head = (
        f"### mcv check: {summary.errors} error(s), {summary.warnings} warning(s) "
        f"in {len(summary.files)} file(s)\n\n"
    )
    if not findings:
        return head + "No problems found.\n"
    rows = ["| | where | code | problem | fix |", "|---|---|---|---|---|"]
    for f in findings:
        mark = "❌" if f.severity.value == "error" else "⚠️"
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "PR")
        rows.append(f"| {mark} | {md(where)} | {f.code} | {md(f.message)} | {md(f.hint)} |")
    return head + "\n".join(rows) + "\n"


def render(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    for finding in findings:
        stream.write(command(finding) + "\n")
    stream.write(f"mcv check: {summary.errors} error(s), {summary.warnings} warning(s)\n")
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(summary_markdown(findings, summary))
