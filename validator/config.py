"""The course config, `.github/mcv.toml`: tolerances and the report's language.

Validated like a manifest: unknown keys and wrong types are errors with their key path.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError

from validator.errors import UserError
from validator.manifest.base import StrictModel
from validator.schema_errors import summary

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
        0.2, gt=0, le=5, description="Relative, latency on the same hardware."
    )
    speedup_rel: float = Field(
        0.25, gt=0, le=5, description="Relative, speed-up vs the original elsewhere."
    )
    memory_rel: float = Field(0.5, gt=0, le=10, description="Relative, for RAM and VRAM.")
    cv_widening: float = Field(
        1.0, ge=0, le=10, description="Latency tolerance is at least this many CVs."
    )


class Course(StrictModel):
    lang: Literal["ru", "en"] = "ru"
    name: str | None = None
    custom_recipes: bool = Field(
        False, description="Allow teams' own recipe scripts; they run only inside the sandbox."
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


def load_config(path: Path | None) -> CourseConfig:
    """The config at `path`, the default place if it exists, else the defaults."""
    target = path or (DEFAULT_PATH if DEFAULT_PATH.is_file() else None)
    if target is None:
        return CourseConfig()
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{target}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UserError(f"{target}: not valid TOML: {exc}") from None
    try:
        return CourseConfig.model_validate(data)
    except ValidationError as exc:
        raise UserError(f"{target}: {summary(exc, limit=10)}") from None
