"""Hostile and broken manifests: exit 1, a located message, never a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.builders import manifest, write
from tests.conftest import REPO

ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)

HOSTILE: dict[str, bytes] = {
    "alias-bomb": ALIAS_BOMB.encode(),
    "deep-flow": b"a: " + b"[" * 30_000 + b"]" * 30_000,
    "deep-block": "".join(" " * i + f"k{i}:\n" for i in range(40)).encode(),
    "ten-megabytes": b"a: " + b"x" * 10_000_000,
    "binary": bytes(range(256)) * 4,
    "python-tag": b"team: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
    "duplicate-keys": yaml.safe_dump(manifest()).encode() + b"team: other\n",
    "wrong-types": yaml.safe_dump(manifest(homework="two", runs="none")).encode(),
    "unknown-keys": yaml.safe_dump(manifest(teem="x")).encode(),
    "empty": b"",
    "not-a-mapping": b"- just\n- a list\n",
    "utf16": "team: x\n".encode("utf-16"),
}
LOCATED = re.compile(r"^\s+\d+:\d+\s+error\s+MCV\d{3}\s", re.MULTILINE)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_file_gives_exit_1_and_a_located_error(in_tmp: Path, cli, name: str) -> None:  # type: ignore[no-untyped-def]
    path = write(in_tmp, HOSTILE[name])
    code, out, err = cli("check", str(path.relative_to(in_tmp)))
    assert code == 1, out + err
    assert LOCATED.search(out), out
    assert not Path("/tmp/pwned").exists()


def test_hostile_files_in_a_real_process_print_no_traceback(tmp_path: Path) -> None:
    paths = [str(write(tmp_path / name, data)) for name, data in HOSTILE.items()]
    result = subprocess.run(
        [sys.executable, "-m", "validator", "check", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout.count("error") >= len(HOSTILE)


FAST = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check_bytes(root: Path, cli, data: bytes) -> None:  # type: ignore[no-untyped-def]
    path = write(root, data)
    code, out, err = cli("check", str(path))
    assert code in (0, 1), out + err
    assert "Traceback" not in out + err


@FAST
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes(tmp_path: Path, cli, data: bytes) -> None:  # type: ignore[no-untyped-def]
    check_bytes(tmp_path, cli, data)


@FAST
@given(
    text=st.text(alphabet=st.sampled_from(list(":-[]{}&*!|>'\"#?,.%@`\t\n 0aZé1~")), max_size=300)
)
def test_arbitrary_yaml_punctuation(tmp_path: Path, cli, text: str) -> None:  # type: ignore[no-untyped-def]
    check_bytes(tmp_path, cli, text.encode("utf-8"))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=30,
)


@FAST
@given(doc=documents)
def test_arbitrary_yaml_documents(tmp_path: Path, cli, doc: Any) -> None:  # type: ignore[no-untyped-def]
    check_bytes(tmp_path, cli, yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


MANIFEST_PATHS = [p for p in _paths(manifest()) if p]


@FAST
@given(where=st.sampled_from(MANIFEST_PATHS), value=documents)
def test_near_valid_manifests(tmp_path: Path, cli, where: tuple[Any, ...], value: Any) -> None:  # type: ignore[no-untyped-def]
    data = manifest()
    node = data
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = value
    check_bytes(tmp_path, cli, yaml.safe_dump(data, allow_unicode=True).encode("utf-8"))
