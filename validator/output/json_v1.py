"""For machines: a frozen, versioned shape. Add keys in a new version, never change these."""

from __future__ import annotations

import json
from typing import Any, TextIO

from validator.escape import log_json
from validator.findings import Finding, Summary

VERSION = 1


def as_dict(finding: Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "rule": finding.rule,
        "severity": finding.severity.value,
        "file": finding.file,
        "line": finding.line,
        "col": finding.col,
        "loc": finding.loc_text or None,
        "message": finding.message,
        "hint": finding.hint or None,
        "docs": finding.docs,
    }


def render(findings: list[Finding], summary: Summary, stream: TextIO) -> None:
    document = {
        "version": VERSION,
        "findings": [as_dict(f) for f in findings],
        "summary": {
            "errors": summary.errors,
            "warnings": summary.warnings,
            "files": sorted(summary.files),
        },
    }
    stream.write(log_json(json.dumps(document, indent=2, ensure_ascii=False)) + "\n")
