"""A finding is a value: where, what, how to fix. Rules return them; renderers print them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

Loc = tuple[str | int, ...]

DOCS_URL = "docs/reference/checks.md"  # every code has an anchor in its checks table


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    code: str  # stable: "MCV401"
    rule: str  # stable slug: "copied-from-baseline"
    severity: Severity
    message: str  # what is wrong
    hint: str = ""  # how to fix it
    file: str | None = None
    loc: Loc = ()  # path inside the document; mapped to line/col by `locate`
    line: int | None = None  # 1-based
    col: int | None = None  # 1-based

    @property
    def docs(self) -> str:
        return f"{DOCS_URL}#{self.code.lower()}"

    @property
    def loc_text(self) -> str:
        return format_loc(self.loc)

    def at(self, line: int, col: int) -> Finding:
        return replace(self, line=line, col=col)


def format_loc(loc: Loc) -> str:
    """('runs', 1, 'reported') -> 'runs[1].reported'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Summary:
    errors: int = 0
    warnings: int = 0
    files: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, findings: Iterable[Finding], files: Iterable[str] = ()) -> Summary:
        summary = cls(files=set(files))
        for finding in findings:
            if finding.severity is Severity.ERROR:
                summary.errors += 1
            else:
                summary.warnings += 1
        return summary


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return (finding.file or "", finding.line or 0, finding.col or 0, finding.code)


@dataclass(frozen=True)
class RuleInfo:
    code: str  # "MCV401"
    id: str  # "copied-from-baseline"
    summary: str  # one line for the docs table
    severity: Severity = Severity.ERROR

    def finding(
        self,
        file: str | None,
        loc: Loc,
        message: str,
        hint: str = "",
        severity: Severity | None = None,
        line: int | None = None,
    ) -> Finding:
        return Finding(
            self.code,
            self.id,
            severity or self.severity,
            message,
            hint,
            file,
            loc,
            line,
            1 if line is not None else None,
        )
