"""Safe YAML: a strict subset read from the event stream, with a line and column per node.

PyYAML's composer recurses (and its C parser crashes on very deep input), resolves
YAML 1.1 booleans (`NO` -> False) and expands aliases (billion laughs). So we read the
pure-Python *event* stream ourselves, iteratively, and build plain data while recording
where each node came from. Everything a manifest does not need is refused with a
located finding: tags, anchors and aliases, duplicate keys, several documents, non-text.
Plain scalars resolve by the YAML 1.2 core schema, which has no `yes`/`no`/`on`/`off`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from validator.findings import Finding, Loc, RuleInfo
from validator.manifest.loading import (
    DUPLICATE_KEY,
    EMPTY,
    LOADING,
    NOT_TEXT,
    SEVERAL_DOCUMENTS,
    TOO_DEEP,
    TOO_LARGE,
    UNREADABLE,
    YAML_ANCHOR,
    YAML_SYNTAX,
    YAML_TAG,
)

# libyaml's event parser when present (same events, ~10x faster); the input is size-capped
# and depth-checked before it, and events are consumed without recursion.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_BYTES = 64 * 1024
MAX_DEPTH = 16
MAX_REPEATS = 5  # findings of one code per file before the rest are counted, not listed
_MAX_NUMBER_CHARS = 64  # longer digit strings stay text (int() refuses 4300+ digits anyway)

_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(nan|NaN|NAN)\Z")


class Mark(NamedTuple):  # a tuple: one is made per node, and tuples are cheap
    line: int  # 1-based
    col: int  # 1-based


@dataclass
class Document:
    """Plain data plus where each value and each mapping key was written."""

    path: str
    data: Any
    value_marks: dict[Loc, Mark] = field(default_factory=dict)
    key_marks: dict[Loc, Mark] = field(default_factory=dict)
    plain_text: dict[Loc, str] = field(default_factory=dict)  # unquoted scalars, as written
    sha256: str = ""  # of the bytes parsed: what a verification record is tied to

    def mark(self, loc: Loc, *, key: bool = False) -> Mark:
        """The mark of `loc`, or of its nearest ancestor that exists."""
        loc = tuple(loc)
        if key and loc in self.key_marks:
            return self.key_marks[loc]
        while loc and loc not in self.value_marks:
            loc = loc[:-1]
        return self.value_marks.get(loc, Mark(1, 1))

    def get(self, loc: Loc) -> Any:
        node = self.data
        for part in loc:
            node = child(node, part)
        return node


def child(node: Any, part: str | int) -> Any:
    """`node[part]` for parsed YAML data, or None where there is no such child."""
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


class _Problem(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _finding(path: str, info: RuleInfo, message: str, hint: str, mark: Mark) -> Finding:
    return info.finding(path, (), message, hint).at(mark.line, mark.col)


_NOT_WORDS = frozenset("0123456789+-.~nNtTfF")  # first characters of non-text scalars


def resolve_plain(text: str) -> Any:
    """YAML 1.2 core schema for an unquoted scalar."""
    if text and text[0] not in _NOT_WORDS:
        return text  # a word: the common case, and never a number, bool or null
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if len(text) <= _MAX_NUMBER_CHARS:
        if _INT.match(text):
            return int(text)
        if _OCT.match(text):
            return int(text[2:], 8)
        if _HEX.match(text):
            return int(text[2:], 16)
        if _FLOAT.match(text):
            return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


def _mark_of(event: yaml.Event) -> Mark:
    start = event.start_mark
    return Mark(start.line + 1, start.column + 1) if start is not None else Mark(1, 1)


def _mark_at(text: str, index: int) -> Mark:
    before = text[:index]
    return Mark(before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1)


def _flow_depth(text: str) -> tuple[int, int]:
    """Deepest bracket nesting outside quotes and comments, and where it happens."""
    depth = deepest = where = 0
    quote = ""
    comment = False
    for i, ch in enumerate(text):
        if comment:
            comment = ch != "\n"
        elif quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            if depth > deepest:
                deepest, where = depth, i
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest, where


@dataclass
class _Frame:
    container: dict[str, Any] | list[Any]
    loc: Loc
    key: str | None = None
    key_mark: Mark | None = None
    keys_seen: dict[str, Mark] = field(default_factory=dict)


class _Builder:
    """Turns the event stream into data, one event at a time, no recursion."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.stack: list[_Frame] = []
        self.findings: list[Finding] = []
        self.documents = 0
        self.root_set = False
        self.repeats: dict[str, int] = {}

    def problem(self, info: RuleInfo, message: str, hint: str, mark: Mark) -> None:
        self.repeats[info.code] = self.repeats.get(info.code, 0) + 1
        if self.repeats[info.code] <= MAX_REPEATS:
            self.findings.append(_finding(self.doc.path, info, message, hint, mark))

    def all_findings(self) -> list[Finding]:
        """The findings, plus one line per code saying how many more were not listed."""
        out = list(self.findings)
        for code, count in self.repeats.items():
            if count > MAX_REPEATS:
                first = next(f for f in self.findings if f.code == code)
                (info,) = [i for i in LOADING if i.code == code]
                out.append(
                    _finding(
                        self.doc.path,
                        info,
                        f"{count - MAX_REPEATS} more like this not listed",
                        first.hint,
                        Mark(first.line or 1, first.col or 1),
                    )
                )
        return out

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.ScalarEvent):  # the most frequent event first
            self.check_node(event)
            # A plain scalar: libyaml says style "", the Python parser None.
            plain = event.value if event.implicit[0] and not event.style else None
            data = resolve_plain(event.value) if plain is not None else event.value
            self.value(data, event, plain=plain)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise _Problem(
                    _finding(
                        self.doc.path,
                        SEVERAL_DOCUMENTS,
                        "the file holds more than one YAML document (a second `---`)",
                        "keep one manifest per file; remove the extra `---` and what follows",
                        _mark_of(event),
                    )
                )
        elif isinstance(event, yaml.AliasEvent):
            self.problem(
                YAML_ANCHOR,
                f"alias `*{event.anchor}`: anchors and aliases are not allowed",
                "write the value out in full",
                _mark_of(event),
            )
            self.value(None, event, plain=None)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self.check_node(event)
            container: dict[str, Any] | list[Any] = (
                {} if isinstance(event, yaml.MappingStartEvent) else []
            )
            loc = self.value(container, event, plain=None)
            if loc is not None:
                if len(self.stack) >= MAX_DEPTH:
                    raise _Problem(
                        _finding(
                            self.doc.path,
                            TOO_DEEP,
                            f"nesting deeper than {MAX_DEPTH} levels",
                            "a manifest is at most a few levels deep; flatten this value",
                            _mark_of(event),
                        )
                    )
                self.stack.append(_Frame(container, loc))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self.stack.pop()

    def check_node(self, event: yaml.NodeEvent) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            self.problem(
                YAML_TAG,
                f"YAML tag `{tag}` is not allowed",
                "remove the tag; quote the value if it must stay text",
                _mark_of(event),
            )
        if event.anchor is not None:
            self.problem(
                YAML_ANCHOR,
                f"anchor `&{event.anchor}`: anchors and aliases are not allowed",
                "remove the anchor and write each value out in full",
                _mark_of(event),
            )

    def value(self, data: Any, event: yaml.Event, plain: str | None) -> Loc | None:
        """Place a node; return its loc, or None when it was a mapping key."""
        mark = _mark_of(event)
        if not self.stack:
            self.doc.data, self.root_set = data, True
            self.doc.value_marks[()] = mark
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            loc = (*frame.loc, len(frame.container))
            frame.container.append(data)
        elif frame.key is None:
            self.take_key(frame, data, event, mark)
            return None
        else:
            # A duplicate key overwrites, as YAML does; it was reported in take_key.
            loc = (*frame.loc, frame.key)
            frame.container[frame.key] = data
            if frame.key_mark is not None:
                self.doc.key_marks[loc] = frame.key_mark
            frame.key = None
        self.doc.value_marks[loc] = mark
        if plain is not None:
            self.doc.plain_text[loc] = plain
        return loc

    def take_key(self, frame: _Frame, data: Any, event: yaml.Event, mark: Mark) -> None:
        if not isinstance(event, yaml.ScalarEvent | yaml.AliasEvent):
            self.problem(
                YAML_SYNTAX,
                "a mapping key must be plain text",
                "use a simple word as the key",
                mark,
            )
            raise _Problem(self.findings.pop())
        key = event.value if isinstance(event, yaml.ScalarEvent) else "*alias"
        if key in frame.keys_seen:
            first = frame.keys_seen[key]
            self.problem(
                DUPLICATE_KEY,
                f"duplicate key `{key}` (first written at line {first.line})",
                "keep one of the two; YAML would silently drop the first",
                mark,
            )
        else:
            frame.keys_seen[key] = mark
        frame.key, frame.key_mark = key, mark


def _decode(path: str, raw: bytes) -> str:
    if len(raw) > MAX_BYTES:
        raise _Problem(
            _finding(
                path,
                TOO_LARGE,
                f"the file is larger than {MAX_BYTES // 1024} KiB",
                "a manifest is a few hundred lines at most; is this the right file?",
                Mark(1, 1),
            )
        )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _Problem(
            _finding(
                path,
                NOT_TEXT,
                "the file is UTF-16 text",
                "save the file as UTF-8",
                Mark(1, 1),
            )
        )
    if b"\x00" in raw:
        at = raw.index(b"\x00")
        raise _Problem(
            _finding(
                path,
                NOT_TEXT,
                "the file is binary (it contains NUL bytes)",
                "save the manifest as UTF-8 text",
                _mark_at(raw[:at].decode("utf-8", "replace"), at),
            )
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = raw[: exc.start].decode("utf-8")
        raise _Problem(
            _finding(
                path,
                NOT_TEXT,
                f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
                "save the file as UTF-8 (not cp1251 or UTF-16)",
                _mark_at(good, len(good)),
            )
        ) from None
    return text.removeprefix("\ufeff")


def _guard_depth(path: str, text: str) -> None:
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return  # too few brackets to nest that deep; skip the character scan
    deepest, where = _flow_depth(text)
    if deepest > MAX_DEPTH:
        raise _Problem(
            _finding(
                path,
                TOO_DEEP,
                f"brackets nested {deepest} levels deep",
                "a manifest is at most a few levels deep; flatten this value",
                _mark_at(text, where),
            )
        )


def _yaml_error(path: str, text: str, exc: yaml.YAMLError) -> Finding:
    if isinstance(exc, yaml.reader.ReaderError):
        return _finding(
            path,
            NOT_TEXT,
            f"character {exc.character!r} is not allowed in YAML",
            "remove control characters; save the file as plain UTF-8 text",
            _mark_at(text, exc.position),
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        where = exc.problem_mark or exc.context_mark
        mark = Mark(where.line + 1, where.column + 1) if where else Mark(1, 1)
        what = " ".join(p for p in (exc.context, exc.problem) if p)
        return _finding(
            path,
            YAML_SYNTAX,
            f"YAML syntax: {what}",
            "check indentation, colons and quotes around this line",
            mark,
        )
    return _finding(path, YAML_SYNTAX, f"YAML syntax: {exc}", "check the file's syntax", Mark(1, 1))


def parse_yaml(raw: bytes, path: str) -> tuple[Document | None, list[Finding]]:
    """Parse bytes into a located Document; problems come back as findings, never raised."""
    doc = Document(path=path, data=None, sha256=hashlib.sha256(raw).hexdigest())
    builder = _Builder(doc)
    try:
        text = _decode(path, raw)
        _guard_depth(path, text)
        for event in yaml.parse(text, Loader=_LOADER):
            builder.feed(event)
    except _Problem as problem:
        return None, [*builder.findings, problem.finding]
    except yaml.YAMLError as exc:
        return None, [*builder.findings, _yaml_error(path, text, exc)]
    if not builder.root_set or doc.data is None:
        return None, [
            *builder.findings,
            _finding(
                path,
                EMPTY,
                "the file is empty",
                "start from an example under submissions/, or run `mcv schema`",
                Mark(1, 1),
            ),
        ]
    return doc, builder.all_findings()


def read_yaml(path: Path, display: str | None = None) -> tuple[Document | None, list[Finding]]:
    """Read at most MAX_BYTES + 1 bytes from `path` and parse them."""
    name = display or str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [
            _finding(
                name,
                UNREADABLE,
                f"cannot read the file: {exc.strerror or exc}",
                "check the path and permissions",
                Mark(1, 1),
            )
        ]
    return parse_yaml(raw, name)
