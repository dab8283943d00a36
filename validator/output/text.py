"""For people at a terminal: grouped by file, sorted by line, coloured on a TTY."""

from __future__ import annotations

import os
from itertools import groupby
from typing import TextIO

from validator.escape import log_text
from validator.findings import Finding, Summary

_RESET = "\033[0m"
_STYLE = {
    "error": "\033[1;31m",
    "warning": "\033[33m",
    "file": "\033[1m",
    "dim": "\033[2m",
    "ok": "\033[32m",
}


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or (hasattr(stream, "isatty") and stream.isatty())


def render(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    colour = use_colour(stream)

    def paint(style: str, text: str) -> str:
        return f"{_STYLE[style]}{text}{_RESET}" if colour else text

    for file, group in groupby(findings, key=lambda f: f.file or ""):
        stream.write(paint("file", log_text(file or "pull request")) + "\n")
        for finding in group:
            where = f"{finding.line}:{finding.col}" if finding.line else "-"
            severity = finding.severity.value
            stream.write(
                f"  {where:>7}  {paint(severity, f'{severity:<7}')}  "
                f"{paint('dim', finding.code)}  {log_text(finding.message)}\n"
            )
            for number, line in enumerate(finding.hint.splitlines()):  # ours: one fix a line
                hint = paint("dim", ("fix: " if number == 0 else "     ") + log_text(line))
                stream.write(f"  {'':>7}  {'':<7}  {'':<6}  {hint}\n")
        stream.write("\n")
    checked = f"{len(summary.files)} file{'s' if len(summary.files) != 1 else ''}"
    if summary.errors or summary.warnings:
        style = "error" if summary.errors else "warning"
        stream.write(
            paint(
                style, f"{_plural(summary.errors, 'error')}, {_plural(summary.warnings, 'warning')}"
            )
            + f" in {checked}\n"
        )
    else:
        stream.write(paint("ok", "no problems") + f" in {checked}\n")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
