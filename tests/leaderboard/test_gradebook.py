"""`mcv grades`: every team of teams.yml, every homework, one state each."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.compare.planted import honest
from tests.leaderboard.test_table import course
from validator.escape import csv_cell
from validator.leaderboard.gradebook import Entry, build, markdown, write_csv
from validator.leaderboard.table import Submission
from validator.verification import Publication

TEAMS = """teams:
  ml_masters: {name: ML Masters, members: [alice]}
  idle_team: {name: "=HYPERLINK(\\"http://x\\")", members: [bob]}
"""


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_a_team_of_teams_yml_without_a_manifest_has_not_submitted(tmp_path: Path, cli: Any) -> None:
    root = course(tmp_path)
    (root / "submissions" / "teams.yml").write_text(TEAMS)
    code, out, err = cli("grades", "--root", str(root), "--lang", "en")
    assert (code, err) == (0, "")
    assert rows(out) == [
        ["team", "name", "HW-2", "HW-2 late"],
        ["idle_team", '\'=HYPERLINK("http://x")', "not submitted", ""],
        ["ml_masters", "ML Masters", "verified", "no"],
    ]


def test_submitted_but_not_reproduced_is_never_missing(tmp_path: Path, cli: Any) -> None:
    root = course(tmp_path)
    shutil.rmtree(root / "results")
    (root / "submissions" / "teams.yml").write_text(TEAMS)
    config = root / "mcv.toml"
    config.write_text("[homeworks.2]\ndeadline = 2025-10-15T23:59:00+03:00\n[homeworks.3]\n")
    code, out, _ = cli("grades", "--root", str(root), "--config", str(config), "--lang", "en")
    assert code == 0
    assert rows(out)[2] == ["ml_masters", "ML Masters", "not reproduced", "", "not submitted", ""]
    assert rows(out)[0][2:] == ["HW-2", "HW-2 late", "HW-3", "HW-3 late"]  # named in the config


def test_late_and_the_russian_markdown_matrix(tmp_path: Path, cli: Any) -> None:
    data, record = honest(500)
    opened = "2025-10-20T10:00:00+03:00"
    publication = Publication(
        pull_request=12, url="https://github.com/o/r/pull/12", opened_at=opened, merged_at=opened
    )
    root = course(tmp_path, data, record.model_copy(update={"publication": publication}))
    other = {**data, "team": "zeta", "homework": 3}
    course(tmp_path, other, record)
    (root / "results" / "zeta" / "hw-3.json").unlink()
    config = root / "mcv.toml"
    config.write_text("[homeworks.2]\ndeadline = 2025-10-15T23:59:00+03:00\n")
    code, out, _ = cli(
        "grades", "--root", str(root), "--config", str(config), "--format", "md", "--lang", "ru"
    )
    assert code == 0
    assert out.splitlines() == [
        "| команда | ДЗ-2 | ДЗ-3 |",
        "|---|---|---|",
        "| ml_masters | ✅ проверено, ⏰ после срока | · не сдано |",
        "| zeta | · не сдано | ⏳ не воспроизведено |",
    ]
    code, out, _ = cli("grades", "--root", str(root), "--config", str(config), "--format", "rows")
    assert rows(out)[1] == [
        "ml_masters",
        "2",
        "проверено",
        "https://github.com/o/r/pull/12",
        opened,
        "да",
    ]


def test_an_unreadable_manifest_still_counts_as_handed_in(tmp_path: Path, cli: Any) -> None:
    root = course(tmp_path)
    broken = root / "submissions" / "late_team" / "hw-2.yaml"
    broken.parent.mkdir()
    broken.write_text("team: [\n")
    code, out, err = cli("grades", "--root", str(root), "--lang", "en")
    assert code == 0
    assert "not a valid manifest" in err
    assert rows(out)[1] == ["late_team", "", "not reproduced", ""]


def test_an_invalid_teams_file_is_said_and_left_out(tmp_path: Path, cli: Any) -> None:
    root = course(tmp_path)
    (root / "submissions" / "teams.yml").write_text("teams: {Bad Name: {members: []}}\n")
    code, out, err = cli("grades", "--root", str(root), "--lang", "en")
    assert code == 0
    assert "teams.yml: left out" in err
    assert [r[0] for r in rows(out)[1:]] == ["ml_masters"]


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+7 999", "'+7 999"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=b", "a=b"),
        ("verified", "verified"),
        ("", ""),
    ],
)
def test_csv_cells_never_start_a_formula(text: str, cell: str) -> None:
    assert csv_cell(text) == cell


def test_build_covers_every_team_and_homework() -> None:
    submissions = [
        Submission("b", 2, "discrepancies", None, None, True),
        Submission("c", 4, "incomplete", None, None, None),
    ]
    book = build(submissions, {"a": "A", "b": None}, homeworks=[1])
    assert [t for t, _ in book.teams] == ["a", "b", "c"]
    assert book.homeworks == [1, 2, 4]
    assert book.entry("a", 2) == Entry("not-submitted")
    assert book.entry("b", 2).late is True
    stream = io.StringIO()
    write_csv(book, "en", stream)
    assert rows(stream.getvalue())[2] == [
        "b",
        "",
        "not submitted",
        "",
        "discrepancies",
        "yes",
        "not submitted",
        "",
    ]
    assert "❌ discrepancies, ⏰ late" in markdown(book, "en")


def test_markdown_names_stay_inside_their_cell() -> None:
    book = build([], {"a": "A | <b>x</b> @all"})
    (row,) = markdown(book, "en").splitlines()[2:]
    assert row == "| a (A \\| &lt;b&gt;x&lt;/b&gt; @&#8203;all) |"
