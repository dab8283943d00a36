"""docs/ holds docs and code together: every code, method, command, option and key is there.

Each test reads the registry the code uses and fails when one entry is missing from its
page; the sample PR comment in the student guide is the renderer's own output
(`UPDATE_SNAPSHOTS=1` rewrites it), and every relative link and anchor resolves.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import get_args

import pytest

from tests.builders import check
from tests.compare.test_report import judge, mixed
from tests.conftest import REPO
from validator.cli import build_parser
from validator.compare import render
from validator.compare.config import Course, Homework, Runners, Tolerance
from validator.manifest.metrics import TASK_METRICS, MetricName, TaskName
from validator.manifest.schema import RUN_TYPE_BY_METHOD, MethodName
from validator.rules import catalogue
from validator.verification import RunRecord, VerificationRecord

DOCS = REPO / "docs"
START, END = "<!-- sample-comment:start -->", "<!-- sample-comment:end -->"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n")
    rest = text[start + len(heading) + 1 :]
    end = re.search(rf"^{level} ", rest, re.M)
    return rest[: end.start()] if end else rest


def test_every_code_is_documented_with_its_summary() -> None:
    checks = page("reference/checks.md")
    for info in catalogue():
        row = (
            f'| <a id="{info.code.lower()}"></a>{info.code} | `{info.id}` | '
            f"{info.severity.value} | {info.summary} |"
        )
        assert row in checks, f"docs/reference/checks.md is missing or outdated for {info.code}"


def test_every_method_has_a_row_naming_each_param() -> None:
    methods = page("reference/methods.md")
    assert set(RUN_TYPE_BY_METHOD) == set(get_args(MethodName))
    for method, run_type in RUN_TYPE_BY_METHOD.items():
        rows = [line for line in methods.splitlines() if line.startswith(f"| `{method}` |")]
        assert rows, f"docs/reference/methods.md has no row for {method}"
        params = run_type.model_fields["params"].annotation
        for name in params.model_fields:  # type: ignore[union-attr]
            assert f"`{name}" in rows[0], f"{method}: parameter {name} is not documented"


def test_every_task_and_metric_is_documented() -> None:
    methods = page("reference/methods.md")
    for task in get_args(TaskName):
        (row,) = [line for line in methods.splitlines() if line.startswith(f"| `{task}` |")]
        for metric in TASK_METRICS[task]:
            assert f"`{metric}`" in row, (task, metric)
    for metric in get_args(MetricName):
        assert f"`{metric}`" in methods, metric


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_and_option_is_documented(name: str) -> None:
    commands = page("reference/commands.md")
    assert f"| [`mcv {name}`](#mcv-{name}) |" in commands, f"{name} is not in the table"
    text = section(commands, f"## `mcv {name}`")
    for action in _commands()[name]._actions:
        for option in action.option_strings:
            if option.startswith("--") and option != "--help":
                assert option in text, f"mcv {name} {option} is not documented"


def test_every_config_key_is_documented() -> None:
    keys = section(page("reference/tolerance.md"), "## Keys")
    for name, info in Tolerance.model_fields.items():
        assert f"| `{name}` | {info.default:g} |" in keys, name
    config = section(page("instructor-guide.md"), "## The course config")
    for table, model in (("course", Course), ("runners", Runners), ("homeworks.N", Homework)):
        for name in model.model_fields:
            assert f"| `[{table}] {name}` |" in config, f"[{table}] {name}"


def test_every_record_field_is_documented() -> None:
    record = page("reference/record.md")
    for model in (VerificationRecord, RunRecord):
        for name in model.model_fields:
            assert f"`{name}`" in record, f"{model.__name__}.{name}"


def test_the_adoption_checklist_is_complete() -> None:
    checklist = section(page("instructor-guide.md"), "## Adoption checklist")
    for workflow in sorted((REPO / ".github" / "workflows").glob("*.yml")):
        assert f"`{workflow.name}`" in checklist, workflow.name
    for words in (
        ".github/mcv.toml",
        "<!-- leaderboard:start -->",
        "<!-- leaderboard:end -->",
        "`results/`",
        "required check",
        "mcv check",
        "fork pull request workflows",
        "`reproduce`",
        "required reviewers",
        "ephemeral",
        "--labels gpu",
        "selected workflows",
        "reproduce.yml@refs/heads/",
        "submissions/teams.yml",
    ):
        assert words in checklist, words


def test_the_student_guide_shows_the_renderers_comment(tmp_path: Path) -> None:
    guide = DOCS / "student-guide.md"
    text = guide.read_text(encoding="utf-8")
    before, rest = text.split(START + "\n")
    _, after = rest.split(END)
    data, record = mixed()
    rendered = render.markdown(judge(data, record, tmp_path), "en")
    quoted = "\n".join(f"> {line}".rstrip() for line in rendered.rstrip("\n").splitlines())
    fresh = f"{before}{START}\n{quoted}\n{END}{after}"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        guide.write_text(fresh, encoding="utf-8")
        text = fresh
    assert text == fresh, "run UPDATE_SNAPSHOTS=1 pytest tests/test_docs.py"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    found = {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    return found | set(re.findall(r'<a id="([^"]+)"></a>', text))


LINKED = [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]


@pytest.mark.parametrize("source", LINKED, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_and_anchor_resolves(source: Path) -> None:
    text = re.sub(r"```.*?```", "", source.read_text(encoding="utf-8"), flags=re.S)
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        resolved = (source.parent / path).resolve() if path else source
        assert resolved.exists(), f"{source.name}: {target}"
        if anchor and resolved.suffix == ".md":
            assert anchor in _anchors(resolved), f"{source.name}: {target}"


def test_the_student_guides_example_manifest_is_clean(tmp_path: Path) -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", page("student-guide.md"), re.S)
    (block,) = [b for b in blocks if "schema_version" in b]
    assert check(tmp_path, block) == []
