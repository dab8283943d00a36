"""A team's own recipe script: only inside the sandbox, only where the course allows it.

The script runs in a process of its own (inside the same sandbox) and must leave a
safetensors model in its output folder; this process then loads that folder with the
same safety checks as any model, and the harness measures it. The script never shares a
process with the measurement, so it cannot tamper with the numbers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

from runner.errors import RunnerError, Unsupported
from runner.loading.model import check_safe
from runner.recipes.base import Built, Recipe, RecipeContext, save_torch

SCRIPT_TIMEOUT_S = 3600


def run_script(script: Path, model_dir: Path, out: Path, log: Path) -> tuple[int | None, str]:
    """(exit code or None at the timeout, last line of output). The script gets a process
    group of its own, and the whole group is killed when its main process ends, so
    children it leaves behind (a fork bomb's) cannot keep the run waiting."""
    with log.open("w", encoding="utf-8") as handle:
        try:
            process = subprocess.Popen(  # noqa: S603 - our interpreter and module, a list
                [
                    sys.executable,
                    "-m",
                    "runner.sandbox.custom_script",
                    str(script),
                    str(model_dir),
                    str(out),
                ],
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:  # e.g. no process left to start one with
            raise RunnerError(f"custom recipe script could not start: {exc}") from None
        try:
            code: int | None = process.wait(timeout=SCRIPT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return code, (lines[-1] if lines else f"exit {code}")


def reap() -> None:
    """Kill whatever the script left in the sandbox (a daemon in a session of its own
    escapes the process group): every process of the sandbox's PID namespace but its init
    and this one. Only in the sandbox, as its init's child (bubblewrap's and docker's
    init are pid 1 of the run's own namespace); never unsandboxed, where custom recipes
    are refused anyway."""
    if os.environ.get("MCV_SANDBOX") != "1" or os.getppid() != 1:
        return
    for _ in range(50):  # a fork loop may race one kill: until only init and this are left
        with suppress(ProcessLookupError, PermissionError):
            os.kill(-1, signal.SIGKILL)
        others = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != 1]
        if not [p for p in others if int(p) != os.getpid()]:
            return
        time.sleep(0.02)
    raise RunnerError("the custom script left processes that could not be stopped")


class Custom(Recipe):
    method = "custom"

    def preflight(self, ctx: RecipeContext) -> None:
        if os.environ.get("MCV_SANDBOX") != "1":
            raise Unsupported(
                "custom recipes run only inside the sandbox "
                "(mcv reproduce --sandbox bwrap or docker); never unsandboxed"
            )
        if not ctx.allow_custom or ctx.manifest_dir is None:
            raise Unsupported(
                "custom recipes are off for this course (set "
                "`custom_recipes = true` under [course] in .github/mcv.toml)"
            )

    def build(self, ctx: RecipeContext) -> Built:
        self.preflight(ctx)
        folder = Path(str(ctx.manifest_dir)).resolve()  # preflight refused a run without one
        script = (folder / ctx.params.script).resolve()
        if not script.is_relative_to(folder) or not script.is_file():
            raise RunnerError(
                f"custom recipe script `{ctx.params.script}` is not a file in the team's folder"
            )
        out = ctx.work_dir / "custom-model"
        out.mkdir(parents=True, exist_ok=True)
        code, tail = run_script(script, ctx.task.folder, out, ctx.work_dir / "custom-script.log")
        reap()
        if code is None:
            raise RunnerError(f"custom recipe script ran past {SCRIPT_TIMEOUT_S} s")
        if code is not None and code < 0:
            name = signal.Signals(-code).name
            hint = " (out of memory?)" if -code == signal.SIGKILL else ""
            raise RunnerError(f"custom recipe script was killed by {name}{hint}: {tail[:300]}")
        if code != 0:
            raise RunnerError(f"custom recipe script failed: {tail[:400]}")
        model = ctx.task.load_model(check_safe(out))
        return save_torch(model, ctx, "safetensors (custom recipe)")
