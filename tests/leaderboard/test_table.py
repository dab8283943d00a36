from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from tests.compare.planted import honest
from tests.conftest import REPO
from validator.compare.config import CourseConfig, Homework
from validator.leaderboard.markers import END, START
from validator.leaderboard.pareto import front
from validator.leaderboard.table import collect, markdown
from validator.verification import Publication, VerificationRecord


def course(
    tmp_path: Path, data: dict[str, Any] | None = None, record: VerificationRecord | None = None
) -> Path:
    data, default = (data, record) if data is not None else honest(500)
    record = record or default
    manifest = tmp_path / "submissions" / data["team"] / f"hw-{data['homework']}.yaml"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
    manifest.write_bytes(raw)
    import hashlib

    record = record.model_copy(update={"manifest_sha256": hashlib.sha256(raw).hexdigest()})
    results = tmp_path / "results" / data["team"] / f"hw-{data['homework']}.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(record.model_dump_json())
    (tmp_path / "README.md").write_text(f"# Course\n\n{START}\n{END}\n")
    return tmp_path


def cells_per_row(text: str) -> list[int]:
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    counts, current = [], 0
    for token in tokens:
        if token.type == "tr_open":
            current = 0
        elif token.type in ("td_open", "th_open"):
            current += 1
        elif token.type == "tr_close":
            counts.append(current)
    return counts


def test_rows_show_reproduced_values_and_the_verdict(tmp_path: Path) -> None:
    rows, submissions, skipped = collect(course(tmp_path), CourseConfig())
    assert skipped == []
    text = markdown(rows, CourseConfig(), "en")
    assert text.startswith("### HW-2")
    assert "| ml_masters | dslim/bert-base-NER | Оригинал | 420 |" in text
    assert text.count("✅ verified") == 4
    assert submissions[0].verdict == "verified"


def test_a_mismatch_shows_the_reported_value_beside(tmp_path: Path) -> None:
    data, record = honest(500)
    data["runs"][1]["reported"]["size_mb"] = 300.0
    rows, _, _ = collect(course(tmp_path, data, record), CourseConfig())
    text = markdown(rows, CourseConfig(), "ru")
    assert "| 150 (заявлено 300) |" in text
    assert "❌ расхождение" in text


def test_odd_labels_are_escaped_and_the_table_keeps_its_shape(tmp_path: Path) -> None:
    data, record = honest(500)
    data["runs"][1]["label"] = "int8 | `dyn|amic` \\ x"
    runs = [
        r.model_copy(update={"label": "int8 | `dyn|amic` \\ x"}) if i == 1 else r
        for i, r in enumerate(record.runs)
    ]
    rows, _, _ = collect(
        course(tmp_path, data, record.model_copy(update={"runs": runs})), CourseConfig()
    )
    text = markdown(rows, CourseConfig(), "en")
    assert set(cells_per_row(text)) == {10}
    assert "int8 \\| \\`dyn\\|amic\\` \\\\ x" in text


def test_sorted_by_task_then_quality(tmp_path: Path) -> None:
    rows, _, _ = collect(course(tmp_path), CourseConfig())
    text = markdown(rows, CourseConfig(), "en")
    order = [line.split(" | ")[2] for line in text.splitlines() if line.startswith("| ml_")]
    assert order == ["Оригинал", "INT8 dynamic", "Прунинг", "K-means"]  # accuracy, best first


def test_links_and_late_marks(tmp_path: Path) -> None:
    data, record = honest(500)
    record = record.model_copy(
        update={
            "publication": Publication(
                pull_request=12,
                url="https://github.com/o/r/pull/12",
                comment_url="https://github.com/o/r/pull/12#issuecomment-1",
                opened_at="2025-10-20T10:00:00+03:00",
                merged_at="2025-10-21T10:00:00+03:00",
            )
        }
    )
    deadline = datetime.fromisoformat("2025-10-15T23:59:00+03:00")
    config = CourseConfig(
        homeworks={"2": Homework(title="Квантизация | прунинг", deadline=deadline)}
    )
    rows, submissions, _ = collect(course(tmp_path, data, record), config)
    text = markdown(rows, config, "ru")
    assert text.startswith("### ДЗ-2: Квантизация \\| прунинг")
    assert (
        "✅ проверено ([отчёт](https://github.com/o/r/pull/12#issuecomment-1)), ⏰ после срока"
        in text
    )
    assert submissions[0].late


def test_no_record_means_not_reproduced(tmp_path: Path) -> None:
    root = course(tmp_path)
    shutil.rmtree(root / "results")
    rows, submissions, _ = collect(root, CourseConfig())
    assert "⏳ not reproduced" in markdown(rows, CourseConfig(), "en")
    assert submissions[0].verdict == "not-reproduced"
    assert submissions[0].late is False  # no deadline: on time whatever the date


def test_a_broken_record_is_reported_and_left_out(tmp_path: Path) -> None:
    root = course(tmp_path)
    (root / "results" / "ml_masters" / "hw-2.json").write_text("{broken")
    _, _, skipped = collect(root, CourseConfig())
    assert "not a valid record" in skipped[0]


def test_table_command_check_and_idempotence(tmp_path: Path, cli: Any) -> None:
    root = course(tmp_path)
    readme = root / "README.md"
    assert cli("table", str(readme), "--check")[0] == 1
    assert cli("table", str(readme), "--lang", "en")[0] == 0
    assert (root / "docs" / "leaderboard" / "hw-2-text-classification-accuracy.png").is_file()
    assert "(docs/leaderboard/hw-2-text-classification-accuracy.png)" in readme.read_text()
    before = readme.read_bytes()
    assert cli("table", str(readme), "--check", "--lang", "en")[0] == 0
    assert cli("table", str(readme), "--lang", "en")[0] == 0
    assert readme.read_bytes() == before


@pytest.mark.parametrize(
    ("points", "higher", "expected"),
    [
        ([(10, 0.9), (5, 0.8), (20, 0.85), (5, 0.7)], True, {0, 1}),
        ([(10, 0.2), (5, 0.3), (20, 0.1)], False, {0, 1, 2}),
        ([(1, 0.5), (1, 0.5)], True, {0, 1}),
    ],
)
def test_pareto_front(points: list[tuple[float, float]], higher: bool, expected: set[int]) -> None:
    assert front(points, higher) == expected


def test_the_repository_readme_leaderboard_is_up_to_date(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    code, _, err = cli("table", "README.md", "--check")
    assert code == 0, err


def test_the_demo_record_was_made_from_the_committed_demo_manifest() -> None:
    """Editing submissions/demo/hw-3.yaml leaves results/demo/hw-3.json a record of another
    manifest, and the README's demo rows then compare new claims with old measurements."""
    import hashlib

    from validator.verification import VerificationRecord

    manifest = REPO / "submissions" / "demo" / "hw-3.yaml"
    record = VerificationRecord.model_validate_json(
        (REPO / "results" / "demo" / "hw-3.json").read_text(encoding="utf-8")
    )
    assert record.manifest_sha256 == hashlib.sha256(manifest.read_bytes()).hexdigest(), (
        "results/demo/hw-3.json is stale: run `make demo`, put demo-out/verification.json "
        "there keeping the old record's `publication`, then run `mcv table README.md`"
    )


def test_parallel_collection_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import validator.leaderboard.table as table

    root = course(tmp_path)
    data, record = honest(500)
    for team in ("zeta", "beta", "eta"):
        course(tmp_path, {**data, "team": team}, record)
    serial = table.collect(root, CourseConfig())
    monkeypatch.setattr(table, "PARALLEL_FROM", 1)
    monkeypatch.setattr(table.os, "cpu_count", lambda: 2)
    parallel = table.collect(root, CourseConfig())
    assert [(r.team, r.label, r.status) for r in parallel[0]] == [
        (r.team, r.label, r.status) for r in serial[0]
    ]
    assert sorted(parallel[1], key=str) == sorted(serial[1], key=str)
