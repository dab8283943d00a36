"""Publishing on merge against real git: a local bare repository and two racing clones.

The merged pull requests come from the REST double (`mcv publish` finds them from the
merge commit); the record is given with --record, held to the merged PR's manifest."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.compare.planted import honest
from tests.conftest import REPO
from tests.github_double import GitHubDouble
from validator.leaderboard.markers import END, START

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.org",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.org",
    "PYTHONPATH": str(REPO),
    "GITHUB_TOKEN": "test-token",
}
TEAMS = ("alpha", "beta")


def merge_sha(number: int) -> str:
    return f"{number:040x}"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def double(tmp_path: Path) -> object:
    """PRs #1 (alpha) and #2 (beta), merged, with their manifests at their heads."""
    with GitHubDouble() as server:
        for number, team in enumerate(TEAMS, start=1):
            raw, _ = manifest_and_record(team, tmp_path)
            manifest = f"submissions/{team}/hw-2.yaml"
            server.add_pull(number, f"{number:x}" * 40, f"{team} HW-2", team, {manifest: raw})
            server.merge(number, merge_sha(number))
        yield server
    assert server.violations == []


def manifest_and_record(team: str, tmp_path: Path) -> tuple[bytes, Path]:
    data, record = honest(500)
    data["team"] = team
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
    record = record.model_copy(
        update={
            "manifest_path": f"submissions/{team}/hw-2.yaml",
            "manifest_sha256": hashlib.sha256(raw).hexdigest(),
        }
    )
    path = tmp_path / f"{team}.json"
    path.write_text(record.model_dump_json())
    return raw, path


@pytest.fixture
def origin(tmp_path: Path) -> tuple[Path, dict[str, Path]]:
    """A bare repo whose main already has two merged submissions, and their records."""
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(bare))
    seed = tmp_path / "seed"
    git(tmp_path, "clone", "--quiet", str(bare), str(seed))
    (seed / "README.md").write_text(f"# Course\n\n{START}\n{END}\n\nfooter\n")
    records = {}
    for team in TEAMS:
        raw, record = manifest_and_record(team, tmp_path)
        (seed / "submissions" / team).mkdir(parents=True)
        (seed / "submissions" / team / "hw-2.yaml").write_bytes(raw)
        records[team] = record
    git(seed, "add", ".")
    git(seed, "commit", "--quiet", "-m", "two merged PRs")
    git(seed, "push", "--quiet", "origin", "main")
    return bare, records


def publish(
    double: GitHubDouble, clone: Path, record: Path, number: int, *extra: str
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "validator",
            "publish",
            "--repo",
            "octo/course",
            "--commit",
            merge_sha(number),
            "--api-url",
            double.base_url,
            "--throttle",
            "0",
            "--repo-dir",
            str(clone),
            "--record",
            str(record),
            "--backoff",
            "0.2",
            "--lang",
            "en",
            *extra,
        ],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_clones_publishing_at_once_both_land(
    double: GitHubDouble, origin: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    bare, records = origin
    clones = {}
    for team in records:
        clones[team] = tmp_path / f"clone-{team}"
        git(tmp_path, "clone", "--quiet", str(bare), str(clones[team]))
    runs = [publish(double, clones[t], records[t], n) for n, t in enumerate(records, start=1)]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in runs]
    assert [code for code, _ in results] == [0, 0], results
    final = tmp_path / "final"
    git(tmp_path, "clone", "--quiet", str(bare), str(final))
    assert (final / "results" / "alpha" / "hw-2.json").is_file()
    assert (final / "results" / "beta" / "hw-2.json").is_file()
    readme = (final / "README.md").read_text()
    assert readme.count("| alpha |") == 4
    assert readme.count("| beta |") == 4
    assert readme.endswith(f"{END}\n\nfooter\n")
    assert (final / "docs" / "leaderboard" / "hw-2-text-classification-accuracy.png").is_file()
    log = git(final, "log", "--format=%s").splitlines()
    assert sorted(log[:2]) == ["Publish alpha HW-2 (#1)", "Publish beta HW-2 (#2)"]


def test_publishing_again_makes_no_empty_commit(
    double: GitHubDouble, origin: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    bare, records = origin
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(bare), str(clone))
    assert publish(double, clone, records["alpha"], 1).wait(timeout=60) == 0
    head = git(clone, "rev-parse", "HEAD")
    second = publish(double, clone, records["alpha"], 1)
    assert second.wait(timeout=60) == 0
    assert "already published" in (second.stderr.read() if second.stderr else "")
    assert git(clone, "rev-parse", "HEAD") == head


def test_a_remote_that_keeps_refusing_fails_loudly_and_loses_nothing(
    double: GitHubDouble, origin: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    bare, records = origin
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'refused by policy' >&2\nexit 1\n")
    hook.chmod(0o755)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(bare), str(clone))
    before = records["alpha"].read_bytes()
    run = publish(double, clone, records["alpha"], 1, "--attempts", "2", "--backoff", "0.05")
    assert run.wait(timeout=60) == 2
    err = run.stderr.read() if run.stderr else ""
    assert "could not push to origin/main after 2 attempts" in err
    assert "Traceback" not in err
    assert records["alpha"].read_bytes() == before


def test_a_dirty_checkout_is_refused(
    double: GitHubDouble, origin: tuple[Path, dict[str, Path]], tmp_path: Path
) -> None:
    bare, records = origin
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(bare), str(clone))
    (clone / "README.md").write_text("local edit\n")
    run = publish(double, clone, records["alpha"], 1)
    assert run.wait(timeout=60) == 2
    assert "uncommitted changes" in (run.stderr.read() if run.stderr else "")
    assert (clone / "README.md").read_text() == "local edit\n"
