"""`mcv import`: a season of hand-written README tables -> records or draft manifests."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import yaml

from validator.errors import UserError
from validator.escape import log_text
from validator.importer.drafts import drafts
from validator.importer.records import ImportResult, import_markdown

MAX_BYTES = 5 * 2**20


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "import",
        help="turn hand-written Markdown results tables into records or manifests",
        description="Read every results table in a Markdown file. Prints records (sizes in MB, "
        "times in ms per sample, quality as fractions); with --out, writes one draft manifest "
        "per model.",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="a Markdown file, e.g. README.md")
    parser.add_argument(
        "--format",
        choices=("json", "yaml"),
        default="json",
        help="format of the records on stdout (default: json)",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=Path,
        help="write draft manifests here instead of printing records",
    )
    parser.add_argument("--team", help="team name to put in the drafts")
    parser.add_argument(
        "--homework",
        type=int,
        choices=range(1, 8),
        metavar="N",
        help="homework number (1..7) to put in the drafts",
    )
    parser.set_defaults(handler=run)


def read_markdown(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise UserError(f"{path}: larger than {MAX_BYTES // 2**20} MiB; is it Markdown?")
    if b"\x00" in raw:
        raise UserError(f"{path}: a binary file, not Markdown")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        print(
            f"{path}: not valid UTF-8 at byte {exc.start}; unreadable bytes replaced",
            file=sys.stderr,
        )
        return raw.decode("utf-8", errors="replace")


def report(path: Path, result: ImportResult) -> None:
    for item in sorted(result.skipped, key=lambda p: p.line):
        print(log_text(f"{path}:{item.line}: skipped {item.message}"), file=sys.stderr)
    for item in sorted(result.problems, key=lambda p: p.line):
        print(log_text(f"{path}:{item.line}: cannot read {item.message}"), file=sys.stderr)


def write_drafts(args: argparse.Namespace, result: ImportResult) -> None:
    items = drafts(result.records, args.file.name, args.team, args.homework)
    targets = [args.out / f"{item.slug}.yaml" for item in items]
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        raise UserError(f"would overwrite {', '.join(existing)}; choose another --out")
    args.out.mkdir(parents=True, exist_ok=True)
    for item, target in zip(items, targets, strict=True):
        target.write_text(item.text, encoding="utf-8")
        print(f"wrote {target}: fill in {', '.join(item.missing)}")


def run(args: argparse.Namespace) -> int:
    result = import_markdown(read_markdown(args.file))
    report(args.file, result)
    if not result.records:
        print(f"{args.file}: no results table found", file=sys.stderr)
        return 1
    if args.out is not None:
        write_drafts(args, result)
    else:
        records = [record.as_json() for record in result.records]
        if args.format == "json":
            json.dump(records, sys.stdout, indent=2, ensure_ascii=False)
            sys.stdout.write("\n")
        else:
            yaml.safe_dump(records, sys.stdout, allow_unicode=True, sort_keys=False)
    return 1 if result.problems else 0
