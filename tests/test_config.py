"""The course config: a typo is a located finding with the key it most likely meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import manifest, write
from validator.config import CourseConfig, example_toml, key_lines, load_config, read_config
from validator.errors import UserError

TYPO = """\
[course]
lang = "en"

[tolerance]
size_rel = 0.05
latancy_rel = 0.2
"""


def test_key_lines_follow_tables_and_dotted_keys() -> None:
    lines = key_lines('[a]\nx = 1\n"b".c = 2\n\n[homeworks."2"]\ntitle = "t"\n')
    assert lines[("a", "x")] == 2
    assert lines[("a", "b", "c")] == 3
    assert lines[("homeworks", "2", "title")] == 6


def test_a_typo_has_its_line_and_the_key_meant(tmp_path: Path) -> None:
    path = tmp_path / "mcv.toml"
    path.write_text(TYPO, encoding="utf-8")
    config, findings = read_config(path, "mcv.toml")
    assert config is None
    (finding,) = findings
    assert (finding.code, finding.file, finding.line) == ("MCV103", "mcv.toml", 6)
    assert finding.message == "unknown key `latancy_rel` in tolerance"
    assert finding.hint.startswith("did you mean `latency_rel`?")
    with pytest.raises(UserError, match=r"mcv.toml:6: unknown key `latancy_rel`"):
        load_config(path)


def test_toml_syntax_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "mcv.toml"
    path.write_text("[course]\nlang = \n", encoding="utf-8")
    _, (finding,) = read_config(path)
    assert (finding.code, finding.line) == ("MCV103", 2)
    assert finding.message.startswith("not valid TOML")


def test_mcv_check_reads_the_course_config(in_tmp: Path, cli) -> None:  # type: ignore[no-untyped-def]
    write(in_tmp, manifest())
    (in_tmp / ".github").mkdir()
    (in_tmp / ".github" / "mcv.toml").write_text(TYPO, encoding="utf-8")
    code, out, _ = cli("check", "submissions/ml_masters/hw-2.yaml")
    assert code == 1
    assert ".github/mcv.toml" in out
    assert "6:1  error    MCV103  unknown key `latancy_rel` in tolerance" in out
    assert "did you mean `latency_rel`?" in out


def test_the_example_config_is_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "mcv.toml"
    path.write_text(example_toml(), encoding="utf-8")
    assert read_config(path) == (CourseConfig(), [])


def test_the_committed_config_is_clean() -> None:
    from tests.conftest import REPO

    assert read_config(REPO / ".github" / "mcv.toml")[1] == []
