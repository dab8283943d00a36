"""Provenance, not names: report, prepare and publish against the REST double, attacked.

Every hostile case ends with nothing posted as verified, nothing re-executed or nothing
published, and a message that says why. The real PyGithub client talks to the double.
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compare.planted import honest
from tests.github_double import GitHubDouble, Run
from validator.github.client import RepoInfo, RunInfo
from validator.github.provenance import REPRODUCE, VALIDATE, PullRecord, run_problems
from validator.leaderboard.markers import END, START
from validator.verification import VerificationRecord

MANIFEST = "submissions/ml_masters/hw-2.yaml"
HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
NEWER = "7" * 40
MAIN = "a" * 40  # the default branch's commit: a workflow_run's own head
MERGE = "b" * 40
FORK = "student/course"
TEAMS = "teams:\n  ml_masters:\n    members: [student]\n  other:\n    members: [rival]\n"


def manifest_bytes(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


class Course:
    """The double set up as GitHub would be after an honest PR was validated and reproduced."""

    def __init__(self, double: GitHubDouble, tmp_path: Path) -> None:
        self.double, self.tmp_path = double, tmp_path
        data, record = honest(500)
        self.raw = manifest_bytes(data)
        self.record = record.model_copy(
            update={
                "manifest_sha256": hashlib.sha256(self.raw).hexdigest(),
                "manifest_path": "manifest/" + MANIFEST,  # the workflow's own layout
            }
        )
        self.pull = double.add_pull(
            7, HEAD, "ml_masters HW-2", "student", {MANIFEST: self.raw}, head_repo=FORK
        )
        self.validate = double.add_run(
            VALIDATE, "pull_request", HEAD, head_branch="submission", head_repo=FORK
        )

    def pull_record(self, **changes: Any) -> PullRecord:
        fields: dict[str, Any] = {
            "pull_request": 7,
            "head_sha": HEAD,
            "head_repo": FORK,
            "validate_run": self.validate.id,
            "manifest": MANIFEST,
            "title": "ml_masters HW-2",
            "author": "student",
            "changed_files": [MANIFEST],
        }
        return PullRecord(**{**fields, **changes})

    def artifact(self, record: VerificationRecord | None = None, **pull: Any) -> bytes:
        return zipped(
            {
                "verification.json": (record or self.record).model_dump_json().encode(),
                "pull.json": self.pull_record(**pull).model_dump_json().encode(),
            }
        )

    def reproduce(self, data: bytes | None = None, name: str | None = None, **run: Any) -> Run:
        """A run of the default branch's reproduce.yml, unless `run` says otherwise."""
        options: dict[str, Any] = {"path": REPRODUCE, "event": "workflow_run", "head_sha": MAIN}
        options.update(run)
        return self.double.add_run(
            **options, artifacts={name or f"verification-{HEAD}": data or self.artifact()}
        )


@pytest.fixture
def double() -> Any:
    with GitHubDouble() as server:
        yield server
    assert server.violations == []


@pytest.fixture
def course(double: GitHubDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Course:
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    return Course(double, tmp_path)


def comment(cli: Any, course: Course, run_id: int) -> tuple[int, str, str]:
    return cli(
        "comment",
        "--repo",
        "octo/course",
        "--api-url",
        course.double.base_url,
        "--retries",
        "0",
        "--throttle",
        "0",
        "--lang",
        "en",
        "--run-id",
        str(run_id),
    )


def nothing_posted(double: GitHubDouble) -> None:
    assert double.comments == {}
    assert all(not p.labels for p in double.pulls.values())
    assert double.check_runs == []
    assert double.statuses == []


# --- report -------------------------------------------------------------------------------


def test_an_honest_reproduce_run_is_reported(cli: Any, course: Course) -> None:
    run = course.reproduce()
    code, _, err = comment(cli, course, run.id)
    assert code == 0, err
    assert f"run {run.id} is the course's reproduce run; it reproduced #7" in err
    (ours,) = course.double.comments_on(7)
    assert ours["body"].startswith("<!-- mcv:report team=ml_masters hw=2 -->")
    assert course.double.pulls[7].labels == ["mcv:verified"]
    assert course.double.check_runs[-1]["head_sha"] == HEAD  # the PR's head, not main's


@pytest.mark.parametrize(
    ("run", "words"),
    [
        # a fork adds its own workflow named `reproduce` on pull_request
        (
            {"path": ".github/workflows/evil.yml", "name": "reproduce", "event": "pull_request",
             "head_sha": HEAD, "head_repo": FORK, "head_branch": "submission"},
            "its workflow file is `.github/workflows/evil.yml`",
        ),
        # a fork edits reproduce.yml itself to run on pull_request: same path, same id
        (
            {"event": "pull_request", "head_sha": HEAD, "head_repo": FORK,
             "head_branch": "main", "api_path": REPRODUCE + "@refs/pull/7/merge"},
            "triggered by `pull_request`, not `workflow_run`",
        ),
        ({"head_repo": FORK}, f"its head repository is `{FORK}`"),
        ({"head_branch": "evil"}, "its head branch is `evil`, not `main`"),
        ({"api_path": "octo/other/.github/workflows/reproduce.yml@main"}, "its workflow file"),
        ({"api_path": REPRODUCE + "@refs/heads/dev"}, "it ran the file at `refs/heads/dev`"),
    ],
    ids=["fork-workflow-named-reproduce", "fork-edited-reproduce", "fork-head", "branch",
         "other-repo", "other-ref"],
)  # fmt: skip
def test_a_run_that_is_not_the_default_branch_reproduce_is_refused(
    cli: Any, course: Course, run: dict[str, Any], words: str
) -> None:
    forged = course.reproduce(**run)
    code, _, err = comment(cli, course, forged.id)
    assert code == 2
    assert f"run {forged.id} (`{forged.name}`) is not a run of the course's {REPRODUCE}" in err
    assert words in err
    assert "Traceback" not in err
    nothing_posted(course.double)
    assert not course.double.calls("GET", "/_blobs/")  # its artifact was never downloaded


def test_names_from_github_cannot_write_workflow_commands(cli: Any, course: Course) -> None:
    forged = course.double.add_run(
        ".github/workflows/evil\n::warning::.yml",
        "pull_request",
        HEAD,
        head_branch="x\n::notice::y",
        name="reproduce\n::add-mask::x\r\n::error title=Verified::ok",
        artifacts={f"verification-{HEAD}": course.artifact()},
    )
    code, _, err = comment(cli, course, forged.id)
    assert code == 2
    assert "reproduce\\n::add-mask::x\\r\\n::error title=Verified::ok" in err
    assert "its head branch is `x\\n::notice::y`" in err
    assert all(not line.startswith("::") for line in err.splitlines())
    assert len(err.strip().splitlines()) == 1
    nothing_posted(course.double)


def test_a_stale_head_is_refused(cli: Any, course: Course) -> None:
    run = course.reproduce()
    course.pull.head_sha = NEWER  # the team pushed again after the run started
    code, _, err = comment(cli, course, run.id)
    assert code == 2
    assert f"#7 is now at {NEWER[:12]}; the run reproduced {HEAD[:12]}" in err
    nothing_posted(course.double)


def test_a_pull_json_naming_another_pr_is_refused(cli: Any, course: Course) -> None:
    other = course.double.add_pull(8, NEWER, "other HW-2", "rival", {}, head_repo="rival/course")
    run = course.reproduce(
        course.artifact(pull_request=8, head_sha=other.head_sha, head_repo="rival/course"),
        name=f"verification-{other.head_sha}",
    )
    code, _, err = comment(cli, course, run.id)
    assert code == 2
    assert f"validate run {course.validate.id} checked {HEAD[:12]}, not {NEWER[:12]}" in err
    nothing_posted(course.double)


def test_a_run_for_another_teams_manifest_is_refused(cli: Any, course: Course) -> None:
    other = course.record.model_copy(update={"manifest_path": "submissions/other/hw-2.yaml"})
    run = course.reproduce(course.artifact(other, manifest="submissions/other/hw-2.yaml"))
    code, _, err = comment(cli, course, run.id)
    assert code == 2
    assert "reproduced `submissions/other/hw-2.yaml`, which #7 does not change" in err
    nothing_posted(course.double)


def test_an_artifact_without_pull_json_is_refused(cli: Any, course: Course) -> None:
    run = course.reproduce(zipped({"verification.json": course.record.model_dump_json().encode()}))
    code, _, err = comment(cli, course, run.id)
    assert (code, "artifact has no pull.json" in err) == (2, True)
    nothing_posted(course.double)


def test_a_run_without_its_artifact_says_so(cli: Any, course: Course) -> None:
    run = course.reproduce(name="manifest")
    code, _, err = comment(cli, course, run.id)
    assert code == 2
    assert "has 0 `verification-<sha>` artifacts" in err
    nothing_posted(course.double)


def test_a_path_of_a_run_is_split_as_github_writes_it() -> None:
    repo = RepoInfo("octo/course", "main")
    for path in (REPRODUCE, REPRODUCE + "@main", "octo/course/" + REPRODUCE + "@refs/heads/main"):
        run = RunInfo(1, 5, path, "workflow_run", MAIN, "main", "octo/course", "completed", None)
        assert run_problems(run, 5, repo, REPRODUCE, "workflow_run") == []
    run = RunInfo(1, 6, REPRODUCE, "workflow_run", MAIN, "main", "octo/course", "completed", None)
    assert run_problems(run, 5, repo, REPRODUCE, "workflow_run") == [
        f"its workflow id is 6, not 5 ({REPRODUCE})"
    ]


# --- prepare: fetch-manifest and check --pull ---------------------------------------------


def fetch(cli: Any, course: Course, run_id: int | None = None) -> tuple[int, str, str]:
    return cli(
        "fetch-manifest",
        "--repo",
        "octo/course",
        "--validate-run",
        str(run_id or course.validate.id),
        "--out",
        str(course.tmp_path / "manifest"),
        "--api-url",
        course.double.base_url,
        "--throttle",
        "0",
    )


def check(cli: Any, course: Course) -> tuple[int, str, str]:
    teams = course.tmp_path / "teams.yml"
    teams.write_text(TEAMS)
    out = course.tmp_path / "manifest"
    return cli(
        "check", str(out / MANIFEST), "--pull", str(out / "pull.json"), "--teams", str(teams)
    )


def with_local_files(course: Course) -> dict[str, Any]:
    data, _ = honest(500)
    data["evaluation"]["dataset"] = "submissions/ml_masters/data/eval.jsonl"
    data["runs"].append(
        {
            "label": "Our own",
            "method": "custom",
            "params": {"script": "tools/compress.py", "description": "our recipe"},
            "reported": {"size_mb": 100},
        }
    )
    course.pull.files[MANIFEST] = manifest_bytes(data)
    course.pull.tree.update(
        {
            "submissions/ml_masters/data/eval.jsonl": b'{"text": "a", "label": 1}\n',
            "submissions/ml_masters/tools/compress.py": b"print('hi')\n",
            "submissions/ml_masters/notes.md": b"not named: not fetched\n",
        }
    )
    return data


def test_fetch_writes_the_manifest_named_team_files_and_the_pr_from_the_api(
    cli: Any, course: Course
) -> None:
    with_local_files(course)
    code, out, err = fetch(cli, course)
    assert code == 0, err
    folder = course.tmp_path / "manifest"
    assert out.strip() == str(folder / MANIFEST)
    assert (folder / MANIFEST).read_bytes() == course.pull.files[MANIFEST]
    assert (folder / "submissions/ml_masters/data/eval.jsonl").is_file()
    assert (folder / "submissions/ml_masters/tools/compress.py").read_bytes() == b"print('hi')\n"
    assert not (folder / "submissions/ml_masters/notes.md").exists()
    pull = PullRecord.model_validate_json((folder / "pull.json").read_bytes())
    assert (pull.pull_request, pull.head_sha, pull.head_repo) == (7, HEAD, FORK)
    assert (pull.title, pull.author, pull.changed_files) == (
        "ml_masters HW-2",
        "student",
        [MANIFEST],
    )
    assert pull.validate_run == course.validate.id
    assert pull.fetched == [
        "submissions/ml_masters/data/eval.jsonl",
        "submissions/ml_masters/tools/compress.py",
    ]
    assert check(cli, course)[0] == 0


def test_a_named_folder_is_fetched_file_by_file_and_a_link_inside_is_refused(
    cli: Any, course: Course
) -> None:
    data, _ = honest(500)
    data["model"]["id"] = "./submissions/ml_masters/model"
    course.pull.files[MANIFEST] = manifest_bytes(data)
    course.pull.tree.update(
        {
            "submissions/ml_masters/model/config.json": b"{}",
            "submissions/ml_masters/model/tokenizer/vocab.txt": b"a\nb\n",
        }
    )
    code, _, err = fetch(cli, course)
    assert code == 0, err
    folder = course.tmp_path / "manifest" / "submissions/ml_masters/model"
    assert (folder / "config.json").read_bytes() == b"{}"
    assert (folder / "tokenizer/vocab.txt").read_bytes() == b"a\nb\n"
    course.pull.links["submissions/ml_masters/model/tokenizer/key"] = "/root/.ssh/id_rsa"
    (course.tmp_path / "manifest").rename(course.tmp_path / "first")
    code, _, err = fetch(cli, course)
    assert code == 2
    assert "`submissions/ml_masters/model/tokenizer/key` is a symbolic link" in err
    assert not (course.tmp_path / "manifest").exists()


def test_a_workflow_named_validate_from_the_fork_is_refused(cli: Any, course: Course) -> None:
    evil = course.double.add_run(
        ".github/workflows/mine.yml", "pull_request", HEAD, "submission", FORK, name="validate"
    )
    code, _, err = fetch(cli, course, evil.id)
    assert code == 2
    assert f"is not a run of the course's {VALIDATE}" in err
    assert not (course.tmp_path / "manifest").exists()


def test_a_validate_run_no_open_pr_matches_is_refused(cli: Any, course: Course) -> None:
    """Same SHA, another fork's branch: the PR is found by head repository and branch."""
    other = course.double.add_run(VALIDATE, "pull_request", HEAD, "submission", "rival/course")
    code, _, err = fetch(cli, course, other.id)
    assert code == 2
    assert "0 open pull requests have head rival/course:submission" in err
    assert not (course.tmp_path / "manifest").exists()


def test_a_replaced_validate_yml_does_not_get_past_prepare(cli: Any, course: Course) -> None:
    """The PR's own validate.yml is `run: true` and succeeds; prepare's own checks fail."""
    course.pull.files[".github/workflows/validate.yml"] = b"jobs: {check: {steps: [{run: 'true'}]}}"
    course.pull.files["README.md"] = b"| ml_masters | 0.99 | \xe2\x9c\x85 |\n"
    assert fetch(cli, course)[0] == 0  # fetching is fine: the files are only data
    code, out, _ = check(cli, course)
    assert code == 1
    assert "`.github/workflows/validate.yml`: workflows and the course config" in out
    assert "`README.md`: the leaderboard in README.md is regenerated by the bot" in out


def test_another_teams_folder_does_not_get_past_prepare(cli: Any, course: Course) -> None:
    data, _ = honest(500)
    data["team"] = "other"
    course.pull.files = {"submissions/other/hw-2.yaml": manifest_bytes(data)}
    assert fetch(cli, course)[0] == 0
    teams = course.tmp_path / "teams.yml"
    teams.write_text(TEAMS)
    out_dir = course.tmp_path / "manifest"
    code, out, _ = cli(
        "check",
        str(out_dir / "submissions/other/hw-2.yaml"),
        "--pull",
        str(out_dir / "pull.json"),
        "--teams",
        str(teams),
    )
    assert code == 1
    assert "`submissions/other/` belongs to another team" in out
    assert "@student is not a member of team `other`" in out


def test_a_rename_out_of_another_teams_folder_counts_both_paths(cli: Any, course: Course) -> None:
    course.pull.renamed[MANIFEST] = "submissions/other/hw-2.yaml"
    code, _, err = fetch(cli, course)
    assert code == 2
    assert "changes 2 manifests" in err


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        ({"dataset": "submissions/other/eval.jsonl"}, "outside submissions/ml_masters/"),
        ({"dataset": "submissions/ml_masters/../other/eval.jsonl"}, "outside submissions/"),
        ({"dataset": "submissions/ml_masters/missing.jsonl"}, "does not have at"),
        ({"link": "../../../README.md"}, "leads to `README.md` (a symbolic link)"),
        ({"link": "/etc/passwd"}, "is a symbolic link"),
        ({"submodule": True}, "is a git submodule"),
        ({"big": 2**20 + 1}, "files handed to the runner are at most 1 MiB each"),
    ],
    ids=["other-team", "dotdot", "missing", "link-to-repo-file", "link-out", "submodule", "big"],
)
def test_hostile_team_files_are_refused_and_nothing_is_written(
    cli: Any, course: Course, setup: dict[str, Any], words: str
) -> None:
    data, _ = honest(500)
    target = "submissions/ml_masters/data/eval.jsonl"
    data["evaluation"]["dataset"] = setup.get("dataset", target)
    course.pull.files[MANIFEST] = manifest_bytes(data)
    course.pull.tree["README.md"] = b"# course\n"
    course.pull.tree["submissions/other/eval.jsonl"] = b"{}\n"
    if "link" in setup:
        course.pull.links[target] = setup["link"]
    elif "submodule" in setup:
        course.pull.submodules[target] = "c" * 40
    else:
        course.pull.tree[target] = b"x" * setup.get("big", 3)
    code, _, err = fetch(cli, course)
    assert code == 2, err
    assert words in err
    assert "Traceback" not in err
    assert not (course.tmp_path / "manifest").exists()


# --- publish ------------------------------------------------------------------------------


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@pytest.fixture
def clone(course: Course, tmp_path: Path) -> Path:
    """The course repository after the merge: a bare origin and the publish job's clone."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(bare))
    work = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    (work / "README.md").write_text(f"# Course\n\n{START}\n{END}\n")
    (work / MANIFEST).parent.mkdir(parents=True)
    (work / MANIFEST).write_bytes(course.raw)
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "merge #7")
    git(work, "push", "--quiet", "origin", "main")
    course.double.merge(7, MERGE)
    return work


def publish(cli: Any, course: Course, clone: Path, *extra: str) -> tuple[int, str, str]:
    return cli(
        "publish",
        "--repo",
        "octo/course",
        "--commit",
        MERGE,
        "--api-url",
        course.double.base_url,
        "--throttle",
        "0",
        "--repo-dir",
        str(clone),
        "--lang",
        "en",
        *extra,
    )


def test_publish_takes_the_verified_record_of_the_merged_pr(
    cli: Any, course: Course, clone: Path
) -> None:
    course.reproduce()
    code, _, err = publish(cli, course, clone)
    assert code == 0, err
    written = json.loads((clone / "results/ml_masters/hw-2.json").read_text())
    assert written["manifest_path"] == MANIFEST  # the workflow's manifest/ prefix is dropped
    assert written["publication"]["pull_request"] == 7
    assert written["publication"]["url"] == "https://github.com/octo/course/pull/7"
    assert written["publication"]["merged_at"].startswith("2026-11-03T12:00:00")
    assert "| ml_masters |" in (clone / "README.md").read_text()
    assert git(clone, "log", "-1", "--format=%s").strip() == "Publish ml_masters HW-2 (#7)"


def unpublished(clone: Path) -> None:
    assert not (clone / "results").exists()
    assert git(clone, "log", "--format=%s").splitlines() == ["merge #7"]
    assert (
        git(clone, "ls-remote", "origin", "main").split()[0]
        == git(clone, "rev-parse", "HEAD").strip()
    )


def test_a_forged_artifact_of_the_same_name_is_skipped(
    cli: Any, course: Course, clone: Path
) -> None:
    forged = course.reproduce(
        event="pull_request", path=".github/workflows/evil.yml", head_sha=HEAD, head_repo=FORK
    )
    code, _, err = publish(cli, course, clone)
    assert code == 2
    assert "no artifact of the course's reproduce run for #7" in err
    assert f"skipped: run {forged.id} (`evil`) is not a run of the course's {REPRODUCE}" in err
    unpublished(clone)
    genuine = course.reproduce()
    forged_newer = course.reproduce(head_repo=FORK)
    code, _, err = publish(cli, course, clone)
    assert code == 0, err
    assert f"skipped run {forged_newer.id}" in err
    assert genuine.id < forged_newer.id


def test_a_record_for_another_teams_slot_is_refused(cli: Any, course: Course, clone: Path) -> None:
    other = course.record.model_copy(update={"manifest_path": "submissions/other/hw-2.yaml"})
    record = course.tmp_path / "other.json"
    record.write_text(other.model_dump_json())
    code, _, err = publish(cli, course, clone, "--record", str(record))
    assert code == 2
    assert (
        "the record is for `submissions/other/hw-2.yaml`, but the merged PR changed "
        f"`{MANIFEST}`: nothing was published"
    ) in err
    unpublished(clone)
    course.reproduce(course.artifact(other))  # the same inside a genuine run's artifact
    code, _, err = publish(cli, course, clone)
    assert code == 2
    assert "is for `submissions/other/hw-2.yaml`, but the run reproduced" in err
    unpublished(clone)


def test_a_record_of_another_manifest_version_is_refused(
    cli: Any, course: Course, clone: Path
) -> None:
    course.reproduce(
        course.artifact(course.record.model_copy(update={"manifest_sha256": "0" * 64}))
    )
    code, _, err = publish(cli, course, clone)
    assert code == 2
    assert "the record measured another version of" in err
    unpublished(clone)


def test_a_push_that_is_no_merge_publishes_nothing(cli: Any, course: Course, clone: Path) -> None:
    course.double.pulls[7].merge_commit_sha = "c" * 40
    code, _, err = publish(cli, course, clone)
    assert code == 0
    assert "is no pull request's merge: nothing to publish" in err
    unpublished(clone)


def test_the_double_can_be_set_up_over_http_for_stand_ins(cli: Any, course: Course) -> None:
    """What the e2e stand-ins do from other processes: add a run, upload its artifact."""

    def call(method: str, path: str, data: bytes) -> dict[str, Any]:
        url = course.double.base_url + "/_double/" + path
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return dict(json.loads(response.read()))

    spec = {"path": REPRODUCE, "event": "workflow_run", "head_sha": MAIN, "conclusion": None}
    run_id = call("POST", "runs", json.dumps(spec).encode())["id"]
    call("PUT", f"runs/{run_id}/artifacts/verification-{HEAD}", course.artifact())
    call("PATCH", f"runs/{run_id}", json.dumps({"conclusion": "success"}).encode())
    code, _, err = comment(cli, course, run_id)
    assert code == 0, err
    with urllib.request.urlopen(course.double.base_url + "/_double/state", timeout=10) as got:  # noqa: S310
        state = json.loads(got.read())
    assert state["labels"] == {"7": ["mcv:verified"]}
