from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from validator.cli import main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `mcv` in-process; return (exit code, stdout, stderr)."""

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny models for every task, built once per session (needs the runner stack)."""
    pytest.importorskip("torch", reason="the runner stack is not installed")
    from tests.runner.tiny_models import build_all

    return build_all(tmp_path_factory.mktemp("models"))
