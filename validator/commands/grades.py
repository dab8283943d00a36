"""`mcv grades`: one row per team and homework, for the instructor."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from validator.compare.config import load_config
from validator.escape import log_text, md
from validator.leaderboard.table import collect

FIELDS = ("team", "homework", "verdict", "pull_request", "date", "late")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "grades",
        help="the gradebook: verdict, PR and date per team",
        description="One row per team and homework with the verdict, "
        "the pull request and its date, and whether it was late.",
    )
    parser.add_argument("--root", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument("--format", choices=("csv", "md"), default="csv")
    parser.add_argument("--config", type=Path, metavar="FILE")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _, submissions, skipped = collect(args.root, load_config(args.config))
    for line in skipped:
        print(log_text(f"mcv grades: {line}"), file=sys.stderr)
    ordered = sorted(submissions, key=lambda s: (s.team, s.homework))
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(FIELDS)
        for s in ordered:
            writer.writerow(
                [
                    s.team,
                    s.homework,
                    s.verdict,
                    s.pull_request or "",
                    s.date or "",
                    "yes" if s.late else "no",
                ]
            )
        return 0
    print("| " + " | ".join(FIELDS) + " |")
    print("|" + "---|" * len(FIELDS))
    for s in ordered:
        print(
            f"| {md(s.team)} | {s.homework} | {s.verdict} | {md(s.pull_request or '—')} | "
            f"{md(s.date or '—')} | {'yes' if s.late else 'no'} |"
        )
    return 0
