"""Replace what lies between `<!-- leaderboard:start -->` and `<!-- leaderboard:end -->`.

Markers are found with markdown-it-py's token map: only a top-level HTML block that is
exactly the marker counts, so one quoted in a code block, inline in a paragraph or inside
a blockquote does not. Everything outside the markers is kept byte for byte: a BOM, CRLF
line endings, trailing spaces, a missing final newline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

from validator.errors import UserError

START = "<!-- leaderboard:start -->"
END = "<!-- leaderboard:end -->"
BOM = "\ufeff"


@dataclass(frozen=True)
class Span:
    start_line: int  # 0-based line of the start marker
    end_line: int  # 0-based line of the end marker


def find(text: str, source: str = "README") -> Span:
    """The markers' lines; a missing, repeated or reversed marker is a UserError."""
    starts: list[int] = []
    ends: list[int] = []
    parser = MarkdownIt("commonmark").disable("inline")  # markers are blocks; skip the cells
    for token in parser.parse(text.removeprefix(BOM)):
        if token.type != "html_block" or token.level != 0 or token.map is None:
            continue
        content = token.content.strip()
        if content == START:
            starts.append(token.map[0])
        elif content == END:
            ends.append(token.map[0])
    if not starts or not ends:
        missing = " and ".join(m for m, found in ((START, starts), (END, ends)) if not found)
        raise UserError(f"{source}: no {missing} marker (each on its own line, outside code)")
    if len(starts) > 1 or len(ends) > 1:
        raise UserError(
            f"{source}: the leaderboard markers appear more than once "
            f"(start at lines {_lines(starts)}, end at lines {_lines(ends)})"
        )
    if ends[0] < starts[0]:
        raise UserError(
            f"{source}: `{END}` (line {ends[0] + 1}) comes before `{START}` (line {starts[0] + 1})"
        )
    return Span(starts[0], ends[0])


def _lines(found: list[int]) -> str:
    return ", ".join(str(n + 1) for n in found)


_NEWLINE = re.compile(r"\r\n?|\n")  # what markdown-it counts as a line break, nothing more


def split_lines(text: str) -> list[str]:
    """Lines with their own endings, broken exactly where markdown-it breaks them."""
    lines, start = [], 0
    for match in _NEWLINE.finditer(text):
        lines.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        lines.append(text[start:])
    return lines


def replace(text: str, body: str, source: str = "README") -> str:
    """`text` with `body` between the markers, in the file's own line endings."""
    span = find(text, source)
    lines = split_lines(text)
    marker_line = lines[span.start_line]
    newline = "\r\n" if marker_line.endswith("\r\n") else "\n"
    if not marker_line.endswith(("\n", "\r")):
        marker_line += newline  # a start marker on the last line: the body needs a line
    content = body if body.endswith("\n") or not body else body + "\n"
    content = content.replace("\r\n", "\n").replace("\n", newline)
    return "".join([*lines[: span.start_line], marker_line, content, *lines[span.end_line :]])
