"""How long `mcv check` takes on every example manifest: in a fresh process (what CI pays,
imports included) and in-process once warm (the checks alone). Prints medians."""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REPEATS = 15


def fresh_process() -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "validator", "check", "submissions"],
        cwd=REPO,
        capture_output=True,
        check=False,
    )
    return time.perf_counter() - start


def in_process() -> float:
    from validator.cli import main

    start = time.perf_counter()
    with redirect_stdout(io.StringIO()):
        main(["check", "submissions"])
    return time.perf_counter() - start


def report(name: str, samples: list[float]) -> None:
    ms = sorted(s * 1e3 for s in samples)
    print(
        f"{name:<28} median {statistics.median(ms):7.1f} ms   "
        f"min {ms[0]:7.1f} ms   max {ms[-1]:7.1f} ms   n={len(ms)}"
    )


def main() -> None:
    sys.path.insert(0, str(REPO))
    manifests = sorted((REPO / "submissions").glob("*/hw-*.yaml"))
    print(f"mcv check on {len(manifests)} example manifests")
    report("fresh process (+imports)", [fresh_process() for _ in range(REPEATS)])
    in_process()  # warm: imports and pydantic schema build
    report("in-process, warm", [in_process() for _ in range(REPEATS)])


if __name__ == "__main__":
    import os

    os.chdir(REPO)
    main()
