"""`mcv grades`: the gradebook, a team × homework matrix for the instructor and the LMS."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from validator.compare.config import load_config
from validator.escape import log_text
from validator.findings import Severity
from validator.leaderboard import gradebook
from validator.leaderboard.table import collect
from validator.pipeline import read_teams

_FILE = re.compile(r"^hw-([1-7])\.yaml$")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "grades",
        help="the gradebook: a team × homework matrix",
        description="One row per team (every team of submissions/teams.yml, submitted or "
        "not), one column per homework: not submitted, not reproduced, verified, "
        "discrepancies or incomplete, and whether it was late. --format csv is the matrix "
        "an LMS imports (cells that would start a formula are prefixed with '); rows is one "
        "line per team and homework with the pull request and its date; md is for people.",
    )
    parser.add_argument("--root", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument("--format", choices=("csv", "rows", "md"), default="csv")
    parser.add_argument("--lang", choices=("ru", "en"), help="default: the course's language")
    parser.add_argument("--config", type=Path, metavar="FILE")
    parser.set_defaults(handler=run)


def roster(root: Path) -> dict[str, str | None]:
    """Team slugs and display names from teams.yml; empty (said on stderr) when unreadable."""
    path = root / "submissions" / "teams.yml"
    if not path.is_file():
        return {}
    teams, findings = read_teams(path)
    for finding in findings:
        if finding.severity is Severity.ERROR:
            where = f"{finding.file}:{finding.line}" if finding.line else str(path)
            print(log_text(f"mcv grades: {where}: {finding.message}"), file=sys.stderr)
    if teams is None or any(f.severity is Severity.ERROR for f in findings):
        print(
            log_text(f"mcv grades: {path}: left out; only teams with a manifest are listed"),
            file=sys.stderr,
        )
        return {}
    return {slug: team.name for slug, team in teams.teams.items()}


def handed_in(root: Path) -> list[tuple[str, int]]:
    """Every (team, homework) with a manifest file, readable or not."""
    out = []
    for path in (root / "submissions").glob("*/hw-*.yaml"):
        match = _FILE.match(path.name)
        if match:
            out.append((path.parent.name, int(match[1])))
    return out


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    lang = args.lang or config.course.lang
    _, submissions, skipped = collect(args.root, config)
    for line in skipped:
        print(log_text(f"mcv grades: {line}"), file=sys.stderr)
    book = gradebook.build(
        submissions,
        roster(args.root),
        (int(number) for number in config.homeworks),
        handed_in(args.root),
    )
    if args.format == "csv":
        gradebook.write_csv(book, lang, sys.stdout)
    elif args.format == "rows":
        gradebook.write_rows_csv(book, lang, sys.stdout)
    else:
        sys.stdout.write(gradebook.markdown(book, lang))
    return 0
