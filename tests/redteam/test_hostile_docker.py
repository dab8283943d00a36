"""Red team: what a run prints under `--sandbox docker`, after issue 12 landed.

The run's stdout and stderr go through the engine's log driver (json-file, no size cap in
the options) onto the engine's disk, and come back whole into the runner: stdout as
`Outcome.lines`, stderr read whole before its last 20000 characters are kept.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.conftest import EMPTY_IMAGE, docker_engine  # noqa: F401 - the fixture

FLOOD_MIB = 48


def test_what_a_docker_run_prints_is_capped_in_the_runner(
    docker_engine: str,  # noqa: F811 - the imported fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from runner.sandbox.base import Request
    from runner.sandbox.container import Docker
    from runner.sandbox.limits import GIB, Limits

    monkeypatch.setenv("DOCKER_HOST", docker_engine)
    sandbox = Docker(EMPTY_IMAGE, host_python=True)
    work = tmp_path / "work"
    work.mkdir()
    work.chmod(0o777)
    code = (
        "import sys\n"
        "block = 'x' * 1023 + '\\n'\n"
        f"for _ in range({FLOOD_MIB} * 1024):\n"
        "    sys.stdout.write(block)\n"
    )
    request = Request(
        [sandbox.python(), "-c", code], [], work, "cpu", 1, Limits(memory_bytes=GIB), 120
    )
    outcome = sandbox.run(request, lambda line: None)
    held = sum(len(line) + 1 for line in outcome.lines)
    assert outcome.returncode == 0, outcome.stderr[-500:]
    assert held < 8 * 2**20, f"the runner held {held >> 20} MiB of the run's stdout"
