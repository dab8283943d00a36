"""`mcv check`: static checks of manifests and the pull request around them. No model loads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path, PurePosixPath

from pydantic import ValidationError

from validator.config import DEFAULT_PATH as DEFAULT_CONFIG
from validator.config import read_config
from validator.errors import UserError
from validator.findings import Finding, Summary
from validator.github.provenance import PullRecord
from validator.output import RENDERERS
from validator.pipeline import display_path, expand, read_changed_files, read_teams, run_check
from validator.rules.base import ChangedFile, PullRequest
from validator.schema_errors import summary as in_words

DEFAULT_TEAMS = Path("submissions/teams.yml")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="static checks: schema, title, team, paths, plausibility",
        description="Check submission manifests without loading any model.",
    )
    parser.add_argument(
        "manifests",
        nargs="+",
        metavar="MANIFEST",
        help="manifest files, or folders to search for hw-*.yaml",
    )
    parser.add_argument("--pr-title", metavar="T", help="the pull request's title")
    parser.add_argument(
        "--changed-files",
        metavar="F",
        type=Path,
        help="file listing the PR's changed paths, one a line",
    )
    parser.add_argument("--author", metavar="LOGIN", help="the PR author's GitHub login")
    parser.add_argument(
        "--teams",
        metavar="FILE",
        type=Path,
        help=f"team registry (default: {DEFAULT_TEAMS} when it exists)",
    )
    parser.add_argument(
        "--pull",
        metavar="FILE",
        type=Path,
        help="pull.json from `mcv fetch-manifest`: the PR's title, author and changed files "
        "as the API gave them (instead of --pr-title, --author and --changed-files)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help=f"course config to check too (default: {DEFAULT_CONFIG} when it exists)",
    )
    parser.add_argument(
        "--format", choices=sorted(RENDERERS), default="text", help="output format (default: text)"
    )
    parser.set_defaults(handler=run)


def _from_pull(path: Path) -> tuple[str, str, tuple[ChangedFile, ...]]:
    try:
        pull = PullRecord.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise UserError(f"--pull {path}: not a pull record: {in_words(exc)}") from None
    except OSError as exc:
        raise UserError(f"--pull {path}: cannot read it: {exc.strerror or exc}") from None
    files = tuple(
        ChangedFile(PurePosixPath(name), line)
        for line, name in enumerate(pull.changed_files, start=1)
    )
    return pull.title, pull.author, files


def run(args: argparse.Namespace) -> int:
    paths = expand(args.manifests)
    findings: list[Finding] = []
    teams_path: Path | None = args.teams or (DEFAULT_TEAMS if DEFAULT_TEAMS.is_file() else None)
    teams = None
    if teams_path is not None:
        teams, teams_findings = read_teams(teams_path)
        findings += teams_findings
    title, author = args.pr_title, args.author
    changed = read_changed_files(args.changed_files) if args.changed_files else None
    source = str(args.changed_files) if args.changed_files else None
    if args.pull is not None:
        if title is not None or author is not None or changed is not None:
            raise UserError("--pull gives the title, author and changed files; drop the others")
        title, author, changed = _from_pull(args.pull)
        source = f"{args.pull} (changed_files)"
    pr = PullRequest(
        title=title,
        changed_files=changed,
        changed_files_source=source,
        author=author,
        teams=teams,
        teams_source=str(teams_path) if teams_path else None,
    )
    config_path = args.config or (DEFAULT_CONFIG if DEFAULT_CONFIG.is_file() else None)
    course = None
    if config_path is not None:  # a course's typo shows here, not first in `reproduce`
        course, problems = read_config(config_path, display_path(config_path))
        findings += problems
    findings += run_check(paths, pr, course if args.config else None)
    summary = Summary.of(findings, files=(str(p) for p in paths))
    RENDERERS[args.format](findings, summary, sys.stdout)
    return 1 if summary.errors else 0
