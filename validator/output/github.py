"""For GitHub Actions: workflow commands that annotate the PR diff, plus a job summary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO

from validator.findings import Finding, Summary


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(finding: Finding) -> str:
    props = []
    if finding.file:
        props.append(f"file={escape_property(finding.file)}")
        if finding.line:
            props += [f"line={finding.line}", f"col={finding.col or 1}"]
    props.append(f"title={escape_property(f'{finding.code} {finding.rule}')}")
    body = finding.message + (f"\nfix: {finding.hint}" if finding.hint else "")
    return f"::{finding.severity.value} {','.join(props)}::{escape_data(body)}"


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


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
        where = f"`{f.file}:{f.line}`" if f.file and f.line else (f"`{f.file}`" if f.file else "PR")
        rows.append(
            f"| {mark} | {_cell(where)} | {f.code} | {_cell(f.message)} | {_cell(f.hint)} |"
        )
    return head + "\n".join(rows) + "\n"


def render(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    for finding in findings:
        stream.write(command(finding) + "\n")
    stream.write(f"mcv check: {summary.errors} error(s), {summary.warnings} warning(s)\n")
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(summary_markdown(findings, summary))
