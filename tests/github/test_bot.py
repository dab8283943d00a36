"""`mcv comment` against the local REST double, with the real PyGithub client in between."""

from __future__ import annotations

import hashlib
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.compare.planted import honest
from tests.github_double import BOT, GitHubDouble
from validator.github import artifact
from validator.github.event import read
from validator.verification import VerificationRecord

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github"
MANIFEST = "submissions/ml_masters/hw-2.yaml"
HEAD = "6dcb09b5b57875f334f61aebed695e2e4193db5e"


def manifest_bytes(data: dict[str, Any]) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()


def record_for(raw: bytes, record: VerificationRecord) -> VerificationRecord:
    return record.model_copy(
        update={"manifest_sha256": hashlib.sha256(raw).hexdigest(), "manifest_path": MANIFEST}
    )


@pytest.fixture
def double() -> Any:
    with GitHubDouble() as server:
        yield server
    assert server.violations == []  # every request matched GitHub's published schemas


@pytest.fixture
def submission(double: GitHubDouble, tmp_path: Path) -> Path:
    data, record = honest(500)
    raw = manifest_bytes(data)
    double.add_pull(7, HEAD, "ml_masters HW-2", "student", {MANIFEST: raw})
    path = tmp_path / "verification.json"
    path.write_text(record_for(raw, record).model_dump_json())
    return path


def comment(
    cli: Any, double: GitHubDouble, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("GITHUB_TOKEN", "test-token")
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    return cli(
        "comment",
        "--repo",
        "octo/course",
        "--api-url",
        double.base_url,
        "--retries",
        "3",
        "--backoff",
        "0.01",
        "--throttle",
        "0",
        "--lang",
        "en",
        *extra,
    )


def test_first_run_creates_one_comment_then_edits_it(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(11):
        code, _, err = comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))
        assert code == 0, err
    ours = double.comments_on(7)
    assert len(ours) == 1
    assert ours[0]["author"] == BOT
    assert ours[0]["body"].startswith("<!-- mcv:report team=ml_masters hw=2 -->")
    assert len(double.calls("POST", "/comments")) == 1
    assert len(double.calls("PATCH", "/issues/comments/")) == 10
    assert double.pulls[7].labels == ["mcv:verified"]
    assert double.check_runs[-1]["conclusion"] == "success"


def test_a_planted_marker_from_someone_else_is_left_alone(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = double.add_comment(
        7, "student", "<!-- mcv:report team=ml_masters hw=2 -->\n## ✅ Verified (trust me)"
    )
    assert comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))[0] == 0
    assert double.comments[planted]["body"].endswith("(trust me)")
    assert [c["author"] for c in double.comments_on(7)] == ["student", BOT]
    assert not double.calls("PATCH", f"/issues/comments/{planted}")


def test_duplicates_of_our_own_comment_collapse_to_one(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = "<!-- mcv:report team=ml_masters hw=2 -->"
    first = double.add_comment(7, BOT, marker + " old")
    double.add_comment(7, BOT, marker + " retried create")
    assert comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))[0] == 0
    assert [c["id"] for c in double.comments_on(7)] == [first]


def test_secondary_rate_limit_is_retried_after_retry_after(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    double.fail("POST", r"/issues/7/comments$", 403, headers={"Retry-After": "2"})
    assert comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))[0] == 0
    posts = double.calls("POST", "/issues/7/comments")
    assert len(posts) == 2
    assert posts[1].at - posts[0].at >= 2.0
    assert len(double.comments_on(7)) == 1


def test_primary_rate_limit_waits_for_the_reset(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reset = int(time.time()) + 2
    double.fail(
        "GET",
        r"/issues/7/labels$",
        403,
        message="API rate limit exceeded for user.",
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)},
    )
    assert comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))[0] == 0
    first, second = double.calls("GET", "/issues/7/labels")[:2]
    assert second.at - first.at >= 1.0
    assert time.time() >= reset - 1


def test_repeated_502_ends_in_a_clear_error(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    double.fail("GET", r"/pulls/7$", 502, times=100)
    code, _, err = comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))
    assert code == 2
    assert "GitHub API: GET pull #7 failed" in err
    assert "Traceback" not in err
    assert len(double.calls("GET", "/pulls/7")) == 4  # the first try and 3 retries


def test_labels_flip_between_verdicts(
    cli: Any, double: GitHubDouble, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, record = honest(500)
    raw = manifest_bytes(data)
    pull = double.add_pull(7, HEAD, "ml_masters HW-2", "student", {MANIFEST: raw})
    pull.labels = ["homework", "mcv:incomplete"]
    good = tmp_path / "good.json"
    good.write_text(record_for(raw, record).model_dump_json())
    bad_data = json.loads(json.dumps(data))
    bad_data["runs"][1]["reported"]["size_mb"] *= 2
    bad_raw = manifest_bytes(bad_data)
    assert comment(cli, double, monkeypatch, "--pr", "7", "--record", str(good))[0] == 0
    assert pull.labels == ["homework", "mcv:verified"]
    pull.files[MANIFEST] = bad_raw
    bad = tmp_path / "bad.json"
    bad.write_text(record_for(bad_raw, record).model_dump_json())
    assert comment(cli, double, monkeypatch, "--pr", "7", "--record", str(bad))[0] == 0
    assert pull.labels == ["homework", "mcv:discrepancy"]
    assert double.check_runs[-1]["conclusion"] == "failure"
    annotations = double.check_runs[-1]["output"]["annotations"]
    assert annotations[0]["path"] == MANIFEST
    line = annotations[0]["start_line"]
    assert bad_raw.decode().splitlines()[line - 1].strip().startswith("size_mb:")


def test_check_run_forbidden_falls_back_to_a_status(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    double.fail("POST", r"/check-runs$", 403)
    code, _, err = comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))
    assert code == 0, err
    assert double.statuses[0]["state"] == "success"
    assert double.statuses[0]["context"] == "mcv / reproduced metrics"
    assert "commit status" in err


def test_the_manifest_is_read_at_the_head_sha_through_the_api(
    cli: Any, double: GitHubDouble, submission: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert comment(cli, double, monkeypatch, "--pr", "7", "--record", str(submission))[0] == 0
    assert double.calls("GET", f"/contents/{MANIFEST}")


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "webhooks").glob("*.json")))
def test_webhook_examples_parse(name: str) -> None:
    event = read(FIXTURES / "webhooks" / name)
    if name.startswith("pull_request"):
        assert event.head_sha
        assert event.pr_number is not None
        assert event.run_id is None
    else:  # a workflow_run names its run (verified through the API), never a PR or head
        assert event.run_id == 1589141559
        assert event.pr_number is None
        assert event.head_sha is None


def zipped(tmp_path: Path, entries: dict[str, bytes], link: str | None = None) -> Path:
    path = tmp_path / "artifact.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return path


def valid_record() -> bytes:
    _, record = honest(500)
    return record.model_dump_json().encode()


@pytest.mark.parametrize(
    ("entries", "link", "words"),
    [
        ({"../verification.json": b"{}"}, None, "leaves the artifact folder"),
        ({"/etc/verification.json": b"{}"}, None, "leaves the artifact folder"),
        ({"verification.json": b"{}"}, "evil", "symbolic link"),
        ({"verification.json": b"0" * (50 * 2**20)}, None, "larger than"),
        ({"other.json": b"{}"}, None, "has no verification.json"),
    ],
)
def test_hostile_artifacts_are_refused(
    tmp_path: Path, entries: dict[str, bytes], link: str | None, words: str
) -> None:
    with pytest.raises(artifact.ArtifactError, match=words):
        artifact.load(zipped(tmp_path, entries, link))


def test_a_pr_number_smuggled_into_the_record_is_refused(tmp_path: Path) -> None:
    data = json.loads(valid_record())
    data["pr_number"] = "12; rm -rf /"
    with pytest.raises(artifact.ArtifactError, match="pr_number: Extra inputs"):
        artifact.load(zipped(tmp_path, {"verification.json": json.dumps(data).encode()}))


def test_an_unpacked_artifact_folder_with_a_link_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "unpacked"
    folder.mkdir()
    (folder / "verification.json").write_bytes(valid_record())
    assert artifact.load(folder).record_version == 1
    os.symlink("/etc/passwd", folder / "passwd")
    with pytest.raises(artifact.ArtifactError, match="symbolic link"):
        artifact.load(folder)


def test_missing_token_is_a_usage_error(
    cli: Any, monkeypatch: pytest.MonkeyPatch, submission: Path
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    code, _, err = cli("comment", "--repo", "octo/course", "--pr", "7", "--record", str(submission))
    assert (code, err.strip()) == (2, "mcv comment: $GITHUB_TOKEN is not set")


def test_a_late_pr_is_marked_late_in_the_comment(
    cli: Any,
    double: GitHubDouble,
    submission: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "mcv.toml"
    config.write_text("[homeworks.2]\ndeadline = 2000-01-01T00:00:00+00:00\n")
    code, _, err = comment(
        cli, double, monkeypatch, "--pr", "7", "--record", str(submission), "--config", str(config)
    )
    assert code == 0, err
    (ours,) = double.comments_on(7)
    assert "⏰ Submitted after the deadline (2000-01-01T00:00:00+00:00)." in ours["body"]
