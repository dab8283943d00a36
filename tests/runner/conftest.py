from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO

DATA = REPO / "tests" / "data" / "runner"
pytest.importorskip(
    "torch", reason="the runner tests need the runner stack (make test installs it)"
)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from tests.runner.tiny_models import build_all

    return build_all(tmp_path_factory.mktemp("models"))
