"""A local double of the GitHub REST API on loopback, for the real PyGithub client.

Routes are the operations in tests/fixtures/github/openapi-subset.json (extracted from
GitHub's published description); responses are that file's examples with the double's
state written in; every request body is validated against the operation's schema
(violations are recorded and answered 422), and so is every answer of an operation whose
response schema the subset keeps (violations recorded). Faults can be queued per route.

State: pull requests (changed files, other files at the head, links, submodules, merge
details), the repository's workflows (by path, with ids), workflow runs (workflow path,
event, head repository and branch, conclusion) and their artifacts (zip bytes, served
through the documented 302 to a download location on the double itself).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import posixpath
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import jsonschema

SPEC = json.loads(
    (Path(__file__).parent / "fixtures" / "github" / "openapi-subset.json").read_text(
        encoding="utf-8"
    )
)
BOT = "github-actions[bot]"
DEFAULT_BRANCH = "main"
WORKFLOWS = {  # the course repository's own workflow files and the names they declare
    ".github/workflows/validate.yml": "validate",
    ".github/workflows/reproduce.yml": "reproduce",
    ".github/workflows/report.yml": "report",
    ".github/workflows/publish.yml": "publish",
}
BLOBS = "/_blobs/"  # where artifact downloads are redirected (not an API route)
CONTROL = "/_double/"  # sets the double's state up from another process (not an API route)


@dataclass
class Recorded:
    method: str
    path: str
    body: Any
    at: float


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    headers: dict[str, str]
    times: int
    body: dict[str, Any]


@dataclass
class Pull:
    number: int
    head_sha: str
    title: str
    author: str
    files: dict[str, bytes]  # the changed files, with their content at the head
    state: str = "open"
    labels: list[str] = field(default_factory=list)
    tree: dict[str, bytes] = field(default_factory=dict)  # unchanged files at the head
    links: dict[str, str] = field(default_factory=dict)  # symbolic links: path -> target
    submodules: dict[str, str] = field(default_factory=dict)  # path -> commit
    renamed: dict[str, str] = field(default_factory=dict)  # new path -> previous path
    head_repo: str = ""  # "owner/name" of the head repository; a fork by default
    head_ref: str = "submission"
    merged: bool = False
    merge_commit_sha: str | None = None
    merged_at: str | None = None
    created_at: str = "2026-11-02T10:00:00Z"

    def at_head(self) -> dict[str, bytes]:
        return {**self.tree, **self.files}


@dataclass
class Workflow:
    id: int
    name: str
    path: str


@dataclass
class Artifact:
    id: int
    name: str
    run_id: int
    data: bytes
    expired: bool = False


@dataclass
class Run:
    id: int
    workflow_id: int
    name: str
    path: str  # the API's `path` field, as GitHub writes it
    event: str
    head_sha: str
    head_branch: str
    head_repo: str
    status: str = "completed"
    conclusion: str | None = "success"
    display_title: str = ""


def _route(template: str) -> re.Pattern[str]:
    """`{name}` matches one path segment; `{path}` (a file path) matches several."""
    pattern = re.sub(
        r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>{'.+' if m[1] == 'path' else '[^/]+'})", template
    )
    return re.compile("^" + pattern + "$")


ROUTES = [(key.split(" ", 1)[0], _route(key.split(" ", 1)[1]), key) for key in SPEC]


class GitHubDouble:
    def __init__(self, owner: str = "octo", repo: str = "course") -> None:
        self.owner, self.repo = owner, repo
        self.pulls: dict[int, Pull] = {}
        self.default_branch = DEFAULT_BRANCH
        self.workflows: dict[str, Workflow] = {}
        self.runs: dict[int, Run] = {}
        self.artifacts: dict[int, Artifact] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.check_runs: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.next_id = 1000
        for index, (path, name) in enumerate(WORKFLOWS.items()):
            self.workflows[path] = Workflow(161335 + index, name, path)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- setup -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> GitHubDouble:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add_pull(
        self,
        number: int,
        head_sha: str,
        title: str,
        author: str,
        files: dict[str, bytes],
        **details: Any,
    ) -> Pull:
        """A pull request; `details` sets the other Pull fields (tree, links, head_repo...)."""
        pull = Pull(number, head_sha, title, author, files, **details)
        pull.head_repo = pull.head_repo or f"{author}/{self.repo}"
        self.pulls[number] = pull
        return pull

    def merge(self, number: int, merge_commit_sha: str, at: str = "2026-11-03T12:00:00Z") -> Pull:
        pull = self.pulls[number]
        pull.state, pull.merged, pull.merge_commit_sha, pull.merged_at = (
            "closed",
            True,
            merge_commit_sha,
            at,
        )
        return pull

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def workflow(self, path: str, name: str | None = None) -> Workflow:
        """The workflow at `path`; a file GitHub has not seen yet (a PR's) gets a new id."""
        if path not in self.workflows:
            self.next_id += 1
            self.workflows[path] = Workflow(self.next_id, name or Path(path).stem, path)
        return self.workflows[path]

    def add_run(
        self,
        path: str,
        event: str,
        head_sha: str,
        head_branch: str | None = None,
        head_repo: str | None = None,
        name: str | None = None,
        conclusion: str | None = "success",
        artifacts: dict[str, bytes] | None = None,
        api_path: str | None = None,
        display_title: str = "",
    ) -> Run:
        """A workflow run; head repository and branch default to the course repository's
        default branch. `api_path` overrides the `path` field as GitHub would write it."""
        workflow = self.workflow(path, name)
        self.next_id += 1
        run = Run(
            self.next_id,
            workflow.id,
            name or workflow.name,
            api_path or path,
            event,
            head_sha,
            head_branch or self.default_branch,
            head_repo or self.full_name,
            conclusion=conclusion,
            display_title=display_title,
        )
        self.runs[run.id] = run
        for artifact_name, data in (artifacts or {}).items():
            self.add_artifact(run.id, artifact_name, data)
        return run

    def add_artifact(self, run_id: int, name: str, data: bytes) -> Artifact:
        self.next_id += 1
        self.artifacts[self.next_id] = Artifact(self.next_id, name, run_id, data)
        return self.artifacts[self.next_id]

    def add_comment(self, number: int, author: str, body: str) -> int:
        self.next_id += 1
        self.comments[self.next_id] = {
            "id": self.next_id,
            "issue": number,
            "author": author,
            "body": body,
        }
        return self.next_id

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        times: int = 1,
        headers: dict[str, str] | None = None,
        message: str | None = None,
    ) -> None:
        self.faults.append(
            Fault(
                method,
                re.compile(path),
                status,
                headers or {},
                times,
                {"message": message or f"injected {status}"},
            )
        )

    def calls(self, method: str, fragment: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        return [c for c in self.comments.values() if c["issue"] == number]

    # --- responses ---------------------------------------------------------------------
    def _repo_url(self) -> str:
        return f"{self.base_url}/repos/{self.owner}/{self.repo}"

    def _example(self, key: str) -> Any:
        text = json.dumps(SPEC[key]["example"]).replace("https://api.github.com", self.base_url)
        return json.loads(text)

    def _user(self, login: str) -> dict[str, Any]:
        user = copy.deepcopy(self._example("GET /repos/{owner}/{repo}")["owner"])
        user.update(login=login, type="Bot" if login.endswith("[bot]") else "User")
        return user

    def _repo_json(self, full_name: str) -> dict[str, Any]:
        data = self._example("GET /repos/{owner}/{repo}")
        owner, name = full_name.split("/", 1)
        base = full_name == self.full_name
        data.update(
            id=data["id"] if base else data["id"] + 1 + sum(map(ord, full_name)),
            name=name,
            full_name=full_name,
            fork=not base,
            url=f"{self.base_url}/repos/{full_name}",
            html_url=f"https://github.com/{full_name}",
            default_branch=self.default_branch,
            owner=self._user(owner),
        )
        return data

    def _minimal_repo(self, full_name: str) -> dict[str, Any]:
        template = self._example("GET /repos/{owner}/{repo}/actions/runs/{run_id}")
        data = copy.deepcopy(template["head_repository"])
        full = self._repo_json(full_name)
        data.update({k: full[k] for k in ("id", "name", "full_name", "fork", "url", "html_url")})
        data["owner"] = full["owner"]
        data["private"] = False
        return data

    def _pull_json(self, pull: Pull) -> dict[str, Any]:
        data = self._example("GET /repos/{owner}/{repo}/pulls/{pull_number}")
        url = f"{self._repo_url()}/pulls/{pull.number}"
        data.update(
            number=pull.number,
            title=pull.title,
            state=pull.state,
            merged=pull.merged,
            merged_at=pull.merged_at,
            closed_at=pull.merged_at,
            merge_commit_sha=pull.merge_commit_sha,
            created_at=pull.created_at,
            url=url,
            html_url=f"https://github.com/{self.full_name}/pull/{pull.number}",
            issue_url=f"{self._repo_url()}/issues/{pull.number}",
            user=self._user(pull.author),
            requested_teams=[],  # GitHub's own example lacks a field its schema requires
        )
        data["head"].update(
            sha=pull.head_sha,
            ref=pull.head_ref,
            label=f"{pull.head_repo.split('/')[0]}:{pull.head_ref}",
            user=self._user(pull.head_repo.split("/")[0]),
        )
        data["base"]["ref"] = self.default_branch
        for side, full_name in (("head", pull.head_repo), ("base", self.full_name)):
            full = self._repo_json(full_name)
            data[side]["repo"].update(
                {k: full[k] for k in ("id", "name", "full_name", "fork", "url", "html_url")},
                owner=full["owner"],
                default_branch=self.default_branch,
            )
        return data

    def _workflow_json(self, workflow: Workflow) -> dict[str, Any]:
        data = self._example("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}")
        data.update(
            id=workflow.id,
            name=workflow.name,
            path=workflow.path,
            url=f"{self._repo_url()}/actions/workflows/{workflow.id}",
        )
        return data

    def _run_json(self, run: Run) -> dict[str, Any]:
        data = self._example("GET /repos/{owner}/{repo}/actions/runs/{run_id}")
        url = f"{self._repo_url()}/actions/runs/{run.id}"
        data.update(
            id=run.id,
            name=run.name,
            path=run.path,
            event=run.event,
            head_sha=run.head_sha,
            head_branch=run.head_branch,
            workflow_id=run.workflow_id,
            status=run.status,
            conclusion=run.conclusion,
            display_title=run.display_title or run.name,
            url=url,
            html_url=f"https://github.com/{self.full_name}/actions/runs/{run.id}",
            artifacts_url=f"{url}/artifacts",
            jobs_url=f"{url}/jobs",
            logs_url=f"{url}/logs",
            cancel_url=f"{url}/cancel",
            rerun_url=f"{url}/rerun",
            previous_attempt_url=None,
            workflow_url=f"{self._repo_url()}/actions/workflows/{run.workflow_id}",
            pull_requests=[],
            referenced_workflows=[],
            repository=self._minimal_repo(self.full_name),
            head_repository=self._minimal_repo(run.head_repo),
        )
        data["head_commit"].update(id=run.head_sha, tree_id=run.head_sha)
        return data

    def _artifact_json(self, artifact: Artifact) -> dict[str, Any]:
        template = self._example("GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}")
        run = self.runs[artifact.run_id]
        url = f"{self._repo_url()}/actions/artifacts/{artifact.id}"
        return {
            **template,
            "id": artifact.id,
            "name": artifact.name,
            "size_in_bytes": len(artifact.data),
            "url": url,
            "archive_download_url": f"{url}/zip",
            "expired": artifact.expired,
            "digest": "sha256:" + hashlib.sha256(artifact.data).hexdigest(),
            "workflow_run": {
                "id": run.id,
                "repository_id": self._repo_json(self.full_name)["id"],
                "head_repository_id": self._repo_json(run.head_repo)["id"],
                "head_branch": run.head_branch,
                "head_sha": run.head_sha,
            },
        }

    def _content_json(self, kind: str, path: str, **extra: Any) -> dict[str, Any]:
        key = "GET /repos/{owner}/{repo}/contents/{path}"
        data = copy.deepcopy(SPEC[key]["examples"][f"response-if-content-is-a-{kind}"])
        if kind == "directory":
            data = data[0]
            kind = "dir"
        data.update(
            type=kind,
            path=path,
            name=path.rsplit("/", 1)[-1],
            url=f"{self._repo_url()}/contents/{path}",
            **extra,
        )
        return data

    def _contents(self, path: str, ref: str | None) -> tuple[int, Any]:
        """GET contents: a file, a directory listing, a link or a submodule at a PR's head.

        A link to a file in the repository is answered with that file, as GitHub does."""
        pull = next((p for p in self.pulls.values() if p.head_sha == ref), None)
        if pull is None:
            return 404, {"message": "No commit found for the ref"}
        files = pull.at_head()
        path = path.strip("/")
        if path in pull.links:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(path), pull.links[path]))
            if target in files:
                path = target
            else:
                return 200, self._content_json(
                    "symlink", path, target=pull.links[path], size=len(pull.links[path])
                )
        if path in pull.submodules:
            return 200, self._content_json(
                "submodule",
                path,
                sha=pull.submodules[path],
                size=0,
                submodule_git_url="git://example.invalid/other.git",
            )
        if path in files:
            raw = files[path]
            return 200, self._content_json(
                "file",
                path,
                size=len(raw),
                encoding="base64",
                content=base64.b64encode(raw).decode(),
                sha=hashlib.sha1(raw).hexdigest(),  # noqa: S324 - a git-like blob id
            )
        prefix = path + "/"
        names = sorted({*files, *pull.links, *pull.submodules})
        children: dict[str, str] = {}
        for name in names:
            if name.startswith(prefix):
                rest = name[len(prefix) :]
                child = prefix + rest.split("/", 1)[0]
                if "/" in rest:
                    children[child] = "dir"
                elif name in pull.links:
                    children[child] = "symlink"
                elif name in pull.submodules:
                    children[child] = "submodule"
                else:
                    children[child] = "file"
        if not children:
            return 404, {"message": "Not Found"}
        listing = []
        for child, kind in sorted(children.items()):
            entry = self._content_json("directory", child, size=len(files.get(child, b"")))
            entry["type"] = kind
            listing.append(entry)
        return 200, listing

    def _issue_json(self, number: int) -> dict[str, Any]:
        data = self._example("GET /repos/{owner}/{repo}/issues/{issue_number}")
        data.update(
            number=number,
            url=f"{self._repo_url()}/issues/{number}",
            comments_url=f"{self._repo_url()}/issues/{number}/comments",
            labels_url=f"{self._repo_url()}/issues/{number}/labels{{/name}}",
            pull_request=None,
            labels=self._labels_json(number),
        )
        return data

    def _labels_json(self, number: int) -> list[dict[str, Any]]:
        template = self._example("GET /repos/{owner}/{repo}/issues/{issue_number}/labels")[0]
        return [
            {**template, "name": name, "url": f"{self._repo_url()}/labels/{name}"}
            for name in self.pulls[number].labels
        ]

    def _comment_json(self, comment: dict[str, Any]) -> dict[str, Any]:
        data = self._example("POST /repos/{owner}/{repo}/issues/{issue_number}/comments")
        data.update(
            id=comment["id"],
            body=comment["body"],
            user=self._user(comment["author"]),
            url=f"{self._repo_url()}/issues/comments/{comment['id']}",
            issue_url=f"{self._repo_url()}/issues/{comment['issue']}",
        )
        return data

    def _actions(self, key: str, params: dict[str, str], query: dict[str, str]) -> tuple[int, Any]:
        """The Actions operations: workflows, runs, artifacts."""
        if key.startswith("GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}"):
            wanted = params["workflow_id"]
            workflow = next(
                (
                    w
                    for w in self.workflows.values()
                    if str(w.id) == wanted or w.path == f".github/workflows/{wanted}"
                ),
                None,
            )
            if workflow is None:
                return 404, {"message": "Not Found"}
            if not key.endswith("/runs"):
                return 200, self._workflow_json(workflow)
            runs = [r for r in self.runs.values() if r.workflow_id == workflow.id]
            for name, field_name in (("event", "event"), ("head_sha", "head_sha")):
                if name in query:
                    runs = [r for r in runs if getattr(r, field_name) == query[name]]
            if "branch" in query:
                runs = [r for r in runs if r.head_branch == query["branch"]]
            if "status" in query:
                runs = [r for r in runs if query["status"] in (r.status, r.conclusion)]
            runs.sort(key=lambda r: -r.id)
            page = [self._run_json(r) for r in self._page(runs, query)]
            return 200, {"total_count": len(runs), "workflow_runs": page}
        if "run_id" in params:
            run = self.runs.get(int(params["run_id"]))
            if run is None:
                return 404, {"message": "Not Found"}
            if key.endswith("/artifacts"):
                found = [a for a in self.artifacts.values() if a.run_id == run.id]
                return self._artifact_list(found, query)
            return 200, self._run_json(run)
        if key == "GET /repos/{owner}/{repo}/actions/artifacts":
            return self._artifact_list(list(self.artifacts.values()), query)
        artifact = self.artifacts.get(int(params["artifact_id"]))
        if artifact is None:
            return 404, {"message": "Not Found"}
        if "archive_format" not in params:
            return 200, self._artifact_json(artifact)
        if params["archive_format"] != "zip":
            return 404, {"message": "Not Found"}
        if artifact.expired:
            return 410, {"message": "Artifact has expired"}
        return 302, {"Location": f"{self.base_url}{BLOBS}{artifact.id}.zip"}

    def _artifact_list(self, found: list[Artifact], query: dict[str, str]) -> tuple[int, Any]:
        if "name" in query:
            found = [a for a in found if a.name == query["name"]]
        found.sort(key=lambda a: -a.id)
        page = self._page(found, query)
        return 200, {"total_count": len(found), "artifacts": [self._artifact_json(a) for a in page]}

    @staticmethod
    def _page(items: list[Any], query: dict[str, str]) -> list[Any]:
        size = min(int(query.get("per_page", 30)), 100)
        start = (int(query.get("page", 1)) - 1) * size
        return items[start : start + size]

    def respond(self, key: str, params: dict[str, str], query: str, body: Any) -> tuple[int, Any]:
        """The double's behaviour for one operation."""
        method = key.split(" ", 1)[0]
        number = int(params.get("pull_number") or params.get("issue_number") or 0)
        if number and number not in self.pulls:
            return 404, {"message": "Not Found"}
        args = {name: values[-1] for name, values in parse_qs(query).items()}
        if "/actions/" in key:
            return self._actions(key, params, args)
        if key == "GET /repos/{owner}/{repo}":
            return 200, self._repo_json(self.full_name)
        if key == "GET /repos/{owner}/{repo}/pulls":
            state = args.get("state", "open")
            pulls = [p for p in self.pulls.values() if state in ("all", p.state)]
            if "head" in args:  # `owner:branch`
                pulls = [
                    p for p in pulls if f"{p.head_repo.split('/')[0]}:{p.head_ref}" == args["head"]
                ]
            pulls.sort(key=lambda p: -p.number)
            return 200, [self._pull_json(p) for p in self._page(pulls, args)]
        if key == "GET /repos/{owner}/{repo}/pulls/{pull_number}":
            return 200, self._pull_json(self.pulls[number])
        if key == "GET /repos/{owner}/{repo}/pulls/{pull_number}/files":
            template = self._example(key)[0]
            pull = self.pulls[number]
            listed = []
            for name in pull.files:
                entry = {**template, "filename": name, "status": "modified"}
                if name in pull.renamed:
                    entry.update(status="renamed", previous_filename=pull.renamed[name])
                listed.append(entry)
            return 200, self._page(listed, args)
        if key == "GET /repos/{owner}/{repo}/commits/{ref}":
            data = self._example(key)
            data.update(sha=params["ref"], url=f"{self._repo_url()}/commits/{params['ref']}")
            return 200, data
        if key == "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls":
            # As GitHub: a commit that only a fork has is associated with no PR here.
            sha = params["commit_sha"]
            return 200, [
                self._pull_json(p)
                for p in self.pulls.values()
                if sha == p.merge_commit_sha
                or (sha == p.head_sha and p.head_repo == self.full_name)
            ]
        if key == "GET /repos/{owner}/{repo}/issues/{issue_number}":
            return 200, self._issue_json(number)
        if key == "GET /repos/{owner}/{repo}/issues/{issue_number}/comments":
            return 200, [
                self._comment_json(c)
                for c in sorted(self.comments_on(number), key=lambda c: c["id"])
            ]
        if key == "POST /repos/{owner}/{repo}/issues/{issue_number}/comments":
            new = self.add_comment(number, BOT, body["body"])
            return 201, self._comment_json(self.comments[new])
        comment_id = int(params.get("comment_id", 0))
        if comment_id and comment_id not in self.comments:
            return 404, {"message": "Not Found"}
        if key == "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}":
            if self.comments[comment_id]["author"] != BOT:
                return 403, {"message": "Must have admin rights to Repository."}
            self.comments[comment_id]["body"] = body["body"]
            return 200, self._comment_json(self.comments[comment_id])
        if key == "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}":
            del self.comments[comment_id]
            return 204, None
        if key == "GET /repos/{owner}/{repo}/issues/{issue_number}/labels":
            return 200, self._labels_json(number)
        if key == "POST /repos/{owner}/{repo}/issues/{issue_number}/labels":
            names = body if isinstance(body, list) else body.get("labels", [])
            for name in names:
                if name not in self.pulls[number].labels:
                    self.pulls[number].labels.append(name)
            return 200, self._labels_json(number)
        if key == "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}":
            name = unquote(params["name"])
            if name not in self.pulls[number].labels:
                return 404, {"message": "Label does not exist"}
            self.pulls[number].labels.remove(name)
            return 200, self._labels_json(number)
        if key == "POST /repos/{owner}/{repo}/check-runs":
            self.check_runs.append(body)
            data = self._example(key)
            data.update(
                name=body["name"], head_sha=body["head_sha"], conclusion=body.get("conclusion")
            )
            return 201, data
        if key == "POST /repos/{owner}/{repo}/statuses/{sha}":
            self.statuses.append({**body, "sha": params["sha"]})
            return 201, self._example(key)
        if key == "GET /repos/{owner}/{repo}/contents/{path}":
            return self._contents(unquote(params["path"]), args.get("ref"))
        return 501, {"message": f"the double does not implement {key} ({method})"}

    # --- control (not GitHub's API): for stand-ins running in other processes ----------
    def _control(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        """`POST runs` (add_run's arguments as JSON), `PATCH runs/<id>` (status,
        conclusion), `PUT runs/<id>/artifacts/<name>` (the zip as the body), `POST pulls`
        (add_pull's arguments; files as base64), `POST pulls/<n>/merge` ({"sha": ...}),
        `GET state` (comments, labels, check runs, statuses)."""
        parts = path.strip("/").split("/")
        try:
            if method == "GET" and parts == ["state"]:
                return 200, {
                    "comments": list(self.comments.values()),
                    "labels": {n: p.labels for n, p in self.pulls.items()},
                    "check_runs": self.check_runs,
                    "statuses": self.statuses,
                }
            if (
                method == "PUT"
                and len(parts) == 4
                and parts[0] == "runs"
                and parts[2] == "artifacts"
            ):
                if int(parts[1]) not in self.runs:
                    return 404, {"message": f"no run {parts[1]}"}
                return 201, {"id": self.add_artifact(int(parts[1]), unquote(parts[3]), raw).id}
            body = json.loads(raw) if raw else {}
            if method == "POST" and parts == ["runs"]:
                return 201, {"id": self.add_run(**body).id}
            if method == "PATCH" and len(parts) == 2 and parts[0] == "runs":
                run = self.runs[int(parts[1])]
                run.status = body.get("status", run.status)
                run.conclusion = body.get("conclusion", run.conclusion)
                return 200, {"id": run.id}
            if method == "POST" and parts == ["pulls"]:
                files = {k: base64.b64decode(v) for k, v in body.pop("files", {}).items()}
                tree = {k: base64.b64decode(v) for k, v in body.pop("tree", {}).items()}
                return 201, {"number": self.add_pull(files=files, tree=tree, **body).number}
            if method == "POST" and len(parts) == 3 and parts[::2] == ["pulls", "merge"]:
                return 200, {"number": self.merge(int(parts[1]), body["sha"]).number}
        except (KeyError, TypeError, ValueError) as exc:
            return 400, {"message": f"control {method} {path}: {exc!r}"}
        return 404, {"message": f"no control route {method} {path}"}

    # --- HTTP --------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, raw_body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parsed = urlparse(raw_path)
        path = parsed.path
        if path.startswith(CONTROL):
            with self.lock:
                status, data = self._control(method, path[len(CONTROL) :], raw_body)
            return status, {}, json.dumps(data).encode()
        body = json.loads(raw_body) if raw_body else None
        with self.lock:
            self.requests.append(Recorded(method, path, body, time.monotonic()))
            if method == "GET" and path.startswith(BLOBS):
                artifact = self.artifacts.get(int(path[len(BLOBS) :].removesuffix(".zip") or 0))
                if artifact is None:
                    return 404, {}, b"no such blob"
                return 200, {"Content-Type": "application/zip"}, artifact.data
            for fault in self.faults:
                if fault.times > 0 and fault.method == method and fault.pattern.search(path):
                    fault.times -= 1
                    return fault.status, fault.headers, json.dumps(fault.body).encode()
            for route_method, pattern, key in ROUTES:
                match = pattern.match(path)
                if route_method != method or not match:
                    continue
                schema = SPEC[key]["request_schema"]
                if schema is not None:
                    try:
                        jsonschema.validate(body, schema)
                    except jsonschema.ValidationError as exc:
                        self.violations.append(f"{key}: {exc.message}")
                        return 422, {}, json.dumps({"message": exc.message}).encode()
                status, data = self.respond(key, match.groupdict(), parsed.query, body)
                if status == 302:
                    return status, dict(data), b""
                response_schema = SPEC[key].get("response_schema")
                if response_schema is not None and 200 <= status < 300:
                    try:
                        jsonschema.validate(data, response_schema)
                    except jsonschema.ValidationError as exc:
                        where = "/".join(str(p) for p in exc.absolute_path)
                        self.violations.append(f"{key} answer at {where}: {exc.message[:200]}")
                payload = b"" if data is None else json.dumps(data).encode()
                return status, {}, payload
        self.violations.append(f"no such operation: {method} {path}")
        return 404, {}, json.dumps({"message": "Not Found"}).encode()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        double = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, headers, payload = double.handle(
                    self.command, self.path, self.rfile.read(length)
                )
                self.send_response(status)
                if "Content-Type" not in headers:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test asserts on recorded requests instead."""

        return Handler
