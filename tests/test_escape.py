"""The two escapers on their own: exact outputs, and properties over any text."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from validator.escape import (
    command,
    log_block,
    log_data,
    log_json,
    log_text,
    md,
    md_url,
    one_line,
)

# Everything a hostile team has used or could: line breaks of every kind, HTML, our
# markers, mentions, table pipes, code, links, math, workflow commands old and new.
PIECES = [
    "\r",
    "\n",
    "\r\n",
    "\u2028",
    "\x85",
    "\x1b[31m",
    "\t",
    "\u202e",
    "|",
    "`",
    "``",
    "\\",
    "*",
    "_",
    "$",
    "#",
    "# ",
    "## ✅ Verified",
    "> ",
    "- ",
    "1. ",
    "---",
    "===",
    "~~~",
    "<",
    ">",
    "&",
    "&amp;",
    "&#60;",
    "<!--",
    "-->",
    "<!-- mcv:report team=x hw=1 -->",
    "<!-- leaderboard:start -->",
    "<!-- leaderboard:end -->",
    "<img src=x onerror=1>",
    "@team",
    "@org/team",
    "#12",
    "[a](https://e.x)",
    "![i](https://e.x/i.png)",
    "](",
    "::error::pwned",
    "::add-mask::s3cret",
    "  ::warning file=a::b",
    "##[error]legacy",
    "%",
    "%0A",
    ":",
    ",",
    "Оригинал",
    "Прунинг 50%",
    "±5%",
    "0.912",
    "1334 MB",
    "x",
    " ",
]
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=8), max_size=12).map("".join)

GFM = MarkdownIt("commonmark").enable("table")
MENTION = re.compile(r"(?<![A-Za-z0-9&])[@#][A-Za-z0-9]")  # not our own &#8203;
LEGACY = re.compile(r"##\[(?!\\)")


def odd_backslashes_before(text: str, index: int) -> bool:
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


@pytest.mark.parametrize(
    "text",
    ["Оригинал", "INT8 dynamic", "Прунинг 50%", "±5%", "0.912 (95% ДИ 0.892…0.932, n=500)",
     "dslim/bert-base-NER", "1334 MB", "-5%", "Intel(R) Xeon(R) CPU @ 2.20GHz", "cpu_ms",
     "user@example.com", "K-means (16 кластеров)"],
)  # fmt: skip
def test_ordinary_text_is_left_as_it_is(text: str) -> None:
    assert md(text) == text
    assert log_text(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r## ✅ Verified\n@team", "a ## ✅ Verified @&#8203;team"),
        ("x <!-- hide", "x &lt;!-- hide"),
        ("<b>R&D</b>", "&lt;b&gt;R&amp;D&lt;/b&gt;"),
        ("a | b", "a \\| b"),
        ("`code` and \\", "\\`code\\` and \\\\"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("1. item", "1\\. item"),
        ("see #12", "see #&#8203;12"),
        ("[click](https://evil)", "\\[click]\\(https://evil)"),
        ("runs[1] [x]: https://e", "runs[1] [x]: https://e"),
        ("$x$ **bold**", "\\$x\\$ \\*\\*bold\\*\\*"),
        ("a\u202eb", "ab"),
        ("::error::x ##[error]y", "\\::error::x ##\\[error]y"),
    ],
)
def test_markdown_escapes(text: str, expected: str) -> None:
    assert md(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\nb\rc", "a\\nb\\rc"),
        ("::add-mask::s3cret", "\\::add-mask::s3cret"),
        ("  ::error::x", "  \\::error::x"),
        ("tool said ##[error]boom", "tool said ##[\\error]boom"),
        ("\x1b[31mred", "\\x1b[31mred"),
        ("50% sparse", "50% sparse"),
    ],
)
def test_log_text_escapes(text: str, expected: str) -> None:
    assert log_text(text) == expected


def test_workflow_command_follows_githubs_escaping() -> None:
    line = command("error", "100%\r\ndone", file="a,b:c.yaml", line=3, col=None, title="t:1")
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,title=t%3A1::100%25%0D%0Adone"


def test_log_block_keeps_our_lines_and_guards_each() -> None:
    assert log_block("mcv x: no run labelled a\n::add-mask::y") == (
        "mcv x: no run labelled a\n\\::add-mask::y"
    )


def test_only_https_links_are_written() -> None:
    assert md_url("https://github.com/o/r/pull/1#issuecomment-2") is not None
    for bad in ("javascript:alert(1)", "http://x", "https://x) [y](z", "https://x\ny"):
        assert md_url(bad) is None


def inline_tokens(text: str) -> list[str]:
    tokens = GFM.parse(text)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], text
    return [child.type for child in tokens[1].children or []]


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_markdown_is_one_inert_line(text: str) -> None:
    out = md(text)
    assert "\r" not in out
    assert "\n" not in out
    assert "<" not in out
    assert ">" not in out
    assert MENTION.search(out) is None
    for ch in "|`*$":
        assert all(odd_backslashes_before(out, i) for i, c in enumerate(out) if c == ch)
    assert LEGACY.search(out) is None  # a report printed to a job log stays text there too
    assert not out.startswith("::")
    kinds = set(inline_tokens(f"x {out} y"))
    assert kinds <= {"text", "em_open", "em_close", "softbreak"}, (text, kinds)


@settings(max_examples=200, deadline=None)
@given(hostile, hostile)
def test_markdown_cells_keep_the_table_shape(left: str, right: str) -> None:
    table = f"| a | b |\n|---|---|\n| {md(left)} | {md(right)} |\n"
    tokens = GFM.parse(table)
    assert [t.type for t in tokens].count("td_open") == 2


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_log_text_never_starts_a_command(text: str) -> None:
    out = log_text(text)
    assert one_line(out) == out.strip() or "\t" in out
    assert not any(ch in out for ch in "\r\n\x85\u2028\u2029")
    assert not out.lstrip().startswith("::")
    assert LEGACY.search(out) is None
    for line in log_block(text).split("\n"):
        assert not line.lstrip().startswith("::")
        assert LEGACY.search(line) is None


def unescape_data(text: str) -> str:
    """What the runner does to a command's data (actions/runner ActionCommand)."""
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_a_command_is_one_line_and_gives_back_the_message(text: str) -> None:
    line = command("error", text, file=text, title=text)
    assert "\r" not in line
    assert "\n" not in line
    head, data = line[2:].split("::", 1)  # the runner's split: the first `::` after the name
    name, props = head.split(" ", 1)
    assert name == "error"
    assert [p.split("=", 1)[0] for p in props.split(",")] == ["file", "title"]
    plain = "".join(ch for ch in text if ch in "\r\n\t" or ch.isprintable())
    if plain == text and "##[" not in text and "\u202e" not in text:
        assert unescape_data(data) == text
    assert LEGACY.search(log_data(text)) is None


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(hostile, hostile | st.lists(hostile, max_size=3), max_size=4))
def test_json_text_keeps_its_value_and_carries_no_legacy_command(data: dict[str, object]) -> None:
    text = log_json(json.dumps(data, indent=2, ensure_ascii=False))
    assert json.loads(text) == data
    assert "##[" not in text
    assert not [line for line in text.split("\n") if line.lstrip().startswith("::")]


@settings(max_examples=300, deadline=None)
@given(hostile)
def test_markdown_starting_a_line_or_an_item_stays_text(text: str) -> None:
    out = md(text)
    if not out:
        return
    assert [t.type for t in GFM.parse(out)] == ["paragraph_open", "inline", "paragraph_close"]
    item = [t.type for t in GFM.parse(f"- {out}")]
    assert item == [
        "bullet_list_open",
        "list_item_open",
        "paragraph_open",
        "inline",
        "paragraph_close",
        "list_item_close",
        "bullet_list_close",
    ], out
