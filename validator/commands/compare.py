"""`mcv compare`: reported vs reproduced under the course's tolerance policy."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path, PurePosixPath

from validator.compare import render
from validator.compare.plot import draw
from validator.compare.report import Report, build
from validator.config import load_config
from validator.escape import log_text
from validator.github import artifact
from validator.manifest.load import load, require
from validator.pipeline import check_one, display_path
from validator.rules.base import PullRequest


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "compare",
        help="judge reported numbers against a verification record",
        description="Compare every reported value with the reproduced one under the tolerance "
        "policy (.github/mcv.toml).",
    )
    parser.add_argument("manifest", metavar="MANIFEST", type=Path)
    parser.add_argument(
        "verification",
        metavar="VERIFICATION",
        type=Path,
        help="verification.json written by `mcv reproduce`",
    )
    parser.add_argument("--format", choices=("markdown", "json", "github"), default="markdown")
    parser.add_argument(
        "--lang",
        choices=("ru", "en"),
        help="report language (default: the course config's, else ru)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="course config (default: .github/mcv.toml when it exists)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="also write report.md, report.json and compare.png here",
    )
    parser.set_defaults(handler=run)


def write_outputs(report: Report, out: Path, lang: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    plot = draw(report, out / "compare.png", lang)  # type: ignore[arg-type]
    (out / "report.md").write_text(
        render.markdown(report, lang, plot.name if plot else None),  # type: ignore[arg-type]
        encoding="utf-8",
    )
    (out / "report.json").write_text(
        render.json_text(report, lang),  # type: ignore[arg-type]
        encoding="utf-8",
    )


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    lang = args.lang or config.course.lang
    loaded = load(args.manifest, display_path(args.manifest))
    manifest, doc = require(loaded, str(args.manifest))
    record = artifact.load_file(args.verification)  # data from elsewhere: capped, validated
    where = PurePosixPath(args.manifest.as_posix())
    findings = check_one(loaded, where, PullRequest(), args.manifest)
    report = build(manifest, record, findings, config, doc.sha256)
    if args.out is not None:
        write_outputs(report, args.out, lang)
    if args.format == "json":
        sys.stdout.write(render.json_text(report, lang))
    elif args.format == "github":
        for line in render.workflow_commands(report, doc, display_path(args.manifest), lang):
            print(line)
        target = os.environ.get("GITHUB_STEP_SUMMARY")
        if target:
            with Path(target).open("a", encoding="utf-8") as handle:
                handle.write(render.markdown(report, lang) + "\n")
    else:
        sys.stdout.write(render.markdown(report, lang, "compare.png" if args.out else None))
    for run_report in report.runs:
        print(
            log_text(f"{run_report.verdict:>13}  {run_report.label} ({run_report.method})"),
            file=sys.stderr,
        )
    print(f"mcv compare: {report.verdict}", file=sys.stderr)
    return 0 if report.verdict == "verified" else 1


__all__ = ["json", "run"]
