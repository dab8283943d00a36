"""From a pull request and a record to one comment, one label and one check run.

Everything here goes through the GitHubApi protocol, so the logic is tested against a
local double of the REST API with the real PyGithub client in between.
"""

from __future__ import annotations

import re

from validator.errors import UserError
from validator.github import labels, sticky
from validator.github.checks import NAME, STATE, CheckRun
from validator.github.client import GitHubApi, GitHubError, PullInfo

MANIFEST_PATH = re.compile(r"^submissions/[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?/hw-[1-7]\.yaml$")
MAX_MANIFEST = 64 * 1024
MAX_COMMENT = 65_000


def resolve_pull(api: GitHubApi, number: int | None, head_sha: str | None) -> PullInfo:
    """The PR by number (from a trusted pull_request event), else the open PR at a head SHA."""
    if number is not None:
        pull = api.pull(number)
        if head_sha is not None and pull.head_sha != head_sha:
            raise UserError(
                f"#{number} is now at {pull.head_sha[:12]}, not {head_sha[:12]}: "
                "a newer push needs its own run"
            )
        return pull
    if head_sha is None:
        raise UserError("no pull request: give --pr, --head-sha or --event")
    candidates = [
        p for p in api.pulls_for_commit(head_sha) if p.head_sha == head_sha and p.state == "open"
    ]
    if not candidates:  # a fork's commit: GitHub's commit route lists no PR for it
        candidates = [p for p in api.open_pulls(None) if p.head_sha == head_sha]
    if len(candidates) != 1:
        raise UserError(
            f"{len(candidates)} open pull requests have head {head_sha[:12]}; expected exactly one"
        )
    return candidates[0]


def manifest_of(api: GitHubApi, pull: PullInfo, wanted: str | None) -> tuple[str, bytes]:
    """The PR's manifest, fetched at its head SHA through the API: data, never checked out."""
    paths = [p for p in api.changed_files(pull.number) if MANIFEST_PATH.match(p)]
    if wanted is not None and wanted in paths:
        paths = [wanted]
    if len(paths) != 1:
        raise UserError(
            f"#{pull.number} changes {len(paths)} manifests "
            f"({', '.join(paths) or 'none'}); expected one"
        )
    return paths[0], api.file_at(paths[0], pull.head_sha, MAX_MANIFEST)


def body_of(markdown: str) -> str:
    if len(markdown) <= MAX_COMMENT:
        return markdown
    return markdown[:MAX_COMMENT] + "\n\n… (truncated; the check run has the rest)\n"


def upsert_comment(api: GitHubApi, number: int, marker: str, body: str, bot_login: str) -> int:
    """Edit our comment in place, or create it; duplicates of ours are removed."""
    plan = sticky.plan(api.comments(number), marker, bot_login)
    for duplicate in plan.delete:
        api.delete_comment(duplicate)
    if plan.edit is not None:
        api.edit_comment(plan.edit, body)
        return plan.edit
    return api.create_comment(number, body)


def set_labels(api: GitHubApi, number: int, verdict: str) -> None:
    add, remove = labels.changes(api.labels(number), verdict)
    for label in remove:
        api.remove_label(number, label)
    if add:
        api.add_labels(number, add)


def set_check(api: GitHubApi, run: CheckRun, verdict: str, description: str) -> str:
    """A check run; where the token may not create one, a commit status instead."""
    try:
        api.create_check_run(run)
        return "check run"
    except GitHubError as exc:
        if exc.status not in (403, 404):  # refused for this token: fall back
            raise
    api.create_status(run.head_sha, STATE[verdict], description, NAME)
    return "commit status"
