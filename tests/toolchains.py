"""For tests that run a worker in a toolchain other than core (optimum, vision, ...).

`make test` builds the CI toolchains first and sets MCV_REQUIRE_TOOLCHAINS=1, so there a
missing one fails the test; a developer's plain `pytest` skips it, saying how to build it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner import toolchains
from runner.errors import RunnerError


def require(name: str) -> Path:
    """The toolchain's interpreter; skip (or fail under `make test`) when it is not built."""
    try:
        return toolchains.interpreter(name)
    except RunnerError as exc:
        if os.environ.get("MCV_REQUIRE_TOOLCHAINS") == "1":
            pytest.fail(f"{exc} (make test builds it: `mcv toolchains build`)")
        pytest.skip(str(exc))
