"""The only module that talks to GitHub: PyGithub behind the few calls the bot makes.

Retries are PyGithub's GithubRetry (urllib3): Retry-After honoured, then
x-ratelimit-reset, else exponential backoff; 5xx retried a bounded number of times.
After that, one GitHubError with the method, the path and GitHub's answer.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from validator.errors import UserError
from validator.github.checks import CheckRun
from validator.github.sticky import Comment


class GitHubError(UserError):
    """GitHub refused or failed after retries; said in one line."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status GitHub answered, when it answered


@dataclass(frozen=True)
class PullInfo:
    number: int
    head_sha: str
    title: str
    author: str
    state: str
    merged: bool
    opened_at: datetime | None = None
    head_repo: str = ""  # "owner/name" of the head repository (a fork, usually)
    head_ref: str = ""
    merge_commit_sha: str | None = None
    merged_at: datetime | None = None
    url: str = ""  # the PR's page


@dataclass(frozen=True)
class RepoInfo:
    full_name: str
    default_branch: str


@dataclass(frozen=True)
class WorkflowInfo:
    id: int
    path: str  # ".github/workflows/reproduce.yml"
    name: str


@dataclass(frozen=True)
class RunInfo:
    """A workflow run as the API describes it; `path` is GitHub's field, verbatim."""

    id: int
    workflow_id: int
    path: str
    event: str
    head_sha: str
    head_branch: str | None
    head_repo: str | None
    status: str | None
    conclusion: str | None
    name: str = ""


@dataclass(frozen=True)
class ArtifactInfo:
    id: int
    name: str
    size: int
    expired: bool
    run_id: int | None
    download_url: str


@dataclass(frozen=True)
class Entry:
    """One contents-API answer: a file (with its bytes), a folder, a link or a submodule."""

    type: str  # "file" | "dir" | "symlink" | "submodule"
    path: str
    size: int
    content: bytes | None = None


class GitHubApi(Protocol):
    def repository(self) -> RepoInfo: ...
    def pull(self, number: int) -> PullInfo: ...
    def pulls_for_commit(self, sha: str) -> list[PullInfo]: ...
    def open_pulls(self, head: str | None) -> list[PullInfo]: ...
    def changed_files(self, number: int) -> list[str]: ...
    def file_at(self, path: str, ref: str, max_bytes: int) -> bytes: ...
    def contents(self, path: str, ref: str) -> Entry | list[Entry]: ...
    def workflow(self, file_name: str) -> WorkflowInfo: ...
    def run(self, run_id: int) -> RunInfo: ...
    def run_artifacts(self, run_id: int) -> list[ArtifactInfo]: ...
    def artifacts_named(self, name: str, limit: int) -> list[ArtifactInfo]: ...
    def download(self, artifact: ArtifactInfo, max_bytes: int) -> bytes: ...
    def comments(self, number: int) -> list[Comment]: ...
    def create_comment(self, number: int, body: str) -> int: ...
    def edit_comment(self, comment_id: int, body: str) -> None: ...
    def delete_comment(self, comment_id: int) -> None: ...
    def labels(self, number: int) -> list[str]: ...
    def add_labels(self, number: int, labels: list[str]) -> None: ...
    def remove_label(self, number: int, label: str) -> None: ...
    def create_check_run(self, run: CheckRun) -> None: ...
    def create_status(self, sha: str, state: str, description: str, context: str) -> None: ...


def _utc(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)  # GitHub's timestamps are UTC
    return moment


def _pull(pr: Any) -> PullInfo:
    head_repo = pr.head.repo.full_name if pr.head.repo is not None else ""
    return PullInfo(
        pr.number,
        pr.head.sha,
        pr.title,
        pr.user.login,
        pr.state,
        bool(pr.merged),
        _utc(pr.created_at),
        head_repo,
        pr.head.ref,
        pr.merge_commit_sha,
        _utc(pr.merged_at),
        pr.html_url or "",
    )


def _run(run: Any) -> RunInfo:
    head = run.raw_data.get("head_repository") or {}
    return RunInfo(
        run.id,
        run.workflow_id,
        run.path or "",
        run.event or "",
        run.head_sha or "",
        run.head_branch,
        head.get("full_name"),
        run.status,
        run.conclusion,
        run.name or "",
    )


def _artifact(artifact: Any) -> ArtifactInfo:
    origin = artifact.raw_data.get("workflow_run") or {}
    return ArtifactInfo(
        artifact.id,
        artifact.name,
        int(artifact.size_in_bytes or 0),
        bool(artifact.expired),
        origin.get("id"),
        artifact.archive_download_url,
    )


class PyGithubApi:
    """GitHubApi over PyGithub, for one repository."""

    def __init__(
        self,
        repo: str,
        token: str,
        api_url: str,
        retries: int = 5,
        backoff: float = 1.0,
        throttle: float = 0.25,
    ) -> None:
        from github import Auth, Github, GithubRetry

        retry = GithubRetry(
            total=retries,
            backoff_factor=backoff,
            secondary_rate_wait=60,
            max_rate_limit_wait=900,
            allowed_methods={"GET", "POST", "PATCH", "PUT", "DELETE"},
        )
        # GitHub asks clients to space requests, writes more; PyGithub does the spacing.
        self.github = Github(
            base_url=api_url,
            auth=Auth.Token(token),
            retry=retry,
            timeout=30,
            per_page=100,
            seconds_between_requests=throttle,
            seconds_between_writes=throttle * 4,
        )
        self.repo_name = repo
        self._repo: Any = None
        self._pulls: dict[int, Any] = {}
        self._issues: dict[int, Any] = {}
        self._comments: dict[int, Any] = {}

    def call(self, what: str, action: Any) -> Any:
        """Run one API action; turn every failure into a GitHubError naming it."""
        from github import GithubException
        from requests.exceptions import RequestException

        try:
            return action()
        except GithubException as exc:
            message = exc.data.get("message") if isinstance(exc.data, dict) else exc.data
            raise GitHubError(
                f"GitHub API: {what} failed with {exc.status}: {message}", exc.status
            ) from None
        except RequestException as exc:
            reason = str(exc).split(" (Caused by ")[0][:300]
            raise GitHubError(f"GitHub API: {what} failed after retries: {reason}") from None

    @property
    def repo(self) -> Any:
        if self._repo is None:
            self._repo = self.call(
                f"GET repo {self.repo_name}", lambda: self.github.get_repo(self.repo_name)
            )
        return self._repo

    def _pull_obj(self, number: int) -> Any:
        if number not in self._pulls:
            self._pulls[number] = self.call(
                f"GET pull #{number}", lambda: self.repo.get_pull(number)
            )
        return self._pulls[number]

    def _issue(self, number: int) -> Any:
        if number not in self._issues:
            self._issues[number] = self.call(
                f"GET issue #{number}", lambda: self.repo.get_issue(number)
            )
        return self._issues[number]

    def repository(self) -> RepoInfo:
        return RepoInfo(self.repo.full_name, self.repo.default_branch)

    def pull(self, number: int) -> PullInfo:
        return _pull(self._pull_obj(number))

    def pulls_for_commit(self, sha: str) -> list[PullInfo]:
        def fetch() -> list[PullInfo]:
            return [_pull(pr) for pr in self.repo.get_commit(sha).get_pulls()]

        return list(self.call(f"GET pulls of commit {sha[:12]}", fetch))

    def open_pulls(self, head: str | None) -> list[PullInfo]:
        """Open PRs, of one head (`owner:branch`) when given. The commit route above finds
        no PR for a commit that exists only in a fork; this one does."""

        def fetch() -> list[PullInfo]:
            found = self.repo.get_pulls(state="open", **({"head": head} if head else {}))
            return [_pull(pr) for pr in found]

        return list(self.call(f"GET open pulls{' of ' + head if head else ''}", fetch))

    def changed_files(self, number: int) -> list[str]:
        """Every path the PR touches; a rename counts both its old and its new path."""
        pull = self._pull_obj(number)

        def fetch() -> list[str]:
            paths: list[str] = []
            for changed in pull.get_files():
                paths.append(changed.filename)
                if changed.previous_filename:
                    paths.append(changed.previous_filename)
            return paths

        return list(self.call(f"GET files of #{number}", fetch))

    def file_at(self, path: str, ref: str, max_bytes: int) -> bytes:
        content = self.call(f"GET {path}@{ref[:12]}", lambda: self.repo.get_contents(path, ref=ref))
        if isinstance(content, list) or content.type != "file" or content.path != path:
            raise GitHubError(f"{path} at {ref[:12]} is not a file")
        if content.size > max_bytes:
            raise GitHubError(f"{path} at {ref[:12]} is larger than {max_bytes} bytes")
        return base64.b64decode(content.content)

    def contents(self, path: str, ref: str) -> Entry | list[Entry]:
        """The entry at `path` (a file with its bytes), or a folder's entries without them."""
        found = self.call(f"GET {path}@{ref[:12]}", lambda: self.repo.get_contents(path, ref=ref))
        if isinstance(found, list):
            return [Entry(item.type, item.path, int(item.size or 0)) for item in found]
        raw = None
        if found.type == "file":
            encoded = found.raw_data.get("content")
            raw = base64.b64decode(encoded) if encoded else b""
        return Entry(found.type, found.path, int(found.size or 0), raw)

    def workflow(self, file_name: str) -> WorkflowInfo:
        found = self.call(f"GET workflow {file_name}", lambda: self.repo.get_workflow(file_name))
        return WorkflowInfo(found.id, found.path, found.name)

    def run(self, run_id: int) -> RunInfo:
        return _run(self.call(f"GET run {run_id}", lambda: self.repo.get_workflow_run(run_id)))

    def run_artifacts(self, run_id: int) -> list[ArtifactInfo]:
        def fetch() -> list[ArtifactInfo]:
            run = self.repo.get_workflow_run(run_id)
            return [_artifact(a) for a in run.get_artifacts()]

        return list(self.call(f"GET artifacts of run {run_id}", fetch))

    def artifacts_named(self, name: str, limit: int) -> list[ArtifactInfo]:
        """The repository's artifacts called `name`, newest first, at most `limit`."""

        def fetch() -> list[ArtifactInfo]:
            found = []
            for artifact in self.repo.get_artifacts(name=name):
                found.append(_artifact(artifact))
                if len(found) >= limit:
                    break
            return found

        return list(self.call(f"GET artifacts named {name}", fetch))

    def download(self, artifact: ArtifactInfo, max_bytes: int) -> bytes:
        """The artifact's zip, read in chunks and refused past `max_bytes`."""

        def fetch() -> bytes:
            _, _, chunks = self.github.requester.getStream(
                artifact.download_url, chunk_size=64 * 1024
            )
            data = bytearray()
            for chunk in chunks:
                data += chunk
                if len(data) > max_bytes:
                    raise GitHubError(
                        f"artifact {artifact.name} is larger than {max_bytes // 2**20} MiB"
                    )
            return bytes(data)

        return bytes(self.call(f"GET artifact {artifact.name} ({artifact.id})", fetch))

    def comments(self, number: int) -> list[Comment]:
        issue = self._issue(number)
        found = self.call(f"GET comments of #{number}", lambda: list(issue.get_comments()))
        self._comments = {c.id: c for c in found}
        return [Comment(c.id, c.user.login, c.body or "") for c in found]

    def create_comment(self, number: int, body: str) -> int:
        issue = self._issue(number)
        created = self.call(f"POST comment on #{number}", lambda: issue.create_comment(body))
        self._comments[created.id] = created
        return int(created.id)

    def edit_comment(self, comment_id: int, body: str) -> None:
        self.call(f"PATCH comment {comment_id}", lambda: self._comments[comment_id].edit(body))

    def delete_comment(self, comment_id: int) -> None:
        self.call(f"DELETE comment {comment_id}", lambda: self._comments[comment_id].delete())

    def labels(self, number: int) -> list[str]:
        issue = self._issue(number)
        return list(
            self.call(
                f"GET labels of #{number}", lambda: [label.name for label in issue.get_labels()]
            )
        )

    def add_labels(self, number: int, labels: list[str]) -> None:
        # The object form GitHub's schema documents; PyGithub's add_to_labels posts a bare list.
        url = f"{self._issue(number).url}/labels"
        self.call(
            f"POST labels on #{number}",
            lambda: self.github.requester.requestJsonAndCheck(
                "POST", url, input={"labels": labels}
            ),
        )

    def remove_label(self, number: int, label: str) -> None:
        issue = self._issue(number)
        self.call(f"DELETE label {label} from #{number}", lambda: issue.remove_from_labels(label))

    def create_check_run(self, run: CheckRun) -> None:
        output = {
            "title": run.title,
            "summary": run.summary,
            "text": run.text,
            "annotations": run.annotations,
        }
        self.call(
            "POST check run",
            lambda: self.repo.create_check_run(
                name=run.name,
                head_sha=run.head_sha,
                status="completed",
                conclusion=run.conclusion,
                output=output,
            ),
        )

    def create_status(self, sha: str, state: str, description: str, context: str) -> None:
        self.call(
            f"POST status on {sha[:12]}",
            lambda: self.repo.get_commit(sha).create_status(
                state=state, description=description, context=context
            ),
        )
