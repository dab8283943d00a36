from __future__ import annotations

import pytest

from tests.conftest import REPO

DATA = REPO / "tests" / "data" / "runner"
pytest.importorskip(
    "torch", reason="the runner tests need the runner stack (make test installs it)"
)
