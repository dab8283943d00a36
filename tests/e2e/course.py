"""The course on a local stand-in for GitHub, with nektos/act as the workflow engine.

`Course` is GitHub's side: a folder of bare repositories as the git server (the course
repository and the teams' forks), the REST double as the API, and the event dispatcher:
it writes each event's payload, registers the run in the double, runs the workflow file
of the right commit under act (host mode, the stand-in actions of tests/e2e/actions), and
fires the `workflow_run` workflows that listen to the finished run's *name*, as GitHub does.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO
from tests.github_double import GitHubDouble, Run

HERE = Path(__file__).resolve().parent
ACTIONS = {  # the pinned actions of our workflows -> their stand-ins
    "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683": "checkout",
    "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065": "setup-python",
    "actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02": "upload-artifact",
    "actions/download-artifact@d3f86a106a0bac45b974a628896c90dbdf5c8093": "download-artifact",
}
WEBHOOKS = REPO / "tests" / "fixtures" / "github" / "webhooks"
TOKEN = "ghs_e2eTokenThatMustNeverBePrinted0000"  # noqa: S105 - the runs' GITHUB_TOKEN
OWNER, NAME = "octo", "course"
MAIN = "main"
ACT_TIMEOUT = 900


def act_binary() -> str | None:
    found = shutil.which("act", path=str(Path(sys.executable).parent))
    return found or shutil.which("act")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=120
    )
    return (done.stdout or "").strip()


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow.get(True, workflow.get("on"))  # YAML 1.1 reads `on:` as True
    if isinstance(on, str):
        return {on: {}}
    if isinstance(on, list):
        return {name: {} for name in on}
    return {name: spec or {} for name, spec in (on or {}).items()}


@dataclass
class Act:
    """One act invocation: which workflow, its run in the double, and what act said."""

    workflow: str
    run: Run
    returncode: int
    log: str
    started: float = 0.0  # time.monotonic() around act
    ended: float = 0.0

    @property
    def jobs_succeeded(self) -> int:
        return self.log.count("🏁  Job succeeded")


@dataclass
class PullRequest:
    number: int
    author: str
    title: str
    head_sha: str
    base_sha: str
    fork: str
    branch: str
    runs: list[Act] = field(default_factory=list)


class Course:
    def __init__(self, root: Path, double: GitHubDouble, act: str) -> None:
        self.root, self.double, self.act = root, double, act
        self.server = root / "git"
        self.bare = self.server / OWNER / NAME
        self.artifacts = root / "artifacts"
        self.artifacts.mkdir(parents=True)
        self.home = root / "home"
        self.home.mkdir()
        self.acts: list[Act] = []
        self.numbers = iter(range(1, 1000))

    # --- the git server ----------------------------------------------------------------
    def seed(self, overlay: dict[str, bytes]) -> str:
        """The course repository's main: this project's files plus `overlay`."""
        work = self.root / "seed"
        work.mkdir()
        listed = git(REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for name in filter(None, listed.split("\0")):
            source = REPO / name
            if source.is_file() and not name.startswith("results/"):
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, work / name)
        self.write(work, overlay)
        git(work, "init", "-q", "-b", MAIN)
        self.commit(work, "The course repository")
        self.bare.parent.mkdir(parents=True)
        git(self.root, "init", "-q", "--bare", "-b", MAIN, str(self.bare))
        git(self.bare, "config", "uploadpack.allowAnySHA1InWant", "true")
        git(work, "push", "-q", str(self.bare), f"HEAD:refs/heads/{MAIN}")
        return self.main_sha()

    @staticmethod
    def write(work: Path, files: dict[str, bytes | None]) -> None:
        for name, data in files.items():
            path = work / name
            if data is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)

    @staticmethod
    def commit(work: Path, message: str) -> str:
        git(work, "add", "-A")
        git(
            work,
            *("-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid"),
            *("commit", "-q", "--allow-empty", "-m", message),
        )
        return git(work, "rev-parse", "HEAD")

    def main_sha(self) -> str:
        return git(self.bare, "rev-parse", f"refs/heads/{MAIN}")

    def show(self, ref: str, path: str) -> bytes | None:
        done = subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=self.bare, capture_output=True, check=False
        )
        return done.stdout if done.returncode == 0 else None

    def clone(self, sha: str, into: Path) -> Path:
        """A working copy at `sha` on branch main whose origin names the course on GitHub
        (act reads github.repository from it); the commit comes from the bare repository."""
        git(self.root, "init", "-q", "-b", MAIN, str(into))
        git(into, "fetch", "-q", str(self.bare), sha)
        git(into, "reset", "-q", "--hard", sha)
        git(into, "remote", "add", "origin", f"https://github.com/{OWNER}/{NAME}.git")
        return into

    # --- pull requests -----------------------------------------------------------------
    def open_pull(self, author: str, title: str, files: dict[str, bytes | None]) -> PullRequest:
        """A fork of the course by `author`, one commit with `files`, a PR against main."""
        number = next(self.numbers)
        base = self.main_sha()
        work = self.root / f"fork-{number}"
        self.clone(base, work)
        self.write(work, files)
        head = self.commit(work, title)
        fork = self.server / author / NAME
        if not fork.exists():
            git(self.root, "clone", "-q", "--bare", str(self.bare), str(fork))
        branch = f"submission-{number}"  # one open PR per head branch, as GitHub has it
        git(work, "push", "-q", "-f", str(fork), f"HEAD:refs/heads/{branch}")
        git(work, "push", "-q", "-f", str(self.bare), f"HEAD:refs/pull/{number}/head")
        changed = git(work, "diff", "--name-only", f"{base}...{head}").splitlines()
        at_head = git(work, "ls-tree", "-r", "--name-only", head, "submissions").splitlines()
        self.double.add_pull(
            number,
            head,
            title,
            author,
            {name: self.show(head, name) or b"" for name in changed},
            tree={name: self.show(head, name) or b"" for name in at_head if name not in changed},
            head_repo=f"{author}/{NAME}",
            head_ref=branch,
        )
        pull = PullRequest(number, author, title, head, base, f"{author}/{NAME}", branch)
        pull.runs = self.dispatch_pull_request(pull, "opened")
        return pull

    def pull_request_event(self, pull: PullRequest, action: str) -> dict[str, Any]:
        event = json.loads((WEBHOOKS / f"pull_request.{action}.json").read_text())
        data = self.double._pull_json(self.double.pulls[pull.number])
        data["base"]["sha"] = pull.base_sha
        event.update(action=action, number=pull.number, pull_request=data)
        event["repository"] = self.double._repo_json(self.double.full_name)
        event["sender"] = self.double._user(pull.author)
        return event

    def dispatch_pull_request(self, pull: PullRequest, action: str) -> list[Act]:
        """Every workflow of the PR's head that runs on pull_request: the PR's own files."""
        event = self.pull_request_event(pull, action)
        acts = []
        for path, workflow in self.workflows(pull.head_sha).items():
            on = triggers(workflow).get("pull_request")
            if on is None or action not in on.get("types", [action]):
                continue
            head = (pull.head_sha, pull.branch, pull.fork)
            acts += self.run(path, workflow, "pull_request", event, pull.head_sha, head)
        return acts

    def merge(self, pull: PullRequest) -> str:
        """Merge the PR into main (a merge commit), as the merge button does."""
        work = self.clone(self.main_sha(), self.root / f"merge-{pull.number}")
        git(work, "fetch", "-q", str(self.bare), f"refs/pull/{pull.number}/head")
        git(
            work,
            *("-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid"),
            *("merge", "-q", "--no-ff", "-m", f"Merge pull request #{pull.number}", "FETCH_HEAD"),
        )
        sha = git(work, "rev-parse", "HEAD")
        git(work, "push", "-q", str(self.bare), f"HEAD:refs/heads/{MAIN}")
        self.double.merge(pull.number, sha)
        return sha

    def push_event(self, before: str, after: str) -> dict[str, Any]:
        changed = git(self.bare, "diff", "--name-only", before, after).splitlines()
        repo = self.double._repo_json(self.double.full_name)
        commit = {"id": after, "message": "merge", "added": [], "removed": [], "modified": changed}
        return {
            "ref": f"refs/heads/{MAIN}",
            "before": before,
            "after": after,
            "repository": repo,
            "pusher": {"name": "maintainer"},
            "sender": self.double._user("maintainer"),
            "commits": [commit],
            "head_commit": commit,
        }

    def dispatch_push(self, before: str, after: str) -> list[Act]:
        """The default branch's workflows that run on a push to main touching their paths."""
        event = self.push_event(before, after)
        changed = event["commits"][0]["modified"]
        acts = []
        for path, workflow in self.workflows(after).items():
            on = triggers(workflow).get("push")
            if on is None or MAIN not in on.get("branches", [MAIN]):
                continue
            patterns = [p.removesuffix("**") for p in on.get("paths", [""])]
            if not any(name.startswith(p) for name in changed for p in patterns):
                continue
            head = (after, MAIN, self.double.full_name)
            acts += self.run(path, workflow, "push", event, after, head)
        return acts

    # --- runs --------------------------------------------------------------------------
    def workflows(self, sha: str) -> dict[str, dict[str, Any]]:
        names = git(self.bare, "ls-tree", "--name-only", sha, ".github/workflows/").splitlines()
        found = {}
        for name in names:
            text = self.show(sha, name)
            if name.endswith((".yml", ".yaml")) and text is not None:
                found[name] = yaml.safe_load(text)
        return found

    def run(
        self,
        path: str,
        workflow: dict[str, Any],
        event_name: str,
        event: dict[str, Any],
        sha: str,
        head: tuple[str, str, str],
    ) -> list[Act]:
        """One run of `path` at commit `sha` under act, then the workflow_run listeners.

        `head` is the run's (head SHA, head branch, head repository) as the API shows them.
        """
        name = str(workflow.get("name") or Path(path).stem)
        run = self.double.add_run(
            path, event_name, head[0], head_branch=head[1], head_repo=head[2], name=name
        )
        run.status, run.conclusion = "in_progress", None
        act = self.invoke(path, run, event_name, event, sha)
        run.status = "completed"
        run.conclusion = "success" if act.returncode == 0 else "failure"
        if act.returncode == 0 and act.jobs_succeeded == 0:
            run.conclusion = "skipped"
        self.register_artifacts(run)
        return [act, *self.workflow_run_listeners(run)]

    def workflow_run_listeners(self, finished: Run) -> list[Act]:
        """The default branch's workflows whose `workflow_run.workflows` names the run."""
        acts = []
        main = self.main_sha()
        for path, workflow in self.workflows(main).items():
            on = triggers(workflow).get("workflow_run")
            if on is None or finished.name not in on.get("workflows", []):
                continue
            event = json.loads((WEBHOOKS / "workflow_run.completed.json").read_text())
            event["workflow_run"] = self.double._run_json(finished)
            event["workflow"] = self.double._workflow_json(self.double.workflow(finished.path))
            event["repository"] = self.double._repo_json(self.double.full_name)
            head = (main, MAIN, self.double.full_name)  # not the trigger's: see README.md
            acts += self.run(path, workflow, "workflow_run", event, main, head)
        return acts

    def register_artifacts(self, run: Run) -> None:
        store = self.artifacts / str(run.id)
        for folder in sorted(store.iterdir()) if store.is_dir() else []:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                for file in sorted(folder.rglob("*")):
                    if file.is_file():
                        archive.write(file, file.relative_to(folder).as_posix())
            self.double.add_artifact(run.id, folder.name, buffer.getvalue())

    def environment(self) -> dict[str, str]:
        """act's own environment, and so the host runner's: nothing of the test process."""
        path = [str(HERE / "bin"), "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin"]
        return {
            "PATH": os.pathsep.join([*path, "/sbin", "/bin"]),
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "TMPDIR": str(self.root / "tmp"),
        }

    def invoke(self, path: str, run: Run, event_name: str, event: dict[str, Any], sha: str) -> Act:
        folder = self.root / "runs" / str(run.id)
        workdir = self.clone(sha, folder / "repo")
        payload = folder / "event.json"
        payload.write_text(json.dumps(event), encoding="utf-8")
        (self.root / "tmp").mkdir(exist_ok=True)
        env = {
            "GITHUB_API_URL": self.double.base_url,
            "MCV_E2E_GIT_SERVER": self.server.as_uri(),
            "GITHUB_RUN_ID": str(run.id),
            "MCV_E2E_ARTIFACTS": str(self.artifacts),
            "MCV_E2E_PYTHON": getattr(sys, "_base_executable", sys.executable),
            "MCV_E2E_STACK": sysconfig.get_path("purelib"),
            # The runner's pip is offline: everything comes from the test venv.
            "PIP_NO_INDEX": "1",
            "PIP_NO_BUILD_ISOLATION": "0",  # pip reads this variable inverted: 0 = off
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        cmd = [
            self.act,
            event_name,
            *("-e", str(payload), "-W", path),
            *("-P", "ubuntu-latest=-self-hosted", "-P", "self-hosted=-self-hosted"),
            *("--action-offline-mode", "--pull=false", "--no-skip-checkout"),
            *("--action-cache-path", str(self.root / "act-cache")),
            *("--container-daemon-socket", "-", "--no-cache-server"),
            *("--defaultbranch", MAIN, "--actor", event["sender"]["login"]),
            *("-s", f"GITHUB_TOKEN={TOKEN}", "--var", "MCV_DEVICE=cpu"),
        ]
        for uses, stand_in in ACTIONS.items():
            cmd += ["--local-repository", f"{uses}={HERE / 'actions' / stand_in}"]
        for key, value in env.items():
            cmd += ["--env", f"{key}={value}"]
        started = time.monotonic()
        done = subprocess.run(
            cmd,
            cwd=workdir,
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=ACT_TIMEOUT,
            check=False,
        )
        log = done.stdout + done.stderr
        (folder / "act.log").write_text(log, encoding="utf-8")
        act = Act(path, run, done.returncode, log, started, time.monotonic())
        self.acts.append(act)
        return act
