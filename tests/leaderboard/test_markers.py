from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from validator.errors import UserError
from validator.leaderboard import readme
from validator.leaderboard.markers import END, START, find, replace

DOC = f"# Title\n\nIntro\n\n{START}\nold table\n{END}\n\nFooter\n"


def test_body_goes_between_the_markers() -> None:
    assert replace(DOC, "| a |\n") == f"# Title\n\nIntro\n\n{START}\n| a |\n{END}\n\nFooter\n"


@pytest.mark.parametrize(
    "text",
    [
        f"```\n{START}\n```\n{START}\nx\n{END}\n",  # quoted in a fenced block
        f"    {START}\n\n{START}\nx\n{END}\n",  # in an indented code block
        f"see `{START}` here\n\n{START}\nx\n{END}\n",  # inline code
        f"> {START}\n\n{START}\nx\n{END}\n",  # a blockquote
        f"text {START} inline\n\n{START}\nx\n{END}\n",  # inline HTML in a paragraph
    ],
)
def test_only_top_level_marker_blocks_count(text: str) -> None:
    span = find(text)
    assert text.splitlines()[span.start_line] == START


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("no markers at all\n", "no <!-- leaderboard:start --> and <!-- leaderboard:end -->"),
        (f"{START}\nx\n", "no <!-- leaderboard:end --> marker"),
        (f"{START}\n\n{START}\n\n{END}\n", "more than once"),
        (f"{END}\n\n{START}\n", "comes before"),
    ],
)
def test_bad_markers_are_errors(text: str, words: str) -> None:
    with pytest.raises(UserError, match=words):
        replace(text, "x\n")


@pytest.mark.parametrize(
    "text",
    [
        f"\ufeff# T  \r\n\r\n{START}\r\nold\r\n{END}\r\ntail without newline",
        f"a\t \n{START}\n{END}",
        f"{START}\n{END}\n\n\n",
        f"x\f y\u2028z\n{START}\nq\n{END}\n",  # characters str.splitlines() would break on
    ],
)
def test_everything_outside_the_markers_is_kept_byte_for_byte(text: str) -> None:
    new = replace(text, "new | row\n")
    head, tail = text.split(START)[0], text.split(END)[1]
    assert new.startswith(head + START)
    assert new.endswith(END + tail)
    assert replace(new, "new | row\n") == new


outside = st.text(
    st.characters(blacklist_characters="<>`\r", blacklist_categories=("Cs",)), max_size=200
)


@settings(max_examples=150, deadline=None)
@given(head=outside, tail=outside, body=st.text(max_size=100), crlf=st.booleans())
def test_property_outside_bytes_survive(head: str, tail: str, body: str, crlf: bool) -> None:
    newline = "\r\n" if crlf else "\n"
    text = f"{head}{newline}{newline}{START}{newline}old{newline}{END}{newline}{tail}"
    try:
        new = replace(text, body)
    except UserError:
        return  # the generated text happened to break the markers (e.g. inside a code fence)
    assert new.startswith(f"{head}{newline}{newline}{START}{newline}")
    assert new.endswith(f"{END}{newline}{tail}")
    assert replace(new, body) == new


def test_regenerate_rewrites_only_on_change_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text(DOC)
    path.chmod(0o640)
    assert readme.regenerate(path, "| a |\n") is True
    first = path.stat()
    assert readme.regenerate(path, "| a |\n") is False
    assert path.stat().st_mtime_ns == first.st_mtime_ns
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temp file left


def test_a_failing_regeneration_leaves_the_file_untouched(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "README.md"
    path.write_text(f"{END}\n\n{START}\n")
    before = path.read_bytes()
    code, _, err = cli("table", str(path))
    assert code == 2
    assert "comes before" in err
    assert path.read_bytes() == before
