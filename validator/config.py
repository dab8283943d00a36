"""The course config, `.github/mcv.toml`: tolerances and the report's language.

Validated like a manifest: unknown keys and wrong types are findings with their key path,
the line they are on and the close key meant (`latancy_rel` -> `latency_rel`).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from validator.errors import UserError
from validator.findings import Finding, Loc, format_loc
from validator.manifest.base import StrictModel
from validator.manifest.loading import COURSE_CONFIG
from validator.schema_errors import describe

DEFAULT_PATH = Path(".github/mcv.toml")


class Tolerance(StrictModel):
    size_rel: float = Field(0.05, gt=0, le=1, description="Relative, for size_mb.")
    quality_floor: float = Field(
        0.005, ge=0, le=1, description="Absolute floor for fraction metrics."
    )
    error_rate_floor: float = Field(0.01, ge=0, le=1, description="Absolute floor for WER/CER.")
    bleu_abs: float = Field(0.5, ge=0, le=100, description="Absolute, BLEU/chrF points.")
    perplexity_rel: float = Field(0.02, ge=0, le=1, description="Relative, for perplexity.")
    latency_rel: float = Field(
        0.2,
        gt=0,
        le=5,
        description="Floor on top of the measured interval and drift: latency, same hardware.",
    )
    speedup_rel: float = Field(
        0.35,
        gt=0,
        le=5,
        description="Floor widening the measured speed-up interval, each side (relative).",
    )
    latency_band: float = Field(
        2.0,
        ge=1.1,
        le=100,
        description="Plausibility band: a latency or speed-up off by less than this factor "
        "but outside the measured interval is not resolved here (grey), not a discrepancy.",
    )
    memory_rel: float = Field(0.5, gt=0, le=10, description="Relative, for RAM and VRAM.")
    cv_widening: float = Field(
        1.0, ge=0, le=10, description="Older records (no interval): at least this many CVs."
    )


class Course(StrictModel):
    lang: Literal["ru", "en"] = "ru"
    name: str | None = None
    custom_recipes: bool = Field(
        False, description="Allow teams' own recipe scripts; they run only inside the sandbox."
    )
    remote_code: bool = Field(
        False,
        description="Allow models with custom code (`auto_map`, e.g. GigaAM) at a pinned "
        "commit; their code runs only inside the sandboxed worker.",
    )


class Homework(StrictModel):
    title: str | None = Field(None, max_length=200)
    deadline: datetime | None = Field(
        None, description="A PR opened after this (ISO 8601, with a time zone) is late."
    )


class Runners(StrictModel):
    count: int = Field(
        1,
        ge=1,
        le=64,
        description="Reproduce runners the course has; above 1, a submission's runs are "
        "fanned out over them (each shard also times the original).",
    )


class CourseConfig(StrictModel):
    course: Course = Field(default_factory=Course)
    runners: Runners = Field(default_factory=Runners)
    tolerance: Tolerance = Field(default_factory=Tolerance)
    homeworks: dict[Annotated[str, Field(pattern=r"^[1-7]$")], Homework] = Field(
        default_factory=dict, description="Per homework number: title and deadline."
    )

    def homework(self, number: int) -> Homework:
        return self.homeworks.get(str(number), Homework())


MAX_BYTES = 64 * 1024
_TABLE = re.compile(r"^\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^(?P<key>[A-Za-z0-9_.\"' -]+?)\s*=")
_TOML_PLACE = re.compile(r"\(at line (?P<line>\d+), column (?P<col>\d+)\)")


def _dotted(key: str) -> Loc:
    return tuple(part.strip().strip("\"'") for part in key.split("."))


def key_lines(text: str) -> dict[Loc, int]:
    """The line each table and key is written on: tomllib keeps no positions."""
    lines: dict[Loc, int] = {}
    table: Loc = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if (match := _TABLE.match(stripped)) is not None:
            table = _dotted(match["key"])
            lines.setdefault(table, number)
        elif (match := _ASSIGN.match(stripped)) is not None:
            lines.setdefault((*table, *_dotted(match["key"])), number)
    return lines


def _keys_at(loc: Loc) -> list[str]:
    """The keys a config table at `loc` may have (a homework's number is any key)."""
    current: Any = CourseConfig
    for part in loc:
        if current is CourseConfig and part == "homeworks":
            current = dict
        elif current is dict:
            current = Homework
        elif isinstance(current, type) and issubclass(current, BaseModel):
            current = (
                current.model_fields[str(part)].annotation if part in current.model_fields else None
            )
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _config_finding(display: str, lines: dict[Loc, int], err: Any) -> Finding:
    loc = tuple(part for part in err["loc"] if part != "[key]")
    message, hint = describe(err, loc)
    if loc[:1] == ("homeworks",) and err["type"] == "string_pattern_mismatch":
        message = f"[homeworks.{loc[1]}] is not a homework"
        hint = "a homework's table is `[homeworks.N]` with N from 1 to 7"
    elif err["type"] == "extra_forbidden":
        allowed = _keys_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = (f"did you mean `{close[0]}`? " if close else "") + (
            f"allowed in [{format_loc(loc[:-1])}]: {', '.join(allowed)}" if allowed else "remove it"
        )
    place = loc
    while place and place not in lines:
        place = place[:-1]
    return COURSE_CONFIG.finding(display, loc, message, hint, line=lines.get(place))


def _parse(text: str, display: str) -> tuple[dict[str, Any] | None, list[Finding]]:
    try:
        return tomllib.loads(text), []
    except tomllib.TOMLDecodeError as exc:
        place = _TOML_PLACE.search(str(exc))
        message = f"not valid TOML: {_TOML_PLACE.sub('', str(exc)).strip()}"
        finding = COURSE_CONFIG.finding(
            display, (), message, "`mcv doctor --course` prints an example config"
        )
        return None, [finding.at(int(place["line"]), int(place["col"])) if place else finding]


def read_config(
    path: Path, display: str | None = None
) -> tuple[CourseConfig | None, list[Finding]]:
    """The config at `path` and its problems as located findings (never raised)."""
    display = display or path.as_posix()
    try:
        if path.stat().st_size > MAX_BYTES:  # a pull request's copy is read too
            return None, [COURSE_CONFIG.finding(display, (), f"larger than {MAX_BYTES} bytes")]
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return None, [COURSE_CONFIG.finding(display, (), f"cannot read it: {reason}")]
    data, findings = _parse(text, display)
    if data is None:
        return None, findings
    try:
        return CourseConfig.model_validate(data), []
    except ValidationError as exc:
        lines = key_lines(text)
        return None, [_config_finding(display, lines, err) for err in exc.errors(include_url=False)]


def load_config(path: Path | None) -> CourseConfig:
    """The config at `path`, the default place if it exists, else the defaults."""
    target = path or (DEFAULT_PATH if DEFAULT_PATH.is_file() else None)
    if target is None:
        return CourseConfig()
    config, findings = read_config(target)
    if config is None:
        shown = [
            f"{f.file}:{f.line}: {f.message}" + (f" ({f.hint})" if f.hint else "")
            if f.line
            else f"{f.file}: {f.message}"
            for f in findings[:5]
        ]
        more = f" (and {len(findings) - 5} more)" if len(findings) > 5 else ""
        raise UserError("; ".join(shown) + more)
    return config


def example_toml() -> str:
    """Every key of the course config with its default and what it means."""
    out = ["# .github/mcv.toml: every key is optional; these are the defaults."]
    for table, model in (("course", Course), ("runners", Runners), ("tolerance", Tolerance)):
        out += ["", f"[{table}]"]
        for name, info in model.model_fields.items():
            if info.default is None:
                continue
            value = info.default
            text = (
                f'"{value}"'
                if isinstance(value, str)
                else str(value).lower()
                if isinstance(value, bool)
                else str(value)
            )
            out.append(f"{name} = {text}" + (f"  # {info.description}" if info.description else ""))
    out += [
        "",
        "# [homeworks.2]",
        '# title = "Quantization and pruning"',
        "# deadline = 2026-10-15T23:59:00+03:00",
    ]
    return "\n".join(out) + "\n"
