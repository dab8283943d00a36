"""`mcv fetch-manifest`: the PR's manifest at its head SHA, through the API, as data.

Run by the unprivileged job before re-execution, so the GPU job needs no token at all and
never checks out a pull request's code.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from validator.errors import UserError
from validator.github import publish
from validator.github.client import PyGithubApi


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "fetch-manifest",
        help="download the PR's manifest at its head SHA (as data)",
        description="Resolve the open PR whose head is SHA, find the one manifest it changes "
        "(submissions/<team>/hw-<N>.yaml), and write it, size-capped, under DIR at the same "
        "path. The token comes from $GITHUB_TOKEN. Exit 0: written; 2: refused.",
    )
    parser.add_argument("--repo", required=True, metavar="OWNER/NAME")
    parser.add_argument("--head-sha", required=True, metavar="SHA")
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument(
        "--api-url", default=os.environ.get("GITHUB_API_URL", "https://api.github.com")
    )
    parser.add_argument("--throttle", type=float, default=0.25, metavar="S")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise UserError("$GITHUB_TOKEN is not set")
    api = PyGithubApi(args.repo, token, args.api_url, throttle=args.throttle)
    pull = publish.resolve_pull(api, None, args.head_sha)
    path, raw = publish.manifest_of(api, pull, None)
    target = args.out / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(raw)
    print(target)
    print(f"#{pull.number}: {path} at {pull.head_sha[:12]}", file=sys.stderr)
    return 0
