"""The README stays true: every check documented, its example manifest valid."""

from __future__ import annotations

import re
from pathlib import Path

from tests.builders import check
from tests.conftest import REPO
from validator.rules import catalogue

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_code_is_documented_with_its_summary() -> None:
    for info in catalogue():
        row = (
            f'| <a id="{info.code.lower()}"></a>{info.code} | `{info.id}` | '
            f"{info.severity.value} | {info.summary} |"
        )
        assert row in README, f"README checks table is missing or outdated for {info.code}"


def test_readme_example_manifest_is_clean(tmp_path: Path) -> None:
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if "schema_version" in b]
    assert check(tmp_path, block) == []


def test_readme_names_the_two_setup_commands() -> None:
    assert "make demo" in README
    assert "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text()
