"""`mcv publish`: on merge, commit the record and the regenerated leaderboard, and push."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from validator.compare.config import load_config
from validator.errors import UserError
from validator.github import artifact
from validator.leaderboard import readme
from validator.leaderboard.pareto import draw, file_name, groups
from validator.leaderboard.publish import publish, results_path
from validator.leaderboard.table import collect, markdown
from validator.verification import Publication


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "publish",
        help="on merge: commit results/ and the regenerated leaderboard, push",
        description="Write results/<team>/hw-<N>.json (the record, with the PR's details from "
        "the API), regenerate README.md's leaderboard and the plots from scratch, commit and "
        "push; a rejected push is retried from the new remote state. Run it in a clean "
        "checkout of the default branch: it resets to the remote branch. Exit 0: pushed or "
        "nothing to do; 2: refused or out of retries (nothing is lost).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--artifact", type=Path, metavar="PATH")
    source.add_argument("--record", type=Path, metavar="FILE")
    parser.add_argument("--repo-dir", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument("--readme", default="README.md", metavar="FILE")
    parser.add_argument("--remote", default="origin")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--attempts", type=int, default=5, metavar="N")
    parser.add_argument("--backoff", type=float, default=1.0, metavar="S")
    parser.add_argument("--pull-request", type=int, metavar="N", required=True)
    parser.add_argument("--pr-url", required=True, metavar="URL")
    parser.add_argument("--opened-at", required=True, metavar="ISO")
    parser.add_argument("--merged-at", metavar="ISO")
    parser.add_argument("--comment-url", metavar="URL")
    parser.add_argument("--lang", choices=("ru", "en"))
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    record = artifact.load(args.artifact) if args.artifact else artifact.load_file(args.record)
    repo = args.repo_dir.resolve()
    config = load_config(
        repo / ".github" / "mcv.toml" if (repo / ".github" / "mcv.toml").is_file() else None
    )
    lang = args.lang or config.course.lang
    record = record.model_copy(
        update={
            "publication": Publication(
                pull_request=args.pull_request,
                url=args.pr_url,
                comment_url=args.comment_url,
                opened_at=args.opened_at,
                merged_at=args.merged_at,
            )
        }
    )
    target = repo / args.readme
    if not target.is_file():
        raise UserError(f"{target}: no such file")

    def regenerate() -> list[Path]:
        rows, _, _ = collect(repo, config)
        folder = repo / "docs" / "leaderboard"
        links = {key: f"docs/leaderboard/{file_name(*key)}" for key in groups(rows)}
        plots = list(draw(rows, folder).values())
        readme.regenerate(target, markdown(rows, config, lang, links))
        return [target, *plots]

    team_hw = results_path(record)
    pushed = publish(
        repo,
        record,
        regenerate,
        f"Publish {team_hw.parent.name} HW-{team_hw.stem.split('-')[1]} (#{args.pull_request})",
        args.remote,
        args.branch,
        args.attempts,
        args.backoff,
    )
    print(f"{team_hw}: {'published' if pushed else 'already published'}", file=sys.stderr)
    return 0
