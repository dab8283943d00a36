"""`mcv check` end to end: read each manifest, validate it, run every rule, locate findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path, PurePosixPath

from validator.config import CourseConfig
from validator.errors import UserError
from validator.findings import Finding, sort_key
from validator.manifest.load import Loaded, load
from validator.manifest.teams import TeamsFile
from validator.manifest.validate import validate
from validator.manifest.yaml_loader import Document, read_yaml
from validator.rules import MANIFEST_RULES, SUBMISSION_RULES
from validator.rules.base import ChangedFile, ManifestContext, PullRequest, SubmissionContext

MAX_CHANGED_FILES = 3000  # GitHub's own cap on a pull request's file list


def display_path(path: Path) -> str:
    """Relative to the working directory when inside it: what GitHub annotations expect."""
    resolved, cwd = path.resolve(), Path.cwd().resolve()
    if resolved.is_relative_to(cwd):
        return resolved.relative_to(cwd).as_posix()
    return path.as_posix()


def expand(paths: Sequence[str]) -> list[Path]:
    """Files as given; a folder stands for every `hw-*.yaml` below it."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.rglob("hw-*.y*ml") if p.is_file())
        elif path.exists():
            found.append(path)
        else:
            raise UserError(f"{raw}: no such file or folder")
    if not found:
        raise UserError(f"no manifests (hw-*.yaml) under {', '.join(paths)}")
    return found


def read_changed_files(path: Path) -> tuple[ChangedFile, ...]:
    """`--changed-files`: one repository-relative path a line, as `git diff --name-only` prints."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UserError(f"--changed-files {path}: {exc.strerror or exc}") from None
    files = tuple(
        ChangedFile(PurePosixPath(line.strip().removeprefix("./")), number)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    )
    if len(files) > MAX_CHANGED_FILES:
        raise UserError(f"--changed-files {path}: more than {MAX_CHANGED_FILES} paths")
    return files


def read_teams(path: Path) -> tuple[TeamsFile | None, list[Finding]]:
    doc, findings = read_yaml(path, display_path(path))
    if doc is None:
        return None, findings
    teams, errors = validate(doc, TeamsFile)
    return teams, findings + errors


def check_manifest(
    path: Path, pr: PullRequest, course: CourseConfig | None = None
) -> tuple[ManifestContext, list[Finding]]:
    display = display_path(path)
    return check_loaded(load(path, display), PurePosixPath(path.as_posix()), pr, path, course)


def check_loaded(
    loaded: Loaded,
    where: PurePosixPath,
    pr: PullRequest,
    on_disk: Path | None = None,
    course: CourseConfig | None = None,
) -> tuple[ManifestContext, list[Finding]]:
    """Every manifest rule on a manifest already read; `where` is its repository path.
    `course`: the course config already read (None: a rule that needs it looks for it)."""
    doc = loaded.document
    display = doc.path if doc is not None else str(where)
    ctx = ManifestContext(
        display,
        where.parent.name,
        where.name,
        doc,
        loaded.manifest,
        pr,
        on_disk,
        loaded.parts,
        course,
    )
    findings = list(loaded.findings)
    for rule in MANIFEST_RULES:
        findings += locate(rule.check(ctx), doc)
    return ctx, findings


def locate(findings: Iterable[Finding], doc: Document | None) -> list[Finding]:
    """Give every finding that has a document path its line and column."""
    out = []
    for finding in findings:
        if finding.line is None and doc is not None and finding.file == doc.path:
            mark = doc.mark(finding.loc)
            finding = finding.at(mark.line, mark.col)
        out.append(finding)
    return out


def run_check(
    paths: Sequence[Path], pr: PullRequest, course: CourseConfig | None = None
) -> list[Finding]:
    """Every finding for these manifests under this pull request, sorted by place."""
    return _with_submission_rules([check_manifest(path, pr, course) for path in paths], pr)


def check_one(
    loaded: Loaded, where: PurePosixPath, pr: PullRequest, on_disk: Path | None = None
) -> list[Finding]:
    """`run_check` for one manifest a command has already loaded: nothing is read twice."""
    return _with_submission_rules([check_loaded(loaded, where, pr, on_disk)], pr)


def _with_submission_rules(
    checked: list[tuple[ManifestContext, list[Finding]]], pr: PullRequest
) -> list[Finding]:
    ctx = SubmissionContext(pr=pr)
    findings: list[Finding] = []
    for manifest_ctx, manifest_findings in checked:
        ctx.manifests.append(manifest_ctx)
        findings += manifest_findings
    for rule in SUBMISSION_RULES:
        findings += rule.check(ctx)
    return sorted(findings, key=sort_key)
