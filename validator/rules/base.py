"""What a rule is, and what it is given to look at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Protocol

from validator.findings import Finding, RuleInfo

__all__ = [
    "ChangedFile",
    "ManifestContext",
    "ManifestRule",
    "PullRequest",
    "RuleInfo",
    "SubmissionContext",
    "SubmissionRule",
]
from validator.manifest.parts import Parts
from validator.manifest.schema import Manifest
from validator.manifest.teams import TeamsFile
from validator.manifest.yaml_loader import Document

if TYPE_CHECKING:
    from validator.config import CourseConfig


@dataclass(frozen=True)
class ChangedFile:
    path: PurePosixPath
    line: int  # where it is listed in the --changed-files file


@dataclass(frozen=True)
class PullRequest:
    """What `mcv check` was told about the pull request; every part is optional."""

    title: str | None = None
    changed_files: tuple[ChangedFile, ...] | None = None
    changed_files_source: str | None = None
    author: str | None = None
    teams: TeamsFile | None = None
    teams_source: str | None = None


@dataclass
class ManifestContext:
    display: str  # the path as findings show it
    folder: str  # name of the folder holding the manifest
    filename: str
    document: Document | None
    manifest: Manifest | None  # None when loading or the schema failed
    pr: PullRequest
    path: Path | None = None  # the file on disk, for rules that look at the team's folder
    parts: Parts = field(default_factory=Parts)  # what validates, even when the whole does not
    course: CourseConfig | None = None  # the course config `mcv check --config` read; None: look


@dataclass
class SubmissionContext:
    manifests: list[ManifestContext] = field(default_factory=list)
    pr: PullRequest = field(default_factory=PullRequest)


class ManifestRule(Protocol):
    INFO: RuleInfo

    def check(self, ctx: ManifestContext) -> Iterable[Finding]: ...


class SubmissionRule(Protocol):
    INFO: RuleInfo

    def check(self, ctx: SubmissionContext) -> Iterable[Finding]: ...
