"""The example submissions: real course tables must show their real problems, and the clean
example none. The text output is a snapshot: refresh it with `UPDATE_SNAPSHOTS=1 pytest`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import REPO

SNAPSHOT = REPO / "tests" / "snapshots" / "check_examples.txt"

# Every real course table names its hub dataset without a commit (MCV208).
EXPECTED_ERRORS = {
    "submissions/example_team/hw-2.yaml": set(),
    "submissions/demo/hw-3.yaml": set(),
    "submissions/effvit/hw-3.yaml": {"MCV208", "MCV401", "MCV404"},  # copied RAM/VRAM, no scheme
    "submissions/whisper_onnx/hw-6.yaml": {"MCV208", "MCV403", "MCV405"},  # 17669 MB vs 2782 MB
    "submissions/bert_ner/hw-5.yaml": {"MCV208", "MCV401"},  # RAM, VRAM copied into ONNX
    "submissions/gigaam/hw-1.yaml": {"MCV208", "MCV210"},  # GigaAM ships its own code
    "submissions/whisper_small/hw-1.yaml": {"MCV208"},
    "submissions/vit_base/hw-1.yaml": {"MCV208"},
}


@pytest.fixture
def at_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("NO_COLOR", "1")
    return REPO


def test_errors_per_example(at_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("check", "submissions", "--format", "json")
    assert code == 1
    found: dict[str, set[str]] = {path: set() for path in EXPECTED_ERRORS}
    for finding in json.loads(out)["findings"]:
        if finding["severity"] == "error":
            found[finding["file"]].add(finding["code"])
    assert found == EXPECTED_ERRORS


def test_clean_example_has_no_findings_at_all(at_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli(
        "check",
        "submissions/example_team/hw-2.yaml",
        "--pr-title",
        "example_team HW-2",
        "--author",
        "octocat",
    )
    assert (code, out.strip()) == (0, "no problems in 1 file")


def test_text_output_snapshot(at_repo: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = cli("check", "submissions")
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(out, encoding="utf-8")
    assert out == SNAPSHOT.read_text(encoding="utf-8")
