"""`mcv publish`: on merge, commit the record and the regenerated leaderboard, and push.

Everything comes from the API: the merged PR of the pushed commit, its team and homework
from its changed files, and the record from the newest artifact of a verified run of the
default branch's reproduce.yml for that PR's head, which must be for that manifest.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from validator.config import load_config
from validator.errors import UserError
from validator.github import artifact, provenance
from validator.github.client import PyGithubApi
from validator.github.publish import MAX_MANIFEST
from validator.leaderboard import readme
from validator.leaderboard.pareto import draw, file_name, groups
from validator.leaderboard.publish import publish, results_path
from validator.leaderboard.table import collect, markdown
from validator.verification import Publication


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "publish",
        help="on merge: commit results/ and the regenerated leaderboard, push",
        description="Find the PR merged as COMMIT (API), its one manifest "
        "submissions/<team>/hw-<N>.yaml (its changed files), and the record: the newest "
        "verification-<head sha> artifact of a run of the default branch's "
        ".github/workflows/reproduce.yml triggered by workflow_run (verified through the "
        "API; others are skipped with the reason), or --record. The record must be for that "
        "manifest, path and bytes. Then write results/<team>/hw-<N>.json with the PR's "
        "details, regenerate README.md's leaderboard and the plots from scratch, commit and "
        "push; a rejected push is retried from the new remote state. Run it in a clean "
        "checkout of the default branch: it resets to the remote branch. The token comes "
        "from $GITHUB_TOKEN.",
    )
    parser.add_argument("--repo", required=True, metavar="OWNER/NAME")
    parser.add_argument("--commit", required=True, metavar="SHA", help="the pushed merge commit")
    parser.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="a verification.json instead of the artifact (a maintainer's re-publish); "
        "still held to the merged PR's manifest",
    )
    parser.add_argument(
        "--api-url", default=os.environ.get("GITHUB_API_URL", "https://api.github.com")
    )
    parser.add_argument("--throttle", type=float, default=0.25, metavar="S")
    parser.add_argument("--repo-dir", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument("--readme", default="README.md", metavar="FILE")
    parser.add_argument("--remote", default="origin")
    parser.add_argument("--branch", default="main")
    parser.add_argument("--attempts", type=int, default=5, metavar="N")
    parser.add_argument("--backoff", type=float, default=1.0, metavar="S")
    parser.add_argument("--comment-url", metavar="URL")
    parser.add_argument("--lang", choices=("ru", "en"))
    parser.set_defaults(handler=run)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise UserError("$GITHUB_TOKEN is not set")
    api = PyGithubApi(args.repo, token, args.api_url, throttle=args.throttle)
    pull = provenance.merged_pull(api, args.commit)
    if pull is None:
        print(f"{args.commit[:12]} is no pull request's merge: nothing to publish", file=sys.stderr)
        return 0
    manifest_path, team, homework = provenance.submission_of(api, pull)
    if args.record is not None:
        claimed = artifact.load_file(args.record)
    else:
        found, skipped = provenance.for_publish(api, pull)
        for line in skipped:
            print(f"mcv publish: skipped {line}", file=sys.stderr)
        claimed = found.record
    raw = api.file_at(manifest_path, pull.head_sha, MAX_MANIFEST)
    record = provenance.agree(claimed, manifest_path, raw)
    repo = args.repo_dir.resolve()
    config = load_config(
        repo / ".github" / "mcv.toml" if (repo / ".github" / "mcv.toml").is_file() else None
    )
    lang = args.lang or config.course.lang
    record = record.model_copy(
        update={
            "publication": Publication(
                pull_request=pull.number,
                url=pull.url,
                comment_url=args.comment_url,
                opened_at=_iso(pull.opened_at) or "",
                merged_at=_iso(pull.merged_at),
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
        plots = list(draw(rows, folder, lang).values())
        readme.regenerate(target, markdown(rows, config, lang, links))
        return [target, *plots]

    team_hw = results_path(record)
    if team_hw != Path("results", team, f"hw-{homework}.json"):  # agree() made them equal
        raise UserError(f"{team_hw} is not the slot of {manifest_path}; nothing was published")
    pushed = publish(
        repo,
        record,
        regenerate,
        f"Publish {team} HW-{homework} (#{pull.number})",
        args.remote,
        args.branch,
        args.attempts,
        args.backoff,
    )
    print(f"{team_hw}: {'published' if pushed else 'already published'}", file=sys.stderr)
    return 0
