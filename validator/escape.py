"""Text from data or from a team, made safe for where it is shown. Pure; no I/O.

Two media, one escaper each, and every string that comes from a manifest, a record, a
dataset or a pull request goes through one of them where it is written out:

- `md`: one line of GitHub Markdown (the PR comment, the README leaderboard, job summaries,
  compare reports). No line break, no HTML, none of our `<!-- ... -->` markers, no
  `@mention` or `#123` cross-reference, no table cell break, no code span, link, math,
  `*` emphasis or block marker; ordinary text (Cyrillic, numbers, units, `_` in ids) is
  left as it is. A report is also printed to job logs, so `md` text carries no `##[` and
  does not start with `::` either.
- `log_text` and `command`: a line of a GitHub Actions job log. Workflow commands follow
  GitHub's escaping (data: `%` -> %25, CR -> %0D, LF -> %0A; properties also `:` -> %3A
  and `,` -> %2C; docs.github.com/actions/reference/workflow-commands-for-github-actions).
  The runner takes a line as a command when it starts with `::` after leading whitespace,
  and the legacy `##[command]` form anywhere in a line (actions/runner#4692), so data
  never starts a line with `::` and never carries `##[`. `log_block` guards a whole
  message we print, keeping our own line breaks.

`plot_text` is the third medium's: a matplotlib label, where `$...$` is mathtext and a
malformed formula stops the drawing. `csv_cell` is the fourth's: a spreadsheet cell, where
a leading `=`, `+`, `-`, `@`, tab or CR makes a formula (OWASP "CSV injection").
"""

from __future__ import annotations

import re
import unicodedata

# Bidi controls reorder what a reader sees against what is stored ("Trojan source").
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DROPPED = dict.fromkeys(map(ord, _BIDI))
_BREAKS = {"Cc", "Zl", "Zp"}  # control characters, line and paragraph separators
ZWSP = "&#8203;"  # a zero-width space, as Dependabot and Renovate put after `@`
_MENTION = re.compile(r"(?<![A-Za-z0-9])([@#])(?=[A-Za-z0-9])")  # @user, @org/team, #12
_LINK = re.compile(r"\]\(")  # `[text](url)` and `![alt](url)` need `](`
# Where a line's start would make a block: heading, list item, ordered item, thematic break,
# setext underline, fence, link definition. One character is escaped: `-5%`, `0.9` stay.
_BLOCK_START = re.compile(r"^(?:(?:#{1,6}|[-+]|\d{1,9}[.)])(?=\s|$)|-{3,}|_{3,}|=+$|~{3,}|\[|::)")
_LEGACY_COMMAND = "##["


def one_line(text: object) -> str:
    """`text` on one line: line breaks and control characters become spaces, bidi controls go."""
    out = str(text).translate(_DROPPED)
    return "".join(" " if unicodedata.category(ch) in _BREAKS else ch for ch in out).strip()


def md(text: object) -> str:
    """`text` as one line of inert GitHub Markdown, safe in a table cell, heading or list."""
    out = one_line(text).replace("\\", "\\\\")
    out = out.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "|`*$":
        out = out.replace(ch, "\\" + ch)
    out = _LINK.sub("]\\\\(", out).replace(_LEGACY_COMMAND, "##\\[")  # printed to a log too
    out = _MENTION.sub(lambda m: m[1] + ZWSP, out)
    start = _BLOCK_START.match(out)
    if start:  # `1.` escapes its dot, the rest their first character
        at = start.end() - 1 if out[0].isdigit() else 0
        out = out[:at] + "\\" + out[at:]
    return out


def md_url(url: str) -> str | None:
    """A link target we write, or None when it is not a plain https URL."""
    if not re.fullmatch(r"https://[^\s<>()|\\`\"']+", url):
        return None
    return url


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: object) -> str:
    """`text` as a CSV cell a spreadsheet or an LMS shows as text, never runs as a formula."""
    out = str(text)
    return "'" + out if out.startswith(_FORMULA_START) else out


def plot_text(text: object) -> str:
    """A label drawn by matplotlib: one line, and `$` literal (two would start mathtext)."""
    return one_line(text).replace("$", "\\$")


def _visible(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _log_chars(text: str, percent: bool) -> str:
    out = []
    for ch in str(text).translate(_DROPPED):
        if percent and ch in "%\r\n":
            out.append({"%": "%25", "\r": "%0D", "\n": "%0A"}[ch])
        elif ch == "\t":
            out.append(ch)
        elif unicodedata.category(ch) in _BREAKS:
            out.append({"\r": "\\r", "\n": "\\n"}.get(ch) or _visible(ch))
        else:
            out.append(ch)
    return "".join(out).replace(_LEGACY_COMMAND, "##[\\")


def _no_leading_command(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("::"):
        return line[: len(line) - len(stripped)] + "\\" + stripped
    return line


def log_text(text: object) -> str:
    """`text` inside a plain log line: one line, controls shown as `\\n`, never a command."""
    return _no_leading_command(_log_chars(str(text), percent=False))


def log_block(text: object) -> str:
    """A message we print, line breaks kept: no line of it starts a workflow command."""
    lines = str(text).replace("\r\n", "\n").split("\n")
    return "\n".join(log_text(line) for line in lines)


def log_data(text: object) -> str:
    """A workflow command's message, as GitHub unescapes it: %25, %0D, %0A."""
    return _log_chars(str(text), percent=True)


def log_property(text: object) -> str:
    """A workflow command's property value: the data escaping plus %3A and %2C."""
    return log_data(text).replace(":", "%3A").replace(",", "%2C")


def log_json(text: str) -> str:
    """JSON text without `##[`: inside a string it is written `##\\u005b`, the same value."""
    return text.replace(_LEGACY_COMMAND, "##\\u005b")


def command(name: str, message: object, **properties: object) -> str:
    """`::name k=v,...::message`, every value escaped; properties that are None are left out."""
    props = ",".join(f"{k}={log_property(v)}" for k, v in properties.items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{log_data(message)}"
