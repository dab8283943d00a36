"""A hostile team's strings through every real renderer: nothing they write becomes structure.

The strings come from where a team controls them: run labels and the model id in the
manifest, a dataset column name quoted in a run's error, and a record's fingerprint and
settings. Each renderer's output is parsed the way its reader parses it (Markdown by a
CommonMark+tables parser, logs line by line as the Actions runner splits them) and must
have exactly the headings, HTML, links and workflow commands we put there.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from tests.compare.detection import judge
from tests.compare.planted import honest
from tests.leaderboard.test_table import cells_per_row, course
from validator.commands.reproduce import Progress, summary
from validator.compare import render
from validator.compare.report import Report
from validator.compare.strings import STRINGS
from validator.github import labels, publish, sticky
from validator.github.checks import MAX_TEXT, check_run
from validator.leaderboard.markers import END, START, find
from validator.verification import Fingerprint, RunRecord, VerificationRecord

LABEL = "@team <b>x</b> | `t` ##[error]e ::error::p <!-- mcv:report --> $\\frac{$"
COMMAND_LABEL = "::add-mask::s3cret"
COLUMN = "text\r## ✅ Verified\n@team ::error file=a::forged\n::add-mask::s3cret\n<!--"
NEWLINES = "x\r## ✅ Verified\n::add-mask::s3cret\n@team ##[error]y <!-- leaderboard:end -->"
BOT = "github-actions[bot]"
GFM = MarkdownIt("commonmark").enable("table")
MENTION = re.compile(r"(?<![A-Za-z0-9&])@[A-Za-z0-9]")
LEGACY = re.compile(r"##\[(?!\\)")
LINKS = ("link_open", "image")
LINES = re.compile(r"\r\n|\r|\n")  # where the Actions runner breaks a log into lines


def hostile() -> tuple[dict[str, Any], VerificationRecord]:
    """The demo submission with a hostile label, model id, column name and record strings."""
    assert len(LABEL) <= 80
    data, record = honest(500)
    data["model"]["id"] = "org/bert <!-- leaderboard:end --> @team"
    data["evaluation"]["columns"] = {"text": COLUMN}
    data["runs"][1]["label"] = LABEL
    data["runs"][3]["label"] = COMMAND_LABEL
    failed = RunRecord(
        label=COMMAND_LABEL,
        method="kmeans",
        status="failed",
        error=f"KeyError: the dataset has no column {COLUMN}",  # as a runner quotes it
        duration_s=1.0,
    )
    runs = [record.runs[0], record.runs[1].model_copy(update={"label": LABEL}), record.runs[2]]
    fingerprint = Fingerprint(
        cpu_model=NEWLINES,
        cores=2,
        threads=1,
        gpu_name=NEWLINES,
        gpu_driver="<!--",
        cuda="@team",
        python="3.11",
        platform="Linux",
        versions={"torch": NEWLINES},
    )
    record = record.model_copy(
        update={
            "runs": [*runs, failed],
            "fingerprint": fingerprint,
            "settings": {"warmup": 10, "note": NEWLINES},
            "commit": "`<!--",
            "created_at": NEWLINES,
            "manifest_path": "submissions/ml_masters/hw-2.yaml\n## fake\n<!--",
        }
    )
    return data, record


def children(tokens: list[Any]) -> list[Any]:
    return [c for t in tokens if t.type == "inline" for c in (t.children or [])]


def assert_inert_markdown(
    text: str,
    headings: dict[str, int],
    html: set[str],
    links: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Only our headings, our HTML blocks and our links; no mention, no inline HTML."""
    tokens = GFM.parse(text)
    found: dict[str, int] = {}
    for token in tokens:
        if token.type == "heading_open":
            found[token.tag] = found.get(token.tag, 0) + 1
    assert found == headings, text
    blocks = {t.content.strip() for t in tokens if t.type == "html_block"}
    assert blocks <= html, blocks - html
    inline = children(tokens)
    assert not [c.content for c in inline if c.type == "html_inline"]
    targets = {c.attrs.get("href") or c.attrs.get("src") for c in inline if c.type in LINKS}
    assert targets <= links
    assert MENTION.search(text) is None
    assert text.count("<!--") == sum(b.count("<!--") for b in blocks)


def assert_log_safe(
    text: str, commands: int, names: tuple[str, ...] = ("error", "warning")
) -> None:
    """`commands` workflow commands of ours, each on its line; data starts none."""
    lines = LINES.split(text)
    started = [line for line in lines if line.lstrip().startswith("::")]
    assert len(started) == commands, started
    assert all(re.match(rf"::({'|'.join(names)})[ :]", line) for line in started), started
    assert not [line for line in lines if LEGACY.search(line)]
    assert "::add-mask::s3cret" not in [line.strip()[: len("::add-mask::s3cret")] for line in lines]


def details(lang: str) -> str:
    return f"<details>\n<summary>{STRINGS['section.machine'][lang]}</summary>"


def failing(report: Report) -> int:
    return sum(c.verdict in ("mismatch", "run-failed") for r in report.runs for c in r.cells)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_compare_report_has_only_our_structure(lang: str, tmp_path: Path) -> None:
    report = judge(*hostile(), tmp_path)
    text = render.markdown(report, lang, "compare.png", late_after=NEWLINES)  # type: ignore[arg-type]
    marker = render.marker(report)
    assert_inert_markdown(
        text,
        {"h2": 1, "h3": 4},
        {marker, details("ru" if lang == "ru" else "en"), "</details>"},
        {"compare.png"},
    )
    assert "Оригинал" in text
    assert "Прунинг" in text
    json.loads(render.json_text(report, lang))  # type: ignore[arg-type]


def test_sticky_comment_body_is_found_by_its_marker_only(tmp_path: Path) -> None:
    report = judge(*hostile(), tmp_path)
    body = publish.body_of(render.markdown(report, "en"))
    marker = render.marker(report)
    assert body.startswith(marker + "\n")
    assert body.count("<!--") == 1
    forged = sticky.Comment(1, "student", marker + "\n## ✅ Verified")
    plan = sticky.plan([forged, sticky.Comment(2, BOT, body)], marker, BOT)
    assert plan.edit == 2
    assert plan.delete == ()


def test_check_run_fields_are_one_line_and_plain(tmp_path: Path) -> None:
    report = judge(*hostile(), tmp_path)
    markdown = render.markdown(report, "en")
    run = check_run(report, "a" * 40, "submissions/ml_masters/hw-2.yaml", None, markdown, "en")
    assert len(run.annotations) == failing(report) > 0
    for note in run.annotations:
        for key in ("title", "message"):
            assert not LINES.search(note[key]), note[key]
    assert not LINES.search(run.title)
    assert run.text == markdown[:MAX_TEXT]


def test_mcv_compare_github_format_writes_only_our_commands(
    in_tmp: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, record = hostile()
    path = in_tmp / "submissions" / "ml_masters" / "hw-2.yaml"
    path.parent.mkdir(parents=True)
    raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode()
    path.write_bytes(raw)
    record = record.model_copy(update={"manifest_sha256": hashlib.sha256(raw).hexdigest()})
    (in_tmp / "verification.json").write_text(record.model_dump_json())
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(in_tmp / "summary.md"))
    code, out, err = cli(
        "compare", str(path.relative_to(in_tmp)), "verification.json", "--format", "github"
    )
    assert code == 1
    report = judge(data, record, in_tmp / "judged")
    assert_log_safe(out, failing(report))
    markdown = cli("compare", str(path.relative_to(in_tmp)), "verification.json")[1]
    assert markdown.startswith(render.marker(report))
    assert_log_safe(markdown, 0)  # the Markdown report, printed into a job log
    assert_log_safe(err, 0)
    assert_inert_markdown(
        (in_tmp / "summary.md").read_text(encoding="utf-8"),
        {"h2": 1, "h3": 4},
        {render.marker(report), details("ru"), "</details>"},
    )


def test_readme_leaderboard_keeps_its_markers_and_shape(tmp_path: Path, cli: Any) -> None:
    data, record = hostile()
    root = course(tmp_path, data, record)
    readme = root / "README.md"
    code, _, err = cli("table", str(readme))  # plots too: a label with `$...$` is drawn
    assert code == 0, err
    text = readme.read_text(encoding="utf-8")
    find(text)  # exactly one start and one end marker, in order
    assert text.startswith(f"# Course\n\n{START}\n")
    assert text.endswith(f"{END}\n")
    assert set(cells_per_row(text)) == {10}
    plots = {f"docs/leaderboard/{p.name}" for p in (root / "docs" / "leaderboard").glob("*.png")}
    assert plots
    assert_inert_markdown(text, {"h1": 1, "h3": 1}, {START, END}, plots)
    assert_log_safe(err, 0)


def test_mcv_check_github_format_and_summary(
    in_tmp: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, _ = hostile()
    data["runs"][1]["reported"]["cpu_ms"] = data["runs"][0]["reported"]["cpu_ms"]  # MCV401
    path = in_tmp / "submissions" / "ml_masters" / "hw-2.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    changed = in_tmp / "changed.txt"
    changed.write_text(
        "submissions/ml_masters/hw-2.yaml\n"
        "submissions/ml_masters/x ::error::p @team <!-- ##[error]e | `t`.txt\n"
        ".github/workflows/::add-mask::s3cret.yml\n",
        encoding="utf-8",
    )
    args = [
        "check",
        "submissions",
        "--changed-files",
        str(changed),
        "--pr-title",
        "ml_masters HW-2",
    ]
    code, out, _ = cli(*args, "--format", "json")
    assert_log_safe(out, 0)
    findings = json.loads(out)["findings"]
    assert any("##[error]" in f["message"] for f in findings)  # the value is unchanged
    assert code == 1
    assert any("@team" in f["message"] for f in findings)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(in_tmp / "summary.md"))
    code, out, err = cli(*args, "--format", "github")
    assert code == 1
    assert_log_safe(out, len(findings))
    assert_log_safe(err, 0)
    summary_text = (in_tmp / "summary.md").read_text(encoding="utf-8")
    assert_inert_markdown(summary_text, {"h3": 1}, set())
    assert set(cells_per_row(summary_text)) == {5}
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    code, out, _ = cli(*args, "--format", "text")
    assert_log_safe(out, 0)


def test_reproduce_progress_and_summary_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, record = hostile()
    progress = Progress(2)
    progress(LABEL, "starting")
    progress(COMMAND_LABEL, "starting")
    progress(COMMAND_LABEL, "failed: " + (record.runs[3].error or ""))
    summary(record)
    err = capsys.readouterr().err
    assert_log_safe(err, 0)
    assert err.count("[1/2]") == 1
    assert err.count("[2/2]") == 2


def test_a_usage_error_quoting_data_starts_no_command(tmp_path: Path, cli: Any) -> None:
    data, _ = hostile()
    path = tmp_path / "submissions" / "ml_masters" / "hw-2.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    wanted = "x\n::add-mask::s3cret\r::error::forged"
    code, _, err = cli("reproduce", str(path), "--run", wanted, "--out", str(tmp_path / "o"))
    assert code == 2
    assert "no run labelled" in err
    assert_log_safe(err, 0)


def test_only_our_labels_move() -> None:
    current = ["<b>x</b>\r\n::add-mask::y", "mcv:verified", "@team"]
    add, remove = labels.changes(current, "discrepancies")
    assert add == ["mcv:discrepancy"]
    assert remove == ["mcv:verified"]


def test_an_internal_error_quoting_data_starts_no_command(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from validator.commands import table

    def broken(args: Any) -> int:
        raise RuntimeError(COLUMN)  # a bug whose message quotes a column name as it is

    monkeypatch.setattr(table, "collect", lambda *a: broken(a))
    (tmp_path / "README.md").write_text(f"{START}\n{END}\n")
    code, _, err = cli("table", str(tmp_path / "README.md"))
    assert code == 3
    assert "Traceback" in err
    assert "internal error" in err
    assert_log_safe(err, 0)
