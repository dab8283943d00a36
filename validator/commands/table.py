"""`mcv table`: regenerate the README leaderboard between its markers; `--check` for CI."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from validator.config import load_config
from validator.escape import log_text
from validator.leaderboard import readme
from validator.leaderboard.pareto import draw, file_name, groups
from validator.leaderboard.table import collect, markdown


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "table",
        help="regenerate the leaderboard in README between its markers",
        description="Rebuild the leaderboard from submissions/ and results/ and write it "
        "between <!-- leaderboard:start --> and <!-- leaderboard:end -->; nothing outside "
        "the markers changes.",
    )
    parser.add_argument("readme", metavar="README", type=Path)
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 when the README is out of date"
    )
    parser.add_argument("--lang", choices=("ru", "en"))
    parser.add_argument("--config", type=Path, metavar="FILE")
    parser.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="folder holding submissions/ and results/ (default: README's)",
    )
    parser.add_argument(
        "--plots",
        type=Path,
        metavar="DIR",
        default=Path("docs/leaderboard"),
        help="where the Pareto plots go, relative to the root",
    )
    parser.add_argument("--no-plots", action="store_true", help="neither draw nor link plots")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = args.root or args.readme.parent
    config = load_config(args.config)
    lang = args.lang or config.course.lang
    rows, _, skipped = collect(root, config)
    for line in skipped:
        print(log_text(f"mcv table: {line}"), file=sys.stderr)
    folder = root / args.plots
    links = (
        {}
        if args.no_plots
        else {
            key: os.path.relpath(folder / file_name(*key), args.readme.parent).replace(os.sep, "/")
            for key in groups(rows)
        }
    )
    body = markdown(rows, config, lang, links)
    if args.check:
        if readme.up_to_date(args.readme, body):
            print(f"{args.readme}: leaderboard up to date", file=sys.stderr)
            return 0
        print(
            f"{args.readme}: leaderboard out of date; run `mcv table {args.readme}`",
            file=sys.stderr,
        )
        return 1
    if not args.no_plots:
        draw(rows, folder, lang)
    changed = readme.regenerate(args.readme, body)
    print(
        f"{args.readme}: {'rewritten' if changed else 'already up to date'} ({len(rows)} rows)",
        file=sys.stderr,
    )
    return 0
