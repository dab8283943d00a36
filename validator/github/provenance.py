"""Which run an artifact came from, checked through the API, never by a workflow's name.

`on: workflow_run: workflows: [reproduce]` fires for ANY workflow named `reproduce`,
a fork's own file included, and its artifacts are whatever that workflow uploaded. So
the privileged side trusts an artifact only when the API says its run is a run of the
default branch's `.github/workflows/reproduce.yml` (workflow id and path), triggered by
`workflow_run` (only the default branch's file can be), with the course repository's
default branch as its head: a fork's `pull_request` run has the fork as head repository
and `pull_request` as event. What the run reproduced (PR, head SHA, the validate run that
triggered it) travels in the artifact as `pull.json`, written by `prepare` from the API;
the receiving side checks it against the PR's current state before acting.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, ValidationError

from validator.errors import UserError
from validator.github import artifact
from validator.github.client import ArtifactInfo, GitHubApi, PullInfo, RepoInfo, RunInfo
from validator.manifest.base import StrictModel
from validator.verification import VerificationRecord

WORKFLOWS = ".github/workflows/"
VALIDATE = WORKFLOWS + "validate.yml"
REPRODUCE = WORKFLOWS + "reproduce.yml"
ARTIFACT = "verification"  # the artifact is `verification-<head sha>`
PULL_FILE = "pull.json"
MANIFEST_PATH = re.compile(
    r"^(?:manifest/)?(?P<path>submissions/(?P<team>[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?)/"
    r"hw-(?P<hw>[1-7])\.yaml)$"
)
SHA = r"^[0-9a-f]{40}$"


def one_line(text: str) -> str:
    """A message that quotes names from GitHub (a workflow's `name:`, a branch, a path),
    with every control character escaped: nothing can start a new log line (`::error`)."""
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode() for c in text
    )


class ProvenanceError(UserError):
    """An artifact, run or pull request is not what it claims; nothing is acted on."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(one_line(message) + "".join(f"\n  {one_line(d)}" for d in details or []))


class PullRecord(StrictModel):
    """What `prepare` checked, from the API, and the reproduce run re-executed."""

    pull_request: int = Field(ge=1)
    head_sha: str = Field(pattern=SHA)
    head_repo: str = Field(max_length=200)
    validate_run: int = Field(ge=1, description="The validate run that triggered reproduce.")
    manifest: str = Field(pattern=MANIFEST_PATH.pattern, max_length=200)
    title: str = Field(max_length=1000)
    author: str = Field(max_length=100)
    changed_files: list[str] = Field(max_length=3000)
    fetched: list[str] = Field(
        default_factory=list, max_length=1000, description="Team files handed to the runner."
    )


def artifact_name(head_sha: str) -> str:
    return f"{ARTIFACT}-{head_sha}"


def workflow_file(api_path: str, repo: str) -> tuple[str, str | None]:
    """GitHub's `path` of a run: `[owner/name/].github/workflows/x.yml[@ref]`, split."""
    path, _, ref = api_path.partition("@")
    if path.startswith(repo + "/"):
        path = path[len(repo) + 1 :]
    return path, ref or None


def run_problems(
    run: RunInfo,
    workflow_id: int,
    repo: RepoInfo,
    file: str,
    event: Literal["workflow_run", "pull_request"],
) -> list[str]:
    """Why `run` is not a run of the default branch's `file` triggered by `event`."""
    problems = []
    path, ref = workflow_file(run.path, repo.full_name)
    if path != file:
        problems.append(f"its workflow file is `{run.path}`, not `{file}`")
    if run.workflow_id != workflow_id:
        problems.append(f"its workflow id is {run.workflow_id}, not {workflow_id} ({file})")
    if ref is not None and ref not in (repo.default_branch, f"refs/heads/{repo.default_branch}"):
        problems.append(f"it ran the file at `{ref}`, not at `{repo.default_branch}`")
    if run.event != event:
        problems.append(f"it was triggered by `{run.event}`, not `{event}`")
    if event == "workflow_run":  # runs the default branch's file: its head is ours
        if run.head_repo != repo.full_name:
            problems.append(f"its head repository is `{run.head_repo}`, not `{repo.full_name}`")
        if run.head_branch != repo.default_branch:
            problems.append(f"its head branch is `{run.head_branch}`, not `{repo.default_branch}`")
    return problems


def verified_run(
    api: GitHubApi, run_id: int, file: str, event: Literal["workflow_run", "pull_request"]
) -> RunInfo:
    repo = api.repository()
    workflow = api.workflow(file.removeprefix(WORKFLOWS))
    run = api.run(run_id)
    problems = run_problems(run, workflow.id, repo, file, event)
    if problems:
        raise ProvenanceError(
            f"run {run_id} (`{run.name}`) is not a run of the course's {file}: "
            + "; ".join(problems)
        )
    return run


@dataclass(frozen=True)
class Reproduced:
    """A verified artifact: its run, the record, and what the run reproduced."""

    run: RunInfo
    record: VerificationRecord
    pull: PullRecord


def _pull_record(raw: bytes) -> PullRecord:
    try:
        return PullRecord.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the document"
        raise ProvenanceError(
            f"{PULL_FILE} in the artifact is not valid ({where}: {first['msg']})"
        ) from None


def read(api: GitHubApi, run: RunInfo, found: ArtifactInfo) -> Reproduced:
    """Download one artifact of a verified run; its record and pull.json, as data."""
    if found.expired:
        raise ProvenanceError(
            f"artifact {found.name} of run {run.id} has expired; re-run the reproduce workflow"
        )
    files = artifact.members(api.download(found, artifact.MAX_TOTAL), (artifact.RECORD, PULL_FILE))
    record = artifact.record_of(files[artifact.RECORD])
    pull = _pull_record(files[PULL_FILE])
    if found.name != artifact_name(pull.head_sha):
        raise ProvenanceError(
            f"artifact {found.name} of run {run.id} says it reproduced {pull.head_sha[:12]}"
        )
    match = MANIFEST_PATH.match(record.manifest_path)
    if match is None or match["path"] != pull.manifest:
        raise ProvenanceError(
            f"the record in run {run.id} is for `{record.manifest_path}`, "
            f"but the run reproduced `{pull.manifest}`"
        )
    return Reproduced(run, record, pull)


def for_report(api: GitHubApi, run_id: int) -> tuple[Reproduced, PullInfo]:
    """The reproduce run's artifact and the PR it reproduced, still at that head."""
    run = verified_run(api, run_id, REPRODUCE, "workflow_run")
    if run.status != "completed":
        raise ProvenanceError(f"run {run_id} is `{run.status}`, not completed")
    named = [a for a in api.run_artifacts(run_id) if a.name.startswith(ARTIFACT + "-")]
    if len(named) != 1:
        raise ProvenanceError(
            f"run {run_id} has {len(named)} `{ARTIFACT}-<sha>` artifacts; expected one "
            "(a failed `prepare` leaves none: its log says why)"
        )
    reproduced = read(api, run, named[0])
    pull = current_pull(api, reproduced.pull)
    return reproduced, pull


def current_pull(api: GitHubApi, claimed: PullRecord) -> PullInfo:
    """The PR the run reproduced, refused when it moved on, closed or changed hands."""
    pull = api.pull(claimed.pull_request)
    if pull.head_sha != claimed.head_sha:
        raise ProvenanceError(
            f"#{pull.number} is now at {pull.head_sha[:12]}; the run reproduced "
            f"{claimed.head_sha[:12]}: the newer push has its own run, nothing was posted"
        )
    if pull.state != "open":
        raise ProvenanceError(f"#{pull.number} is {pull.state}; nothing was posted")
    if pull.head_repo != claimed.head_repo:
        raise ProvenanceError(
            f"#{pull.number} comes from `{pull.head_repo}`, the run says `{claimed.head_repo}`"
        )
    validate = verified_run(api, claimed.validate_run, VALIDATE, "pull_request")
    if validate.head_sha != claimed.head_sha:
        raise ProvenanceError(
            f"validate run {validate.id} checked {validate.head_sha[:12]}, "
            f"not {claimed.head_sha[:12]}"
        )
    return pull


def pull_of_validate_run(api: GitHubApi, run: RunInfo) -> PullInfo:
    """The one open PR whose head is the validate run's: repository, branch and SHA.

    Looked up by `owner:branch` (GitHub's commit-to-PR route finds nothing for a commit
    that only a fork has)."""
    owner = (run.head_repo or "").split("/")[0]
    candidates = [
        p
        for p in api.open_pulls(f"{owner}:{run.head_branch}")
        if p.head_sha == run.head_sha and p.head_repo == run.head_repo
    ]
    if len(candidates) != 1:
        raise ProvenanceError(
            f"{len(candidates)} open pull requests have head {run.head_repo}:{run.head_branch} "
            f"at {run.head_sha[:12]} (validate run {run.id}); expected exactly one"
        )
    return candidates[0]


def merged_pull(api: GitHubApi, sha: str) -> PullInfo | None:
    """The PR whose merge made commit `sha`, or None (a push that is no merge)."""
    merged = [p for p in api.pulls_for_commit(sha) if p.merged and p.merge_commit_sha == sha]
    if len(merged) > 1:
        raise ProvenanceError(f"{len(merged)} merged pull requests claim {sha[:12]}")
    return merged[0] if merged else None


def submission_of(api: GitHubApi, pull: PullInfo) -> tuple[str, str, int]:
    """(manifest path, team, homework) from the merged PR's changed files."""
    paths = [m for m in (MANIFEST_PATH.match(p) for p in api.changed_files(pull.number)) if m]
    if len(paths) != 1:
        names = ", ".join(m["path"] for m in paths) or "none"
        raise ProvenanceError(
            f"#{pull.number} changes {len(paths)} manifests ({names}); expected one"
        )
    return paths[0]["path"], paths[0]["team"], int(paths[0]["hw"])


def for_publish(api: GitHubApi, pull: PullInfo, limit: int = 20) -> tuple[Reproduced, list[str]]:
    """The newest artifact of a verified reproduce run for the merged PR's head.

    Artifacts of the same name from other runs (a fork's workflow called `reproduce`)
    are skipped, each with a line saying why."""
    skipped: list[str] = []
    for found in api.artifacts_named(artifact_name(pull.head_sha), limit):
        if found.run_id is None:
            skipped.append(f"artifact {found.id} names no run")
            continue
        try:
            run = verified_run(api, found.run_id, REPRODUCE, "workflow_run")
            if run.conclusion != "success":
                raise ProvenanceError(f"run {run.id} concluded `{run.conclusion}`")
            reproduced = read(api, run, found)
        except ProvenanceError as exc:
            skipped.append(str(exc))
            continue
        if (reproduced.pull.pull_request, reproduced.pull.head_sha) != (pull.number, pull.head_sha):
            skipped.append(
                f"run {run.id} reproduced #{reproduced.pull.pull_request} at "
                f"{reproduced.pull.head_sha[:12]}"
            )
            continue
        return reproduced, skipped
    raise ProvenanceError(
        f"no artifact of the course's reproduce run for #{pull.number} at "
        f"{pull.head_sha[:12]}; nothing was published",
        [f"skipped: {line}" for line in skipped],
    )


def agree(
    record: VerificationRecord, manifest_path: str, manifest_bytes: bytes
) -> VerificationRecord:
    """The record, if it is for this PR's manifest (path and bytes); repo-relative path."""
    match = MANIFEST_PATH.match(record.manifest_path)
    claimed = match["path"] if match else record.manifest_path
    if claimed != manifest_path:
        raise ProvenanceError(
            f"the record is for `{claimed}`, but the merged PR changed `{manifest_path}`: "
            "nothing was published"
        )
    digest = hashlib.sha256(manifest_bytes).hexdigest()
    if record.manifest_sha256 != digest:
        raise ProvenanceError(
            f"the record measured another version of {manifest_path} "
            f"(sha256 {record.manifest_sha256[:12]}, the PR's is {digest[:12]}): "
            "nothing was published"
        )
    return record.model_copy(update={"manifest_path": manifest_path})
