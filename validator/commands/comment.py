"""`mcv comment`: the privileged report job. One sticky comment, a label, a check run."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path, PurePosixPath

from validator.compare import render
from validator.compare.report import build
from validator.config import load_config
from validator.errors import UserError
from validator.findings import Finding
from validator.github import artifact, event, provenance, publish
from validator.github.checks import check_run, status
from validator.github.client import PyGithubApi
from validator.manifest.load import parse
from validator.manifest.schema import Manifest
from validator.manifest.yaml_loader import Document
from validator.pipeline import check_one
from validator.rules.base import PullRequest


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "comment",
        help="post the report on the PR: sticky comment, label, check run",
        description="With --run-id (or a workflow_run event): verify through the API that "
        "the run is a run of the default branch's .github/workflows/reproduce.yml triggered "
        "by workflow_run, download its verification-<sha> artifact, and act only for the "
        "PR it reproduced while that PR is still open at that head SHA. With --record or "
        "--artifact (a maintainer's own use, unverified): the PR by --pr or --head-sha. "
        "Then read the PR's manifest through the API at its head, validate the record as "
        "data, keep ONE report comment up to date, set the mcv:* verdict label and a check "
        "run (a commit status where a check run cannot be created). The token comes from "
        "$GITHUB_TOKEN.",
    )
    parser.add_argument("--repo", required=True, metavar="OWNER/NAME")
    parser.add_argument(
        "--event",
        type=Path,
        metavar="FILE",
        help="event payload (default: $GITHUB_EVENT_PATH when set)",
    )
    parser.add_argument("--pr", type=int, metavar="N", help="the PR number (trusted events only)")
    parser.add_argument("--head-sha", metavar="SHA", help="resolve the PR from this head commit")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--run-id",
        type=int,
        metavar="RUN",
        help="the reproduce run (default: the workflow_run event's run)",
    )
    source.add_argument(
        "--artifact",
        type=Path,
        metavar="PATH",
        help="the reproduce job's artifact: a .zip or its unpacked folder",
    )
    source.add_argument("--record", type=Path, metavar="FILE", help="a verification.json")
    parser.add_argument(
        "--manifest",
        type=Path,
        metavar="FILE",
        help="a local manifest instead of the PR's (same-repository runs)",
    )
    parser.add_argument("--lang", choices=("ru", "en"))
    parser.add_argument("--config", type=Path, metavar="FILE")
    parser.add_argument(
        "--api-url", default=os.environ.get("GITHUB_API_URL", "https://api.github.com")
    )
    parser.add_argument(
        "--bot-login",
        default="github-actions[bot]",
        help="the login the bot comments as (default: github-actions[bot])",
    )
    parser.add_argument("--retries", type=int, default=5, metavar="N")
    parser.add_argument(
        "--backoff",
        type=float,
        default=1.0,
        metavar="S",
        help="exponential backoff factor between retries, seconds",
    )
    parser.add_argument(
        "--throttle",
        type=float,
        default=0.25,
        metavar="S",
        help="seconds between API requests (writes: 4x); GitHub asks for "
        "spacing to avoid secondary rate limits",
    )
    parser.set_defaults(handler=run)


def _manifest(raw: bytes, path: str) -> tuple[Manifest, list[Finding], Document]:
    """Validate the PR's manifest bytes and run the static checks on what was parsed."""
    loaded = parse(raw, path)
    manifest, doc = loaded.manifest, loaded.document
    if manifest is None or doc is None:
        raise UserError(
            f"{path} at the PR's head is not a valid manifest "
            f"({len(loaded.findings)} problem(s); the validate check lists them)"
        )
    static = check_one(loaded, PurePosixPath(path), PullRequest())  # the bytes, not a copy
    return manifest, static, doc


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("GITHUB_TOKEN")
    if not token:
        raise UserError("$GITHUB_TOKEN is not set")
    event_path = args.event or (
        Path(os.environ["GITHUB_EVENT_PATH"]) if os.environ.get("GITHUB_EVENT_PATH") else None
    )
    payload = event.read(event_path) if event_path else None
    local = args.artifact is not None or args.record is not None
    run_id = args.run_id or (payload.run_id if payload and not local else None)
    if run_id is None and not local:
        raise UserError("nothing to report: give --run-id (or a workflow_run event), or --record")
    config = load_config(args.config)
    lang = args.lang or config.course.lang
    api = PyGithubApi(args.repo, token, args.api_url, args.retries, args.backoff, args.throttle)
    if run_id is not None:
        if args.pr is not None or args.head_sha is not None or args.manifest is not None:
            raise UserError("--run-id finds the PR and its manifest itself; drop --pr/--head-sha")
        reproduced, pull = provenance.for_report(api, run_id)
        record, wanted = reproduced.record, reproduced.pull.manifest
        print(
            f"run {run_id} is the course's reproduce run; it reproduced #{pull.number} "
            f"at {pull.head_sha[:12]}",
            file=sys.stderr,
        )
    else:
        number = args.pr or (payload.pr_number if payload else None)
        head_sha = args.head_sha or (payload.head_sha if payload else None)
        record = artifact.load(args.artifact) if args.artifact else artifact.load_file(args.record)
        pull = publish.resolve_pull(api, number, head_sha)
        wanted = record.manifest_path
    if args.manifest is not None:
        path, raw = str(args.manifest), args.manifest.read_bytes()
    else:
        path, raw = publish.manifest_of(api, pull, wanted)
        if run_id is not None and path != wanted:
            raise provenance.ProvenanceError(
                f"run {run_id} reproduced `{wanted}`, which #{pull.number} does not change "
                f"(it changes `{path}`); nothing was posted"
            )
    manifest, static, doc = _manifest(raw, path)
    report = build(manifest, record, static, config, doc.sha256)
    deadline = config.homework(manifest.homework).deadline
    late = deadline is not None and pull.opened_at is not None and pull.opened_at > deadline
    markdown = render.markdown(
        report, lang, late_after=deadline.isoformat() if late and deadline else None
    )
    comment = publish.upsert_comment(
        api, pull.number, render.marker(report), publish.body_of(markdown), args.bot_login
    )
    publish.set_labels(api, pull.number, report.verdict)
    where = publish.set_check(
        api,
        check_run(report, pull.head_sha, path, doc, markdown, lang),
        report.verdict,
        status(report, lang)[1],
    )
    print(
        f"#{pull.number}: {report.verdict}; comment {comment}, label and {where} set",
        file=sys.stderr,
    )
    return 0
