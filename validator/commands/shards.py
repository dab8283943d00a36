"""`mcv shards`: how the reproduce workflow splits one submission over the course's runners."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from validator.config import load_config
from validator.errors import UserError
from validator.escape import log_text
from validator.manifest.load import load, require
from validator.shards import count, plan


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "shards",
        help="split a manifest's runs over several runners (for a workflow matrix)",
        description="Print the shards a manifest's runs fan out to, as a JSON list of "
        '"K/N" for `mcv reproduce --shard`. Each shard runs the original too, so every '
        "speed-up is timed against an original on its own machine. The number of runners "
        "comes from --runners, else [runners] count in the course config (default 1).",
    )
    parser.add_argument("manifest", metavar="MANIFEST", type=Path)
    parser.add_argument("--runners", type=int, metavar="N", help="runners available")
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="course config (default: .github/mcv.toml)"
    )
    parser.add_argument(
        "--explain", action="store_true", help="also list each shard's runs, on stderr"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    manifest, _ = require(load(args.manifest), str(args.manifest))
    runners = args.runners if args.runners is not None else load_config(args.config).runners.count
    if runners < 1:
        raise UserError(f"--runners {runners}: at least one runner is needed")
    of = count(manifest, runners)
    print(json.dumps([f"{k}/{of}" for k in range(1, of + 1)]))
    if args.explain:
        for k, labels in enumerate(plan(manifest, of), start=1):
            print(log_text(f"{k}/{of}: {', '.join(labels)}"), file=sys.stderr)
    return 0
