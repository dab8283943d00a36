"""`mcv toolchains`: list the environments runs' workers use, and build them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from runner import toolchains
from runner.errors import RunnerError
from validator.errors import UserError
from validator.escape import log_block


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "toolchains",
        help="list or build the environments recipes run in (core, optimum, vision, ...)",
        description="A toolchain is a virtual environment built from pins in "
        "runner/toolchains/<name>.txt into a cache keyed by their hash "
        f"(${toolchains.ROOT_ENV}, default ~/.cache/mcv/toolchains). `core` is the runner's "
        "own environment. See docs/toolchains.md.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    listing = actions.add_parser("list", help="each toolchain, whether it is built, and where")
    listing.add_argument("--format", choices=("text", "json"), default="text")
    building = actions.add_parser("build", help="build toolchains (nothing to do when built)")
    building.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"of: {', '.join(toolchains.TOOLCHAINS)} (default: those built on CI: "
        + ", ".join(t.name for t in toolchains.TOOLCHAINS.values() if t.on_ci)
        + ")",
    )
    building.add_argument("--all", action="store_true", help="every toolchain, gpu included")
    building.add_argument(
        "--link",
        type=Path,
        default=None,
        metavar="DIR",
        help="also make DIR/NAME a link to each one built (the runner image's /opt/toolchains)",
    )
    for each in (listing, building):
        each.add_argument(
            "--root",
            type=Path,
            default=None,
            metavar="DIR",
            help=f"where toolchains live (default: ${toolchains.ROOT_ENV}, else "
            "~/.cache/mcv/toolchains)",
        )
    parser.set_defaults(handler=run, action="list", format="text", root=None)


def run(args: argparse.Namespace) -> int:
    if args.action == "build":
        return build(args)
    rows = {
        name: toolchains.state(chain, args.root) for name, chain in toolchains.TOOLCHAINS.items()
    }
    if args.format == "json":
        document = {
            name: {
                "built": found.built,
                "detail": found.detail,
                "summary": toolchains.TOOLCHAINS[name].summary,
            }
            for name, found in rows.items()
        }
        print(json.dumps(document, indent=2))
    else:
        for name, found in rows.items():
            print(f"{'ok ' if found.built else '-- '} {name:<9} {found.detail}")
    return 0


def build(args: argparse.Namespace) -> int:
    if args.all:
        names = list(toolchains.TOOLCHAINS)
    elif args.names:
        names = args.names
    else:
        names = [t.name for t in toolchains.TOOLCHAINS.values() if t.on_ci]
    unknown = [n for n in names if n not in toolchains.TOOLCHAINS]
    if unknown:
        raise UserError(
            f"unknown toolchain {', '.join(unknown)}; known: {', '.join(toolchains.TOOLCHAINS)}"
        )
    failed = 0
    for name in names:
        chain = toolchains.TOOLCHAINS[name]
        try:
            found = toolchains.build(chain, lambda line: print(line, flush=True), args.root)
        except RunnerError as exc:
            print(log_block(f"mcv toolchains build: {exc}"), file=sys.stderr)
            failed += 1
            continue
        print(f"ok  {name:<9} {found.detail}", flush=True)
        if args.link is not None and found.python is not None and not chain.is_core:
            link(args.link / name, found.python.parent.parent)
    return 1 if failed else 0


def link(path: Path, target: Path) -> None:
    """`path` -> `target`, replacing an older link (never a real folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        raise UserError(f"--link: {path} exists and is not a link; remove it first")
    path.symlink_to(target, target_is_directory=True)
