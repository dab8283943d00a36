"""Moved to `validator.config`; kept so that older imports keep working."""

from validator.config import (
    DEFAULT_PATH,
    Course,
    CourseConfig,
    Homework,
    Runners,
    Tolerance,
    load_config,
)

__all__ = [
    "DEFAULT_PATH",
    "Course",
    "CourseConfig",
    "Homework",
    "Runners",
    "Tolerance",
    "load_config",
]
