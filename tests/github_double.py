"""A local double of the GitHub REST API on loopback, for the real PyGithub client.

Routes are the operations in tests/fixtures/github/openapi-subset.json (extracted from
GitHub's published description); responses are that file's examples with the double's
state written in; every request body is validated against the operation's schema
(violations are recorded and answered 422). Faults can be queued per route.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jsonschema

SPEC = json.loads(
    (Path(__file__).parent / "fixtures" / "github" / "openapi-subset.json").read_text(
        encoding="utf-8"
    )
)
BOT = "github-actions[bot]"


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
    files: dict[str, bytes]
    state: str = "open"
    labels: list[str] = field(default_factory=list)


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
        self.comments: dict[int, dict[str, Any]] = {}
        self.check_runs: list[dict[str, Any]] = []
        self.statuses: list[dict[str, Any]] = []
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.next_id = 1000
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
        self, number: int, head_sha: str, title: str, author: str, files: dict[str, bytes]
    ) -> Pull:
        self.pulls[number] = Pull(number, head_sha, title, author, files)
        return self.pulls[number]

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

    def _pull_json(self, pull: Pull) -> dict[str, Any]:
        data = self._example("GET /repos/{owner}/{repo}/pulls/{pull_number}")
        url = f"{self._repo_url()}/pulls/{pull.number}"
        data.update(
            number=pull.number,
            title=pull.title,
            state=pull.state,
            merged=False,
            url=url,
            issue_url=f"{self._repo_url()}/issues/{pull.number}",
            user=self._user(pull.author),
        )
        data["head"]["sha"] = pull.head_sha
        return data

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

    def respond(self, key: str, params: dict[str, str], query: str, body: Any) -> tuple[int, Any]:
        """The double's behaviour for one operation."""
        method = key.split(" ", 1)[0]
        number = int(params.get("pull_number") or params.get("issue_number") or 0)
        if number and number not in self.pulls:
            return 404, {"message": "Not Found"}
        if key == "GET /repos/{owner}/{repo}":
            data = self._example(key)
            data.update(name=self.repo, full_name=f"{self.owner}/{self.repo}", url=self._repo_url())
            return 200, data
        if key == "GET /repos/{owner}/{repo}/pulls/{pull_number}":
            return 200, self._pull_json(self.pulls[number])
        if key == "GET /repos/{owner}/{repo}/pulls/{pull_number}/files":
            template = self._example(key)[0]
            return 200, [{**template, "filename": name} for name in self.pulls[number].files]
        if key == "GET /repos/{owner}/{repo}/commits/{ref}":
            data = self._example(key)
            data.update(sha=params["ref"], url=f"{self._repo_url()}/commits/{params['ref']}")
            return 200, data
        if key == "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls":
            return 200, [
                self._pull_json(p)
                for p in self.pulls.values()
                if p.head_sha == params["commit_sha"]
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
            ref = dict(p.split("=", 1) for p in query.split("&") if "=" in p).get("ref")
            path = unquote(params["path"])
            for pull in self.pulls.values():
                if pull.head_sha == ref and path in pull.files:
                    data = self._example(key)
                    raw = pull.files[path]
                    data.update(
                        type="file",
                        path=path,
                        name=path.rsplit("/", 1)[-1],
                        size=len(raw),
                        encoding="base64",
                        content=base64.b64encode(raw).decode(),
                    )
                    return 200, data
            return 404, {"message": "Not Found"}
        return 501, {"message": f"the double does not implement {key} ({method})"}

    # --- HTTP --------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, raw_body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parsed = urlparse(raw_path)
        path = parsed.path
        body = json.loads(raw_body) if raw_body else None
        with self.lock:
            self.requests.append(Recorded(method, path, body, time.monotonic()))
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
