"""The README stays short and true: the two set-up commands, a clean example, its links."""

from __future__ import annotations

import re
from pathlib import Path

from tests.builders import check
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
DOC_PAGES = [
    "docs/student-guide.md",
    "docs/student-install.md",
    "docs/course-check.md",
    "docs/instructor-guide.md",
    "docs/reference/checks.md",
    "docs/reference/methods.md",
    "docs/reference/tolerance.md",
    "docs/reference/record.md",
    "docs/reference/commands.md",
    "docs/security.md",
    "docs/equivalence.md",
]


def test_readme_fits_on_a_few_screens() -> None:
    assert len(README.encode()) < 15 * 1024


def test_readme_example_manifest_is_clean(tmp_path: Path) -> None:
    (block,) = [b for b in re.findall(r"```yaml\n(.*?)```", README, re.S) if "schema_version" in b]
    assert check(tmp_path, block) == []


def test_readme_names_the_two_setup_commands() -> None:
    assert "make demo" in README
    assert "make test" in README
    assert "make test" in (REPO / ".ci" / "run").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M)
    assert re.search(r"^test:", makefile, re.M)


def test_readme_links_every_guide_and_reference_page() -> None:
    for page in DOC_PAGES:
        assert f"]({page}" in README, page
        assert (REPO / page).is_file(), page


def test_readme_keeps_the_adoption_essentials() -> None:
    for words in (
        "four workflows",
        ".github/mcv.toml",
        "results/",
        "required check",
        "reproduce` environment",
        "ephemeral",
        "docs/instructor-guide.md#adoption-checklist",
        "Tolerance policy: see docs/reference/tolerance.md",
    ):
        assert words in README, words
