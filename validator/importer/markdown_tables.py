"""Every GFM table in a Markdown file, with the source line of each row (markdown-it-py)."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt


@dataclass
class Row:
    line: int  # 1-based line in the source file
    cells: list[str]  # raw inline text: markup, <br> and all


@dataclass
class Table:
    line: int
    header: Row
    rows: list[Row]
    heading: str | None  # the nearest heading above, for context


def find_tables(text: str) -> list[Table]:
    """Tables as markdown-it sees them: not inside code blocks, HTML comments or quotes."""
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    tables: list[Table] = []
    heading: str | None = None
    current: Table | None = None
    row: Row | None = None
    in_heading = False
    for token in parser.parse(text):
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "inline" and in_heading:
            heading, in_heading = token.content, False
        elif token.type == "table_open":
            line = (token.map[0] if token.map else 0) + 1
            current = Table(line, Row(line, []), [], heading)
        elif token.type == "tr_open" and current is not None:
            row = Row((token.map[0] if token.map else 0) + 1, [])
        elif token.type == "inline" and row is not None:
            row.cells.append(token.content)
        elif token.type == "tr_close" and current is not None and row is not None:
            if row.line == current.line:
                current.header = row
            else:
                current.rows.append(row)
            row = None
        elif token.type == "table_close" and current is not None:
            tables.append(current)
            current = None
    return tables
