"""`mcv fetch-manifest`: the PR's manifest and team files at its head SHA, through the API.

Run by the unprivileged `prepare` job before re-execution, so the GPU job needs no token
at all and never checks out a pull request's code. The PR is found from the validate run
that triggered `reproduce`, verified through the API; what it finds (title, author, changed
files) is written to `pull.json` for `mcv check --pull`, which repeats every PR-level
check itself: a PR can replace its own copy of validate.yml, so its verdict counts for
nothing here.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from validator.errors import UserError
from validator.github import fetch, provenance, publish
from validator.github.client import PyGithubApi
from validator.manifest.load import parse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "fetch-manifest",
        help="download the PR's manifest and team files at its head SHA (as data)",
        description="Verify that RUN is a run of the default branch's "
        ".github/workflows/validate.yml for a pull_request event, resolve the open PR at "
        "its head SHA (same head repository and branch), find the one manifest it changes "
        "(submissions/<team>/hw-<N>.yaml) and write it under DIR at the same path, with "
        "every local file it names under submissions/<team>/ (custom scripts, datasets; "
        f"at most {fetch.MAX_FILE // 2**20} MiB each, {fetch.MAX_TOTAL // 2**20} MiB in "
        "all; links, submodules and paths outside the team's folder are refused), and "
        "DIR/pull.json (number, head, title, author, changed files) for `mcv check --pull`. "
        "Prints the manifest's path. The token comes from $GITHUB_TOKEN.",
    )
    parser.add_argument("--repo", required=True, metavar="OWNER/NAME")
    parser.add_argument(
        "--validate-run",
        required=True,
        type=int,
        metavar="RUN",
        help="id of the validate run that triggered this workflow_run",
    )
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
    validate = provenance.verified_run(api, args.validate_run, provenance.VALIDATE, "pull_request")
    pull = provenance.pull_of_validate_run(api, validate)
    changed = api.changed_files(pull.number)
    path, raw = publish.manifest_of(api, pull, None)
    manifest = parse(raw, path).manifest
    files: dict[str, bytes] = {}
    if manifest is not None and manifest.team == path.split("/")[1]:
        files = fetch.team_files(api, pull.head_sha, manifest)
    else:  # `mcv check` on what was written says what is wrong, with lines
        print(f"{path}: not a valid manifest of its folder; no team files", file=sys.stderr)
    record = provenance.PullRecord(
        pull_request=pull.number,
        head_sha=pull.head_sha,
        head_repo=pull.head_repo,
        validate_run=validate.id,
        manifest=path,
        title=pull.title,
        author=pull.author,
        changed_files=changed,
        fetched=sorted(files),
    )
    fetch.write(args.out, {path: raw, **files})
    (args.out / provenance.PULL_FILE).write_text(record.model_dump_json(indent=1) + "\n")
    print(args.out / path)
    print(
        f"#{pull.number}: {path} and {len(files)} team file(s) at {pull.head_sha[:12]}",
        file=sys.stderr,
    )
    return 0
