from __future__ import annotations

import pytest

from validator.manifest.yaml_loader import MAX_BYTES, MAX_DEPTH, parse_yaml, resolve_plain


def problems(text: str | bytes) -> list[tuple[str, int | None, int | None]]:
    raw = text.encode() if isinstance(text, str) else text
    _, findings = parse_yaml(raw, "m.yaml")
    return [(f.code, f.line, f.col) for f in findings]


def test_marks_are_one_based_line_and_column() -> None:
    doc, findings = parse_yaml(b"a: 1\nruns:\n  - label: x\n    size: 2\n", "m.yaml")
    assert findings == []
    assert doc is not None
    assert doc.mark(("runs", 0, "size")).line == 4
    assert doc.mark(("runs", 0, "size")).col == 11
    assert doc.mark(("runs", 0, "size"), key=True).col == 5
    assert doc.mark(("runs", 0, "nothing")).line == 3  # nearest existing ancestor


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("NO", "NO"),
        ("yes", "yes"),
        ("on", "on"),
        ("1:20", "1:20"),
        ("1_000", "1_000"),
        ("true", True),
        ("false", False),
        ("~", None),
        ("", None),
        ("1.10", 1.1),
        ("0x1f", 31),
        ("0o17", 15),
        ("-3", -3),
        ("2e3", 2000.0),
        ("7b3f2c1", "7b3f2c1"),
        ("9" * 5000, "9" * 5000),
    ],
)
def test_plain_scalars_follow_yaml_1_2_core(text: str, value: object) -> None:
    assert resolve_plain(text) == value


def test_quoted_scalars_stay_text() -> None:
    doc, _ = parse_yaml(b"a: '1.10'\nb: \"NO\"\nc: 1.10\n", "m.yaml")
    assert doc is not None
    assert doc.data == {"a": "1.10", "b": "NO", "c": 1.1}
    assert ("c",) in doc.plain_text
    assert ("a",) not in doc.plain_text


def test_duplicate_key_is_reported_at_the_second() -> None:
    assert problems("a: 1\nb: 2\na: 3\n") == [("MCV005", 3, 1)]


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        "a: !!str 5\n",
        "!!map {a: 1}\n",
        "a: !custom x\n",
    ],
)
def test_tags_are_refused(text: str) -> None:
    assert [c for c, _, _ in problems(text)] == ["MCV006"]


def test_alias_bomb_is_refused_without_expansion() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{','.join(['*' + prev] * 9)}]")
    found = problems("\n".join(lines) + "\n")
    assert {c for c, _, _ in found} == {"MCV007"}
    assert len(found) == 6  # five listed, then one line counting the rest
    _, findings = parse_yaml("\n".join(lines).encode(), "m.yaml")
    assert findings[-1].message == f"{9 + 8 * 9 - 5} more like this not listed"


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000 // 2])
def test_deep_flow_nesting_is_refused_before_parsing(depth: int) -> None:
    text = "a: " + "[" * depth + "]" * depth + "\n"
    if len(text) > MAX_BYTES:
        text = text[: MAX_BYTES - 1]
    assert [c for c, _, _ in problems(text)] == ["MCV008"]


def test_deep_block_nesting_is_refused() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 3)) + " " * 40 + "v\n"
    assert [c for c, _, _ in problems(text)] == ["MCV008"]


def test_too_large_is_refused_unread() -> None:
    assert problems(b"a: 1\n" * (MAX_BYTES // 5 + 10)) == [("MCV003", 1, 1)]


def test_binary_and_bad_encoding_are_located() -> None:
    assert problems(b"a: 1\nb: \x00\x01") == [("MCV002", 2, 4)]
    assert problems("a: 1\nb: привет\n".encode("cp1251")) == [("MCV002", 2, 4)]
    assert problems("a: 1\nb: \x07\n") == [("MCV002", 2, 4)]
    assert problems("a: 1\n".encode("utf-16")) == [("MCV002", 1, 1)]


def test_empty_and_several_documents() -> None:
    assert [c for c, _, _ in problems("")] == ["MCV009"]
    assert [c for c, _, _ in problems("# only a comment\n")] == ["MCV009"]
    assert [c for c, _, _ in problems("a: 1\n---\nb: 2\n")] == ["MCV010"]


def test_syntax_error_is_located() -> None:
    found = problems("a: 1\nb: [1, 2\nc: 3\n")
    assert [c for c, _, _ in found] == ["MCV004"]
    assert found[0][1] is not None
    assert found[0][1] >= 2


def test_bom_is_accepted() -> None:
    doc, findings = parse_yaml("\ufeffa: 1\n".encode(), "m.yaml")
    assert findings == []
    assert doc is not None
    assert doc.data == {"a": 1}


def test_complex_key_is_a_syntax_finding() -> None:
    assert [c for c, _, _ in problems("? [a, b]\n: 1\n")] == ["MCV004"]


@pytest.mark.parametrize(
    "raw",
    [
        b"a: &x 1\nb: *x\n",
        b"\xff\xfe",
        b"a: 1\na: 2\n",
        b"a: !!str 1\n",
        b"",
        b"a: 1\n---\nb: 2\n",
        b"a: [\n",
        b"a: 1\x00\n",
    ],
)
def test_loading_findings_carry_their_registered_code_and_slug(raw: bytes) -> None:
    from validator.manifest.loading import LOADING

    registered = {info.code: info.id for info in LOADING}
    _, findings = parse_yaml(raw, "m.yaml")
    assert findings
    for finding in findings:
        assert registered[finding.code] == finding.rule
